"""The planted bugs: each one line a careless maintainer could write, spread over every
stage, with the test files expected to catch it. A mutant whose text is no longer in its file
stops the run (the code moved: update the entry)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    before: str  # occurs exactly once in ``path``
    after: str
    what: str  # what a user would get
    tests: list[str] = field(default_factory=list)


MUTANTS: list[Mutant] = [
    # -- core -----------------------------------------------------------------------------
    Mutant(
        "calendar-ignores-tiaoxiu",
        "reporting/core/calendar.py",
        "        return chinese_calendar.is_workday(day)",
        "        return day.weekday() < 5",
        "holidays and 调休 ignored: a deadline on 国庆 or a reminder on a holiday",
        ["tests/test_calendar.py"],
    ),
    Mutant(
        "calendar-counts-end-twice",
        "reporting/core/calendar.py",
        "    while current < end:",
        "    while current <= end:",
        "working days counted one too many: every stage a day off",
        ["tests/test_calendar.py"],
    ),
    Mutant(
        "formula-injection-at-sign",
        "reporting/core/fileutil.py",
        '_FORMULA_LEAD = ("=", "+", "-", "@", "\\t", "\\r")',
        '_FORMULA_LEAD = ("=", "+", "-", "\\t", "\\r")',
        "a unit's text starting with @ becomes a live formula in the 汇总表",
        ["tests/test_text.py", "tests/test_summary.py"],
    ),
    # -- taskbook -------------------------------------------------------------------------
    Mutant(
        "registry-alias-not-followed",
        "reporting/taskbook/registry.py",
        "        key = self.aliases.get(key, key)\n",
        "",
        "a return naming the unit by its 简称 is not recognised",
        ["tests/test_registry.py", "tests/test_intake_returns.py"],
    ),
    Mutant(
        "import-first-leads-sentence-ignored",
        "reporting/taskbook/importer.py",
        "        return self.choice if self.choice is not None else bool(self.rule and self.rule.units)",
        "        return bool(self.choice)",
        "a notice saying 列第一位的为牵头单位 imports every listed unit as a lead, no partners",
        ["tests/test_import_corpus.py"],
    ),
    Mutant(
        "import-lead-mark-ignored",
        "reporting/taskbook/import_roles.py",
        '    if "牵头" not in text:',
        "    if True:",
        "区发改委（牵头）、区财政局 imports both as leads, the mark kept in the name",
        ["tests/test_import_corpus.py"],
    ),
    Mutant(
        "import-scheme-always-dot",
        "reporting/taskbook/import_numbering.py",
        '    task = next((k for k in ("dot", "cnparen", "paren", "shi", "circled") if k in present), "dot")',
        '    task = "dot"',
        "a breakdown numbering its tasks （一） or （1） has no task to import",
        ["tests/test_import_corpus.py"],
    ),
    Mutant(
        "import-page-header-kept",
        "reporting/taskbook/import_pages.py",
        "    return {i for found in near for i, key in found.items() if seen[key] >= 2}",
        "    return set()",
        "a PDF's running header lands in the middle of a task's text or its units",
        ["tests/test_import_corpus.py"],
    ),
    Mutant(
        "import-labels-after-items-for-the-last",
        "reporting/taskbook/import_text.py",
        "    if not any(LABEL_RE.search(t) for t in items[:-1]) and (m := LABEL_RE.search(items[-1])):",
        "    if False and (m := LABEL_RE.search(items[-1])):",
        "一是…；二是…（责任单位：…） gives the units to the last item only",
        ["tests/test_import_corpus.py"],
    ),
    Mutant(
        "import-day-of-month-lost",
        "reporting/taskbook/import_dates.py",
        "    for m in _DATE_MD.finditer(rest):",
        "    for m in _DATE_MD.finditer(''):",
        "完成时限 6月15日前 is read as the end of June",
        ["tests/test_import_corpus.py", "tests/test_import.py"],
    ),
    # -- core: the one pace rule -----------------------------------------------------------
    Mutant(
        "pace-milestone-ignored",
        "reporting/core/pace.py",
        "        return Pace(planned, PaceBasis.PLAN, kind, due)",
        "        return Pace(line_expected(due, period), PaceBasis.LINE, kind, due)",
        "a task's 落实方案 节点 is ignored: it is judged by the 序时进度",
        ["tests/test_pace.py"],
    ),
    Mutant(
        "pace-other-judged-by-the-line",
        "reporting/core/pace.py",
        "    if kind == TaskKind.OTHER:",
        "    if kind == TaskKind.OTHER and False:",
        "an 其它 task gets a pace gap",
        ["tests/test_pace.py"],
    ),
    Mutant(
        "one-off-reported-after-its-date",
        "reporting/core/pace.py",
        "    return due is None or due >= period.start",
        "    return True",
        "a 一次性 task stays on the forms after the quarter of its deadline",
        ["tests/test_pace.py"],
    ),
    # -- merge ----------------------------------------------------------------------------
    Mutant(
        "light-yellow-at-zero-gap",
        "reporting/merge/judge.py",
        "    if gap <= settings.yellow_gap:",
        "    if gap < settings.yellow_gap:",
        "a task exactly on its 序时进度 gets a yellow light",
        ["tests/test_merge.py", "tests/test_report.py"],
    ),
    Mutant(
        "light-red-at-threshold",
        "reporting/merge/judge.py",
        "    if gap <= settings.red_gap:",
        "    if gap < settings.red_gap:",
        "a task exactly red_gap points behind is red instead of yellow",
        ["tests/test_merge.py", "tests/test_report.py"],
    ),
    Mutant(
        "change-fell-behind-wrong",
        "reporting/merge/compare.py",
        "        return self.status_before in ON_PACE and self.status_after in BEHIND",
        "        return self.status_after in BEHIND",
        "the report's 由序时转为滞后 list includes tasks that were already behind",
        ["tests/test_report_change.py"],
    ),
    Mutant(
        "change-mean-over-all-rows",
        "reporting/merge/compare.py",
        "    return sum(deltas) / len(deltas) if deltas else None",
        "    return sum(deltas) / len(rows) if deltas else None",
        "the mean progress gain is diluted by rows not reported in both quarters",
        ["tests/test_report_change.py"],
    ),
    Mutant(
        "disagree-ignores-not-started",
        "reporting/merge/disagree.py",
        "PARTNER_SAYS = (Status.LAGGING, Status.NOT_STARTED)",
        "PARTNER_SAYS = (Status.LAGGING,)",
        "a partner saying 未启动 while the lead says 已完成 is not flagged 说法不一",
        ["tests/test_disagree.py"],
    ),
    # -- report ---------------------------------------------------------------------------
    Mutant(
        "themes-least-raised-first",
        "reporting/report/themes.py",
        "    groups.sort(key=lambda g: (OTHER in g.themes, -len(g.tasks), order.index(g.themes[0])))",
        "    groups.sort(key=lambda g: (OTHER in g.themes, len(g.tasks), order.index(g.themes[0])))",
        "共性问题 opens with the theme raised by fewest tasks",
        ["tests/test_report_text.py"],
    ),
    Mutant(
        "themes-unnamed-problems-dropped",
        "reporting/report/themes.py",
        "    return (OTHER,) if parts else ()",
        "    return ()",
        "a problem no keyword names vanishes instead of counting under 其他",
        ["tests/test_report_text.py"],
    ),
    Mutant(
        "results-no-on-track-task",
        "reporting/report/results.py",
        "    picked = on_track[:1] or rank[:1]",
        "    picked = rank[:1]",
        "a section's 主要进展 names only its finished and ahead tasks, never one on pace",
        ["tests/test_report_text.py"],
    ),
    Mutant(
        "next-steps-twice-behind-inverted",
        "reporting/report/next_steps.py",
        "    twice = [r for r in late if before.get(r.id) in BEHIND]",
        "    twice = [r for r in late if before.get(r.id) not in BEHIND]",
        "下步 proposes 重点督办 for the tasks that fell behind only this quarter",
        ["tests/test_report_text.py"],
    ),
    Mutant(
        "short-title-parent-heading",
        "reporting/taskbook/short_names.py",
        "    if own_title and title and len(title) <= SHORT_CHARS:",
        "    if title and len(title) <= SHORT_CHARS:",
        "8（1） and 8（2） are both named 突出项目建设“主抓手”",
        ["tests/test_short_titles.py"],
    ),
    # -- notify ---------------------------------------------------------------------------
    Mutant(
        "dingtalk-sign-swapped",
        "reporting/notify/webhooks.py",
        '    to_sign = f"{timestamp_ms}\\n{secret_key}".encode()',
        '    to_sign = f"{secret_key}\\n{timestamp_ms}".encode()',
        "every DingTalk robot post is refused (bad signature)",
        ["tests/test_remind_webhook.py"],
    ),
    Mutant(
        "chase-after-a-refused-correction",
        "reporting/core/submissions.py",
        "    if accepted:\n",
        "    if accepted and accepted[-1] == len(rows) - 1:\n",
        "a unit whose accepted return is followed by a rejected or held correction is 催报ed"
        " and put on the 催报清单 as if it never reported",
        ["tests/test_remind_recipients.py"],
    ),
    Mutant(
        "refused-cc-fails-the-unit",
        "reporting/notify/delivery.py",
        "        primary = [a for _, a in message.to if a in refused]",
        "        primary = list(refused)",
        "a unit reached at its own address is recorded as failed (and mailed again) because a"
        " Cc was refused",
        ["tests/test_remind_email.py"],
    ),
    Mutant(
        "retries-without-backoff",
        "reporting/notify/delivery.py",
        "            sleep(backoff * 2 ** (attempt - 1))",
        "            sleep(backoff)",
        "a busy mail server is asked again at once instead of after 1, 2, 4 … backoffs",
        ["tests/test_remind_email.py"],
    ),
    Mutant(
        "send-without-claim",
        "reporting/notify/delivery.py",
        "            if not claimed:\n",
        "            if claimed:\n",
        "two duban processes at once send the same reminder twice",
        ["tests/test_one_writer.py"],
    ),
    # -- intake ---------------------------------------------------------------------------
    Mutant(
        "late-at-the-deadline-minute",
        "reporting/intake/collect.py",
        "        late = received > self.deadline",
        "        late = received >= self.deadline",
        "a form received at 17:30:00 sharp is counted late",
        ["tests/test_intake_collect.py", "tests/test_intake_eml.py"],
    ),
    Mutant(
        "sender-without-address-verified",
        "reporting/intake/senders.py",
        "    if not mail.addresses or not all(a in allowed for a in mail.addresses):",
        "    if not all(a in allowed for a in mail.addresses):",
        "a mail whose From: has no parsable address counts as from the unit: its form is merged"
        " instead of held as 待核实 (the issue's planted bug)",
        ["tests/test_sender_check.py"],
    ),
    Mutant(
        "status-spaces-not-folded",
        "reporting/intake/normalize.py",
        '    return _SPACES.sub("", text)',
        "    return text.strip()",
        "a 推进状态 typed 序时 推进 (inner, no-break or full-width space) is no status: the whole"
        " form is sent back (the issue's planted bug)",
        ["tests/test_intake_collect.py"],
    ),
    Mutant(
        "merged-cell-not-noted",
        "reporting/intake/parse_answer.py",
        "    if (row.r, c) in row.merged:",
        "    if (row.r, c) in row.merged and c == 0:",
        "answer cells merged over several rows are read silently: the second row takes"
        " the first row's progress",
        ["tests/test_intake_returns.py"],
    ),
    Mutant(
        "byte-scan-hidden-true",
        "reporting/documents/sheet_xml.py",
        """_HIDDEN_ROW = re.compile(rb'<row\\b[^>]*?\\bhidden="(?:1|true)"[^>]*>')""",
        """_HIDDEN_ROW = re.compile(rb'<row\\b[^>]*?\\bhidden="1"[^>]*>')""",
        'a row hidden by LibreOffice (hidden="true") is read without the 该行被隐藏 note',
        ["tests/test_sheet_xml_differential.py"],
    ),
    # -- documents ------------------------------------------------------------------------
    Mutant(
        "docx-row-may-split",
        "reporting/documents/docx_format.py",
        '    child(_trpr(row), "cantSplit", _TRPR_ORDER)',
        "    pass",
        "table rows of the report annex and 催报清单 split across pages",
        ["tests/test_report.py", "tests/test_chase_list.py"],
    ),
    # -- forms ----------------------------------------------------------------------------
    Mutant(
        "form-percent-range-open",
        "reporting/forms/validations.py",
        '            formula2="100",',
        '            formula2="1000",',
        "a form accepts 累计完成进度 above 100 in Excel",
        ["tests/test_forms.py", "tests/test_forms_readback.py"],
    ),
    # -- feedback -------------------------------------------------------------------------
    Mutant(
        "feedback-missing-partners-dropped",
        "reporting/feedback/compile.py",
        "            if not ln.reported:",
        "            if ln.reported:",
        "the 配合反馈 lists the partners who answered as the ones still missing",
        ["tests/test_coop_form.py", "tests/test_coop_feedback.py"],
    ),
    # -- annual ---------------------------------------------------------------------------
    Mutant(
        "annual-done-ignores-indicators",
        "reporting/merge/verdict.py",
        "    if percent is not None and percent >= 100 and not missed:",
        "    if percent is not None and percent >= 100:",
        "a task at 100 % with an indicator below target is judged 完成 for the year",
        ["tests/test_annual.py"],
    ),
    Mutant(
        "annual-mostly-boundary",
        "reporting/merge/verdict.py",
        "    elif percent is not None and percent >= basic:",
        "    elif percent is not None and percent > basic:",
        "a task exactly at annual_basic_percent is 未完成 instead of 基本完成",
        ["tests/test_annual.py"],
    ),
    Mutant(
        "ladder-clears-when-not-red",
        "reporting/merge/ladder.py",
        "    return row.reported and row.light == Light.GREEN",
        "    return row.reported and row.light != Light.RED",
        "a 挂牌督办 task lit yellow (gap narrowed, not closed) leaves the ladder",
        ["tests/test_ladder.py"],
    ),
    Mutant(
        "ladder-rung-not-held",
        "reporting/merge/ladder.py",
        "            if before is not None and not cleared(row):",
        "            if before is not None and cleared(row):",
        "a task steps down the ladder while its gap is still open",
        ["tests/test_ladder.py"],
    ),
    Mutant(
        "q4-statuses-as-verdict",
        "reporting/merge/figures.py",
        '        return f"自报{text}" if self.judged else text',
        "        return text",
        "the Q4 documents say 已完成67项 beside 判定完成54项, as if both were the verdict",
        ["tests/test_one_truth.py"],
    ),
    # -- assess ---------------------------------------------------------------------------
    Mutant(
        "bulletin-cutoff-quarter-end",
        "reporting/assess/bulletin.py",
        '        f"截至{fig.cutoff_text(day)}，{total}项重点任务中，{fig.status_text()}；{progress}。"',
        '        f"截至{chinese_date(period.end)}，{total}项重点任务中，{fig.status_text()}；{progress}。"',
        "the 通报 says 截至6月30日 while the report of the same data says 截至7月8日9时",
        ["tests/test_one_truth.py"],
    ),
    Mutant(
        "orders-claimed-per-unit",
        "reporting/assess/order_send.py",
        "        key=lambda out: keys[id(out)],",
        '        key=lambda out: "",',
        "a unit leading two tasks on the ladder gets only the first 督办单 (one claim per unit)",
        ["tests/test_ladder.py"],
    ),
    Mutant(
        "bulletin-names-any-class",
        "reporting/assess/bulletin.py",
        "        keep = [s for s in subs if classes.may_criticise(s.unit, s.kind)]",
        "        keep = list(subs)",
        "the 通报 criticises the 纪委, 人大 or 政协 by name for a late or missing return",
        ["tests/test_unit_classes.py"],
    ),
    Mutant(
        "office-scores-itself",
        "reporting/core/unit_classes.py",
        "        return not self.is_office(unit) and self.rule(unit, kind).scored",
        "        return self.rule(unit, kind).scored",
        "the 督查考核办 has a row in its own 考核评分表",
        ["tests/test_unit_classes.py"],
    ),
    Mutant(
        "progress-quarters-equal",
        "reporting/assess/scoring.py",
        "            exact.append(full * y.weight(r) / w_sum * w / item_sum * rate / 100)",
        "            exact.append(full / len(quarters) * w / item_sum * rate / 100)",
        "the year's end weighs no more than any quarter in 任务推进 and 指标完成",
        ["tests/test_assess_scoring.py"],
    ),
    Mutant(
        "idle-units-ranked",
        "reporting/assess/scoring.py",
        "        us.ranked = us.leads or settings.scoring.rank_without_lead",
        "        us.ranked = True",
        "a unit leading no task tops the ranking on reporting and cooperation alone",
        ["tests/test_assess_scoring.py"],
    ),
    # -- ledger ---------------------------------------------------------------------------
    Mutant(
        "document-number-without-year",
        "reporting/core/ledger/numbers.py",
        '"SELECT MAX(number) FROM doc_numbers WHERE kind = ? AND year = ?", (kind, year)',
        '"SELECT MAX(number) FROM doc_numbers WHERE kind = ? AND ? > 0", (kind, year)',
        "the first 通报 of 2025 becomes 〔2025〕3号 (the issue's planted bug)",
        ["tests/test_assess_bulletin.py"],
    ),
    # -- the seven the previous suite let through (issue 24) --------------------------------
    Mutant(
        "scoring-silent-colead-credited",
        "reporting/assess/scoring.py",
        "            status = (row.status or MISSING) if own else MISSING",
        "            status = row.status or MISSING",
        "a lead unit that did not report a co-led task gets its co-lead's status (50/50)",
        ["tests/test_assess_scoring.py"],
    ),
    Mutant(
        "tally-on-pace-leaves-out-red",
        "reporting/merge/tally.py",
        "            1 for r in rows if r.status in ON_PACE and r.light in (Light.YELLOW, Light.RED)",
        "            1 for r in rows if r.status in ON_PACE and r.light == Light.YELLOW",
        "the report's '达到序时进度的任务中有N项…亮黄灯或红灯' leaves out red rows",
        ["tests/test_report.py"],
    ),
    Mutant(
        "recover-receipt-pinned-to-latest",
        "reporting/recover/rebuild.py",
        "            match = [r for r in returns if r.unit == mail.unit and r.sha256.startswith(mail.key8)]",
        "            match = [r for r in returns if r.unit == mail.unit]",
        "after recover, the latest return's own 回执 never goes out",
        ["tests/test_ledger_recover.py"],
    ),
    # -- reliability (hostile mailboxes, full disks, sends in flight) ------------------------
    Mutant(
        "bounce-believed-from-anyone",
        "reporting/intake/nonreturns.py",
        "    if looks_bounce and daemon:\n",
        "    if looks_bounce:\n",
        "a \"delivery report\" written by one unit's own address marks another unit's notice"
        " undelivered and it is sent again",
        ["tests/test_imap_hostile.py"],
    ),
    Mutant(
        "in-flight-send-resent",
        "reporting/core/ledger/sends.py",
        "                # its process died between claiming and recording: the message may be out\n",
        '                return row["id"]\n',
        "a notice in flight when remind was killed is sent again silently (51 mails for 50 units)",
        ["tests/test_ledger.py", "tests/test_remind_email.py"],
    ),
    Mutant(
        "robot-redirect-followed",
        "reporting/notify/webhooks.py",
        "_OPENER = urllib.request.build_opener(_NoRedirect())",
        "_OPENER = urllib.request.build_opener()",
        "a robot answering with a 302 to a page saying ok counts as sent, nothing was posted",
        ["tests/test_remind_webhook.py"],
    ),
    Mutant(
        "several-from-headers-trusted",
        "reporting/intake/senders.py",
        "    if mail.from_count > 1:",
        "    if mail.from_count > 2:",
        "a mail with the registered From: first and a foreign one second is merged",
        ["tests/test_sender_check.py"],
    ),
    Mutant(
        "versions-in-intake-order",
        "reporting/core/ledger/returns.py",
        "ORDER BY received_at, tiebreak, id",
        "ORDER BY received_at, id",
        "of two saved versions with the same file time the older draft stays in force",
        ["tests/test_intake_eml.py"],
    ),
    Mutant(
        "blank-form-answered",
        "reporting/intake/collect.py",
        "        if sha in self.blank:  # never answered with a 退回通知\n",
        "        if False:\n",
        "a blank form of ours in the inbox is recorded as a rejected return and answered with a 退回通知",
        ["tests/test_inbox_guard.py"],
    ),
]
