from contextlib import ExitStack
from pathlib import Path

import click

from jobs.cli import check_scope, force_option, get_app, parse_day, period_option, writes_data_dir


@click.command("report")
@period_option()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="输出目录；默认 <数据目录>/<报告期>/report/。",
)
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 转换为 PDF（需要安装 LibreOffice）。")
@click.option(
    "--by-leader",
    is_flag=True,
    help="同时为每位牵头区领导生成分管领导调度单（只含其牵头任务，滞后的排在前面）。",
)
@click.option(
    "--date",
    "date_text",
    default=None,
    help="落款日期，如 2024-04-09；默认为该季度的报告日（截止后第 [deadline] report_days 个工作日，见 duban calendar）；还没到报告日时为今天。",
)
@force_option(
    "也处理 [schedule] years 以外的报告期；该季度既没有生成表单、也没有收到报送时，"
    "照样生成一份写明尚未收到报送的报告（默认拒绝，以防报告期写错）。"
)
@click.pass_context
@writes_data_dir()
def command(ctx, period_text, out_dir, pdf, by_leader, date_text, force):
    """生成报区政府的季度推进情况报告（Word，党政机关公文格式 GB/T 9704-2012）。

    \b
    根据回收汇总的结果（duban collect 生成的 merged.json）填写模板 templates/report.docx：
    总体情况（各状态、红黄绿灯的项数和占比，主要经济指标，各板块推进状态图）、
    各板块推进情况、滞后任务及存在问题、报送情况、下步工作建议，
    附件为横排的重点任务推进情况汇总表（表头每页重复）。
    第二季度起，同一年度上季度的汇总结果在时，“一、总体情况”增加“与上季度相比”
    （已完成、滞后等项数的变化，累计完成进度平均提高多少，哪些任务赶上或落后于序时进度），
    分管领导调度单每项任务也列出上季度的状态和进度。
    已下发表单、还没有回收结果时，报告照常生成，并写明尚未收到报送；
    该季度既没有生成表单、也没有收到任何报送时拒绝生成（多半是报告期写错），加 --force 仍可生成。
    第四季度的报告是全年版（全年完成情况报告）：各项任务按目标和完成时限判定完成、
    基本完成、未完成（完成时限在年内的按完成时限所在季度判定），量化指标全年完成值与
    目标比较（增速按增速判断），未完成任务及单位说明的原因，四个季度推进状态图，
    附件为逐季度推进情况表、量化指标完成情况、各单位全年报送情况；
    [report] annual_scores = true 时另引用年度考核评分。数据与 duban year 的全年汇总表相同。
    同样的数据重复生成，得到的文件完全相同。报告措辞可在 Word/WPS 中直接修改模板。

    \b
    示例：
      duban report --period 2024Q1
      duban report --period 2024Q1 --pdf --by-leader
      duban report --period 2024Q1 --out /mnt/共享/报告 --date 2024-04-10
      duban report --period 2024Q4 --pdf          全年版
    """
    from reporting.annual.report import render_period_report
    from reporting.core.periods import Period

    period = Period.parse(period_text)
    today = parse_day(date_text, "落款日期", "2024-04-09")
    app = get_app(ctx)
    check_scope(app, period, force=force)
    from reporting.core.ledger import require_ledger
    from reporting.merge.collect_merge import ensure_merged

    require_ledger(app.workspace.ledger_path)  # a lost ledger: say so, not a report as if fine
    if not force:
        refuse_empty(app, period)

    # a damaged or lost merged.json is rebuilt first
    note = ensure_merged(app.settings, app.book(period), app.workspace, period, app.now())
    if note:
        click.echo(note)
    with ExitStack() as stack:
        # the annual edition quotes the year's 考核评分 only when configured
        ledger = (
            stack.enter_context(app.ledger())
            if period.quarter == 4 and app.settings.report.annual_scores
            else None
        )
        output = render_period_report(
            app.settings,
            app.workspace,
            period,
            ledger=ledger,
            out_dir=out_dir,
            pdf=pdf,
            by_leader=by_leader,
            now=app.now(),
            today=today,
            assignments=app.book(period),
            changes=app.change_notes(period),
            year_book=app.year_book(period.year) if period.quarter == 4 else None,
            changes_year=app.year_changes(period.year) if period.quarter == 4 else None,
        )
    for line in output.lines():
        click.echo(line)
    if output.pdf_error:
        ctx.exit(1)


def refuse_empty(app, period) -> None:
    """A period with no form built, no return received and no merged result: a report would
    call every task 未报送 — most likely the wrong period typed. A Chinese error unless
    ``--force``."""
    from reporting.core.exceptions import ReportError

    if app.workspace.merged_json(period).exists():  # a merged result, however it came
        return
    with app.ledger() as ledger:
        if ledger.forms(period) or ledger.returns(period):
            return
    n = len(app.book(period).rows)
    raise ReportError(
        f"{period.full_label}还没有生成表单，也没有收到任何报送，生成的报告会把全部 {n} 项任务"
        f"写成未报送。请检查报告期是否写对，或先运行 duban forms --period {period}；"
        "确需生成这样一份报告，请加 --force"
    )
