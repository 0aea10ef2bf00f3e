import json

import click

from jobs.cli import get_app


@click.command("tasks")
@click.option("--unit", "unit", help="只列出该单位牵头或配合的任务（可写简称或别名）。")
@click.option("--leader", "leader", help="只列出该领导牵头或协助的任务。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（名称已规范、分组已展开）。")
@click.pass_context
def command(ctx, unit, leader, as_json):
    """列出任务表（名称已按单位名录规范化）。

    \b
    示例：
      duban tasks
      duban tasks --unit 区发改委
      duban tasks --leader 崔海锋 --json
    """
    a = get_app(ctx).assignments
    rows = a.rows
    if unit:
        mine = a.for_unit(unit)
        ids = {r.id for r in mine.lead + mine.coop}
        rows = [r for r in rows if r.id in ids]
    if leader:
        ids = {r.id for r in a.for_leader(leader)}
        rows = [r for r in rows if r.id in ids]
    if as_json:
        click.echo(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=2))
        return
    for r in rows:
        t = r.task
        role = ""
        if unit:
            name = a.registry.unit(unit).name
            role = "【牵头】" if name in r.lead_units else "【配合】"
        click.echo(f"{t.label:<8}{role}{t.content[:40]}{'…' if len(t.content) > 40 else ''}")
        click.echo(
            f"        牵头领导：{'、'.join(r.lead_leaders)}  牵头单位：{'、'.join(r.lead_units)}"
        )
        coop = "、".join([*r.coop_units, *r.coop_collective])
        if coop:
            click.echo(f"        配合单位：{coop}")
    click.echo(f"共 {len(rows)} 行。")
