"""Reading untrusted spreadsheets into a plain cell grid, safely.

Returned files arrive in whatever state an office program left them, or are not
spreadsheets at all. ``read_workbook`` decides the format from the first bytes (never the
extension), refuses what it must not open (empty, too large, zip bombs, encrypted,
truncated, another file type) with an ``UnreadableFileError`` whose Chinese message says
what to do, and otherwise returns a ``Workbook`` of ``SheetGrid``s (one cell grid per sheet).

Values come from python-calamine: cached values only, formulas are never evaluated or
copied. For OOXML files a light pass over the sheet XML (through defusedxml) adds what
calamine does not expose: formula cells, hidden rows, percent-formatted cells, merged
ranges, custom document properties and defined names. Macros are never run; a VBA
project is only noted.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_NS_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_NS_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"

_REF_RE = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")
_PERCENT_BUILTIN = {9, 10}


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


def col_letter(col: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_ref(row: int, col: int) -> str:
    """0-based (row, col) → 'H7'."""
    return f"{col_letter(col)}{row + 1}"


def parse_ref(ref: str) -> tuple[int, int]:
    """'H7' or '$H$7' → 0-based (row, col)."""
    m = _REF_RE.match(ref.strip().upper())
    if not m:
        raise ValueError(f"bad cell reference {ref!r}")
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


@dataclass
class SheetGrid:
    """One sheet as a dense grid from A1; ``""`` is an empty cell."""

    name: str
    visibility: str = "visible"  # visible | hidden | veryhidden
    rows: list[list[Any]] = field(default_factory=list)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2
    hidden_rows: set[int] = field(default_factory=set)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    # percent-formatted cells; None when the format does not tell (xls, ods)
    percent_cells: set[tuple[int, int]] | None = None
    clipped: bool = False  # cells beyond Limits.max_rows / max_cols were not read

    @property
    def visible(self) -> bool:
        return self.visibility == "visible"

    @property
    def height(self) -> int:
        return len(self.rows)

    def value(self, row: int, col: int) -> Any:
        if 0 <= row < len(self.rows):
            cells = self.rows[row]
            if 0 <= col < len(cells):
                return cells[col]
        return ""

    def cell(self, ref: str) -> Any:
        return self.value(*parse_ref(ref))

    def text(self, row: int, col: int) -> str:
        """The cell as stripped text (numbers as written: 3.0 → '3')."""
        return cell_text(self.value(row, col))

    def is_percent(self, row: int, col: int) -> bool | None:
        if self.percent_cells is None:
            return None
        return (row, col) in self.percent_cells

    def merged_at(self, row: int, col: int) -> tuple[int, int, int, int] | None:
        for rng in self.merged:
            r1, c1, r2, c2 = rng
            if r1 <= row <= r2 and c1 <= col <= c2:
                return rng
        return None


@dataclass
class Workbook:
    path: Path
    format: str  # a FORMAT_NAMES key
    sheets: list[SheetGrid] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)  # custom document properties
    defined_names: dict[str, str] = field(default_factory=dict)  # name → formula text
    has_macros: bool = False

    def sheet(self, name: str) -> SheetGrid | None:
        for s in self.sheets:
            if s.name == name:
                return s
        return None

    @property
    def visible_sheets(self) -> list[SheetGrid]:
        return [s for s in self.sheets if s.visible]


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# -- format detection ------------------------------------------------------------------


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
                        raise _encrypted(name)
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
        raise _truncated(name) from None
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
        raise _encrypted(name)
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
        raise _encrypted(name)
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


def _encrypted(name: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"{name} 设置了打开密码（已加密），无法读取；请在 Excel/WPS 中取消密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后重新发送",
        "encrypted",
    )


def _truncated(name: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"{name} 不完整或已损坏（可能下载、复制中断），无法打开；请在本机确认能正常打开后重新发送",
        "truncated",
    )


# -- reading ---------------------------------------------------------------------------


def read_workbook(
    path: Path | str, limits: Limits | None = None, name: str | None = None
) -> Workbook:
    """Read every sheet of an untrusted spreadsheet; UnreadableFileError when it cannot be read."""
    import python_calamine as pc

    path = Path(path)
    limits = limits or Limits()
    label = name or path.name
    fmt = sniff(path, limits, label)
    book = Workbook(path=path, format=fmt, has_macros=fmt == "xlsm")
    ooxml: _OoxmlInfo | None = None
    try:
        if fmt in ("xlsx", "xlsm"):
            ooxml = _read_ooxml_parts(path, limits, label)
            book.properties = ooxml.properties
            book.defined_names = ooxml.defined_names
        elif fmt == "ods":
            book.properties = _read_ods_properties(path, label)
        # from_filelike decides the format by content; from_path would trust the extension
        with open(path, "rb") as f:
            wb = pc.CalamineWorkbook.from_filelike(f)
    except UnreadableFileError:
        raise
    except pc.PasswordError:
        raise _encrypted(label) from None
    except (pc.ZipError, zipfile.BadZipFile, EOFError):
        raise _truncated(label) from None
    except BaseException as exc:  # noqa: BLE001 - any parser failure on hostile input is "unreadable"
        _reraise_interrupts(exc)
        raise _corrupt(label, fmt, exc) from None
    try:
        for meta in wb.sheets_metadata:
            if meta.typ != pc.SheetTypeEnum.WorkSheet:
                continue
            book.sheets.append(_read_sheet(wb, meta, ooxml, limits, pc))
    except UnreadableFileError:
        raise
    except pc.PasswordError:
        raise _encrypted(label) from None
    except BaseException as exc:  # noqa: BLE001
        _reraise_interrupts(exc)
        raise _corrupt(label, fmt, exc) from None
    finally:
        wb.close()
    if not book.sheets:
        raise UnreadableFileError(
            f"{label} 中没有任何工作表，请用下发的进展情况表填写后重新发送", "no_sheets"
        )
    return book


def _reraise_interrupts(exc: BaseException) -> None:
    """A Rust panic in the reader arrives as a BaseException (pyo3 PanicException): treat it
    as a corrupt file; only a real interrupt or exit goes on up."""
    if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
        raise exc


def _corrupt(name: str, fmt: str, exc: BaseException) -> UnreadableFileError:
    detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
    return UnreadableFileError(
        f"{name}（{FORMAT_NAMES.get(fmt, fmt)}）内容已损坏，无法读取（{detail}）；请在本机确认能正常打开，另存为 .xlsx 后重新发送",
        "corrupt",
    )


def _read_sheet(wb, meta, ooxml: _OoxmlInfo | None, limits: Limits, pc) -> SheetGrid:
    visibility = "visible"
    if meta.visible == pc.SheetVisibleEnum.Hidden:
        visibility = "hidden"
    elif meta.visible == pc.SheetVisibleEnum.VeryHidden:
        visibility = "veryhidden"
    sheet = SheetGrid(name=meta.name, visibility=visibility)
    info = ooxml.sheets.get(meta.name) if ooxml else None
    if info is not None:
        sheet.hidden_rows = info.hidden_rows
        sheet.formulas = info.formulas
        sheet.percent_cells = info.percent_cells
        sheet.merged = info.merged
        if info.clipped:
            # far-away cells would make calamine allocate a huge dense grid: do not load
            sheet.clipped = True
            return sheet
    data = wb.get_sheet_by_name(meta.name)
    rows = data.to_python(skip_empty_area=False, nrows=limits.max_rows)
    if len(rows) >= limits.max_rows or (rows and len(rows[0]) > limits.max_cols):
        sheet.clipped = True
    sheet.rows = [r[: limits.max_cols] for r in rows]
    if info is None:
        try:
            sheet.merged = [(a[0], a[1], b[0], b[1]) for a, b in (data.merged_cell_ranges or [])]
        except Exception:  # noqa: BLE001 - merged info is a nicety, not needed to read values
            sheet.merged = []
    return sheet


# -- OOXML side information --------------------------------------------------------------


@dataclass
class _SheetInfo:
    hidden_rows: set[int] = field(default_factory=set)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    percent_cells: set[tuple[int, int]] = field(default_factory=set)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    clipped: bool = False


@dataclass
class _OoxmlInfo:
    sheets: dict[str, _SheetInfo] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    defined_names: dict[str, str] = field(default_factory=dict)


def _parse_xml(data: bytes):
    from defusedxml.ElementTree import fromstring

    return fromstring(data)


def _read_ooxml_parts(path: Path, limits: Limits, label: str) -> _OoxmlInfo:
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException

    info = _OoxmlInfo()
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            wb_xml = _parse_xml(zf.read("xl/workbook.xml"))
            rels = {}
            if "xl/_rels/workbook.xml.rels" in names:
                for rel in _parse_xml(zf.read("xl/_rels/workbook.xml.rels")).iter(
                    f"{{{_NS_PKG_REL}}}Relationship"
                ):
                    rels[rel.get("Id")] = _part_path("xl", rel.get("Target", ""))
            percent_styles = (
                _percent_styles(zf.read("xl/styles.xml")) if "xl/styles.xml" in names else set()
            )
            sheet_names: list[str] = []
            for sh in wb_xml.iter(f"{{{_NS_MAIN}}}sheet"):
                sheet_names.append(sh.get("name", ""))
                target = rels.get(sh.get(f"{{{_NS_REL}}}id"))
                if target and target in names:
                    info.sheets[sh.get("name", "")] = scan_sheet_xml(
                        zf.read(target), limits, percent_styles
                    )
            for dn in wb_xml.iter(f"{{{_NS_MAIN}}}definedName"):
                local = dn.get("localSheetId")
                key = dn.get("name", "")
                if local is not None and local.isdigit() and int(local) < len(sheet_names):
                    key = f"{sheet_names[int(local)]}!{key}"
                info.defined_names[key] = (dn.text or "").strip()
            if "docProps/custom.xml" in names:
                for prop in _parse_xml(zf.read("docProps/custom.xml")).iter(
                    f"{{{_NS_CUSTOM}}}property"
                ):
                    value = "".join(t for child in prop for t in child.itertext())
                    info.properties[prop.get("name", "")] = value.strip()
    except (DefusedXmlException, ParseError):
        raise UnreadableFileError(
            f"{label} 的内部 XML 不合规范或含有被禁止的结构（实体、DTD），已拒绝读取；请用 Excel/WPS 另存为 .xlsx 后重新发送",
            "bad_xml",
        ) from None
    except KeyError as exc:
        raise UnreadableFileError(
            f"{label} 缺少必需的部件 {exc}，文件已损坏；请另存为 .xlsx 后重新发送", "corrupt"
        ) from None
    return info


def _part_path(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base, target))


_DTD_RE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)
_HIDDEN_ROW = re.compile(rb'<row\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
_R_ATTR = re.compile(rb'\br="([A-Z]{1,3})(\d{1,7})"')
_S_ATTR = re.compile(rb'\bs="(\d+)"')
_CELL_OPEN = re.compile(rb"<c\b([^>]*)>")
_VALUE_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})(\d{1,7})"[^>]*(?<!/)>\s*<(?:v|f|is)\b')
_CELL_WITH_REF = re.compile(rb'<c\s[^>]*?\br="')
_FORMULA = re.compile(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.S)
_MERGE = re.compile(rb'<mergeCell\b[^>]*?\bref="([^"]+)"')


def scan_sheet_xml(data: bytes, limits: Limits, percent_styles: set[int]) -> _SheetInfo:
    """Formulas, hidden rows, percent cells, merged ranges and the extent of a sheet's XML.

    A byte-level pass with compiled patterns (an XML parser costs several times more on the
    big sheet parts); it never expands anything, and a part with a DTD is refused, as
    defusedxml would. Namespace-prefixed parts or cells without an ``r`` reference (rare
    writers) fall back to the defused XML parser.
    """
    if _DTD_RE.search(data):
        from defusedxml import DTDForbidden

        raise DTDForbidden(None, None, None)
    n_cells = data.count(b"<c ") + data.count(b"<c>")
    if b"<sheetData" not in data or n_cells != len(_CELL_WITH_REF.findall(data)):
        return _scan_sheet_parsed(data, limits, percent_styles)
    si = _SheetInfo()
    for m in _HIDDEN_ROW.finditer(data):
        r = _R_ATTR_ROW.search(m.group(0))
        if r:
            si.hidden_rows.add(int(r.group(1)) - 1)
    refs = _VALUE_CELL.findall(data)
    if refs:
        max_row = max(int(n) for _, n in refs) - 1
        letters = max((c for c, _ in refs), key=lambda c: (len(c), c)).decode()
        max_col = parse_ref(f"{letters}1")[1]
        si.clipped = max_row >= limits.max_rows or max_col >= limits.max_cols
    for m in _FORMULA.finditer(data):
        start = data.rfind(b"<c", 0, m.start())
        r = _R_ATTR.search(data, start, m.start())
        if start < 0 or r is None:
            continue
        rc = parse_ref((r.group(1) + r.group(2)).decode())
        text = html.unescape((m.group(1) or b"").decode("utf-8", "replace")).strip()
        si.formulas[rc] = text or "(共享公式)"
    if percent_styles:
        for m in _CELL_OPEN.finditer(data):
            st = _S_ATTR.search(m.group(1))
            if st and int(st.group(1)) in percent_styles:
                r = _R_ATTR.search(m.group(1))
                if r:
                    si.percent_cells.add(parse_ref((r.group(1) + r.group(2)).decode()))
    for m in _MERGE.finditer(data):
        _add_merge(si, m.group(1).decode("ascii", "replace"))
    return si


_R_ATTR_ROW = re.compile(rb'\br="(\d+)"')


def _add_merge(si: _SheetInfo, ref: str) -> None:
    if ":" in ref:
        try:
            (r1, c1), (r2, c2) = (parse_ref(x) for x in ref.split(":", 1))
            si.merged.append((r1, c1, r2, c2))
        except ValueError:
            pass


def _scan_sheet_parsed(data: bytes, limits: Limits, percent_styles: set[int]) -> _SheetInfo:
    """The same as ``scan_sheet_xml`` through the XML parser (cells without references)."""
    import io

    from defusedxml.ElementTree import iterparse

    si = _SheetInfo()
    row_idx = col_idx = -1
    max_row = max_col = -1
    main = f"{{{_NS_MAIN}}}"
    for event, el in iterparse(io.BytesIO(data), events=("start", "end")):
        tag = el.tag
        if event == "start":
            if tag == main + "row":
                r = el.get("r")
                row_idx = int(r) - 1 if r and r.isdigit() else row_idx + 1
                col_idx = -1
                if el.get("hidden") in ("1", "true"):
                    si.hidden_rows.add(row_idx)
            elif tag == main + "c":
                ref = el.get("r")
                try:
                    row_idx, col_idx = parse_ref(ref) if ref else (row_idx, col_idx + 1)
                except ValueError:
                    col_idx += 1
            continue
        if tag == main + "c":
            has_value = False
            for child in el:
                if child.tag == main + "f":
                    si.formulas[(row_idx, col_idx)] = (child.text or "").strip() or "(共享公式)"
                    has_value = True
                elif child.tag in (main + "v", main + "is"):
                    has_value = True
            style = el.get("s")
            if style and style.isdigit() and int(style) in percent_styles:
                si.percent_cells.add((row_idx, col_idx))
            if has_value:
                max_row, max_col = max(max_row, row_idx), max(max_col, col_idx)
            el.clear()
        elif tag == main + "mergeCell":
            _add_merge(si, el.get("ref", ""))
        elif tag == main + "row":
            el.clear()
    si.clipped = max_row >= limits.max_rows or max_col >= limits.max_cols
    return si


def _percent_styles(data: bytes) -> set[int]:
    root = _parse_xml(data)
    main = f"{{{_NS_MAIN}}}"
    custom: dict[int, str] = {}
    for fmt in root.iter(main + "numFmt"):
        try:
            custom[int(fmt.get("numFmtId", "-1"))] = fmt.get("formatCode", "")
        except ValueError:
            continue
    out: set[int] = set()
    xfs = root.find(main + "cellXfs")
    if xfs is None:
        return out
    for idx, xf in enumerate(xfs.findall(main + "xf")):
        try:
            fid = int(xf.get("numFmtId", "0"))
        except ValueError:
            continue
        if fid in _PERCENT_BUILTIN or _is_percent_code(custom.get(fid, "")):
            out.add(idx)
    return out


def _is_percent_code(code: str) -> bool:
    # a % inside quotes ("0\"%\"") is literal text: the value is not scaled
    stripped = re.sub(r'"[^"]*"|\\.', "", code)
    return "%" in stripped


def _read_ods_properties(path: Path, label: str) -> dict[str, str]:
    """User-defined document properties of an .ods (meta.xml), which LibreOffice keeps."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException

    try:
        with zipfile.ZipFile(path) as zf:
            if "meta.xml" not in zf.namelist():
                return {}
            root = _parse_xml(zf.read("meta.xml"))
    except (DefusedXmlException, ParseError):
        raise UnreadableFileError(
            f"{label} 的内部 XML 不合规范或含有被禁止的结构，已拒绝读取；请另存为 .xlsx 后重新发送",
            "bad_xml",
        ) from None
    out = {}
    for el in root.iter(f"{{{_NS_META}}}user-defined"):
        out[el.get(f"{{{_NS_META}}}name", "")] = (el.text or "").strip()
    return out
