import click

from jobs.cli import get_app, writes_data_dir


@click.command("year")
@click.option(
    "--year",
    type=click.IntRange(2000, 2100),
    default=None,
    help="年度，如 2024；默认取配置 [district] year。",
)
@click.pass_context
@writes_data_dir()
def command(ctx, year):
    """全年汇总：每项任务每个季度的进度、状态、亮灯和文字，每个单位每个季度的报送情况。

    \b
    写出 <数据目录>/<年度>/<年度>年度推进情况汇总表.xlsx：
      全年完成情况  每项任务四个季度并列，按完成时限判定的“完成 / 基本完成 / 未完成”，
                    未完成的方面和单位说明的原因（存在问题、下步打算）
      任务×季度     每项任务每个季度一行：累计进度、推进状态、亮灯、进展、问题、打算
      指标完成情况  每项量化指标的全年完成值与年度目标（增速按增速判断）
      单位×季度     每个单位每个季度按时、逾期或未报送
      判定规则      完成情况的判定规则（第四季度报告用同一结果）
    完成时限在年内前三个季度的任务按完成时限所在季度判定，其余按第四季度判定。
    同样的汇总结果重复生成，文件完全相同。

    \b
    示例：
      duban year --year 2024
    """
    from reporting.annual.workbook import run_year
    from reporting.core.periods import Period
    from reporting.merge.collect_merge import ensure_merged

    app = get_app(ctx)
    year = year or app.settings.district.year
    for q in (1, 2, 3, 4):  # a damaged or lost merged.json is rebuilt from the ledger first
        note = ensure_merged(
            app.settings, app.book(Period(year, q)), app.workspace, Period(year, q), app.now()
        )
        if note:
            click.echo(note)
    output = run_year(app.settings, app.workspace, app.year_book(year), year)
    for line in output.lines():
        click.echo(line)
