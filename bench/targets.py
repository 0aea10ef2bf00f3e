"""The targets of #33 beside the figures a whole ``make bench`` measured: the figures the
issue reported as the "before" column, and for each target whether it is met or what
keeps it from being met (the slowest part, named from the same run's figures)."""

from __future__ import annotations

SLOWER = 1.25  # machines of the same kind differ by a quarter: a target must hold there too
MOMENTS = {"notice": "通知日", "remind": "提醒日", "coop": "配合截止", "report": "报告日"}

# as the issue found them (make bench on a quiet machine of the same kind)
BEFORE = {
    "city": {
        "total": 55.0,
        "rss": 250,
        "moments": {"notice": 12.7, "remind": 9.1, "coop": 14.6, "report": 18.7},
    },
    "bundled": {"total": 6.3},
    "collect": {"ratio": 0.91, "cpu_ratio": 1.50},
    "forms": {"ratio": 1.0, "cpu_ratio": 2.0},
}
# what keeps a ratio from its target when it is missed (measured by profiling, see below)
COLLECT_REST = (
    "余下的主进程时间是每份报回的归档副本和到达记录（写入、改名、落盘）、"
    "台账，以及汇总表和 merged.json 的写出"
)


def _quarter(before: dict, now: dict | None) -> tuple[str, str]:
    moments = before.get("moments")
    text = f"{before['total']:.1f} s"
    if moments:
        text += "（" + "，".join(f"{MOMENTS[k]} {v:.1f}" for k, v in moments.items()) + "）"
    if "rss" in before:
        text += f"，{before['rss']} MiB"
    if now is None:
        return text, "未测"
    got = f"{now['total']:.1f} s"
    if now.get("moments"):
        got += "（" + "，".join(f"{MOMENTS[k]} {v:.1f}" for k, v in now["moments"].items()) + "）"
    if now.get("rss"):
        got += f"，{now['rss']:.0f} MiB"
    return text, got


def _verdict(value: float, target: float, unit: str, rest: str) -> str:
    slower = value * SLOWER
    if slower <= target:
        return f"达到（慢四分之一的同类机器上约 {slower:.1f}{unit}，仍达到）"
    if value <= target:
        return f"本机达到，慢四分之一的同类机器上约 {slower:.1f}{unit}，不能保证：{rest}"
    return f"未达到：{rest}"


def _slowest(now: dict) -> str:
    moments = now.get("moments") or {}
    if not moments:
        return "各时刻的用时见下文"
    key = max(moments, key=moments.get)
    return f"最慢的是{MOMENTS[key]} {moments[key]:.1f} s（构成见下文剖析结论）"


def targets_table(figures: dict) -> str:
    """Markdown: the targets of #33, before and now."""
    rows = [
        "## 目标对照（#33）",
        "",
        "“之前”是 #33 提出时在空闲机器上测得的数字；“现在”是本次 `make bench` 测得的。"
        f"同类机器之间相差约四分之一，目标要在慢的机器上也成立（按 {SLOWER} 倍估计）。",
        "",
        "| 项目 | 之前 | 现在 | 目标 | 结论 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, label, target in (
        ("city", "整个季度 `duban run`（城市规模：1,000 个单位 × 2,000 行）", 45.0),
        ("bundled", "整个季度 `duban run`（自带数据）", 3.0),
    ):
        now = figures.get(key)
        before, got = _quarter(BEFORE[key], now)
        verdict = "未测" if now is None else _verdict(now["total"], target, " s", _slowest(now))
        rows.append(f"| {label} | {before} | {got} | ≤ {target:.0f} s | {verdict} |")
    c = figures.get("collect")
    b = BEFORE["collect"]
    got = "未测" if c is None else f"{c['ratio']:.2f} 倍（CPU 时间 {c['cpu_ratio']:.2f} 倍）"
    verdict = "未测" if c is None else _verdict(c["ratio"], 0.8, " 倍", COLLECT_REST)
    rows.append(
        f"| 回收汇总，与 pandas+calamine 的用时之比 | {b['ratio']:.2f} 倍（CPU 时间 "
        f"{b['cpu_ratio']:.2f} 倍） | {got} | ≤ 0.8 倍 | {verdict} |"
    )
    f = figures.get("forms")
    b = BEFORE["forms"]
    got = "未测" if f is None else f"用时 {f['ratio']:.1f} 倍，CPU 时间 {f['cpu_ratio']:.1f} 倍"
    rows.append(
        f"| 生成表单，与裸 XlsxWriter 循环之比 | 用时 {b['ratio']:.1f} 倍，CPU 时间 "
        f"{b['cpu_ratio']:.1f} 倍 | {got} | 无（记录 CPU 时间之比：用时之比掩盖了表单用两个核"
        "才追平一个核） | — |"
    )
    for key, label in (("plan", "落实方案一轮（城市规模）"), ("changes", "300 项变更后的任务表")):
        if key in figures:
            wall, cpu = figures[key]
            rows.append(f"| {label} | 新增 | {wall:.2f} s（CPU {cpu:.2f} s） | 无 | 见下文 |")
    return "\n".join(rows) + "\n"
