from pathlib import Path

import click

from jobs.cli import get_app


@click.command("demo")
@click.option(
    "--dir",
    "target",
    type=click.Path(path_type=Path, file_okay=False),
    default="demo",
    show_default=True,
    help="演示用的工作目录（会先清空以前的演示结果）。",
)
@click.pass_context
def command(ctx, target):
    """用自带的禹会区数据演示一个完整的季度流程（全部为示例数据，不发真实邮件）。

    \b
    按 duban run 的日程，在模拟的日期上依次：生成 2024 年第一季度表单 → 通知
    （邮件写入本地发件箱）→ 模拟各单位填报（按时、逾期、未报、两份因常见错误被退回）
    → 回收校验 → 催报（邮件和催报清单）→ 生成报告（装有 LibreOffice 时另出 PDF）；
    再跑第二至第四季度：表单列出上季度的报送情况供参考，对比相邻季度；
    第四季度的报告是全年版（全年完成情况报告），另生成全年汇总表（duban year）；
    每次生成报告时另写出领导看板（季度和全年的网页文件，用浏览器打开）。

    \b
    示例：
      duban demo
      duban demo --dir /tmp/duban-demo
    """
    from jobs.demo import run_demo

    outcome = run_demo(get_app(ctx), target, echo=click.echo)
    click.echo("")
    if outcome.failed:
        click.echo(f"演示中有步骤失败：{'、'.join(outcome.failed)}（见上面的说明）。")
    click.echo("演示完成。可以打开查看：")
    for label, path in outcome.paths.items():
        click.echo(f"  {label}：{path}")
    if not any(label.endswith("PDF") for label in outcome.paths):
        click.echo("未安装 LibreOffice，所以没有生成 PDF；安装后重新运行 make demo 即可得到。")
    if outcome.failed:
        ctx.exit(1)
