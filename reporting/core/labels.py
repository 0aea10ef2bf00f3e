"""How tasks are labelled for people: ``8.1`` → ``8（1）``, section numbers → 一 … 十."""

from __future__ import annotations

SECTION_NUMERALS = "一二三四五六七八九十"


def task_label(task_id: str) -> str:
    """How the notice numbers a row: '8.1' → '8（1）', '29' → '29'."""
    no, _, sub = (task_id or "").partition(".")
    return f"{no}（{sub}）" if sub else no
