import json

import click

from jobs.cli import get_app, writes_data_dir


@click.command("plan")
@click.option(
    "--year", type=click.IntRange(2000, 2100), default=None, help="年度，默认 [district] year。"
)
@click.option(
    "--send",
    "stage",
    type=click.Choice(["auto", "通知", "提醒", "催报", "逾期"]),
    default=None,
    help="发送这一阶段的邮件（auto：按日程今天该发的）：通知附落实方案表，提醒、催报、逾期只发给还没有通过校验的单位。",
)
@click.option("--dry-run", is_flag=True, help="与 --send 一起用：只列出会发给谁，不发送、不记录。")
@click.option(
    "--status", "show_status", is_flag=True, help="只列出各牵头单位的报送情况，不做别的。"
)
@click.option("--json", "as_json", is_flag=True, help="与 --status 一起用：以 JSON 输出。")
@click.option(
    "--force", is_flag=True, help="重新生成已经生成过的落实方案表（已下发的请重新发送）。"
)
@click.option(
    "--accept",
    "accept_id",
    type=click.IntRange(min=1),
    default=None,
    help="采用这个编号的待核实落实方案表。",
)
@click.option(
    "--reject",
    "reject_id",
    type=click.IntRange(min=1),
    default=None,
    help="退回这个编号的待核实落实方案表。",
)
@click.option("--reason", default="", help="退回原因（--reject 时必填）。")
@click.pass_context
@writes_data_dir(unless="dry_run")
def command(ctx, year, stage, dry_run, show_status, as_json, force, accept_id, reject_id, reason):
    """年初的落实方案：各牵头单位报送牵头任务的责任人和季度节点。

    \b
    不加选项时：配置了收件邮箱（[imap]）的先收取新邮件；为每个牵头单位生成落实方案表（<数据目录>/<年度>/落实方案/forms，已生成的不重复生成），
    收取 <数据目录>/<年度>/落实方案/inbox 中报回的表格（也可以是保存的 .eml；季度收件目录和
    邮箱里的落实方案表会自动转到这里），逐表校验（节点逐季减少、超过 100、责任人未填写的退回），
    配置了邮件的给报送单位发回执或退回通知，并写出落实方案汇总表。
    通过校验的落实方案从此就是全年的季度节点；任务表（tasks.csv）里写了节点的任务以任务表为准，
    duban tasks 会写明以哪一个为准。截止日期见 [plan] 和 duban calendar。

    \b
    示例：
      duban plan --year 2024
      duban plan --year 2024 --send 通知
      duban plan --year 2024 --send auto --dry-run
      duban plan --year 2024 --status
      duban plan --year 2024 --accept 7
    """
    from jobs.commands.changes import _user
    from jobs.plan_jobs import plan_pass
    from reporting.core.exceptions import IntakeError
    from reporting.forms.plan_spec import plan_key
    from reporting.intake.plan_intake import plan_status
    from reporting.intake.review import decide
    from reporting.notify.plan_notice import send_plan_notices

    app = get_app(ctx)
    year = year or app.settings.district.year
    now = app.now()
    a = app.table_assignments
    with app.ledger() as ledger:
        if show_status:
            status = plan_status(app.settings, a, ledger, year, now=now)
            if as_json:
                click.echo(json.dumps(status.to_json(), ensure_ascii=False, indent=2))
            else:
                click.echo("\n".join(status.lines()))
            return
        if accept_id is not None or reject_id is not None:
            if accept_id is not None and reject_id is not None:
                raise IntakeError("--accept 和 --reject 一次只能用一个")
            line = decide(
                ledger,
                plan_key(year),
                accept_id if accept_id is not None else reject_id,
                accept=accept_id is not None,
                reason=reason,
                by=_user(),
                at=now.isoformat(timespec="seconds"),
            )
            click.echo(line)
        if stage is not None and dry_run:
            sent = send_plan_notices(
                app.settings,
                a,
                app.workspace,
                year,
                stage=stage,
                ledger=ledger,
                now=now,
                dry_run=True,
            )
            click.echo("\n".join(sent.lines()))
            return
        lines, _sent = plan_pass(app, year, ledger, now, stage=stage, force=force)
        click.echo("\n".join(lines))
    app.reload_tasks()
