import click

from jobs.cli import get_app


@click.command("status")
@click.option("--period", "period_text", required=True, help="报告期，如 2024Q1 或 2024年第一季度。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（供其他程序读取）。")
@click.pass_context
def command(ctx, period_text, as_json):
    """查看某报告期各单位的报送情况。

    \b
    每个单位：是否已生成表单、是否已发通知、是否报回（时间、第几版）、
    已接收还是被退回（退回原因）、是否逾期；最后一行是合计。
    只读台账，不打开文件；先运行 duban collect 收取最新报回的文件。

    \b
    示例：
      duban status --period 2024Q1
      duban status --period 2024Q1 --json
    """
    from reporting.periods import Period
    from reporting.status import period_status

    period = Period.parse(period_text)
    app = get_app(ctx)
    with app.ledger() as ledger:
        status = period_status(app.settings, app.assignments, ledger, period)
    if as_json:
        click.echo(status.to_json())
        return
    for line in status.lines():
        click.echo(line)
