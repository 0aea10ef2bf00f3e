"""The quarterly 督查通报 to the units: where each stands, who is praised, who is named.

``bulletin_lists`` decides the names from the ledger (``facts.submissions``) and the merged
result, by the rule in ``[bulletin]``:

- 通报表扬: reported on time, accepted the first time (no rejected version), no error in the
  return in force, leads at least one task, none of its lead tasks 滞后 or red, and at least
  ``praise_min_share`` of them in ``praise_statuses`` (已完成 / 超序时).
- 通报批评: units that reported late, were returned and never fixed it, or sent nothing;
  every task 滞后 or red, with its lead units and how far behind it is. A return held as
  待核实 (the office has not checked its sender) is counted in the summary, never named.
- Who may be named is the unit's class (``core.unit_classes``): a unit its class keeps out
  of the 通报 — and the issuing office itself — is counted in the summary, never listed, and
  told in its own mail (``BulletinLists.private``); a lagging task led only by such units
  is counted, not listed.

``render_bulletin`` fills ``templates/bulletin.docx`` (GB/T 9704, the report's geometry)
with a 发文字号 from ``[bulletin] number_format``, given once per period in the ledger
(``Ledger.doc_number``) so reruns keep it. The same ledger and date give the same file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from reporting.assess.facts import SubmissionFacts, submissions
from reporting.assess.orders import OrderDoc, OrdersOutput, feedback_words, issue_orders
from reporting.core.config import Settings
from reporting.core.exceptions import OfficeError, OutputError
from reporting.core.ledger import Ledger
from reporting.core.model import QuarterResult, RowResult
from reporting.core.numbers import num
from reporting.core.parallel import worker_count
from reporting.core.periods import Period, chinese_date, cn_time
from reporting.core.previous import year_so_far
from reporting.core.submissions import Submitted
from reporting.core.unit_classes import Classes
from reporting.core.workspace import Workspace
from reporting.documents.office import settle_pdf, soffice_path
from reporting.merge.figures import (
    Figures,
    fourth_quarter_finals,
    period_figures,
)
from reporting.merge.tally import pace_note, plan_words
from reporting.report.changes_text import changes_context
from reporting.report.wording import (
    id_key,
    join_names,
    label_text,
    progress_against_pace,
    share,
    short_title,
)
from reporting.taskbook.changes import listing

TEMPLATE = "bulletin.docx"
KIND = "通报"


@dataclass
class BulletinLists:
    """Who the 通报 names (only units their class lets it name), and what the others are told."""

    praised: list[str] = field(default_factory=list)
    late: list[SubmissionFacts] = field(default_factory=list)
    rejected: list[SubmissionFacts] = field(default_factory=list)
    missing: list[SubmissionFacts] = field(default_factory=list)
    lagging: list[RowResult] = field(default_factory=list)  # with at least one nameable lead
    leads: dict[str, list[str]] = field(default_factory=dict)  # row id → lead units named
    withheld: dict[str, int] = field(default_factory=dict)  # list → how many not named
    private: dict[str, list[str]] = field(default_factory=dict)  # unit → facts for its mail


def bulletin_lists(
    settings: Settings,
    ledger: Ledger,
    result: QuarterResult,
    kinds: Mapping[str, str] | None = None,
) -> BulletinLists:
    """The names, by the ``[bulletin]`` rule and each unit's class (``kinds``: unit → units.csv
    kind, over the kind the merged result recorded)."""
    b = settings.bulletin
    out = BulletinLists()
    leads: dict[str, list[RowResult]] = {}  # each unit's own rows, in order
    for r in result.rows:
        if not r.carried_from:
            for unit in dict.fromkeys(r.lead_units):
                leads.setdefault(unit, []).append(r)
    for sub in submissions(ledger, result):
        if sub.state == Submitted.LATE:
            out.late.append(sub)
        elif sub.state == Submitted.REJECTED:
            out.rejected.append(sub)
        elif sub.state == Submitted.MISSING:
            out.missing.append(sub)
        elif sub.accepted and not sub.resubmitted and sub.complete:
            lead = leads.get(sub.unit, [])
            good = [r for r in lead if r.status in b.praise_statuses]
            if (
                lead
                and not any(r.lagging or r.status is None for r in lead)
                and len(good) >= b.praise_min_share * len(lead)
            ):
                out.praised.append(sub.unit)
    out.lagging = sorted((r for r in result.rows if r.lagging and not r.carried_from), key=id_key)
    _withhold(out, Classes.of(settings, kinds), result)
    return out


def _withhold(lists: BulletinLists, classes: Classes, result: QuarterResult) -> None:
    """Leave in ``lists`` the units their class lets the 通报 name; tell the others privately."""
    kind = {u.unit: u.kind for u in result.units}

    def tell(unit: str, fact: str) -> None:
        if not classes.is_office(unit):  # the office does not write to itself
            lists.private.setdefault(unit, []).append(fact)

    praised = [u for u in lists.praised if classes.may_praise(u, kind.get(u, ""))]
    for unit in lists.praised:
        if unit not in praised:
            tell(unit, "本季度按时报送、一次通过审核，牵头任务推进良好，符合通报表扬条件")
    lists.withheld["praised"] = len(lists.praised) - len(praised)
    lists.praised = praised
    day = date.fromisoformat(result.generated_at[:10]) if result.generated_at else None
    for name, fact in (
        ("late", lambda s: f"本季度逾期报送（{cn_time(s.received_at, day)}报送）"),
        ("rejected", lambda s: "本季度报送的进展情况表被退回后未按要求修改重报"),
        ("missing", lambda s: "本季度未报送推进情况"),
    ):
        subs: list[SubmissionFacts] = getattr(lists, name)
        keep = [s for s in subs if classes.may_criticise(s.unit, s.kind)]
        for sub in subs:
            if sub not in keep:
                tell(sub.unit, fact(sub))
        lists.withheld[name] = len(subs) - len(keep)
        setattr(lists, name, keep)
    listed = []
    for row in lists.lagging:
        named = [u for u in row.lead_units if classes.may_criticise(u, kind.get(u, ""))]
        for unit in row.lead_units:
            if unit not in named:
                parts = "，".join(_lagging_parts(row, result.expected_progress))
                tell(unit, f"牵头的任务{row.label}“{short_title(row)}”：{parts}")
        if named:
            lists.leads[row.id] = named
            listed.append(row)
    lists.withheld["lagging"] = len(lists.lagging) - len(listed)
    lists.lagging = listed


def _note(note: str) -> str:
    return f"（{note}）" if note else ""


def _lagging_parts(row: RowResult, expected: float) -> list[str]:
    """How far behind a task is: progress against pace, the self-report, indicators, light."""
    parts = progress_against_pace(row, expected)
    if row.status:
        parts.append(f"自报“{row.status}”")
    parts += [ind.text for ind in row.indicators if ind.on_track is False and ind.text]
    if row.light:
        parts.append(f"亮{row.light}灯")
    return parts


def _lagging_line(row: RowResult, expected: float, leads: list[str] | None = None) -> str:
    """'16（2）推广…（牵头单位：区城市管理局）：累计完成进度26%，…，亮红灯。' naming ``leads``
    (default: every lead unit)."""
    lead = join_names(row.lead_units if leads is None else leads) or "牵头单位"
    parts = "，".join(_lagging_parts(row, expected))
    return f"{label_text(row)}{short_title(row)}（牵头单位：{lead}）：{parts}。"


def demands(period: Period, issuer: str) -> list[dict]:
    """下步工作要求, worded for the period: the next quarter's pace in Q1–Q3; at the year's
    end the unfinished tasks carried into next year's follow-up (no date of next year)."""
    if period.quarter < 4:
        first = (
            "（一）对标对表，加快滞后任务推进。",
            "被点名的牵头单位要逐项分析滞后原因，制定整改措施，明确完成时限，"
            f"确保{period.next().full_label}末达到序时进度；配合单位要主动对接，形成合力。",
        )
        again = f"{period.next().full_label}不得再次出现"
    else:
        first = (
            "（一）对标对表，抓好未完成任务收尾。",
            "未完成和基本完成任务的牵头单位要逐项分析原因，制定整改措施，明确完成时限，"
            f"未完成任务列入{period.year + 1}年跟踪督办；配合单位要主动对接，形成合力。",
        )
        again = "今后不得再次出现"
    return [
        {"lead": lead, "text": text}
        for lead, text in (
            first,
            (
                "（二）压实责任，按时保质报送。",
                "各单位要落实专人负责，于每季度末后5个工作日内通过下发的进展情况表如实报送；"
                f"逾期报送、未报送和退回后未重报的单位要认真整改，{again}。",
            ),
            (
                "（三）强化督查，严格考核问责。",
                f"{issuer}将持续跟踪督办，列入督办的任务按督办单跟踪直至差距补上、予以销号；"
                "推进情况纳入各单位年度目标管理考核，对连续滞后、履职不力的单位和个人依规依纪严肃问责。",
            ),
        )
    ]


def _rung_note(orders: OrdersOutput | None, row_id: str) -> str:
    """'列入挂牌督办（禹督办〔2024〕5号）。' after a named lagging task on the ladder."""
    doc = next((d for d in orders.issued if d.record.task_id == row_id), None) if orders else None
    return f"列入{doc.record.rung}（{doc.record.text}）。" if doc else ""


def ladder_text(orders: OrdersOutput | None, period: Period) -> str:
    """The ladder in one paragraph: how many tasks on each rung, the 督办单 issued, what
    last quarter's 督办单 came to ('' when nothing is on it and nothing was answered)."""
    if orders is None or (not orders.issued and not orders.answered):
        return ""
    text = ""
    if orders.issued:
        rungs: dict[str, int] = {}
        for d in orders.issued:
            rungs[d.record.rung] = rungs.get(d.record.rung, 0) + 1
        order = [r for r in ("挂牌督办", "约谈", "书面说明") if r in rungs]
        text = (
            f"按照督办升级规则，{len(orders.issued)}项任务列入督办（"
            + "、".join(f"{r}{rungs[r]}项" for r in order)
            + f"），督办单（{orders.issued[0].record.text}至{orders.issued[-1].record.text}）"
            f"另行送达牵头单位，{feedback_words(period)}。"
            if len(orders.issued) > 1
            else f"按照督办升级规则，1项任务列入{orders.issued[0].record.rung}，"
            f"督办单（{orders.issued[0].record.text}）另行送达牵头单位，{feedback_words(period)}。"
        )
    if orders.answered:
        closed = orders.closed()
        text += (
            f"上季度印发的{len(orders.answered)}份督办单，"
            + (f"{len(closed)}份对应任务差距已补上，予以销号" if closed else "对应任务差距均未补上")
            + (
                f"，{len(orders.answered) - len(closed)}份续办。"
                if closed and len(closed) < len(orders.answered)
                else "，转入本季度续办。"
                if not closed
                else "。"
            )
        )
    return text


def private_text(facts: list[str]) -> str:
    """The paragraph a unit the 通报 does not name reads in its own mail."""
    return (
        "按照单位类别，以下情况未在通报中点名，特此单独告知："
        + "；".join(f.rstrip("。") for f in facts)
        + "。"
    )


def _units_text(subs: list[SubmissionFacts], with_time: bool, today: date) -> str:
    if with_time:
        return "、".join(f"{s.unit}（{cn_time(s.received_at, today)}报送）" for s in subs)
    return "、".join(s.unit for s in subs)


def bulletin_context(
    settings: Settings,
    result: QuarterResult,
    lists: BulletinLists,
    *,
    doc_number: str,
    day: date,
    scores: list[str] | None = None,
    orders: OrdersOutput | None = None,
    figures: Figures | None = None,
) -> dict:
    b, d = settings.bulletin, settings.district
    period = Period.parse(result.period)
    fig = figures or period_figures(result)
    total, on_pace, u = fig.total, fig.counts.on_pace, fig.units
    if fig.judged:  # the year's end: the verdict, the units' own statuses only as theirs
        progress = (
            f"{fig.verdict_text()}，完成和基本完成合计{fig.finished}项，"
            f"占{share(fig.finished, fig.year_total)}"
        )
    else:
        progress = (
            f"达到序时进度（{num(fig.expected)}%）{plan_words(result.rows)}的{on_pace}项，"
            f"占{share(on_pace, total)}{_note(pace_note(result.rows, fig.expected))}"
        )
    overall = (
        f"截至{fig.cutoff_text(day)}，{total}项重点任务中，{fig.status_text()}；{progress}。"
        f"应报送推进情况的单位{u['due']}个，按时报送{u['on_time']}个，逾期报送{u['late']}个，"
        f"退回后未重报{u['rejected']}个，未报送{u['missing']}个"
        # held for the office's check of the sender: counted, never named (not the unit's fault)
        + (f"，报送待核实{u['held']}个" if u["held"] else "")
        + "。"
    )
    rule = f"{'、'.join(b.praise_statuses)}的任务占其牵头任务{num(b.praise_min_share * 100)}%以上"
    if lists.praised:
        praise = (
            f"{join_names(lists.praised)}等{len(lists.praised)}个单位按时报送、内容完整、一次通过审核，"
            f"牵头任务无滞后，{rule}，予以通报表扬。"
        )
    else:
        praise = f"本季度没有同时做到按时报送、一次通过审核、牵头任务无滞后且{rule}的单位。"
    named: list[dict] = []
    for key, lead, subs, with_time in (
        ("late", "逾期报送的单位：", lists.late, True),
        ("rejected", "退回后未按要求修改重报的单位：", lists.rejected, False),
        ("missing", "未报送的单位：", lists.missing, False),
    ):
        apart = lists.withheld.get(key, 0)
        if subs:
            text = f"{_units_text(subs, with_time, day)}，共{len(subs)}个" + (
                f"（另有{apart}个单位已单独告知）。" if apart else "。"
            )
        elif apart:  # counted in 一、总体情况: said here too, without names
            text = f"共{apart}个，已单独告知。"
        else:
            continue
        named.append({"lead": f"（{'一二三四五'[len(named)]}）{lead}", "text": text})
    apart = lists.withheld.get("lagging", 0)
    if lists.lagging or apart:
        total = len(lists.lagging) + apart
        if not lists.lagging:
            text = f"共{total}项，已单独告知牵头单位。"
        elif apart:
            text = (
                f"共{total}项，其中{len(lists.lagging)}项的牵头单位和滞后情况如下，"
                f"另{apart}项已单独告知牵头单位。"
            )
        else:
            text = f"共{total}项，牵头单位和滞后情况如下。"
        named.append(
            {"lead": f"（{'一二三四五'[len(named)]}）进展滞后或亮红灯的任务：", "text": text}
        )
    if lists.late or lists.rejected or lists.missing or lists.lagging:
        named_intro = "以下单位和任务予以通报批评（点名），请相关单位认真整改。"
    elif named:
        named_intro = "以下情况已单独告知相关单位，请认真整改。"
    else:
        named_intro = "本季度各单位均按时报送，各项任务均达到序时进度，无点名事项。"
    title = f"关于{period.full_label}{d.document_title}推进情况的通报"
    return {
        "mark": b.mark,
        "doc_number": doc_number,
        "title": title,
        "addressees": b.addressees,
        "intro": (
            f"根据《关于印发{d.year}年〈政府工作报告〉任务分解的通知》（{d.basis}）要求，"
            f"{b.issuer}对各责任单位{period.full_label}重点任务推进和报送情况进行了督查。现将有关情况通报如下："
        ),
        "overall": overall,
        "praise": praise,
        "named_intro": named_intro,
        "named": named,
        "lagging": [
            _lagging_line(r, result.expected_progress, lists.leads.get(r.id, r.lead_units))
            + _rung_note(orders, r.id)
            for r in lists.lagging
        ],
        "ladder": ladder_text(orders, period),
        "scores": scores or [],
        "last_no": "五" if scores else "四",
        "demands": demands(period, b.issuer),
        "issuer": b.issuer,
        "issuer_full": b.issuer,
        "date_text": chinese_date(day),
        "cc_line": f"抄送：{b.cc}。" if b.cc else "",
        "issued_text": chinese_date(day),
    }


@dataclass
class BulletinOutput:
    period: Period
    docx: Path
    doc_number: str
    lists: BulletinLists
    units: list[str] = field(default_factory=list)  # every unit due: the addressees
    private: dict[str, str] = field(default_factory=dict)  # unit → what its own mail adds
    title: str = ""
    pdf: Path | None = None
    pdf_error: str = ""
    pages: int | None = None  # of the PDF
    orders: OrdersOutput | None = None  # the 督办单 issued beside it
    removed: list[Path] = field(default_factory=list)  # earlier PDFs the new .docx made stale

    def lines(self) -> list[str]:
        out = [f"督查通报已生成（{self.doc_number}）：{self.docx}"]
        if self.pdf:
            out.append(f"PDF：{self.pdf}" + (f"（{self.pages} 页）" if self.pages else ""))
        if self.pdf_error:
            out.append(f"未能生成 PDF：{self.pdf_error}")
        out += [f"已删除旧的 PDF（内容已过时）：{p}" for p in self.removed]
        lst = self.lists
        out.append(
            f"通报表扬 {len(lst.praised)} 个单位；点名逾期 {len(lst.late)} 个、退回未重报 "
            f"{len(lst.rejected)} 个、未报送 {len(lst.missing)} 个单位，滞后或亮红灯任务 {len(lst.lagging)} 项。"
        )
        if self.private:
            out.append(
                f"按单位类别不在通报中点名、改在发给本单位的邮件中告知的 {len(self.private)} 个："
                + "、".join(self.private)
            )
        if self.orders is not None:
            out += self.orders.lines()
        return out


def bulletin_path(settings: Settings, workspace: Workspace, period: Period) -> Path:
    return workspace.period_dir(period) / "bulletin" / f"{period}_督查通报.docx"


def doc_number(settings: Settings, ledger: Ledger, period: Period, *, number=None, at: str) -> str:
    fmt = settings.bulletin.number_format

    def make(n: int) -> str:
        return fmt.format(year=period.year, n=n)

    row = ledger.doc_number(
        KIND,
        str(period),
        period.year,
        make=make,
        first=settings.bulletin.first_number,
        number=number,
        at=at,
    )
    return row["text"]


def render_bulletin(
    settings: Settings,
    workspace: Workspace,
    ledger: Ledger,
    period: Period,
    *,
    now: datetime,
    today: date | None = None,
    number: int | None = None,
    pdf: bool = False,
    assignments=None,
    year_book=None,
) -> BulletinOutput:
    """Write the period's 通报 (and its PDF); the 发文字号 is taken from or given in the ledger.
    ``year_book``: the version the year is judged by (the fourth quarter's verdict; default
    ``assignments``), as the annual edition gets it."""
    from reporting.documents.docx_render import render_docx
    from reporting.report.render import default_report_day, load_result

    period = Period.parse(period)
    result, merged = load_result(settings, workspace, period, assignments)
    if not merged:
        from reporting.core.exceptions import AssessError

        raise AssessError(
            f"{period.full_label}还没有汇总结果（merged.json），无法通报；请先运行 duban collect --period {period}"
        )
    kinds = {n: u.kind for n, u in assignments.registry.units.items()} if assignments else None
    lists = bulletin_lists(settings, ledger, result, kinds)
    text = doc_number(settings, ledger, period, number=number, at=now.isoformat(timespec="seconds"))
    day = today or default_report_day(settings, period, now.date())
    scores = quoted_scores(settings, workspace, ledger, period, now=now, kinds=kinds)
    orders = issue_orders(
        settings,
        ledger,
        workspace,
        year_so_far(workspace, result),
        period,
        day=day,
        now=now,
        kinds=kinds,
    )
    quarters = year_so_far(workspace, result)
    finals = fourth_quarter_finals(  # judged as the annual edition judges the year
        quarters, year_book or assignments, settings.report.annual_basic_percent
    )
    context = bulletin_context(
        settings,
        result,
        lists,
        doc_number=text,
        day=day,
        scores=scores,
        orders=orders,
        figures=period_figures(result, finals),
    )
    # 销号/延期/调整: the report's paragraph (``report.changes_text``), after the 总体情况
    context["changes"] = changes_context(assignments, listing(ledger, period), period)
    target = bulletin_path(settings, workspace, period)

    def write(new_pages: int) -> None:
        context["colophon_pages"] = [""] * new_pages
        render_docx(
            Path(settings.templates_dir) / TEMPLATE,
            context,
            target,
            title=context["title"],
            author=settings.bulletin.issuer,
            when=datetime.combine(day, time(0, 0)),
        )

    write(0)
    out = BulletinOutput(
        period,
        target,
        text,
        lists,
        [u.unit for u in result.units],
        {unit: private_text(facts) for unit, facts in lists.private.items()},
        title=context["title"],
        orders=orders,
    )
    timeout = settings.report.pdf_timeout
    if pdf:
        from concurrent.futures import ThreadPoolExecutor

        # the 督办单 are made PDFs by LibreOffice processes of their own (one start for a
        # share of them, a share per core) while the 通报's PDF is made and counted here
        with ThreadPoolExecutor(max_workers=2) as pool:
            shares = order_shares(orders.issued)
            made = [pool.submit(_orders_pdf, share, timeout) for share in shares]
            try:
                out.pdf, out.pages = even_pages(write, target, target.parent, timeout)
                for share, pending in zip(shares, made, strict=True):
                    for doc, made_pdf in zip(share, pending.result(), strict=True):
                        doc.pdf = made_pdf
            except (OfficeError, OutputError) as exc:
                out.pdf = None
                _, out.pdf_error = settle_pdf(target, error=str(exc))
    else:  # earlier PDFs beside the new .docx files show the old numbers
        if soffice_path() is not None:  # the .docx itself ends on an even page
            with tempfile.TemporaryDirectory(prefix="duban-pages-") as tmp:
                try:
                    even_pages(write, target, Path(tmp), timeout)
                except (OfficeError, OutputError):
                    pass  # the .docx as written: its page count could not be measured
        for docx in [target, *(d.path for d in orders.issued)]:
            out.removed += settle_pdf(docx)[0]
    return out


def order_shares(issued: list[OrderDoc]) -> list[list[OrderDoc]]:
    """The 督办单 in consecutive shares, one per LibreOffice process: one per core (at most
    two) when there are enough of them to pay for another start."""
    if not issued:
        return []
    n = min(2, worker_count(len(issued)))
    size = -(-len(issued) // n)
    return [issued[i : i + size] for i in range(0, len(issued), size)]


def _orders_pdf(share: list[OrderDoc], timeout: int) -> list[Path]:
    from reporting.documents.office import convert_all

    return convert_all([d.path for d in share], "pdf", share[0].path.parent, timeout)


def even_pages(write, target: Path, outdir: Path, timeout: int) -> tuple[Path, int | None]:
    """The 版记 ends the .docx on an even page (GB/T 9704 §7.4): ``write(n)`` puts n new pages
    before it, counted by LibreOffice's PDF in ``outdir`` (returned with its pages)."""
    from reporting.documents.office import convert, pdf_pages

    for new_pages in range(3):
        if new_pages:
            write(new_pages)
        made = convert(target, "pdf", outdir, timeout=timeout)
        pages = pdf_pages(made)
        if pages is None or pages % 2 == 0:
            break
    return made, pages


def quoted_scores(
    settings: Settings,
    workspace: Workspace,
    ledger: Ledger,
    period: Period,
    *,
    now: datetime,
    kinds: Mapping[str, str] | None = None,
) -> list[str]:
    """The running 考核评价 lines for the bulletin, when ``[bulletin] quote_scores`` says so."""
    mode = settings.bulletin.quote_scores
    if mode == "never" or (mode == "q4" and period.quarter != 4):
        return []
    from reporting.assess.scoring import load_results, score_lines

    results = load_results(workspace, period.year, period)
    if not results:
        return []
    return score_lines(settings, ledger, results, period, kinds)
