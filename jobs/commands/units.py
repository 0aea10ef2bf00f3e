import json

import click

from jobs.cli import get_app


@click.command("units")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_context
def command(ctx, as_json):
    """列出需要填报的单位，以及每个单位牵头、配合的任务行数。

    \b
    示例：
      duban units
      duban units --json
    """
    app = get_app(ctx)
    by_unit = app.assignments.by_unit
    items = []
    for name, rows in by_unit.items():
        u = app.registry.units[name]
        items.append(
            {
                "name": name,
                "kind": u.kind,
                "lead": len(rows.lead),
                "coop": len(rows.coop),
                "contact": u.contact,
                "phone": u.phone,
                "email": u.email,
            }
        )
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    click.echo(f"{'单位':<16}{'类型':<6}{'牵头':>4}{'配合':>4}  联系人")
    for it in items:
        u = app.registry.units[it["name"]]
        click.echo(
            f"{it['name']:<16}{u.kind_cn:<6}{it['lead']:>4}{it['coop']:>4}  {it['contact']} {it['phone']}"
        )
    click.echo(f"共 {len(items)} 个单位需要填报。")
