"""Unit text made fit to show: nothing invisible or direction-changing reaches a document."""

import pytest

from reporting.core.fileutil import safe_cell_text
from reporting.core.text import condense, one_line, unit_text

HIDDEN = [
    "\u200b",  # zero-width space
    "\u200c",
    "\u200d",
    "\u200e",  # left-to-right mark
    "\u200f",
    "\u202a",
    "\u202d",
    "\u202e",  # right-to-left override: "08%" would print reversed
    "\u2060",  # word joiner
    "\u2066",
    "\u2069",
    "\ufeff",  # a BOM inside a cell
]


@pytest.mark.parametrize("char", HIDDEN)
def test_invisible_and_bidi_characters_are_removed(char):
    typed = f"完成投资{char}12.5亿元，{char}进度80%{char}"
    assert unit_text(typed) == "完成投资12.5亿元，进度80%"
    assert one_line(typed + "\n下步") == "完成投资12.5亿元，进度80%；下步"
    assert condense(typed, 100) == "完成投资12.5亿元，进度80%"
    assert safe_cell_text(char + "=1+1") == "'=1+1"


def test_visible_text_is_kept_as_typed():
    typed = "已完成“三供一业”改造（一期），投资3.2亿元；二期9月开工。"
    assert unit_text(typed) == typed


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_text_that_an_office_program_would_evaluate_is_quoted(lead):
    assert safe_cell_text(lead + "SUM(A1:A9)") == "'" + lead + "SUM(A1:A9)"
