import click

from jobs.cli import get_app, period_option, writes_data_dir


@click.command("coop-feedback")
@period_option()
@click.pass_context
@writes_data_dir()
def command(ctx, period_text):
    """把配合单位的反馈汇编后发给牵头单位（配合反馈）。

    \b
    配合截止时间（[deadline] coop_days：比报送截止早几个工作日）到了以后，每个牵头单位收到
    一封邮件，附件《配合单位反馈》.xlsx 只含它牵头的任务：每个配合单位的累计完成进度、
    推进状态、工作进展、存在问题、下步打算和指标填报值，并列出还没有反馈的配合单位。
    按截至目前已回收的报送汇编（新到的表请先运行 duban collect）。
    每份都先在台账登记再发送，重复运行不会重发；某个配合单位迟交或更正后，内容有变化的
    牵头单位会收到标为“更新”的新版本（排程进程每次回收后自动检查）。
    汇编的文件在 <数据目录>/<报告期>/feedback/。牵头单位报“已完成/超序时”而配合单位报
    “滞后/未启动”的任务列出来，请督查考核办核实。

    \b
    示例：
      duban coop-feedback --period 2024Q1
    """
    from reporting.core.periods import Period
    from reporting.core.states import Step
    from reporting.feedback.send import send_feedback

    period = Period.parse(period_text)
    app = get_app(ctx)
    now = app.now()
    with app.ledger() as ledger:
        summary = send_feedback(
            app.settings, app.book(period), app.workspace, period, ledger=ledger, now=now
        )
        if (
            not summary.failed
            and summary.coop_deadline
            and ledger.step_done(period, Step.COOP) is None
        ):
            from reporting.core.calendar import period_calendar

            cal = period_calendar(period, app.settings.deadline)
            if cal.separate_coop and now >= cal.coop_due:
                ledger.mark_step(
                    period,
                    "coop",
                    detail="\n".join(summary.lines()),
                    at=now.isoformat(timespec="seconds"),
                )
    for line in summary.lines():
        click.echo(line)
    if summary.failed:
        ctx.exit(1)
