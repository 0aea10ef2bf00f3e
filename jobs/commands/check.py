import click

from jobs.cli import get_app


@click.command("check")
@click.option("--online", is_flag=True, help="同时登录收件邮箱（[imap]），确认能读取收件文件夹。")
@click.pass_context
def command(ctx, online):
    """检查任务表、单位名录和配置文件，列出需要修改的地方。

    \b
    无法识别的名称会给出可能的正确写法（如“陈春霖”→“可能是 陈春霆？”）。
    全部正确时退出码为 0，否则为 1。

    \b
    示例：
      duban check
      duban check --online
      duban --config /srv/duban/config.toml check
    """
    from jobs.checks import mailbox_online, run_checks

    app = get_app(ctx)
    problems = run_checks(app)
    if online:
        problems += mailbox_online(app)
    errors = [p for p in problems if p.error]
    for p in problems:
        click.echo(f"{'错误' if p.error else '提示'}：{p}")
    a = app.assignments
    click.echo(
        f"任务表 {len(a.rows)} 行，单位名录 {len(app.registry.units)} 个单位，"
        f"其中 {len(a.by_unit)} 个单位需要填报。"
    )
    if errors:
        click.echo(f"发现 {len(errors)} 处错误，请按上面的提示修改后再运行 duban check。")
        ctx.exit(1)
    click.echo("检查通过。")
