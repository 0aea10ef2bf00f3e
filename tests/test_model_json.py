"""merged.json's text: QuarterResult.to_json (indented_json) is json.dumps(indent=1) exactly."""

from __future__ import annotations

import json
import os
from dataclasses import asdict

import pytest

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


def _stored(path, period: str, label: str) -> None:
    result = QuarterResult(period, label, 25, "2024-04-08T17:30:00+08:00", "2024-04-09T09:00:00")
    path.write_text(result.to_json(), encoding="utf-8")


def test_a_checked_result_is_given_once_to_the_next_load_of_the_unchanged_file(tmp_path):
    path = tmp_path / "merged.json"
    _stored(path, "2024Q1", "第一季度")
    checked = QuarterResult.load(path, keep=True)
    assert QuarterResult.load(path, keep=True) is checked  # a second check reads nothing
    other = tmp_path / "other.json"
    _stored(other, "2024Q2", "第二季度")
    assert QuarterResult.load(other).period == "2024Q2"  # another file leaves it kept
    assert QuarterResult.load(path) is checked  # the load after the check gets it …
    again = QuarterResult.load(path)
    assert again is not checked and again == checked  # … once: then the file is read


def test_a_file_changed_after_the_check_is_read_again(tmp_path):
    path = tmp_path / "merged.json"
    _stored(path, "2024Q1", "第一季度")
    QuarterResult.load(path, keep=True)
    _stored(path, "2024Q1", "改过的季度")  # rewritten in place: another size
    assert QuarterResult.load(path).period_label == "改过的季度"
    _stored(path, "2024Q1", "第一季度")
    QuarterResult.load(path, keep=True)
    replaced = tmp_path / "new.json"
    _stored(replaced, "2024Q1", "第九季度")  # same size, another file put in its place
    saved = path.stat()
    os.replace(replaced, path)
    os.utime(path, ns=(saved.st_atime_ns, saved.st_mtime_ns))
    assert path.stat().st_size == saved.st_size
    assert QuarterResult.load(path).period_label == "第九季度"
    path.unlink()
    with pytest.raises(FileNotFoundError):
        QuarterResult.load(path)
