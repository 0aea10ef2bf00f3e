import click

from jobs.cli import get_app


@click.command("schedule")
@click.option(
    "--plan", "show_plan", is_flag=True, help="列出全年排程（ISO 日期时间、报告期、步骤），不执行。"
)
@click.option(
    "--year",
    "years",
    type=click.IntRange(2000, 2100),
    multiple=True,
    help="年度，可写多次；默认取配置 [schedule] years。",
)
@click.option(
    "--once", is_flag=True, help="只执行现在到期的步骤，然后退出（供 cron 或 systemd 定时器调用）。"
)
@click.pass_context
def command(ctx, show_plan, years, once):
    """启动常驻的排程进程，按工作日日程自动执行每个季度的各个步骤。

    \b
    每个季度的排程（时刻取 [schedule] time，默认 09:00，时区 Asia/Shanghai）：
      通知日      生成表单并下发通知
      提醒日、催报日、逾期日   提醒 / 催报 / 逾期催报（只发给还没交合格表的单位）
      通知日至报告日   每隔 [schedule] collect_every_hours 小时回收一次，并重试失败的步骤
      报告日      回收并生成报告（截止后第 [deadline] report_days 个工作日，默认为逾期日的次日）
    停机期间错过的任务，在 [schedule] misfire_grace_days 天内重新启动后补做一次；
    每一步都记在台账里，不会重复执行。失败的步骤写入日志，下一次排程任务触发时重试。
    日志：<数据目录>/logs/schedule.log（自动轮换），同时输出到屏幕。
    同一个数据目录只能运行一个排程进程；Ctrl+C 或 SIGTERM 在当前任务结束后退出。

    \b
    示例：
      duban schedule                      启动（常驻，用 systemd 管理见 docs/systemd.md）
      duban schedule --plan --year 2024   列出 2024 年的全部排程
      duban schedule --once               cron 每小时调用一次的写法
    """
    import sys

    from jobs.app import create_app
    from jobs.plan import build_plan
    from jobs.scheduler import run_once, serve

    app = get_app(ctx)
    year_list = sorted(set(years)) or None
    if show_plan:
        plan = build_plan(app.settings, year_list)
        ledger = app.ledger() if app.workspace.ledger_path.exists() else None
        try:
            for line in plan.lines(ledger):
                click.echo(line)
        finally:
            if ledger is not None:
                ledger.close()
        for note in plan.notes:
            click.echo(f"提示：{note}", err=True)
        return
    if once:
        result = run_once(app, years=year_list, stream=None)
        for line in result.lines():
            click.echo(line)
        if result.failed:
            ctx.exit(1)
        return
    config_path, data_dir = ctx.find_root().obj.config_path, app.settings.data_dir
    ctx.exit(serve(lambda: create_app(config_path, data_dir), years=year_list, stream=sys.stdout))
