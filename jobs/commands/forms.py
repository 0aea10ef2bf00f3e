import sys
from pathlib import Path

import click

from jobs.cli import check_scope, get_app, period_option, writes_data_dir


@click.command("forms")
@period_option()
@click.option(
    "--unit",
    "units",
    multiple=True,
    help="只生成该单位的表单（可写简称或别名，可重复使用）；默认所有有任务的单位。",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="保存到该目录；默认 <数据目录>/<报告期>/forms/。",
)
@click.option(
    "--force",
    is_flag=True,
    help="覆盖已随通知下发的表单（覆盖后请重新下发）；也允许 [schedule] years 以外的报告期。",
)
@click.pass_context
@writes_data_dir()
def command(ctx, period_text, units, out_dir, force):
    """生成各单位的季度进展情况表（Excel，每个单位一个文件）。

    \b
    每个表含“填报说明”“牵头任务”“配合任务”三张表：任务信息已锁定，
    单位只能填写进展、完成进度、推进状态（下拉选择）、问题、打算和指标完成值。
    第二季度起在锁定的“上季度报送情况（供参考）”列列出该单位上一季度已采纳的内容，
    填报格一律留空。
    已随通知下发的表单不会被覆盖，除非加 --force。

    \b
    示例：
      duban forms --period 2024Q1
      duban forms --period 2024年第二季度 --unit 区发改委 --unit 长青乡
      duban forms --period 2024Q1 --out ./表单预览
      duban forms --period 2024Q1 --unit 区发改委 --force
    """
    from reporting.core.periods import Period
    from reporting.forms.build import build_forms, select_units

    period = Period.parse(period_text)
    app = get_app(ctx)
    check_scope(app, period, force=force)
    now = app.now()
    a = app.book(period)
    targets, _ = select_units(a, units)  # unknown names fail here, before any file is written
    with (
        app.ledger() as ledger,
        click.progressbar(
            length=len(targets), label=f"生成{period.full_label}表单", file=sys.stderr
        ) as bar,
    ):
        summary = build_forms(
            app.settings,
            a,
            app.workspace,
            period,
            units=list(units) or None,
            force=force,
            out_dir=out_dir,
            progress=lambda unit: bar.update(1),
            ledger=ledger,
            now=now,
        )
        if summary.built and not units:
            ledger.mark_step(
                period,
                "forms",
                detail=f"{len(summary.built)} 个单位",
                at=now.isoformat(timespec="seconds"),
            )
    for line in summary.lines():
        click.echo(line)
    if not summary.ok:
        ctx.exit(1)
