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
    评分项：报送质量（每季度按时、逾期、退回后重报、未报送）、任务推进（每个季度牵头
    任务的状态和亮灯，第四季度权重更大）、配合任务（是否反馈）、指标完成（增速按增速
    判断）、领导评价（<数据目录>/<年度>/领导评价.xlsx，列出每个评分单位，填得分和评价人）；
    不适用的项不计入，按其余各项折算为百分制，再加工作量（承担的牵头任务和指标）和加减分
    （考核调整.xlsx，每项写明事由和文号）。两张表没有时自动生成。
    只给单位类别参加评分的单位评分（见 [units.classes]），本办不评自己；按排名组排名，
    没有牵头任务的单位默认不排名。“明细”工作表写明每一分的依据在哪里能查到：哪个季度、
    哪个单位何时报送的第几份进展情况表及其归档文件，或登记表的第几行。
    同样的台账重复生成，文件完全相同。

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
