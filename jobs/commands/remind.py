import click

from jobs.cli import check_scope, force_option, get_app, period_option, writes_data_dir

STAGE_CHOICES = ["auto", "通知", "提醒", "催报", "逾期"]


@click.command("remind")
@period_option(
    required=False, help="报告期，如 2024Q1 或 2024年第一季度；默认取当前正在报送的季度。"
)
@click.option(
    "--stage",
    type=click.Choice(STAGE_CHOICES),
    default="auto",
    show_default=True,
    help="阶段：通知（附表单）、提醒、催报、逾期；auto 按日程取今天应发的阶段。",
)
@click.option(
    "--channel",
    "channels",
    type=click.Choice(["email", "webhook", "list"]),
    multiple=True,
    help="渠道，可写多次：email 邮件；webhook 企业微信/钉钉群机器人；list 生成催报清单（.xlsx/.docx）。默认 email。",
)
@click.option(
    "--dry-run", is_flag=True, help="演练：列出谁会收到什么，不发送、不记台账、不生成文件。"
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="按这一天判断 auto 阶段和剩余天数（补发或演练时用），格式 2024-04-07。",
)
@click.option(
    "--resend-uncertain",
    is_flag=True,
    help="重发上次发送时程序中断、可能已发出的消息（duban status 列出）；先向对方核实没有收到。",
)
@force_option()
@click.pass_context
@writes_data_dir(unless="dry_run")
def command(ctx, period_text, stage, channels, dry_run, today, resend_uncertain, force):
    """向还没有报送合格表格的单位发通知、提醒、催报或逾期提醒。

    \b
    通知附上各单位的表单；之后的提醒只发给还没有报送合格表格的单位，
    表格被退回的会写明退回原因。每条发送都记入台账：重复运行同一阶段不会
    重复发送，失败的会在下次运行时补发。截止日和各阶段日期见 duban calendar。

    \b
    发邮件要先在 config.toml 的 [smtp] 填写服务器和发件人；试运行时可只设
    [smtp] outbox = "outbox"，邮件写成 .eml 文件放在该目录，不真正发出。
    邮箱密码只从环境变量 DUBAN_SMTP_PASSWORD 读取；
    钉钉加签密钥只从 DUBAN_WEBHOOK_DINGTALK_SECRET 读取。

    \b
    示例：
      duban remind --period 2024Q1 --stage 通知
      duban remind --period 2024Q1 --dry-run
      duban remind --period 2024Q1 --channel email --channel webhook
      duban remind --period 2024Q1 --channel list     生成电话催报用的清单
    """
    from datetime import datetime

    from jobs.runner import default_period
    from reporting.core.periods import Period
    from reporting.notify.remind import send_reminders

    app = get_app(ctx)
    now = app.now()
    if today:  # --today: act as on that day, at this time of day
        now = datetime.combine(today.date(), now.timetz())
    target = Period.parse(period_text) if period_text else default_period(app.settings, now)
    check_scope(app, target, force=force)
    with app.ledger() as ledger:
        summary = send_reminders(
            app.settings,
            app.book(target),
            app.workspace,
            target,
            stage=stage,
            channels=channels or ("email",),
            dry_run=dry_run,
            now=now,
            ledger=ledger,
            resend_uncertain=resend_uncertain,
        )
    for line in summary.lines():
        click.echo(line)
    if not summary.ok:
        ctx.exit(1)
