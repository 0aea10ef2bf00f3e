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
    from reporting.core.columns import table

    rows = [
        (
            it["name"],
            app.registry.units[it["name"]].kind_cn,
            str(it["lead"]),
            str(it["coop"]),
            it["contact"],
            it["phone"],
        )
        for it in items
    ]
    for line in table(("单位", "类别", "牵头", "配合", "联系人", "电话"), rows, right=(2, 3)):
        click.echo(line)
    click.echo(f"共 {len(items)} 个单位需要填报。")
