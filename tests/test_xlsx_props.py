"""Document properties (docProps/core.xml, docProps/custom.xml) written from a cached
serialisation with the texts put in: the same bytes openpyxl's own ``to_tree`` gives, for
every kind of text (Chinese, quotes, markup characters, line ends, empty, control)."""

from __future__ import annotations

from datetime import datetime

import pytest
from openpyxl.packaging.core import DocumentProperties
from openpyxl.packaging.custom import CustomPropertyList, IntProperty, StringProperty

from reporting.documents.xlsx_parts import core_xml, custom_xml, utf8_xml

TEXTS = [
    "禹会区2024年《政府工作报告》重点任务第一季度推进情况表（测试单位0002）",
    "2024Q1-06D2912A82",
    'say "hi" it\'s',
    "a & b <c> d",
    "two\nlines\ttab",
    "cr\rhere",
    " leading and trailing ",
    "",
    "DUBANVALUE001X",
    "𠀀 beyond the basic plane",
]
WHEN = datetime(2024, 4, 3, 9, 30)


@pytest.mark.parametrize("text", TEXTS)
def test_core_properties_are_openpyxls_bytes(text):
    for title, keywords in ((text, "duban 2024Q1"), ("表", text), (text, None)):
        props = DocumentProperties(creator="区督查考核办", created=WHEN, modified=WHEN)
        props.title, props.subject, props.keywords = title, text or None, keywords
        props.lastModifiedBy = "区督查考核办"
        expected = utf8_xml(props.to_tree())
        assert core_xml(props) == expected
        assert core_xml(props) == expected  # from the cached shape


def test_core_properties_of_other_times_and_fields():
    other = datetime(2025, 1, 2, 3, 4, 5)
    for props in (
        DocumentProperties(created=WHEN, modified=other),
        DocumentProperties(created=other, modified=other, description="说明", category="类"),
        DocumentProperties(created=WHEN, modified=WHEN, creator=None),
    ):
        assert core_xml(props) == utf8_xml(props.to_tree())


@pytest.mark.parametrize("text", TEXTS)
def test_custom_properties_are_openpyxls_bytes(text):
    custom = CustomPropertyList()
    for name, value in (("duban_form_id", "2024Q1-06D2912A82"), ("duban_unit", text)):
        custom.append(StringProperty(name=name, value=value))
    expected = utf8_xml(custom.to_tree())
    assert custom_xml(custom) == expected
    assert custom_xml(custom) == expected


def test_custom_properties_of_other_kinds_go_through_openpyxl():
    custom = CustomPropertyList()
    custom.append(StringProperty(name="a", value="甲"))
    custom.append(IntProperty(name="n", value=3))
    assert custom_xml(custom) == utf8_xml(custom.to_tree())
