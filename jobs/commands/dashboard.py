from pathlib import Path

import click

from jobs.cli import check_scope, force_option, get_app, period_option, writes_data_dir


@click.command("dashboard")
@period_option(required=False, help="报告期，如 2024Q2 或 2024年第二季度。")
@click.option("--year", type=int, default=None, help="年度，如 2024：全年看板。")
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="写到这个文件；默认 <数据目录>/<报告期>/看板.html 或 <数据目录>/<年度>/看板.html。",
)
@force_option()
@click.pass_context
@writes_data_dir()
def command(ctx, period_text, year, out_path, force):
    """生成领导看板：一个网页文件，双击用浏览器打开，不需要联网。

    \b
    季度看板（--period）：任务总数和各推进状态、红黄绿灯的项数（与上季度比），
    各单位按时、逾期、退回、未报送的个数；按板块、按分管领导的推进状态条
    （点领导姓名只看其牵头任务，滞后的排在前面，与分管领导调度单相同）；
    每项任务的累计完成进度与序时进度、亮灯原因、量化指标、牵头单位的进展/问题/打算、
    配合单位反馈和本年各季度的进度；可按板块、分管领导、牵头单位、亮灯、推进状态筛选和搜索；
    各单位的报送时间和被提醒、催报的次数。
    全年看板（--year）：每项任务四个季度并列、全年完成情况（完成/基本完成/未完成）、
    量化指标全年完成值、各单位四个季度的报送情况。
    数字与同期报告、全年汇总表出自同一计算。手机（政务微信）和电脑上都能看，可直接打印（A4）。
    生成报告时（duban report 之外的定时任务和 duban run）也会一并写出。

    \b
    示例：
      duban dashboard --period 2024Q2
      duban dashboard --year 2024
      duban dashboard --period 2024Q2 --out /mnt/共享/第二季度看板.html
    """
    from reporting.core.exceptions import PeriodError
    from reporting.core.periods import Period
    from reporting.dashboard.page import write_period_dashboard, write_year_dashboard

    if (period_text is None) == (year is None):
        raise PeriodError(
            "请写 --period（季度看板，如 2024Q2）或 --year（全年看板，如 2024），二者选一"
        )
    app = get_app(ctx)
    if year is not None:
        output = write_year_dashboard(
            app.settings, app.workspace, app.year_book(year), year, now=app.now(), out=out_path
        )
    else:
        period = Period.parse(period_text)
        check_scope(app, period, force=force)
        from reporting.merge.collect_merge import ensure_merged

        note = ensure_merged(app.settings, app.book(period), app.workspace, period, app.now())
        if note:
            click.echo(note)
        with app.ledger() as ledger:
            output = write_period_dashboard(
                app.settings,
                app.workspace,
                period,
                now=app.now(),
                ledger=ledger,
                assignments=app.book(period),
                out=out_path,
            )
    for line in output.lines():
        click.echo(line)
