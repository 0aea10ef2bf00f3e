"""The targets table of ``make bench`` (bench/targets.py): the verdicts it prints."""

from __future__ import annotations

from bench.targets import targets_table


def _row(table: str, label: str) -> str:
    return next(line for line in table.splitlines() if line.startswith(f"| {label}"))


def _city(total: float, sim: float | None) -> dict:
    moments = {"notice": 9.0, "remind": 8.0, "coop": 9.0, "report": total - 26.0}
    return {"total": total, "rss": 200, "moments": moments, "sim": sim}


def test_a_city_run_on_a_slow_draw_is_scaled_by_its_fill_in_simulation():
    # 40 s with the simulation at 62.125 s (fast draw 49.7 s): 40 × 1.25 × 49.7 / 62.125 = 40.0
    row = _row(targets_table({"city": _city(40.0, 62.125)}), "整个季度 `duban run`（城市")
    assert "达到（本次模拟填表 62.1 s" in row and "约 40.0 s，仍达到" in row
    # on a fast draw the figure itself is multiplied: 40 × 1.25 = 50 > 45
    row = _row(targets_table({"city": _city(40.0, 49.7)}), "整个季度 `duban run`（城市")
    assert "本机达到" in row and "约 50.0 s，不能保证" in row
    # never estimated below the figure measured: 44 s on a very slow draw stays 44 s
    row = _row(targets_table({"city": _city(44.0, 100.0)}), "整个季度 `duban run`（城市")
    assert "约 44.0 s，仍达到" in row
    # without a simulation, × 1.25
    row = _row(targets_table({"city": _city(40.0, None)}), "整个季度 `duban run`（城市")
    assert "约 50.0 s，不能保证" in row and "模拟填表" not in row


def test_a_same_run_ratio_is_not_scaled_and_a_missed_quarter_names_its_bound():
    table = targets_table(
        {
            "collect": {"ratio": 0.79, "cpu_ratio": 1.2},
            "bundled": {"total": 4.3, "moments": {"report": 2.3}},
        }
    )
    assert "| 0.79 倍（CPU 时间 1.20 倍） | ≤ 0.8 倍 | 达到（" in _row(table, "回收汇总")
    assert "未达到：" in _row(
        targets_table({"collect": {"ratio": 0.81, "cpu_ratio": 1}}), "回收汇总"
    )
    bundled = _row(table, "整个季度 `duban run`（自带数据）")
    assert "未达到：报告日先要等图表" in bundled and "LibreOffice 转换 PDF" in bundled
