import click

from jobs.cli import get_app, parse_day, period_option, writes_data_dir


@click.command("bulletin")
@period_option(help="通报的季度，如 2024Q2。")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 转换为 PDF（需要安装 LibreOffice）。")
@click.option(
    "--send",
    is_flag=True,
    help="把通报 PDF 用邮件发给各单位（和 [bulletin] leader_emails）；已发送的不会重复发送。",
)
@click.option(
    "--number",
    type=click.IntRange(min=1),
    default=None,
    help="指定文号的序号（如 7）；默认沿用已给的，或取本年度下一个。",
)
@click.option(
    "--date",
    "date_text",
    default=None,
    help="成文和印发日期，如 2024-07-10；默认为该季度的报告日。",
)
@click.pass_context
@writes_data_dir()
def command(ctx, period_text, pdf, send, number, date_text):
    """生成季度督查通报（公文格式 GB/T 9704-2012）。

    \b
    内容：总体情况；通报表扬（按时报送、一次通过审核、牵头任务无滞后且多数已完成或
    超序时的单位，规则见 [bulletin]）；通报批评（逾期报送、退回后未重报、未报送的单位，
    滞后或亮红灯的任务及其牵头单位）；下步工作要求。名单全部取自台账和汇总结果。
    只点名单位类别允许点名的单位（见 [units.classes]），本办不表扬、不批评自己；
    其余单位照常计数，其情况写进 --send 发给该单位本身的邮件。
    文号按 [bulletin] number_format 编排，第一次生成时记入台账，重新生成不变。
    输出在 <数据目录>/<季度>/bulletin/。措辞可在 Word/WPS 中修改模板 templates/bulletin.docx。

    \b
    示例：
      duban bulletin --period 2024Q2 --pdf
      duban bulletin --period 2024Q2 --pdf --number 3
      duban bulletin --period 2024Q2 --send     生成 PDF 并发给各单位
    """
    from reporting.assess.bulletin import render_bulletin
    from reporting.core.periods import Period

    period = Period.parse(period_text)
    today = parse_day(date_text, "日期", "2024-07-10")
    app = get_app(ctx)
    now = app.now()
    # one writer (@writes_data_dir): the 文号 and the sends are decided by one process at a time
    with app.ledger() as ledger:
        output = render_bulletin(
            app.settings,
            app.workspace,
            ledger,
            period,
            now=now,
            today=today,
            number=number,
            pdf=pdf or send,
            assignments=app.book(period),
            year_book=app.year_book(period.year) if period.quarter == 4 else None,
        )
        for line in output.lines():
            click.echo(line)
        if output.pdf_error:
            if send:
                click.echo("通报 PDF 没有生成，没有发送任何邮件。", err=True)
            ctx.exit(1)
        if send:
            from reporting.assess.bulletin_send import send_bulletin

            summary = send_bulletin(app.settings, app.registry, ledger, output, now=now)
            for line in summary.lines():
                click.echo(line)
            if not summary.ok:
                ctx.exit(1)
