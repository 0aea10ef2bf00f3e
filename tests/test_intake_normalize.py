"""What units type, turned into clean values (reporting.intake.normalize)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from reporting.core.model import Status
from reporting.intake import normalize as nz


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        (80, None, 80.0),
        (80.5, False, 80.5),
        ("80", None, 80.0),
        ("80%", None, 80.0),
        ("８０％", None, 80.0),
        (" 80 % ", None, 80.0),
        (0.8, True, 80.0),  # 0.8 in a cell formatted as a percentage
        (1, True, 100.0),
        (0.8, False, 0.8),  # typed as-is in a General cell
        ("100", None, 100.0),
        (0, None, 0.0),
    ],
)
def test_percent(value, fmt, expected):
    assert nz.percent(value, fmt) == expected


@pytest.mark.parametrize(
    ("value", "fmt", "message"),
    [
        ("120", None, "“120”超出 0–100"),
        (1.5, True, "“150%”超出 0–100"),
        (-5, None, "超出 0–100"),
        ("八十", None, "“八十”不是百分数"),
        ("80分", None, "不是百分数"),
        ("", None, "未填写"),
        (True, None, "应填 0–100 的数字"),
        (datetime(2024, 3, 1), None, "被表格软件当成了日期"),
    ],
)
def test_percent_rejects(value, fmt, message):
    with pytest.raises(ValueError) as exc:
        nz.percent(value, fmt)
    assert message in str(exc.value)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1234.5, "", 1234.5),
        ("1,234.5", "", 1234.5),
        ("1，234", "", 1234.0),
        ("１２３４", "", 1234.0),
        ("400亿元", "亿元", 400.0),
        ("400 亿元", "亿元", 400.0),
        ("约1200", "人", 1200.0),
        ("累计1200人", "人", 1200.0),
        ("-3.5", "", -3.5),
        ("－3.5", "", -3.5),
        (".5", "", 0.5),
    ],
)
def test_number(value, unit, expected):
    assert nz.number(value, unit) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("待统计", "“待统计”不是数字"),
        ("12,34", "不是数字"),
        ("1200人", "不是数字"),
        ("", "未填写"),
        (date(2024, 1, 2), "日期"),
    ],
)
def test_number_rejects(value, message):
    with pytest.raises(ValueError) as exc:
        nz.number(value)  # no unit given: "人" is not stripped
    assert message in str(exc.value)


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        (7.1, None, 7.1),
        ("7.1%", None, 7.1),
        ("增长7.1%", None, 7.1),
        ("同比增长 7.1 %", None, 7.1),
        ("下降3%", None, -3.0),
        ("-2.5", None, -2.5),
        ("８．５％", None, 8.5),
        (0.071, True, pytest.approx(7.1)),
    ],
)
def test_rate(value, fmt, expected):
    assert nz.rate(value, fmt) == expected


def test_rate_rejects():
    with pytest.raises(ValueError, match="不是增速"):
        nz.rate("较快增长")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("已完成", Status.DONE),
        ("完成", Status.DONE),
        (" 超序时 ", Status.AHEAD),
        ("超序时进度", Status.AHEAD),
        ("序时推进", Status.ON_TRACK),
        ("正常推进。", Status.ON_TRACK),
        ("滞后", Status.LAGGING),
        ("进度滞后", Status.LAGGING),
        ("未启动", Status.NOT_STARTED),
        ("尚未启动", Status.NOT_STARTED),
    ],
)
def test_status(value, expected):
    assert nz.status(value) is expected


def test_status_rejects_with_the_choices():
    with pytest.raises(ValueError) as exc:
        nz.status("进行中")
    assert (
        str(exc.value)
        == "“进行中”不是规定的推进状态，请从下拉列表中选择：已完成、超序时、序时推进、滞后、未启动"
    )


def test_text():
    assert nz.text(3.0) == "3" and nz.text(None) == "" and nz.text("  a  ") == "a"
    assert (
        nz.text(datetime(2024, 3, 1)) == "2024-03-01"
        and nz.text(datetime(2024, 3, 1, 9, 30)) == "2024-03-01 09:30"
    )
    assert nz.is_blank("\u3000 ") and not nz.is_blank("无")


def test_unit_text_loses_invisible_and_bidi_controls_at_the_intake():
    typed = "完成\u202e投资\u200b 3 亿元\u2066，\ufeff同比增长\u200f"
    assert nz.text(f"  {typed} ") == "完成投资 3 亿元，同比增长"
