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


# never at the start of a line (closing punctuation) or at its end (opening)
NO_LINE_START = set("，。、；：！？）》」』”’】〕…,.;:!?)]}%")
NO_LINE_END = set("（《「『“‘【〔([{")
_WORD = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./<>=[]|%@")


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` terminal cells (CJK = two): a line never starts
    with closing punctuation nor ends with opening punctuation, and a run of Latin letters,
    digits and signs (an option, a path, [imap] done_folder) is not cut while it fits a line.
    Existing line breaks are kept; spaces at a break are dropped."""
    out: list[str] = []
    for para in text.split("\n"):
        line, used = "", 0
        for ch in para:
            w = display_width(ch)
            if used + w > width and line.strip():
                cut = _break_at(line, ch)
                out.append(line[:cut].rstrip())
                line = line[cut:].lstrip(" ")
                used = display_width(line)
                if ch == " " and not line:
                    continue
            line += ch
            used += w
        out.append(line.rstrip())
    return out


def _break_at(line: str, nxt: str) -> int:
    """Where to end ``line`` when ``nxt`` does not fit: before a word the break would cut,
    before the character a closing mark needs beside it (and its word), after a space."""
    start = line.rfind(" ") + 1
    if "<" in line[start:] and start > len(line) // 3:
        return start  # a path such as <数据目录>/<年度>/inbox goes down whole
    cut = len(line)
    if nxt in NO_LINE_START or line[-1] in NO_LINE_END:
        cut -= 1  # the last character goes down with the closing mark, an opening one too
    if (nxt if cut == len(line) else line[cut]) in _WORD:
        while cut > 0 and line[cut - 1] in _WORD:
            cut -= 1
    # nor may the next line start with a closing mark, nor this one end with an opening one
    while 0 < cut < len(line) and (line[cut] in NO_LINE_START or line[cut - 1] in NO_LINE_END):
        cut -= 1
    return cut if cut > len(line) // 3 else len(line)
