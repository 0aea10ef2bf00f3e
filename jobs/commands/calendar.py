import json

import click

from jobs.cli import get_app


@click.command("calendar")
@click.option(
    "--year",
    type=click.IntRange(2000, 2100),
    default=None,
    help="年份，默认取配置 [district] year。",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（日期为 ISO 格式）。")
@click.pass_context
def command(ctx, year, as_json):
    """列出某一年各季度的报送截止时间和通知、提醒、催报、逾期的日期。

    工作日按国务院办公厅公布的节假日安排计算（含调休上班日）。截止规则和各阶段提前几个工作日在 config.toml 的 [deadline] 中设置。节假日数据尚未发布的年份按周一至周五估算，并给出警告。

    \b
    示例：
      duban calendar --year 2024
      duban calendar --year 2025 --json
    """
    from reporting.core.calendar import year_calendar

    app = get_app(ctx)
    cal = year_calendar(
        year or app.settings.district.year, app.settings.deadline, app.settings.plan
    )
    if not as_json:
        for line in cal.lines():
            click.echo(line)
        return
    click.echo(json.dumps(cal.to_json(), ensure_ascii=False, indent=2))
    if cal.unknown:
        from reporting.core.calendar import unknown_years_warning

        click.echo("警告：" + unknown_years_warning(cal.unknown), err=True)
