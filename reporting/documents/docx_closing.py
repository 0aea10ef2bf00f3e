"""A table's last row and the closing block after it (signer, date) kept on one page.

LibreOffice honours keep-with-next from a table to the next paragraph only for a table
that starts on the page: once a table runs over a page, its last row stays behind and the
signature can stand alone on the last page. So the last row and the closing paragraphs go
into one row that cannot split: the table's last row becomes a borderless full-width cell
holding a one-row table (the old last row, same columns) and, under it, the closing
paragraphs. Word and LibreOffice both then move them together, and only together.
"""

from __future__ import annotations

import copy

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from reporting.documents.docx_format import TBL_PR_ORDER, child

_TCPR_ORDER = "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection tcFitText vAlign hideMark".split()
_BORDER_SIDES = ("top", "left", "bottom", "right")
_BORDER_ORDER = "top left start bottom right end insideH insideV tl2br tr2bl".split()


def closing_paragraphs(tbl) -> list:
    """The paragraphs after ``tbl`` chained to it by keep-with-next: each one that keeps
    with the next, and the one they keep with (the date)."""
    out = []
    node = tbl.getnext()
    while node is not None and node.tag == qn("w:p"):
        out.append(node)
        ppr = node.find(qn("w:pPr"))
        if ppr is None or ppr.find(qn("w:keepNext")) is None:
            break
        node = node.getnext()
    return out


def wrap_closing(document) -> int:
    """Every body table followed by a keep-with-next closing block: its last row and that
    block put in one unsplittable row (see the module doc). Returns how many tables."""
    done = 0
    for tbl in list(document.element.body.iterchildren(qn("w:tbl"))):
        trs = tbl.findall(qn("w:tr"))
        closing = closing_paragraphs(tbl)
        first = closing[0].find(qn("w:pPr")) if closing else None
        if len(trs) < 2 or first is None or first.find(qn("w:keepNext")) is None:
            continue
        _wrap(tbl, trs[-1], closing)
        done += 1
    return done


def _wrap(tbl, last, closing: list) -> None:
    grid = tbl.find(qn("w:tblGrid"))
    widths = [int(c.get(qn("w:w"))) for c in grid.findall(qn("w:gridCol"))]
    inner = OxmlElement("w:tbl")
    tbl_pr = copy.deepcopy(tbl.find(qn("w:tblPr")))
    for tag in ("jc", "tblInd"):  # the cell places it; no centring inside a full-width cell
        for el in tbl_pr.findall(qn(f"w:{tag}")):
            tbl_pr.remove(el)
    child(tbl_pr, "tblInd", TBL_PR_ORDER, w="0", type="dxa")
    # the line above the row is the outer table's (or the repeated header's), drawn once
    child(child(tbl_pr, "tblBorders", TBL_PR_ORDER), "top", _BORDER_ORDER, val="nil")
    inner.append(tbl_pr)
    inner.append(copy.deepcopy(grid))
    tbl.remove(last)
    inner.append(last)
    for para in last.iter(qn("w:p")):  # nothing to keep with inside the cell
        ppr = para.find(qn("w:pPr"))
        keep = ppr.find(qn("w:keepNext")) if ppr is not None else None
        if keep is not None:
            ppr.remove(keep)

    tr = OxmlElement("w:tr")
    tr_pr = OxmlElement("w:trPr")
    tr_pr.append(OxmlElement("w:cantSplit"))
    tr.append(tr_pr)
    tc = OxmlElement("w:tc")
    tc_pr = OxmlElement("w:tcPr")
    child(tc_pr, "tcW", _TCPR_ORDER, w=str(sum(widths)), type="dxa")
    child(tc_pr, "gridSpan", _TCPR_ORDER, val=str(len(widths)))
    borders = child(tc_pr, "tcBorders", _TCPR_ORDER)
    for side in ("left", "bottom", "right"):
        child(borders, side, _BORDER_ORDER, val="nil")
    margins = child(tc_pr, "tcMar", _TCPR_ORDER)
    for side in _BORDER_SIDES:
        child(margins, side, _BORDER_ORDER, w="0", type="dxa")
    tc.append(tc_pr)
    tc.append(inner)
    for para in closing:
        tc.append(para)  # moved out of the body, in order
    tr.append(tc)
    tbl.append(tr)
