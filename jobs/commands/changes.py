import json

import click

from jobs.cli import get_app, period_option, writes_data_dir


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "未知用户"


def _forms_hint(app, period) -> None:
    """The next quarter's forms already went out: they show the task book without this."""
    nxt = period.next()
    if any(app.workspace.forms_dir(nxt).glob("*.xlsx")):
        click.echo(
            f"注意：{nxt.full_label}的表单已经生成，需重新生成后才按变更后的任务填报"
            f"（duban forms --period {nxt} --force，并通知相关单位）。"
        )


def _remerge(app, period, ledger) -> None:
    """The 汇总表's 申请 sheet shows the decision (only once the period was merged)."""
    from reporting.merge.collect_merge import merge_period

    if app.workspace.merged_json(period).exists():
        merge_period(app.settings, app.book(period), app.workspace, period, ledger, app.now())


@click.command("changes")
@period_option()
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（供脚本使用）。")
@click.option("--approve", "approve_no", type=click.IntRange(min=1), help="批准这个编号的申请。")
@click.option("--reject", "reject_no", type=click.IntRange(min=1), help="不予批准这个编号的申请。")
@click.option(
    "--reason", default="", help="不予批准的理由（--reject 时必填）；--add 时为调整理由。"
)
@click.option("--doc", "doc_no", default="", help="批准文号，如 禹政秘〔2024〕12号。")
@click.option("--by", "by", default="", help="审批人姓名（默认为系统用户名）。")
@click.option(
    "--add",
    "add_kind",
    type=click.Choice(["销号", "延期", "调整"]),
    help="记录督查考核办自行决定的变更（随即生效于下一季度）。",
)
@click.option("--task", "task_text", default="", help="--add 的任务编号，如 8（2）。")
@click.option(
    "--deadline", "deadline_text", default="", help="延期后的完成时限，如 2025年6月底前。"
)
@click.option("--content", default="", help="调整后的任务表述。")
@click.option("--indicators", default="", help="调整后的指标，如 新增就业人员=3800人。")
@click.pass_context
@writes_data_dir()
def command(
    ctx,
    period_text,
    as_json,
    approve_no,
    reject_no,
    reason,
    doc_no,
    by,
    add_kind,
    task_text,
    deadline_text,
    content,
    indicators,
):
    """任务销号、延期、调整：查看申请，批准或不予批准，或记录督查考核办自行决定的变更。

    \b
    单位在进展情况表的“销号延期调整申请”表中提出申请，收表时登记。批准的变更从下一季度起生效：
    销号的任务不再出现在任何单位的表格中，延期按新的完成时限研判，调整按新的目标研判。
    每次审批都作为该任务的一个新版本记入台账，不覆盖此前的记录。

    \b
    示例：
      duban changes --period 2024Q1
      duban changes --period 2024Q1 --approve 1 --doc 禹政秘〔2024〕12号 --by 张三
      duban changes --period 2024Q1 --reject 2 --reason 任务尚未完成
      duban changes --period 2024Q2 --add 延期 --task 8（2） --deadline 2025年6月底前 --doc 禹政秘〔2024〕30号
    """
    from reporting.core.changes import ChangeRequest
    from reporting.core.exceptions import ChangeError
    from reporting.core.labels import task_label
    from reporting.core.periods import Period
    from reporting.taskbook import changes
    from reporting.taskbook.import_dates import parse_deadline

    period = Period.parse(period_text)
    picked = [x for x in (approve_no, reject_no, add_kind) if x]
    if len(picked) > 1:
        raise ChangeError("--approve、--reject、--add 一次只能用一个")
    app = get_app(ctx)
    at = app.now().isoformat(timespec="seconds")
    root = app.workspace.root
    with app.ledger() as ledger:
        if approve_no or reject_no:
            d = changes.decide(
                ledger,
                root,
                period,
                approve_no or reject_no,
                approve=bool(approve_no),
                decided_in=period,
                at=at,
                doc_no=doc_no,
                by=by or _user(),
                reason=reason,
            )
            _remerge(app, period, ledger)
            click.echo(
                f"{period} 编号 {d.no}（任务{task_label(d.task_id)}）：{d.verdict}"
                + (f"，{d.doc_no}" if d.doc_no else "")
                + f"，记为该任务第{d.seq}版；"
                + (f"自 {period.next()} 起生效。" if approve_no else "原任务不变。")
            )
            _forms_hint(app, period)
            return
        if add_kind:
            task_id = changes.task_id_of(task_text)
            if not task_id:
                raise ChangeError("--add 需要 --task 任务编号，如 --task 8（2）")
            deadline = ""
            if deadline_text:
                deadline = parse_deadline(deadline_text, period.year) or ""
                if not deadline:
                    raise ChangeError(
                        f"看不出“{deadline_text}”是哪一天，请写成 2025年6月底前 或 2025-06-30"
                    )
            book = app.book(period)
            row = book.by_id.get(task_id)
            request = ChangeRequest(
                period=str(period),
                no=0,
                key=f"office-{period}-{ledger.next_request_no(period)}-{task_id}",
                task_id=task_id,
                kind=add_kind,
                text=deadline_text or content or indicators,
                deadline=deadline,
                content=content,
                indicators=indicators,
                reason=reason,
            )
            r, d = changes.add_decided(
                ledger,
                root,
                request,
                row.task if row else None,
                at=at,
                doc_no=doc_no,
                by=by or _user(),
            )
            _remerge(app, period, ledger)
            click.echo(
                f"已记录：{period} 编号 {r.no}，任务{task_label(r.task_id)} "
                f"{changes.what_asked(r)}，{d.verdict}"
                + (f"（{d.doc_no}）" if d.doc_no else "")
                + f"；自 {period.next()} 起生效。"
            )
            _forms_hint(app, period)
            return
        items = changes.listing(ledger, period)
    if as_json:
        click.echo(json.dumps([i.to_json() for i in items], ensure_ascii=False, indent=2))
        return
    if not items:
        click.echo(f"{period} 没有销号、延期、调整申请。")
        return
    for line in changes.listing_lines(items, task_label):
        click.echo(line)
    pending = sum(1 for i in items if i.latest is None)
    click.echo(f"共 {len(items)} 项，待审批 {pending} 项。")
