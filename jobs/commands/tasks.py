import json

import click

from jobs.cli import get_app


@click.command("tasks")
@click.option("--unit", "unit", help="只列出该单位牵头或配合的任务（可写简称或别名）。")
@click.option("--leader", "leader", help="只列出该领导牵头或协助的任务。")
@click.option(
    "--period",
    "period_text",
    default=None,
    help="按该季度的任务表列出（含此前批准的销号、延期、调整）。",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（名称已规范、分组已展开）。")
@click.pass_context
def command(ctx, unit, leader, period_text, as_json):
    """列出任务表（名称已按单位名录规范化）。

    \b
    示例：
      duban tasks
      duban tasks --unit 区发改委
      duban tasks --leader 崔海锋 --json
      duban tasks --period 2024Q3
    """
    from reporting.core.labels import task_label
    from reporting.core.periods import Period
    from reporting.taskbook.changes import change_mark

    app = get_app(ctx)
    a = app.book(period_text) if period_text else app.assignments
    changed = getattr(a, "revisions", {})
    closed = getattr(a, "closed", [])
    rows = a.rows
    if unit:
        mine = a.for_unit(unit)
        ids = {r.id for r in mine.lead + mine.coop}
        rows = [r for r in rows if r.id in ids]
    if leader:
        ids = {r.id for r in a.for_leader(leader)}
        rows = [r for r in rows if r.id in ids]
    if as_json:
        out = []
        for r in rows:
            item = r.to_json()
            if plan := plan_json(r.task):
                item["plan"] = plan
            if r.id in changed:
                item["changes"] = [change_mark(c) for c in changed[r.id]]
                item["original"] = {
                    "content": a.original[r.id].content,
                    "deadline": a.original[r.id].deadline,
                    "indicators": [str(i) for i in a.original[r.id].indicators],
                }
            out.append(item)
        if period_text:
            out += [
                {**c.row.to_json(), "closed": change_mark(c.change), "closed_in": str(c.quarter)}
                for c in closed
            ]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for r in rows:
        t = r.task
        role = ""
        if unit:
            name = a.registry.unit(unit).name
            role = "【牵头】" if name in r.lead_units else "【配合】"
        click.echo(f"{t.label:<8}{role}{t.content[:40]}{'…' if len(t.content) > 40 else ''}")
        for c in changed.get(r.id, ()):
            when = Period.parse(c.decision.decided_in).full_label
            click.echo(f"        ※{when}{change_mark(c)}，自下一季度起按此填报")
        click.echo(
            f"        牵头领导：{'、'.join(r.lead_leaders)}  牵头单位：{'、'.join(r.lead_units)}"
        )
        coop = "、".join([*r.coop_units, *r.coop_collective])
        if coop:
            click.echo(f"        配合单位：{coop}")
        if pace := pace_line(t):
            click.echo(f"        {pace}")
    for c in closed:
        click.echo(
            f"{task_label(c.row.id):<8}【已销号】{c.quarter.full_label}{change_mark(c.change)}，不再填报"
        )
    click.echo(f"共 {len(rows)} 行" + (f"，另有 {len(closed)} 行已销号。" if closed else "。"))


def pace_line(t) -> str:
    """How the row is judged and whose 节点 hold: '类别：节点；季度节点 10/35/70/100（任务表）；
    责任人：李明（副主任）' ('' for a plain row)."""
    from reporting.forms.plan_form import milestones_text
    from reporting.taskbook.plans import plan_source

    parts = []
    if t.kind:
        parts.append(f"类别：{t.kind}")
    if t.has_plan:
        parts.append(f"季度节点 {milestones_text(t.plan)}（{plan_source(t)}）")
    elif t.task_kind == "节点":
        parts.append(f"季度节点：{plan_source(t)}")
    if t.owner:
        parts.append(f"责任人：{t.owner}")
    return "；".join(parts)


def plan_json(t) -> dict:
    """The row's kind, 节点 and 责任人 and whose they are ({} for a plain row)."""
    from reporting.taskbook.plans import plan_source

    if not (t.kind or t.has_plan or t.owner):
        return {}
    return {
        "kind": t.kind,
        "milestones": list(t.plan),
        "note": t.plan_note,
        "owner": t.owner,
        "source": plan_source(t),
    }
