"""Cell coordinates and cell text of spreadsheets read: ``A1`` references ↔ 0-based
(row, col), and a cached value as the text a person sees."""

from __future__ import annotations

import re
from typing import Any

_REF_RE = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")


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


def cell_text(value: Any) -> str:
    """A cached value as stripped text (numbers as written: 3.0 → '3')."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
