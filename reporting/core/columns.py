"""Plain-text tables for the terminal: columns padded by display width (a CJK character
takes two terminal cells), so ``duban status`` and ``duban units`` line up."""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill


def row(cells, widths, right: tuple[int, ...] = ()) -> str:
    """One line: each cell padded to its width plus one space; cells past ``widths`` as is."""
    parts = [
        pad(c, w, i in right) + " " for i, (c, w) in enumerate(zip(cells, widths, strict=False))
    ]
    return ("".join(parts) + "".join(cells[len(widths) :])).rstrip()


def table(header, rows, right: tuple[int, ...] = ()) -> list[str]:
    """Header and rows with each column as wide as its widest cell."""
    widths = [max(display_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return [row([str(c) for c in r], widths, right) for r in [header, *rows]]
