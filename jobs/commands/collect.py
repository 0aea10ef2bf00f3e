from pathlib import Path

import click

from jobs.cli import check_scope, force_option, get_app, period_option, writes_data_dir


@click.command("collect")
@period_option()
@click.option(
    "--inbox",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="收件目录（可含子目录，文件名不限）；默认 <数据目录>/<报告期>/inbox/。",
)
@click.option(
    "--no-receipts",
    is_flag=True,
    help="这次不给报送单位发回执和退回通知（以后回收时仍会补发）。",
)
@click.option(
    "--no-mailbox",
    is_flag=True,
    help="这次不从收件邮箱（[imap]）收取，只处理收件目录中已有的文件。",
)
@click.option(
    "--rebuild",
    is_flag=True,
    help="按台账重新生成汇总结果（merged.json）和汇总表，即使没有新收文件（文件损坏或被删除时）。",
)
@force_option()
@click.pass_context
@writes_data_dir()
def command(ctx, period_text, inbox, no_receipts, no_mailbox, rebuild, force):
    """回收各单位报回的进展情况表：识别、校验、归档、汇总。

    \b
    收件目录中的每个表格文件（.xlsx/.xlsm/.xls/.ods/.et，按内容判断格式）：
      1. 原样存档并登记台账，同一文件只处理一次；
      2. 识别是哪个单位、哪个季度的表（表单标识 → 表头 → 文件名）；
      3. 逐行校验，有问题的整份退回，写明工作表、单元格和改法；
      4. 同一单位后报的合格版本取代先前版本，所有版本都保留。

    \b
    从邮件程序（Foxmail、Outlook、Thunderbird、网页邮箱）把整封回复邮件
    保存或拖入收件目录（.eml）时，邮件和其中每个附件都原样存档，
    附带的表格逐个按上面处理，盖章扫描件留作附件。没有附带表格的邮件、
    过大或异常的邮件列为“无法识别”，并写明发件人。Outlook 桌面版存的
    .msg 读不了，请在 Outlook 里把附件另存到收件目录。

    \b
    报送时间：直接放入收件目录的文件取文件的修改时间；邮件里的表格取
    本单位邮件服务器收到的时间（没有可信的记录时取文件放入收件目录的
    时间），不看对方邮件自己写的发信时间。晚于截止时间的记为逾期。
    发件邮箱不是该单位登记邮箱的表格记为“待核实”，用 duban review 处理。

    \b
    然后生成 <数据目录>/<报告期>/汇总表.xlsx（含“报送情况”“退回清单”）
    和 merged.json。重复运行只处理新文件；结果没有变化时不改写汇总表。
    最后给本次报送的单位各发一封邮件（需配置发件邮箱）：通过的发回执，
    退回的发退回通知（写明原因和截止时间）；每份只回复一次，同一单位
    只回复最新一份，发送失败的下次回收时补发。

    \b
    配置了收件邮箱（见 docs/mailbox.md）时，先从邮箱收取新邮件：报送邮件
    存入收件目录的“邮箱”子目录后照上面处理；处理过的邮件移到邮箱的
    “已处理”文件夹（不删除），自动回复、退信和没有附件的回复移到“其他”
    文件夹并列出；退信会把对应的通知记为未送达，下次提醒时重发。

    \b
    示例：
      duban collect --period 2024Q1
      duban collect --period 2024Q1 --no-mailbox
      duban collect --period 2024年第一季度 --inbox /mnt/共享/一季度回收
      duban collect --period 2024Q1 --no-receipts
    """
    from jobs.steps import collect_and_answer
    from reporting.core.periods import Period

    period = Period.parse(period_text)
    app = get_app(ctx)
    check_scope(app, period, force=force)
    outcome = collect_and_answer(
        app,
        period,
        now=app.now(),
        inbox=inbox,
        receipts=not no_receipts,
        mark=True,
        fetch=not no_mailbox,
        rebuild=rebuild,
    )
    for line in outcome.lines():
        click.echo(line)
    if outcome.hint:
        click.echo(outcome.hint)
    if outcome.failed:
        ctx.exit(1)
