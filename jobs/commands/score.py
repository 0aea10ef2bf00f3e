import click

from jobs.cli import get_app, writes_data_dir


@click.command("score")
@click.option(
    "--year",
    type=click.IntRange(2000, 2100),
    default=None,
    help="考核年度，如 2024；默认取配置 [district] year。",
)
@click.option(
    "--period",
    "period_text",
    default=None,
    help="只计到这个季度为止（如 2024Q3），得到截至该季度的累计得分；默认计入全年。",
)
@click.pass_context
@writes_data_dir()
def command(ctx, year, period_text):
    """年度考核评价：按 [scoring] 的评分规则给每个单位打分，写出 考核评分表.xlsx。

    \b
    评分项：报送质量（每季度按时、逾期、退回后重报、未报送）、任务推进（牵头任务的
    状态和亮灯）、配合任务（是否反馈）、指标完成（增速按增速判断）、加减分
    （<数据目录>/<年度>/考核调整.xlsx，每项写明事由和文号；没有时生成空表）。
    区直部门、乡镇街道、国有企业分组排名。“明细”工作表列出每一分的来源：
    季度、任务、台账记录（如 returns#47）和文件。同样的台账重复生成，文件完全相同。

    \b
    示例：
      duban score --year 2024
      duban score --year 2024 --period 2024Q3
    """
    from reporting.assess.score_sheet import run_score
    from reporting.core.exceptions import AssessError
    from reporting.core.periods import Period

    app = get_app(ctx)
    year = year or app.settings.district.year
    upto = Period.parse(period_text) if period_text else None
    if upto is not None and upto.year != year:
        raise AssessError(f"--period {upto} 不在考核年度 {year} 内，请检查 --year 和 --period")
    with app.ledger() as ledger:
        output = run_score(
            app.settings,
            app.workspace,
            ledger,
            year,
            upto=upto,
            registry=app.registry,
            now=app.now(),
        )
    for line in output.lines():
        click.echo(line)
