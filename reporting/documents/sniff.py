"""What a received file is, decided by its content (never its extension), and the
refusals: ``sniff`` gives a spreadsheet's format or raises ``UnreadableFileError`` (empty,
too large, a zip bomb, encrypted, truncated, another file type) whose Chinese message says
what to do; ``Limits`` is what a file may claim before it is refused; ``attachment_kind``
names a scan or document sent beside the form."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from reporting.core.exceptions import UnreadableFileError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"

FORMAT_NAMES = {
    "xlsx": "Excel 工作簿（.xlsx）",
    "xlsm": "启用宏的 Excel 工作簿（.xlsm）",
    "xlsb": "Excel 二进制工作簿（.xlsb）",
    "xls": "Excel 97-2003 工作簿（.xls）",
    "ods": "OpenDocument 电子表格（.ods）",
}


@dataclass(frozen=True)
class Limits:
    """What a returned file may claim before it is refused (see config [intake])."""

    max_file_bytes: int = 20 * 1024 * 1024
    max_zip_members: int = 200
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_zip_ratio: float = 100.0
    max_rows: int = 5000  # cells below are not read (the form has a few hundred rows)
    max_cols: int = 200

    @classmethod
    def from_settings(cls, intake) -> Limits:
        mb = 1024 * 1024
        return cls(
            max_file_bytes=int(intake.max_file_mb * mb),
            max_zip_members=intake.max_zip_members,
            max_uncompressed_bytes=int(intake.max_uncompressed_mb * mb),
            max_zip_ratio=intake.max_zip_ratio,
        )


def sniff(path: Path, limits: Limits, name: str | None = None) -> str:
    """The spreadsheet format of ``path`` decided by content; UnreadableFileError otherwise.

    ``name`` is how messages call the file (its received name; default the path's).
    """
    size = path.stat().st_size
    name = name or path.name
    if size == 0:
        raise UnreadableFileError(
            f"{name} 是空文件（0 字节），可能保存或传输失败，请重新发送填好的表格", "empty"
        )
    if size > limits.max_file_bytes:
        raise UnreadableFileError(
            f"{name} 有 {size / 1048576:.1f} MB，超过 {limits.max_file_bytes / 1048576:g} MB 的上限；"
            "请删除表中插入的图片或多余工作表后重新发送",
            "too_large",
        )
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.startswith(ZIP_MAGIC) or head.startswith(EMPTY_ZIP_MAGIC):
        return _sniff_zip(path, limits, name)
    if head.startswith(OLE_MAGIC):
        return _sniff_ole(path, name)
    raise UnreadableFileError(f"{name} {_what_else(head)}", "not_spreadsheet")


# documents units send beside the form, by content and the extension they were given
_ATTACHMENTS = (
    (b"%PDF", (".pdf",), "PDF 文件"),
    (b"\xff\xd8\xff", (".jpg", ".jpeg"), "图片"),
    (b"\x89PNG", (".png",), "图片"),
    (b"II*\x00", (".tif", ".tiff"), "图片"),
    (b"MM\x00*", (".tif", ".tiff"), "图片"),
    (b"GIF8", (".gif",), "图片"),
    (b"BM", (".bmp",), "图片"),
    (b"PK\x03\x04", (".docx",), "Word 文档"),
    (OLE_MAGIC, (".doc", ".wps"), "Word 文档"),
    (b"{\\rtf", (".rtf",), "Word 文档"),
)


def attachment_kind(path: Path) -> str | None:
    """'PDF 文件' / '图片' / 'Word 文档' for a scan or document named as what it is
    (a 盖章扫描件 or 情况说明 sent beside the form); None otherwise. A .jpg renamed .xlsx
    is not an attachment: the unit meant to send the form."""
    suffix = path.suffix.lower()
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return None
    for magic, suffixes, kind in _ATTACHMENTS:
        if suffix in suffixes and head.startswith(magic):
            return kind
    return None


def _what_else(head: bytes) -> str:
    """Say what a non-spreadsheet file is, and what to send instead."""
    fix = "不是电子表格，请用下发的进展情况表（.xlsx）填写后重新发送"
    signatures = [
        (b"%PDF", "是 PDF 文件"),
        (b"\xff\xd8\xff", "是 JPG 图片"),
        (b"\x89PNG", "是 PNG 图片"),
        (b"GIF8", "是 GIF 图片"),
        (b"BM", "是 BMP 图片"),
        (b"Rar!", "是 RAR 压缩包"),
        (b"7z\xbc\xaf", "是 7z 压缩包"),
        (b"\x1f\x8b", "是 gzip 压缩包"),
        (b"{\\rtf", "是 RTF 文档"),
    ]
    for magic, what in signatures:
        if head.startswith(magic):
            return f"{what}，{fix}"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if (
        text.startswith(b"<?xml")
        and b"excel.sheet" in text
        or b"urn:schemas-microsoft-com:office:spreadsheet" in text
    ):
        return "是“XML 电子表格 2003”格式，无法可靠读取；请在 Excel 中另存为“Excel 工作簿（.xlsx）”后重新发送"
    if (
        text.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml"))
        or b"<html" in text[:512]
    ):
        return "是网页（HTML）格式（常见于从网页系统导出的“xls”），请在 Excel 中打开后另存为“Excel 工作簿（.xlsx）”再发送"
    if b"\x00" not in head:
        return "是纯文本/CSV 文件，缺少表单标识和格式；请用下发的进展情况表填写，保存为 .xlsx 后重新发送"
    return f"无法识别文件类型，{fix}"


def _sniff_zip(path: Path, limits: Limits, name: str) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            check_zip(name, infos, limits)
            names = {i.filename for i in infos}
            if "mimetype" in names:
                mime = zf.read("mimetype")[:100].strip()
                if mime == b"application/vnd.oasis.opendocument.spreadsheet":
                    manifest = (
                        zf.read("META-INF/manifest.xml")
                        if "META-INF/manifest.xml" in names
                        else b""
                    )
                    if b"encryption-data" in manifest:
                        raise encrypted(name)
                    return "ods"
                if mime.startswith(b"application/vnd.oasis.opendocument.text"):
                    raise UnreadableFileError(
                        f"{name} 是 ODF 文字文档（.odt），不是电子表格，请发送填好的进展情况表",
                        "not_spreadsheet",
                    )
            if "xl/workbook.xml" in names:
                return "xlsm" if "xl/vbaProject.bin" in names else "xlsx"
            if "xl/workbook.bin" in names:
                return "xlsb"
            if any(n.startswith("word/") for n in names):
                raise UnreadableFileError(
                    f"{name} 是 Word 文档（.docx），不是电子表格；请在下发的进展情况表（.xlsx）中填写后重新发送",
                    "not_spreadsheet",
                )
            if any(n.startswith("ppt/") for n in names):
                raise UnreadableFileError(
                    f"{name} 是 PowerPoint 演示文稿，不是电子表格，请发送填好的进展情况表",
                    "not_spreadsheet",
                )
            if any(n.lower().endswith((".xlsx", ".xls", ".et", ".ods", ".xlsm")) for n in names):
                raise UnreadableFileError(
                    f"{name} 是一个压缩包，里面含有表格；请解压后把表格文件本身放入收件目录或作为附件发送",
                    "archive",
                )
            raise UnreadableFileError(
                f"{name} 是 zip 压缩包而不是电子表格，请发送填好的进展情况表（.xlsx）",
                "not_spreadsheet",
            )
    except zipfile.BadZipFile:
        raise truncated(name) from None
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
        # RuntimeError: member needs a password; NotImplementedError: unknown compression
        raise UnreadableFileError(
            f"{name} 的压缩结构无法读取（可能已损坏或加密），请重新保存为 .xlsx 后发送", "corrupt"
        ) from None


def check_zip(name: str, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Zip bomb and encryption checks from the central directory, before anything is inflated."""
    if len(infos) > limits.max_zip_members:
        raise UnreadableFileError(
            f"{name} 内含 {len(infos)} 个部件，超过 {limits.max_zip_members} 个的上限，疑似异常文件；"
            "请用下发的表单重新填写后发送",
            "zip_members",
        )
    if any(i.flag_bits & 0x1 for i in infos):
        raise encrypted(name)
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed_bytes:
        raise UnreadableFileError(
            f"{name} 解压后有 {total / 1048576:.0f} MB，超过 {limits.max_uncompressed_bytes / 1048576:g} MB 的上限，"
            "疑似“压缩炸弹”，未打开；如确为正常表格，请删除多余内容后重新发送",
            "zip_bomb",
        )
    for i in infos:
        # tiny parts compress extremely well by nature; judge only those worth inflating
        if i.file_size > 1024 * 1024 and i.file_size > limits.max_zip_ratio * max(
            i.compress_size, 1
        ):
            raise UnreadableFileError(
                f"{name} 中的部件 {i.filename} 压缩比 {i.file_size / max(i.compress_size, 1):.0f}:1，"
                f"超过 {limits.max_zip_ratio:g}:1 的上限，疑似“压缩炸弹”，未打开；请用下发的表单重新填写后发送",
                "zip_bomb",
            )


def _sniff_ole(path: Path, name: str) -> str:
    data = path.read_bytes()

    def has(stream: str) -> bool:
        return stream.encode("utf-16-le") in data

    if has("EncryptedPackage") or has("EncryptionInfo"):
        raise encrypted(name)
    if has("Workbook") or has("Book"):
        return "xls"
    if has("WordDocument"):
        raise UnreadableFileError(
            f"{name} 是 Word 97-2003 文档（.doc），不是电子表格，请发送填好的进展情况表",
            "not_spreadsheet",
        )
    if has("PowerPoint Document"):
        raise UnreadableFileError(
            f"{name} 是 PowerPoint 文件，不是电子表格，请发送填好的进展情况表", "not_spreadsheet"
        )
    raise UnreadableFileError(
        f"{name} 是 Office 旧格式文件，但其中没有工作簿，请另存为 .xlsx 后重新发送",
        "not_spreadsheet",
    )


def encrypted(name: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"{name} 设置了打开密码（已加密），无法读取；请在 Excel/WPS 中取消密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后重新发送",
        "encrypted",
    )


def truncated(name: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"{name} 不完整或已损坏（可能下载、复制中断），无法打开；请在本机确认能正常打开后重新发送",
        "truncated",
    )


def corrupt(name: str, fmt: str, exc: BaseException) -> UnreadableFileError:
    detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
    return UnreadableFileError(
        f"{name}（{FORMAT_NAMES.get(fmt, fmt)}）内容已损坏，无法读取（{detail}）；请在本机确认能正常打开，另存为 .xlsx 后重新发送",
        "corrupt",
    )
