import click

from jobs.cli import get_app, writes_data_dir


@click.command("carry-over")
@click.option(
    "--year",
    type=click.IntRange(2000, 2100),
    default=None,
    help="从哪一年结转，如 2024；默认取配置 [district] year。",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="草稿写到哪里；默认 <数据目录>/<年度>/<下一年度>年任务表（结转草稿）.csv。",
)
@click.pass_context
@writes_data_dir()
def command(ctx, year, out_path):
    """下一年度任务表草稿：本年度未完成的任务和经批准延期到下一年度的任务。

    \b
    按批准后的任务版本（销号、延期、调整）判定全年完成情况（与 duban year 相同），
    把“基本完成”“未完成”和延期到下一年度的任务写成 tasks.csv 格式的草稿，
    完成时限在本年度内的改为下一年度年底，history 列写明各季度情况、全年判定和审批记录。
    请逐项核对后复制为新年度的 tasks.csv；对草稿运行 duban check 会列出每一行结转的任务。

    \b
    示例：
      duban carry-over --year 2024
      duban carry-over --year 2024 --out 2025任务表草稿.csv
    """
    from pathlib import Path

    from reporting.annual.carry_over import write_carry_over
    from reporting.annual.year import year_data

    app = get_app(ctx)
    year = year or app.settings.district.year
    book = app.year_book(year)
    data = year_data(app.settings, app.workspace, book, year)
    target = (
        Path(out_path)
        if out_path
        else app.workspace.year_dir(year) / f"{year + 1}年任务表（结转草稿）.csv"
    )
    output = write_carry_over(data, {r.id: r.task for r in book.rows}, target)
    for line in output.lines():
        click.echo(line)
