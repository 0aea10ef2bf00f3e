"""merged.json's text: QuarterResult.to_json (indented_json) is json.dumps(indent=1) exactly."""

from __future__ import annotations

import json
from dataclasses import asdict

from reporting.core.model import Answer, QuarterResult, indented_json
from reporting.core.states import Light, Status

TRICKY = {
    "text": '引号" 反斜杠\\ 换行\n 制表\t 控制\x01 \u2028 😀',
    "numbers": [0, -1, 10**20, 0.1, -0.0, 1e-7, 25.0, float("nan"), float("inf"), -float("inf")],
    "flags": [True, False, None],
    "empty": {"list": [], "dict": {}, "tuple": ()},
    "nested": [[{"a": [1, {"b": []}]}], ()],
    "enums": [Status.LAGGING, Light.RED],
}


def test_indented_json_is_json_dumps_with_indent_one():
    assert indented_json(TRICKY) == json.dumps(TRICKY, ensure_ascii=False, indent=1)
    for value in ([], {}, "x", 1, 1.5, None, [[]], {"k": {}}):
        assert indented_json(value) == json.dumps(value, ensure_ascii=False, indent=1)


def test_keys_that_are_not_text_are_left_to_the_standard_library():
    value = {1: "a", "b": {2.5: None, True: [1]}}
    assert indented_json(value) == json.dumps(value, ensure_ascii=False, indent=1)


def test_a_result_is_written_as_asdict_was():
    result = QuarterResult("2024Q1", "2024年第一季度", 25, "2024-04-08T17:30:00+08:00", "")
    result.units = []
    answer = Answer(
        "区发改委", "进展 <&>", 30.5, Status.AHEAD, "", "继续", {"GDP": 7.9, "空": None}
    )
    data = asdict(result)
    data["rows"] = [{"lead_reports": [asdict(answer)], "coop_feedback": []}]
    assert indented_json(data) == json.dumps(data, ensure_ascii=False, indent=1)
    assert result.to_json() == json.dumps(asdict(result), ensure_ascii=False, indent=1)
