"""What an OOXML workbook says beside its cached values, read from its XML: formula cells,
hidden rows, percent-formatted cells, merged ranges and the extent of each sheet; custom
document properties and defined names (an .ods: its user-defined properties).

Sheet parts are read by a byte-level scan (``byte_scan_sheet``: compiled patterns, several
times cheaper than a parser on the big parts); the parts it does not cover (namespace
prefixes, cells without an ``r`` reference) go through the defused XML parser
(``parse_sheet_xml``), which must give the same facts (tests/test_sheet_xml_differential.py).
Nothing is ever expanded; a part with a DTD is refused, as defusedxml would.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
from collections.abc import Set
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from reporting.core.exceptions import UnreadableFileError
from reporting.documents.cells import parse_ref
from reporting.documents.sniff import Limits

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_NS_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_NS_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"

_PERCENT_BUILTIN = {9, 10}


@dataclass
class SheetFacts:
    """What one sheet part says beside its values (0-based rows and columns)."""

    hidden_rows: set[int] = field(default_factory=set)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    percent_cells: set[tuple[int, int]] = field(default_factory=set)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    clipped: bool = False


@dataclass
class OoxmlFacts:
    """A workbook's side facts: each sheet's (by name), custom properties, defined names."""

    sheets: dict[str, SheetFacts] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    defined_names: dict[str, str] = field(default_factory=dict)


def _parse_xml(data: bytes):
    from defusedxml.ElementTree import fromstring

    return fromstring(data)


def read_ooxml_parts(path: Path, limits: Limits, label: str) -> OoxmlFacts:
    """Every sheet's facts, the custom properties and the defined names of an .xlsx/.xlsm;
    UnreadableFileError when its XML is malformed or forbidden, or a part is missing."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException

    info = OoxmlFacts()
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            wb_xml = _parse_xml(zf.read("xl/workbook.xml"))
            percent_styles = _percent_styles_of(zf, names)
            sheets = _sheet_parts(zf, names, wb_xml)
            for sheet_name, target in sheets:
                if target is not None:
                    info.sheets[sheet_name] = scan_sheet_xml(
                        zf.read(target), limits, percent_styles
                    )
            info.defined_names = _defined_names(wb_xml, [n for n, _ in sheets])
            if "docProps/custom.xml" in names:
                info.properties = _custom_properties(zf.read("docProps/custom.xml"))
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


def sheet_parts(zf: zipfile.ZipFile) -> list[tuple[str, str | None]]:
    """Each sheet's name and its part in the package (None when missing), in workbook order."""
    return _sheet_parts(zf, set(zf.namelist()), _parse_xml(zf.read("xl/workbook.xml")))


def percent_styles_of(zf: zipfile.ZipFile) -> frozenset[int]:
    """The cell style indexes (``s=``) whose number format is a percentage."""
    return _percent_styles_of(zf, set(zf.namelist()))


def _percent_styles_of(zf: zipfile.ZipFile, names: set[str]) -> frozenset[int]:
    return _percent_styles(zf.read("xl/styles.xml")) if "xl/styles.xml" in names else frozenset()


def _sheet_parts(zf: zipfile.ZipFile, names: set[str], wb_xml) -> list[tuple[str, str | None]]:
    rels = {}
    if "xl/_rels/workbook.xml.rels" in names:
        rels = dict(_workbook_rels(zf.read("xl/_rels/workbook.xml.rels")))
    out: list[tuple[str, str | None]] = []
    for sh in wb_xml.iter(f"{{{_NS_MAIN}}}sheet"):
        target = rels.get(sh.get(f"{{{_NS_REL}}}id"))
        out.append((sh.get("name", ""), target if target and target in names else None))
    return out


@lru_cache(maxsize=16)  # the same in every form of one program
def _workbook_rels(data: bytes) -> tuple[tuple[str | None, str], ...]:
    """(relationship id, part path) of the workbook's relationships part."""
    return tuple(
        (rel.get("Id"), _part_path("xl", rel.get("Target", "")))
        for rel in _parse_xml(data).iter(f"{{{_NS_PKG_REL}}}Relationship")
    )


def _defined_names(wb_xml, sheet_names: list[str]) -> dict[str, str]:
    """Name → formula text; a sheet-local name as ``sheet!name``."""
    out = {}
    for dn in wb_xml.iter(f"{{{_NS_MAIN}}}definedName"):
        local = dn.get("localSheetId")
        key = dn.get("name", "")
        if local is not None and local.isdigit() and int(local) < len(sheet_names):
            key = f"{sheet_names[int(local)]}!{key}"
        out[key] = (dn.text or "").strip()
    return out


def _custom_properties(data: bytes) -> dict[str, str]:
    out = {}
    for prop in _parse_xml(data).iter(f"{{{_NS_CUSTOM}}}property"):
        value = "".join(t for child in prop for t in child.itertext())
        out[prop.get("name", "")] = value.strip()
    return out


def _part_path(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base, target))


_DTD_RE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)
_HIDDEN_ROW = re.compile(rb'<row\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
_R_ATTR_ROW = re.compile(rb'\br="(\d+)"')
_R_ATTR = re.compile(rb'\br="([A-Z]{1,3})(\d{1,7})"')
_S_ATTR = re.compile(rb'\bs="(\d+)"')
_CELL_OPEN = re.compile(rb"<c\b([^>]*)>")
_VALUE_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})(\d{1,7})"[^>]*(?<!/)>\s*<(?:v|f|is)\b')
_CELL_WITH_REF = re.compile(rb'<c\s[^>]*?\br="')
_FORMULA = re.compile(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.S)
_MERGE = re.compile(rb'<mergeCell\b[^>]*?\bref="([^"]+)"')


def scan_sheet_xml(data: bytes, limits: Limits, percent_styles: Set[int]) -> SheetFacts:
    """Formulas, hidden rows, percent cells, merged ranges and the extent of a sheet's XML:
    the byte scan where it applies, else the parser. A part with a DTD is refused."""
    if _DTD_RE.search(data):
        from defusedxml import DTDForbidden

        raise DTDForbidden(None, None, None)
    if not byte_scan_applies(data):
        return parse_sheet_xml(data, limits, percent_styles)
    return byte_scan_sheet(data, limits, percent_styles)


def byte_scan_applies(data: bytes) -> bool:
    """Unprefixed sheet XML whose every cell has an ``r`` reference (what Excel, WPS,
    LibreOffice and openpyxl write)."""
    n_cells = data.count(b"<c ") + data.count(b"<c>")
    return b"<sheetData" in data and n_cells == len(_CELL_WITH_REF.findall(data))


def byte_scan_sheet(data: bytes, limits: Limits, percent_styles: Set[int]) -> SheetFacts:
    """``parse_sheet_xml``'s facts by compiled patterns over the bytes (where
    ``byte_scan_applies``): an XML parser costs several times more on the big sheet parts."""
    si = SheetFacts()
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


def _add_merge(si: SheetFacts, ref: str) -> None:
    if ":" in ref:
        try:
            (r1, c1), (r2, c2) = (parse_ref(x) for x in ref.split(":", 1))
            si.merged.append((r1, c1, r2, c2))
        except ValueError:
            pass


def parse_sheet_xml(data: bytes, limits: Limits, percent_styles: Set[int]) -> SheetFacts:
    """A sheet part's facts through the defused XML parser (any prefix, cells without
    references): the reference the byte scan is held to."""
    import io

    from defusedxml.ElementTree import iterparse

    si = SheetFacts()
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


@lru_cache(maxsize=16)  # the forms of one program share their styles part: read it once
def _percent_styles(data: bytes) -> frozenset[int]:
    return frozenset(_percent_style_set(data))


def _percent_style_set(data: bytes) -> set[int]:
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


def read_ods_properties(path: Path, label: str) -> dict[str, str]:
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
