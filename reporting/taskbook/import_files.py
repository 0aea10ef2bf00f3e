"""Which file a task breakdown is, and its lines: text, .docx or a spreadsheet.

``read_source(path, limits)`` decides by the file's content, never by its extension: plain
text (UTF-8, GB18030, UTF-16), a .docx (paragraphs or a task table) or a spreadsheet
(.xlsx, .xls, .ods). Other files (PDF, RTF, pictures, archives, .doc, HTML saved as .doc)
get a Chinese message saying what to do. Spreadsheets are opened through
``reporting.documents.spreadsheet`` (size limits, zip bombs, encryption, truncation); a .docx
zip is checked against the same limits first.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from reporting.core.exceptions import DubanError, ImportTasksError, UnreadableFileError
from reporting.taskbook.import_pages import page_lines
from reporting.taskbook.import_text import Line
from reporting.taskbook.tasks import decode_table_bytes

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OTHER_FILES = (
    (
        b"%PDF",
        "是 PDF 文件：请用 Word/WPS 打开后另存为 .docx，或用 pdftotext 导出为文本文件，再导入",
    ),
    (b"{\\rtf", "是 RTF 文档：请用 Word/WPS 另存为 .docx 后再导入"),
    (b"\xff\xd8\xff", "是 JPG 图片，不是任务分解文件；请导入通知的 Word、Excel 或文本文件"),
    (b"\x89PNG", "是 PNG 图片，不是任务分解文件；请导入通知的 Word、Excel 或文本文件"),
    (b"Rar!", "是 RAR 压缩包：请先解压，再导入其中的 Word、Excel 或文本文件"),
    (b"7z\xbc\xaf", "是 7z 压缩包：请先解压，再导入其中的 Word、Excel 或文本文件"),
)


@dataclass
class Source:
    """What a breakdown file holds, as lines."""

    kind: str  # 文本 / Word 文档 / Word 表格 / Excel 表格
    lines: list[Line]  # the task list (and the notice around it)
    context: list[Line]  # other text that may name the year or a convention
    notes: list[str] = field(default_factory=list)  # what was taken out (page headers…)


def read_source(path: Path, limits) -> Source:
    """The lines of a breakdown file; ImportTasksError if unreadable."""
    name = path.name
    size = path.stat().st_size
    if size == 0:
        raise ImportTasksError(f"{name} 是空文件（0 字节），请重新获取原件")
    if size > limits.max_file_bytes:
        raise ImportTasksError(
            f"{name} 有 {size / 1048576:.1f} MB，超过 {limits.max_file_bytes / 1048576:g} MB 的上限；"
            "任务分解文件通常不到 1 MB，请确认文件是否选对，或删除其中的图片后再导入"
        )
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"PK\x03\x04"):
        return _read_zip(path, limits)
    if head.startswith(_OLE_MAGIC):
        return _read_ole(path, limits)
    for magic, what in _OTHER_FILES:
        if head.startswith(magic):
            raise ImportTasksError(f"{name} {what}")
    text = _decode(path.read_bytes(), name)
    start = text.lstrip("\ufeff \t\r\n")[:2000].lower()
    if start.startswith("<") and (
        "<html" in start or "<table" in start or "<w:worddocument" in start or "mso-" in start
    ):
        raise ImportTasksError(
            f"{name} 是网页（HTML）或 Word/Excel 2003 XML 格式（常见于从网页系统导出的 .doc/.xls），"
            "请用 Word/Excel/WPS 打开后另存为 .docx 或 .xlsx，再导入"
        )
    lines, notes, removed = page_lines(text)
    return Source("文本", lines, [Line(t, "") for t in removed], notes)


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        try:
            return decode_table_bytes(data, name)
        except DubanError:
            pass
    raise ImportTasksError(
        f"{name} 不是可读取的文本文件（编码无法识别或含有二进制内容）；"
        "请导入通知的 Word（.docx）、Excel（.xlsx）文件，或另存为 UTF-8 文本后再导入"
    )


def _read_zip(path: Path, limits) -> Source:
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException

    from reporting.documents.sniff import check_zip
    from reporting.taskbook.import_table import read_docx, table_lines

    name = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            if "word/document.xml" in names:
                check_zip(name, infos, limits)
                doc = read_docx(zf)
                lines = table_lines(doc.tables)
                if lines is not None:
                    return Source("Word 表格", lines, doc.paragraphs)
                return Source("Word 文档", doc.paragraphs, [])
            if "xl/workbook.xml" in names or "xl/workbook.bin" in names or "mimetype" in names:
                return _read_workbook(path, limits)
    except UnreadableFileError as exc:
        raise _translate(exc, name) from None
    except zipfile.BadZipFile:
        raise _truncated(name) from None
    except (DefusedXmlException, ParseError, KeyError, ValueError):
        raise _corrupt(name) from None
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError):
        raise _corrupt(name) from None
    raise ImportTasksError(
        f"{name} 是 zip 压缩包，不是 Word 或 Excel 文件；请先解压，再导入其中的任务分解文件"
    )


def _read_ole(path: Path, limits) -> Source:
    name = path.name
    data = path.read_bytes()
    streams = {
        s
        for s in ("EncryptedPackage", "EncryptionInfo", "WordDocument", "Workbook", "Book")
        if s.encode("utf-16-le") in data
    }
    if streams & {"EncryptedPackage", "EncryptionInfo"}:
        raise _encrypted(name)
    if "WordDocument" in streams:
        raise ImportTasksError(
            f"{name} 是 Word 97-2003 文档（.doc），请用 Word/WPS 另存为 .docx 后再导入"
        )
    if streams & {"Workbook", "Book"}:
        return _read_workbook(path, limits)
    raise ImportTasksError(
        f"{name} 是 Office 旧格式文件，无法读取；请另存为 .docx 或 .xlsx 后再导入"
    )


def _read_workbook(path: Path, limits) -> Source:
    from reporting.taskbook.import_table import table_lines, workbook_grids

    try:
        grids, titles = workbook_grids(path, limits)
    except UnreadableFileError as exc:
        raise _translate(exc, path.name) from None
    lines = table_lines(grids)
    if lines is None:
        raise ImportTasksError(
            f"{path.name} 中没有找到任务分解表：表头应有“工作任务（重点任务）”和“牵头单位（责任单位）”"
            "或“责任领导（牵头领导）”等列。请确认选择的是任务分解表"
        )
    return Source("Excel 表格", lines, [Line(t, "") for t in titles])


def _encrypted(name: str) -> ImportTasksError:
    return ImportTasksError(
        f"{name} 设置了打开密码（已加密），无法读取；请在 Word/Excel/WPS 中取消密码后另存，再导入"
    )


def _truncated(name: str) -> ImportTasksError:
    return ImportTasksError(
        f"{name} 文件不完整或已损坏（可能下载、复制中断），无法打开；请重新获取原件，确认能在 Word/Excel 中正常打开后再导入"
    )


def _corrupt(name: str) -> ImportTasksError:
    return ImportTasksError(
        f"{name} 内容已损坏，无法读取；请用 Word/Excel/WPS 打开后另存为 .docx/.xlsx，再导入"
    )


def _translate(exc: UnreadableFileError, name: str) -> ImportTasksError:
    """The spreadsheet reader speaks to units returning forms; say it for an import."""
    code = getattr(exc, "code", "")
    if code == "encrypted":
        return _encrypted(name)
    if code == "truncated":
        return _truncated(name)
    if code in ("corrupt", "bad_xml"):
        return _corrupt(name)
    reason = str(exc).split("；")[0]
    return ImportTasksError(f"{reason}；请用 Word/Excel/WPS 打开确认无误、另存后再导入")
