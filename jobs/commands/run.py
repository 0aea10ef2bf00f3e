import click

from jobs.cli import check_scope, force_option, get_app, period_option, writes_data_dir


@click.command("run")
@period_option(
    required=False, help="报告期，如 2024Q1 或 2024年第一季度；默认取今天所在的报送周期。"
)
@click.option(
    "--until",
    "until",
    metavar="步骤",
    help="只执行到这一步为止：forms（表单）、通知、collect（回收）、提醒、催报、逾期、report（报告）。",
)
@click.option("--dry-run", is_flag=True, help="只列出到期、将要执行的步骤，不执行。")
@force_option()
@click.pass_context
@writes_data_dir(unless="dry_run")
def command(ctx, period_text, until, dry_run, force):
    """按日程执行一个报告期里已经到期、还没做过的步骤，并说明每一步做了什么、为什么跳过。

    \b
    顺序：生成表单 → 下发通知 → 回收报表 → 提醒 / 催报 / 逾期催报 → 生成报告。
    每一步完成后记入台账，重复运行不会重做（回收每次都会执行，直到报告生成）。
    回收排在催报之前，刚交表的单位不会再被催。已过截止时间就不再发提醒、催报，
    只发逾期催报；报告在截止后第 [deadline] report_days 个工作日生成（默认为逾期催报的次日）。
    [plan] auto = true 时（不指定 --period），年初落实方案到期的阶段（通知 / 提醒 / 催报 / 逾期）也一并执行，
    与 duban plan --send auto 相同，每个阶段只执行一次。
    有步骤失败时退出码为 1，排除问题后再运行一次即可。

    \b
    示例：
      duban run                          今天所在报送周期里到期的步骤
      duban run --period 2024Q1
      duban run --period 2024Q1 --until 通知
      duban run --period 2024Q1 --dry-run
    """
    from jobs.plan_jobs import run_due_stages
    from jobs.runner import default_period, run_cycle
    from jobs.steps import step_name
    from reporting.core.exceptions import SchedulerError
    from reporting.notify.delivery import outbox_note_once

    app = get_app(ctx)
    now = app.now()
    rounds = [] if period_text else run_due_stages(app, now, dry_run=dry_run)
    said: set[str] = set()  # the outbox notice, once for the command
    for done in rounds:
        click.echo("\n".join(outbox_note_once(done.text(), said)))
    try:
        target = period_text or default_period(app.settings, now)
    except SchedulerError:
        if not rounds:  # January: the 落实方案 round may be all there is to do
            raise
        ctx.exit(1 if any(r.failed for r in rounds) else 0)
    check_scope(app, target, force=force)
    report = run_cycle(
        app, target, now=now, until=step_name(until) if until else None, dry_run=dry_run
    )
    for line in outbox_note_once(report.lines(), said):
        click.echo(line)
    if ctx.find_root().obj.debug:
        for r in report.failed:
            if r.detail:
                click.echo(r.detail, err=True)
    if report.failed or any(r.failed for r in rounds):
        ctx.exit(1)
