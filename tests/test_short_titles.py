"""Short task titles: the bundled table's 79, the derivation's rules, and the documents that
print them (report, annex, briefs, 通报, annual edition) all name a task the same way.

The rules, checked here with the test's own reading of the text:
- at most 20 characters;
- a sub-item is named by its own content, never by its parent's heading (8（1） and 8（2）
  share 突出项目建设“主抓手”);
- never cut inside a word or a quote: the title is the content with words left out (its
  characters appear in the content in order) and it ends where the content has a boundary
  (punctuation or the end), or after a list item with 等;
- quotes balanced, a quote inside a quote as ‘’;
- every task named differently, no invisible characters.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from helpers import brief_rows

from reporting.taskbook.short_names import (
    SHORT_CHARS,
    derive_short_title,
    overlong_short_titles,
    short_title_of,
    tidy_name,
)
from reporting.taskbook.tasks import load_tasks

BOUNDARY = set("，。；：、！？,;:")
INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")


def plain(text: str) -> str:
    """Content as a title may quote it: one line, no spaces between Chinese and Latin."""
    return tidy_name(re.sub(r"\s+", " ", text).strip())


def ends_at_boundary(title: str, content: str) -> bool:
    """``title``'s characters appear in ``content`` in order (words may be left out, a 等 may
    stand for a list's 、 and its later items) and the last one is followed by punctuation
    or the end; or the title is such a head cut after a list item and closed with 等 (the
    content's next character is 、)."""
    text = plain(content)

    def find(ch: str, i: int) -> int:
        # a list's later items may give way to 等: "超市、餐饮、宾馆等" → "超市等"
        if ch != "等":
            return text.find(ch, i)
        found = [k for k in (text.find("等", i), text.find("、", i)) if k >= 0]
        return min(found) if found else -1

    def matches(name: str) -> list[int]:
        # every end position of ``name`` as a subsequence, the earliest start first
        ends, i = [], 0
        for ch in name:
            i = find(ch, i)
            if i < 0:
                return []
            i += 1
        ends.append(i)
        # later end positions: the last character found again further on
        j = text.find(name[-1], i)
        while j >= 0:
            ends.append(j + 1)
            j = text.find(name[-1], j + 1)
        return ends

    for end in matches(title):
        if end == len(text) or text[end] in BOUNDARY:
            return True
    if title.endswith("等"):
        return any(end < len(text) and text[end] == "、" for end in matches(title[:-1]))
    return False


def quotes_nest(title: str) -> bool:
    """Balanced “” and ‘’, a ‘’ only inside a “”, never “ inside “."""
    depth = 0
    for ch in title:
        if ch == "“":
            if depth % 2:
                return False
            depth += 1
        elif ch == "‘":
            if depth % 2 == 0:
                return False
            depth += 1
        elif ch in "”’":
            if depth == 0 or (ch == "”") != (depth % 2 == 1):
                return False
            depth -= 1
    return depth == 0 and all(title.count(a) == title.count(b) for a, b in ("（）", "《》"))


@pytest.fixture(scope="module")
def bundled(request):
    from conftest import ROOT

    return load_tasks(ROOT / "tasks.csv")


def shared_headings(tasks) -> set[str]:
    """Task titles that head more than one row (a sub-item may not take them)."""
    rows: dict[str, int] = {}
    for t in tasks:
        rows[t.task_no] = rows.get(t.task_no, 0) + 1
    return {plain(t.task_title) for t in tasks if rows[t.task_no] > 1 and t.task_title}


def test_the_bundled_79_short_titles_follow_the_rules(bundled):
    assert len(bundled) == 79
    headings = shared_headings(bundled)
    titles = [short_title_of(t) for t in bundled]
    assert all(t.short_title for t in bundled)  # the office wrote every one
    for t, title in zip(bundled, titles, strict=True):
        where = (t.label, title)
        assert 0 < len(title) <= SHORT_CHARS, where
        assert "…" not in title and not INVISIBLE.search(title), where
        assert quotes_nest(title), where
        if t.label != t.task_no:
            assert title not in headings, where  # a sub-item's own name
        own = t.label == t.task_no and title == plain(t.task_title)
        assert own or ends_at_boundary(title, t.content), where
    assert len(set(titles)) == len(titles), "two tasks with one name"
    # the ones the issue named
    by = {t.label: title for t, title in zip(bundled, titles, strict=True)}
    assert by["8（2）"] != "突出项目建设“主抓手”" and by["8（1）"] != by["8（2）"]
    assert by["21（3）"] != "聚焦“民生呼应”"


def test_derived_titles_of_the_bundled_rows(bundled):
    """Without the office's titles: never a parent's heading, cut at a boundary, and any
    still over 20 characters listed for the office (``duban check``)."""
    headings = shared_headings(bundled)
    blank = [dataclasses.replace(t, short_title="") for t in bundled]
    long = {t.label for t, _ in overlong_short_titles(blank)}
    for t in blank:
        title = short_title_of(t)
        where = (t.label, title)
        assert title == derive_short_title(t.task_title, t.content, own_title=t.label == t.task_no)
        assert title and "…" not in title and quotes_nest(title), where
        assert (len(title) > SHORT_CHARS) == (t.label in long), where
        if t.label != t.task_no:
            assert title not in headings, where
        if title != plain(t.task_title):
            assert ends_at_boundary(title, t.content), where
    assert not long  # every bundled row has a short name of its own within 20 characters


@pytest.mark.parametrize(
    ("title", "content", "own", "expected"),
    [
        # a sub-item's first clause, not the heading it shares with its siblings
        (
            "突出项目建设“主抓手”",
            "以项目增量优化存量、壮大总量，以项目重点突破带动发展。",
            False,
            "以项目增量优化存量、壮大总量",
        ),
        # a long first clause and a sub-item: the heading is not the way out
        (
            "突出项目建设“主抓手”",
            "谋划推进蚌埠港现代物流国际集装箱码头产业园等重点项目，计划总投资近400亿元。",
            False,
            "谋划推进重点项目",
        ),
        # a lead-in pointing at a slogan is no name
        (
            "严格生态环境监管",
            "聚焦“民生呼应”，集中力量解决人民群众反映强烈的突出环境问题。",
            False,
            "解决人民群众反映强烈的突出环境问题",
        ),
        # a place named twice in a pair, once; two items with one head noun, the first
        (
            "进一步提升城市能级",
            "实施八里沟以西片区与八里沟以东片区联动开发，分阶段实施更新。",
            False,
            "实施八里沟以西与以东片区联动开发",
        ),
        (
            "进一步完善城市功能",
            "实施四中西侧棚户区、棉麻仓库周边棚户区征迁项目，完成安置房回迁安置。",
            False,
            "实施四中西侧棚户区等征迁项目",
        ),
        # a list names its first item
        (
            "园区",
            "加快园区周边超市、餐饮、宾馆等商业配套布局，加强人才公寓建设。",
            False,
            "加快园区周边超市等商业配套布局",
        ),
        (
            "企业",
            "支持鹏电、中科米微等企业开展上下游整合等多种形式的产业合作，推动融入供应链。",
            False,
            "支持鹏电等企业开展产业合作",
        ),
        # a leading time phrase
        (
            "做强主导产业",
            "争取到2026年，实现四大主导产业产值200亿目标，其中新一代信息技术产业产值达到100亿元。",
            False,
            "实现四大主导产业产值200亿目标",
        ),
        # a task of one row keeps its own short title
        (
            "坚持忠诚履职",
            "深学笃用习近平新时代中国特色社会主义思想，贯彻落实党的二十大精神。",
            True,
            "坚持忠诚履职",
        ),
        # quotes inside quotes, as typed by a unit, become ‘’
        ("", "推广“数字化+“网格化””管理，提升水平。", False, "推广“数字化+‘网格化’”管理"),
    ],
)
def test_derivation(title, content, own, expected):
    assert derive_short_title(title, content, own_title=own) == expected


def test_an_unbreakable_long_clause_is_kept_whole_and_listed():
    """No boundary within 20 characters and nothing to leave out: the whole clause (for the
    office to shorten), never a cut word and never the parent's heading."""
    content = "坚定不移推进高质量发展的各项重点工作任务全面落地见效并形成长效机制。"
    name = derive_short_title("进一步提升城市能级", content, own_title=False)
    assert name == content.rstrip("。")


def test_the_offices_title_is_cleaned_and_its_inner_quotes_nested():
    class Row:
        label, task_no, task_title, content = "8（2）", "8", "突出", "谋划推进重点项目。"
        short_title = " 突出\u200b“项目“主抓手””\n"

    assert short_title_of(Row) == "突出“项目‘主抓手’”"


def test_the_report_and_the_briefs_name_tasks_alike(app, tmp_path):
    """A row without the office's title is named by its derived one in the annex, the
    lagging table and the leader's brief; a row with one, by the office's."""
    from docx import Document
    from helpers import table_with_header
    from report_helpers import Said, render_quarter, written_result

    from reporting.core.model import Status
    from reporting.core.periods import Period

    q2 = Period(2024, 2)
    res = written_result(app, q2, {"8.2": Said(Status.LAGGING), "21.3": Said(Status.LAGGING)})
    row = next(r for r in res.rows if r.id == "8.2")
    row.short_title = ""  # as if the office had left it out
    out = render_quarter(app, tmp_path, res, by_leader=True)
    doc = Document(out.docx)
    annex = {r.cells[0].text: r.cells[1].text for r in table_with_header(doc, "任务编号").rows[1:]}
    assert annex["8（2）"] == "谋划推进重点项目"
    assert annex["21（3）"] == "解决人民群众反映强烈的突出环境问题"
    lagging = [r.cells[1].text for r in table_with_header(doc, "序号", "任务").rows[1:]]
    assert "8（2）谋划推进重点项目" in lagging
    brief = next(p for p in out.briefs if row.lead_leaders[0] in p.name)
    cells = [r.cells[0].text for r in brief_rows(brief)]
    assert "8（2） 谋划推进重点项目" in cells
