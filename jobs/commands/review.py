import click

from jobs.cli import get_app, period_option, writes_data_dir


@click.command("review")
@period_option()
@click.option(
    "--accept",
    "accept_id",
    type=click.IntRange(min=1),
    default=None,
    help="采用这个编号的待核实报送。",
)
@click.option(
    "--reject",
    "reject_id",
    type=click.IntRange(min=1),
    default=None,
    help="退回这个编号的待核实报送。",
)
@click.option("--reason", default="", help="退回原因（--reject 时必填）。")
@click.pass_context
@writes_data_dir()
def command(ctx, period_text, accept_id, reject_id, reason):
    """查看和处理“待核实”的报送：邮件发件人不是该单位登记邮箱的表格。

    \b
    这类表格先不计入汇总（[intake] sender_check = "hold"）。核实（如电话确认）后：
      --accept 编号   采用：按表格本身的校验结果接收或退回，并重新汇总；
      --reject 编号 --reason 原因   退回：原因写入退回清单。
    处理人（系统用户名）和时间记入台账。不加选项时列出待核实的报送。

    \b
    示例：
      duban review --period 2024Q1
      duban review --period 2024Q1 --accept 12
      duban review --period 2024Q1 --reject 12 --reason 非本单位报送，已电话核实
    """
    import getpass

    from reporting.core.exceptions import IntakeError
    from reporting.core.periods import Period
    from reporting.intake.review import decide, held_returns
    from reporting.merge.collect_merge import merge_period

    period = Period.parse(period_text)
    if accept_id is not None and reject_id is not None:
        raise IntakeError("--accept 和 --reject 一次只能用一个")
    app = get_app(ctx)
    now = app.now()
    with app.ledger() as ledger:
        if accept_id is None and reject_id is None:
            rows = held_returns(ledger, period)
            if not rows:
                click.echo(f"{period} 没有待核实的报送。")
            for r in rows:
                verdict = "校验通过" if r["verdict"] == "accepted" else "校验未通过"
                click.echo(
                    f"编号 {r['id']}：{r['unit']}，发件人 {r['sender']}，{r['source']}，"
                    f"收到 {r['received_at'][:16].replace('T', ' ')}，{verdict}"
                )
            return
        try:
            by = getpass.getuser()
        except (KeyError, OSError):
            by = "未知用户"
        line = decide(
            ledger,
            period,
            accept_id if accept_id is not None else reject_id,
            accept=accept_id is not None,
            reason=reason,
            by=by,
            at=now.isoformat(timespec="seconds"),
        )
        click.echo(line)
        _, written = merge_period(
            app.settings, app.book(period), app.workspace, period, ledger, now
        )
        if written:
            click.echo(f"汇总结果已更新：{app.workspace.merged_xlsx(period)}")
        click.echo(f"回执或退回通知将在下次 duban collect --period {period} 时发出。")
