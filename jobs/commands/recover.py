import click

from jobs.cli import get_app, writes_data_dir


@click.command("recover")
@click.option(
    "--force",
    is_flag=True,
    help="台账完好时也重建（原台账先另存到 <数据目录>/backups/replaced-ledger-<时间>.sqlite）。",
)
@click.pass_context
@writes_data_dir()
def command(ctx, force):
    """台账（ledger.sqlite）丢失或损坏、又没有合适的备份时，按磁盘上的文件重建台账。

    \b
    依据：
      各报告期 forms/ 里的表格 → 已生成的表格；
      归档（archive/）中每份报回文件及其接收记录 → 按原来的顺序、来源、发件人和接收时间
        重新识别、校验（收件目录里没有接收记录的文件照 duban collect 收取）；
        待核实报送的处理结果（duban review）也一并恢复；
      发件箱（outbox/ 或 [smtp] outbox）里的邮件 → 记为已发送，以后不会重发；
      changes/ 里的销号、延期、调整申请和审批，orders/ 里的督办单（编号、督办等级、
        整改时限、办结或续办），numbers/ 里督查通报的发文字号 → 原样恢复，以后接着编号。
    重建过程不发送任何邮件或群消息。直接经邮件服务器或群机器人发出的消息磁盘上没有记录：
    各单位最新一份报送的回执按“已发”记，到期的通知/提醒/催报/逾期步骤记为已完成
    （定时任务不会再发），并逐条列出；手动发提醒前请先加 --dry-run 核对名单。
    新台账先写在临时文件里，完成后一次替换；损坏的原台账另存到 backups/damaged-ledger-<时间>.sqlite。
    最后按新台账重写各报告期的汇总表和 merged.json。

    有最近的备份（<数据目录>/backups/ledger-<时间>.sqlite）时，也可以直接把它复制为 ledger.sqlite。

    \b
    示例：
      duban recover
      duban recover --force
    """
    from reporting.recover.rebuild import rebuild_ledger

    app = get_app(ctx)
    # the task table as written: the rebuild applies the 落实方案 it finds on disk itself
    summary = rebuild_ledger(
        app.settings, app.table_assignments, app.workspace, now=app.now(), force=force
    )
    app.reload_tasks()  # the rebuilt ledger's 落实方案
    for line in summary.lines():
        click.echo(line)
