import click

from jobs.cli import get_app, period_option


@click.command("status")
@period_option(
    required=False,
    help="报告期，如 2024Q1 或 2024年第一季度；不写则显示当前报送周期的概况和接下来的排程任务。",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（供其他程序读取）。")
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="列出全部单位（默认只列退回、待核实、未报送、逾期的单位）。",
)
@click.pass_context
def command(ctx, period_text, as_json, show_all):
    """查看某报告期各单位的报送情况；不写 --period 时显示当前报送周期的概况。

    \b
    先列需要处理的单位（退回、待核实、未报送、逾期报送），其余单位只给个数，加 --all 全部列出。
    每个单位：是否已生成表单、是否已发通知、是否报回（时间、第几版）、
    已接收还是被退回（退回原因）、最新一份的回执或退回通知是否已发、是否逾期；
    最后一行是合计。
    只读台账，不打开文件；先运行 duban collect 收取最新报回的文件。
    最后列出尚未办结的督办单（编号、督办等级、任务、牵头单位、整改时限）；
    --json 时在 orders 中给出（number 编号、period 印发季度、units 牵头单位、task 任务、
    rung 督办等级、due 整改时限、state 办理中或已过时限）。
    收件目录中 duban collect 不会处理的条目（无法读取的文件夹、符号链接、特殊文件）也列出原因。
    概况包括：当前阶段、报送截止时间、已报回/已接收/退回/未报送的单位数、
    已完成的步骤、排程进程是否在运行、接下来的排程任务。

    \b
    示例：
      duban status
      duban status --period 2024Q1
      duban status --period 2024Q1 --all
      duban status --period 2024Q1 --json
    """
    from reporting.core.periods import Period
    from reporting.intake.status import period_status

    app = get_app(ctx)
    if period_text is None:  # the open cycle at a glance (jobs.overview.cycle_status)
        from jobs.overview import cycle_status

        overview = cycle_status(app, app.now())
        if as_json:
            overview.orders = _open_orders_json(app)
            click.echo(overview.to_json())
            return
        click.echo("\n".join(overview.lines()))
        _open_orders(app)
        return
    period = Period.parse(period_text)
    with app.ledger() as ledger:
        status = period_status(app.settings, app.book(period), ledger, period, now=app.now())
    from reporting.intake.inbox import inbox_skips, read_set_aside

    status.skipped = [
        {"source": s.source, "reason": s.reason}
        for s in inbox_skips(app.workspace.inbox_dir(period))
    ] + read_set_aside(app.workspace.set_aside(period))
    if as_json:
        status.orders = _open_orders_json(app)
        click.echo(status.to_json())
        return
    for line in status.lines(show_all=show_all):
        click.echo(line)
    _pending_changes(app, period)
    _open_orders(app)


def _pending_changes(app, period) -> None:
    """销号/延期/调整 requests of the period still waiting for the office's decision."""
    from reporting.core.changes import Verdict
    from reporting.core.labels import task_label
    from reporting.taskbook.changes import listing

    with app.ledger() as ledger:
        waiting = [i for i in listing(ledger, period) if i.verdict == Verdict.PENDING]
    if waiting:
        click.echo(
            f"销号、延期、调整申请待审批 {len(waiting)} 项："
            + "、".join(
                f"{i.request.unit or '督查考核办'}任务{task_label(i.request.task_id)}{i.request.kind}"
                for i in waiting
            )
            + f"（duban changes --period {period} 查看和审批）"
        )


def _open_orders(app) -> None:
    """The 督办单 not yet answered by a later quarter's return, with their 时限."""
    from reporting.assess.orders import open_lines

    with app.ledger() as ledger:
        for line in open_lines(ledger, app.now().date()):
            click.echo(line)


def _open_orders_json(app) -> list[dict]:
    """The same 督办单 as ``_open_orders``, for ``--json``."""
    from reporting.assess.orders import open_orders

    with app.ledger() as ledger:
        return [o.to_dict() for o in open_orders(ledger, app.now().date())]
