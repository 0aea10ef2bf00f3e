"""tasks.csv: the bundled transcription, encodings, and one clear error per malformed case."""

import csv
import io

import pytest

from reporting.core.exceptions import TaskTableError
from reporting.taskbook.tasks import COLUMNS, Indicator, load_tasks, parse_indicators


@pytest.fixture
def bundled(root):
    return load_tasks(root / "tasks.csv")


def test_bundled_table_has_the_79_rows_of_the_notice(bundled):
    ids = [t.id for t in bundled]
    assert len(ids) == 79
    assert ids[:7] == ["1", "2", "3", "4", "5", "6", "7.1"]
    assert ids[-5:] == ["29", "30", "31", "32", "33"]
    # every sub-item 7(1)…28(4), none of the tasks 7–28 on its own
    assert not any(i.isdigit() and 7 <= int(i) <= 28 for i in ids)
    assert {"8.1", "11.2", "25.7", "28.4"} <= set(ids)
    assert sorted({t.section for t in bundled}) == list(range(1, 10))


def test_page_break_in_11_2_is_joined(bundled):
    t = {t.id: t for t in bundled}["11.2"]
    assert "新能源新材料产业产值 50 亿元" in t.content
    assert "\n" not in t.content


def test_fields_as_written(bundled):
    t = {t.id: t for t in bundled}
    assert t["14.1"].lead_leaders == "王宏洲陈春霆"
    assert t["19.1"].coop_units == "长青乡马城镇"
    assert t["29"].assist_leaders == "马长伟"
    assert t["29"].task_title == "坚持忠诚履职"
    assert t["8.1"].task_title == "突出项目建设“主抓手”"
    assert t["24.2"].lead_units == "区发改委（区营商环境办）"
    assert t["23.2"].coop_units == ""


def test_bundled_indicators(bundled):
    t = {t.id: t for t in bundled}
    assert Indicator("新增就业人员", 4100, "人") in t["26.2"].indicators
    assert t["1"].indicators == (Indicator("地区生产总值", 8, "%", growth=True),)
    assert [i.target for i in t["18.3"].indicators] == [8100, 45, 403]
    assert [i.target for i in t["13.2"].indicators][-2:] == [20, 6]
    assert t["12.3"].indicators[0].target == 16
    assert t["16.2"].indicators[0].target == 4900
    assert all(t[str(n)].indicators[0].growth for n in range(1, 7))


def test_indicator_syntax():
    got = parse_indicators("地区生产总值=增长8%；农村生活污水治理率=45%;厂房面积=160万平方米")
    assert got[0].growth and got[0].is_rate and got[0].target_text == "增长8%"
    assert not got[1].growth and got[1].is_rate
    assert got[2] == Indicator("厂房面积", 160, "万平方米")
    with pytest.raises(TaskTableError, match="格式不对"):
        parse_indicators("就业人员很多")
    with pytest.raises(TaskTableError, match="重复"):
        parse_indicators("甲=1个；甲=2个")


def rows_to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, COLUMNS, lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: r.get(c, "") for c in COLUMNS})
    return buf.getvalue()


ROWS = [
    {
        "id": "1",
        "section": "1",
        "section_title": "目标",
        "content": "地区生产总值增长8%左右。",
        "lead_units": "区发改委",
    },
    {
        "id": "7.1",
        "section": "1",
        "section_title": "目标",
        "content": "城镇居民收入增长。",
        "lead_units": "区人社局",
    },
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings(tmp_path, encoding):
    path = tmp_path / "tasks.csv"
    path.write_bytes(rows_to_csv(ROWS).encode(encoding))
    tasks = load_tasks(path)
    assert [t.content for t in tasks] == ["地区生产总值增长8%左右。", "城镇居民收入增长。"]
    assert tasks[1].label == "7（1）"


def test_gb18030_is_really_not_utf8(tmp_path):
    data = rows_to_csv(ROWS).encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda rows: rows + [dict(rows[0])], r"第 4 行：任务编号 1 与第 2 行重复"),
        (
            lambda rows: [rows[0], {**rows[1], "lead_units": ""}],
            r"第 3 行：牵头责任单位（lead_units）为空",
        ),
        (lambda rows: [rows[0], {**rows[1], "id": "7-1"}], r"第 3 行：任务编号“7-1”不对"),
        # sections run to 十, and the message says so (it said 1–9 while 10 was accepted)
        (lambda rows: [rows[0], {**rows[1], "section": "十"}], r"第 3 行：板块.*应为 1–10 的数字"),
        (
            lambda rows: [{**rows[0], "indicators": "就业=很多"}],
            r"第 2 行：指标“就业=很多”格式不对",
        ),
    ],
)
def test_malformed_rows(tmp_path, mutate, message):
    path = tmp_path / "tasks.csv"
    path.write_text(rows_to_csv(mutate([dict(r) for r in ROWS])), encoding="utf-8")
    with pytest.raises(TaskTableError, match=message):
        load_tasks(path)


def test_missing_columns(tmp_path):
    path = tmp_path / "tasks.csv"
    path.write_text("id,content\n1,x\n", encoding="utf-8")
    with pytest.raises(TaskTableError, match="第 1 行（表头）缺少列：section.*lead_units"):
        load_tasks(path)


def test_unreadable_encoding(tmp_path):
    path = tmp_path / "tasks.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\xff" * 3)
    with pytest.raises(TaskTableError, match="编码无法识别"):
        load_tasks(path)


def test_fingerprint_ignores_whitespace_but_not_text(bundled):
    t = bundled[0]
    from dataclasses import replace

    assert replace(t, content=t.content + "  ").fingerprint() == t.fingerprint()
    assert replace(t, content=t.content + "改").fingerprint() != t.fingerprint()
