"""A subject of non-ASCII text without spaces (one naming the unit) folded into encoded
words as the email package folds it, without the package's search for each line's share:
it encodes the candidate in full once per character it drops (a third of writing a
配合反馈 mail). The same loop, with each candidate's encoded length from per-character
sums by the package's own length rules (``len_q``, base64's 4 per 3 bytes); only the
chosen words are encoded, by the package's encoder."""

from __future__ import annotations

import importlib
import re
from typing import Any

_ew: Any = importlib.import_module("email._encoded_words")  # the package's rules (no stubs)

_CHARSET = "utf-8"
_CHROME = len(_CHARSET) + 7  # =?utf-8?b??=
_Q_LEN: dict[str, int] = {}  # a character → its length in the q encoding


def foldable(text: str) -> bool:
    """One word of non-ASCII text the package would wrap whole as encoded words (an
    unstructured header's single token: no blank, no encoded word, nothing unprintable)."""
    return not text.isascii() and text.isprintable() and " " not in text and "=?" not in text


def _word_len(q: int, size: int) -> int:
    """``len(_encoded_words.encode(text))`` from the q length and UTF-8 size of ``text``:
    the package takes q unless it is 5 or more longer than base64."""
    b = size // 3 * 4 + (4 if size % 3 else 0)
    return _CHROME + (q if q - b < 5 else b)


def fold(name: str, text: str, maxlen: int, linesep: str) -> str:
    """``name: text`` folded as the email package's ``_fold_as_ew`` folds a ``foldable``
    text after the label (``maxlen``: the policy's line length, more than the chrome)."""
    q_sum, size_sum = [0], [0]
    for ch in text:
        q = _Q_LEN.get(ch)
        if q is None:
            q = _Q_LEN[ch] = _ew.len_q(ch.encode(_CHARSET))
        q_sum.append(q_sum[-1] + q)
        size_sum.append(size_sum[-1] + len(ch.encode(_CHARSET)))
    lines = [f"{name}: "]
    start, n = 0, len(text)
    while start < n:
        remaining = maxlen - len(lines[-1])
        if remaining - _CHROME <= 0:
            lines.append(" ")
            continue
        end = min(n, start + remaining - _CHROME)
        while (
            end > start
            and _word_len(q_sum[end] - q_sum[start], size_sum[end] - size_sum[start]) > remaining
        ):
            end -= 1
        lines[-1] += _ew.encode(text[start:end], charset=_CHARSET)
        start = end
        if start < n:
            lines.append(" ")
    return linesep.join(lines) + linesep


_NAME_ASCII = re.compile(r"[A-Za-z0-9]*")  # the ASCII a name may hold here: one atom
_ADDR = re.compile(r"[A-Za-z0-9_+-]+(\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")


def address_line(name: str, display: str, addr: str, maxlen: int, linesep: str) -> str | None:
    """``name: =?utf-8?…?= <addr>`` as the email package folds one address whose display
    name is a single non-ASCII word (letters and digits its only ASCII) when it fits on
    one line; None for any other (the package folds it)."""
    if not foldable(display) or not _ADDR.fullmatch(addr):
        return None
    if not _NAME_ASCII.fullmatch("".join(ch for ch in display if ch.isascii())):
        return None
    line = f"{name}: {_ew.encode(display, charset=_CHARSET)} <{addr}>"
    return line + linesep if len(line) <= maxlen else None
