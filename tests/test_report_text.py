"""What the report says: 共性问题, substance by section, 下步 from this quarter, and clean text.

Results are written by hand (``report_helpers.written_result``); expected counts, task lists
and theme assignments are computed here from what each test wrote.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from docx import Document
from report_helpers import Said, render_quarter, written_result

from reporting.core.model import Status
from reporting.core.periods import Period

Q1, Q2 = Period(2024, 1), Period(2024, 2)
INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")


def body_text(path: Path) -> str:
    lines = [p.text for p in Document(path).paragraphs]
    return "\n".join(lines[: lines.index("附件1")])


def document_parts(path: Path) -> dict[str, str]:
    """Every XML part of an Office file, as text."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")}


def test_no_invisible_characters_in_any_document(app, tmp_path):
    """Unit text pasted with zero-width spaces, joiners, marks and BOMs; lists of task labels
    (the comparison with last quarter): nothing invisible in the report, the briefs or the
    汇总表, and the labels are joined by a plain 、."""
    from reporting.merge.summary import write_summary

    dirty = "资金\u200b到位\u200c不及时\u200d，\u200e影响\u200f进度\u2060。\ufeff"
    before = written_result(app, Q1, {}, Said(Status.ON_TRACK))
    lagging = ["16.2", "18.2", "18.3", "20.2", "21.2", "21.3"]
    now = written_result(
        app,
        Q2,
        {t: Said(Status.LAGGING, progress=dirty, problems=dirty) for t in lagging},
    )
    out = render_quarter(app, tmp_path, now, previous=before, by_leader=True)
    summary = tmp_path / "汇总表.xlsx"
    write_summary(now, [], summary, app.settings)
    for path in [out.docx, *out.briefs, summary]:
        for part, xml in document_parts(path).items():
            assert not INVISIBLE.search(xml), (path.name, part)
    text = body_text(out.docx)
    assert "资金到位不及时" in text
    assert "第16（2）项、第18（2）项、第18（3）项" in text  # the comparison with last quarter


# -- 共性问题: hand-written 存在问题 and the themes their words say ------------------------------
F, L, A, C, S, P, H = (
    "资金保障",
    "用地及要素保障",
    "审批及前期手续",
    "协调配合",
    "工期及季节",
    "上级政策",
    "人员力量",
)
OTHER = "其他"
TEXTS: list[tuple[str, set[str]]] = [
    ("资金到位不及时，影响实施进度。", {F}),
    ("要素保障压力较大，部分事项审批周期较长。", {L, A}),
    ("个别配合单位反馈不够及时。", {C}),
    ("项目用地指标尚未落实，征迁工作推进缓慢。", {L}),
    ("专项债券资金尚未下达，配套资金缺口约2000万元。", {F}),
    ("环评、能评等前期手续办理周期长，影响开工。", {A}),
    ("受汛期降雨影响，部分工程停工。", {S}),
    ("冬季低温不利于道路施工，工期有所延后。", {S}),
    ("上级政策尚未明确，具体实施细则待省级出台。", {P}),
    ("专业技术人员不足，工作力量薄弱。", {H}),
    ("无", set()),
    ("暂无问题。", set()),
    ("企业投资意愿不强，市场需求偏弱。", {OTHER}),
    ("1.资金紧张；2.土地报批手续未完成；3.施工队伍人手不足。", {F, L, A, H}),
    ("涉及多个部门，协调难度大，部分部门之间衔接不畅。", {C}),
    ("招标程序复杂，中标单位进场晚，且雨季来临施工窗口期短。", {A, S}),
    ("目前无明显问题。", set()),
    ("财政资金压力大，需争取上级资金支持。", {F}),
    ("土地指标紧张、用电负荷不足，项目落地受限。", {L}),
    ("项目前期手续尚未办结，立项批复还在等待。", {A}),
    ("部分村民对征迁补偿有异议，群众工作难度大。", {L}),
    ("人员编制紧张，缺少专业人才。", {H}),
    ("受持续高温天气影响，户外作业时间缩短。", {S}),
    ("配合单位数据提供不及时，统计口径不一致。", {C}),
    ("资金、用地、审批等要素制约明显。", {F, L, A}),
    ("/", set()),
    ("国家政策调整，补贴标准降低，企业积极性下降。", {P}),
    ("施工单位人手紧张，加之春节假期影响，工期延误。", {H, S}),
    ("缺乏上级资金和政策支持。", {F, P}),
    ("拆迁进度慢，部分地块未交地。", {L}),
    ("部门协同不够，信息共享不畅。", {C}),
    ("暂无", set()),
    ("需要区里统筹协调解决。", {C}),
    ("招商引资难度加大，签约项目落地慢。", {OTHER}),
    ("运营维护费用高。", {F}),
    ("疫后客流恢复慢，民宿入住率低。", {OTHER}),
]
RULE_ORDER = [F, L, A, C, S, P, H]


def test_each_hand_written_problem_lands_in_the_themes_its_words_say(app):
    from reporting.report.themes import classify, themes_from

    themes = themes_from(app.settings.report.theme_keywords)
    assert len(TEXTS) >= 30
    assert sum(1 for _, want in TEXTS if len(want) > 1) >= 6
    assert sum(1 for _, want in TEXTS if want == {OTHER}) >= 3
    for text, want in TEXTS:
        got = classify(text, themes)
        assert set(got) == want, text
        assert list(got) == sorted(got, key=lambda t: (RULE_ORDER + [OTHER]).index(t)), text


def expected_groups(
    said: dict[str, list[str]], order: list[str]
) -> list[tuple[list[str], list[str]]]:
    """The test's own grouping: theme → tasks (task order) from the hand labels of TEXTS,
    themes with the same tasks together, most tasks first (ties in rule order), 其他 last."""
    want = dict(TEXTS)
    tasks_of: dict[str, list[str]] = {}
    for task in order:
        for text in said.get(task, []):
            for theme in want[text]:
                if task not in tasks_of.setdefault(theme, []):
                    tasks_of[theme].append(task)
    groups: list[tuple[list[str], list[str]]] = []
    for theme in [t for t in RULE_ORDER + [OTHER] if t in tasks_of]:
        same = next(
            (g for g in groups if theme != OTHER and OTHER not in g[0] and g[1] == tasks_of[theme]),
            None,
        )
        if same:
            same[0].append(theme)
        else:
            groups.append(([theme], tasks_of[theme]))
    groups.sort(
        key=lambda g: (
            OTHER in g[0],
            -len(g[1]),
            RULE_ORDER.index(g[0][0]) if g[0][0] in RULE_ORDER else 99,
        )
    )
    return groups


def listed(labels: list[str], cap: int = 6) -> str:
    """'第3项、第7（1）项等9项任务' as the report names a theme's tasks (``cap`` of them)."""
    named = "、".join(f"第{x}项" for x in labels[:cap])
    if len(labels) > cap:
        return f"{named}等{len(labels)}项任务"
    return f"{named}共{len(labels)}项任务" if len(labels) > 1 else f"{named}任务"


def behind_words(late: int, n: int) -> str:
    if not late:
        return ""
    if late == n:
        return "，进度滞后" if n == 1 else "，均进度滞后"
    return f"，其中{late}项进度滞后"


def test_common_problems_name_each_theme_with_its_count_and_tasks(app, tmp_path):
    """Every text of TEXTS given to a task (lead units' and partners' 存在问题, some tasks
    behind pace): the report's 共性问题 sentences are the test's own grouping, in its order,
    with its counts, task lists and lagging counts."""
    ids = [r.id for r in written_result(app, Q2, {}).rows]
    with_partners = [r.id for r in written_result(app, Q2, {}).rows if r.coop_units]
    texts = [t for t, _ in TEXTS]
    said: dict[str, list[str]] = {}
    spec: dict[str, Said] = {}
    lagging = set(ids[5::7])
    for k, text in enumerate(texts):
        task = ids[(3 * k) % len(ids)]
        partner = [texts[(k + 5) % len(texts)]] if task in with_partners and k % 3 == 0 else []
        said[task] = [text, *partner]
        status = Status.LAGGING if task in lagging else Status.ON_TRACK
        spec[task] = Said(status, problems=text, partner_problems=partner)
    res = written_result(app, Q2, spec)
    out = render_quarter(app, tmp_path, res)
    lines = [p.text for p in Document(out.docx).paragraphs]
    label = {r.id: r.label for r in res.rows}
    groups = expected_groups(said, ids)
    printed = [p for p in lines if re.match(r"^[一二三四五六七八九十]是", p)]
    assert len(printed) == len(groups) >= 6
    ordinals = "一二三四五六七八九十"
    for k, ((themes, tasks), para) in enumerate(zip(groups, printed, strict=True)):
        name = (
            "其他"
            if themes == [OTHER]
            else (themes[0] if len(themes) == 1 else "、".join(themes[:-1]) + "和" + themes[-1])
        )
        head = f"{ordinals[k]}是{name}方面，{listed([label[t] for t in tasks])}反映“"
        assert para.startswith(head), (para, head)
        late = sum(1 for t in tasks if t in lagging)
        assert para.endswith(behind_words(late, len(tasks)) + "。"), para
    raised = [t for t in ids if any(dict(TEXTS)[x] for x in said.get(t, []))]
    intro = next(p for p in lines if p.startswith("（一）共性问题。"))
    assert f"涉及{len(raised)}项任务" in intro
    # what a group's units said is quoted in their own words
    first = groups[0]
    assert any(
        f"“{t.rstrip('。')}" in printed[0] or t.split("，")[0] in printed[0]
        for task in first[1]
        for t in said[task]
    )


# -- 主要进展: what each section achieved, figures first ---------------------------------------
def section_paragraphs(path: Path) -> list[str]:
    lines = [p.text for p in Document(path).paragraphs]
    part = lines[lines.index("二、主要进展") + 1 : lines.index("三、存在的问题")]
    return [p for p in part if re.match(r"^（[一二三四五六七八九十]+）", p)]


def test_sections_name_concrete_results_and_an_on_track_task(app, tmp_path):
    spec = {
        "8.1": Said(
            Status.ON_TRACK,
            progress="第二季度，召开专题调度会3次，明确责任分工，相关工作按计划推进。",
        ),
        "8.2": Said(Status.ON_TRACK, progress="第二季度，积极推进，新开工项目5个。"),
        "9.1": Said(Status.DONE, progress="建立专班，签约项目12个。"),
        "9.2": Said(Status.AHEAD, progress="建立工作专班，积极推进。"),
        "13.1": Said(Status.LAGGING, progress="平台建设资金尚未到位，建成孵化器1个。"),
        # a section whose ahead task says a lot and whose on-track tasks say nothing: one of
        # them is still named
        "29": Said(
            Status.AHEAD,
            progress="开展专题学习12次，建立完善制度15项，新增培训干部1200人次，完成整改问题36个。",
        ),
    }
    res = written_result(app, Q2, spec)
    out = render_quarter(app, tmp_path, res)
    paras = section_paragraphs(out.docx)
    sections = sorted({r.section for r in res.rows})
    assert len(paras) == len(sections)
    second = paras[sections.index(2)]
    # the sentences with figures, not the generic ones
    assert "8（2）谋划推进重点项目：新开工项目5个" in second
    assert "9（1）强化“招推服”一体化工作机制（已完成）：签约项目12个" in second
    assert "召开专题调度会" not in second and "积极推进" not in second
    # a lagging task is no progress to report here
    third = paras[sections.index(3)]
    assert "建成孵化器" not in third
    # every section with a 序时推进 task names one of them
    for number, para in zip(sections, paras, strict=True):
        on_track = [
            r.label for r in res.rows if r.section == number and r.status == Status.ON_TRACK
        ]
        if on_track:
            assert any(
                re.search(rf"(^|；|。){re.escape(lab)}[.（\u4e00-\u9fff“]", para)
                for lab in on_track
            ), para


# -- 下步工作建议: from this quarter ------------------------------------------------------------
def next_step_paragraphs(path: Path) -> list[str]:
    lines = [p.text for p in Document(path).paragraphs]
    return lines[lines.index("四、下步工作建议") + 1 : lines.index("特此报告。")]


def test_next_steps_answer_this_quarters_problems(app, tmp_path):
    """Lagging tasks (two of them behind last quarter too), a theme raised most with the
    office's own measure from config, a 说法不一 flag, the next deadline."""
    from reporting.core.calendar import period_calendar
    from reporting.core.model import Answer

    app.settings.report.theme_measures["用地及要素保障"] = (
        "建议区自然资源规划分局本月内召开用地专题会"
    )
    before = written_result(app, Q1, {"18.3": Said(Status.LAGGING), "21.2": Said(Status.LAGGING)})
    land = "项目用地指标尚未落实。"
    now = written_result(
        app,
        Q2,
        {
            "18.3": Said(Status.LAGGING, problems=land),
            "21.2": Said(Status.LAGGING, problems=land),
            "25.6": Said(Status.LAGGING, problems="资金到位不及时。"),
            "10.2": Said(Status.ON_TRACK, problems=land),
            "8.2": Said(Status.AHEAD),
        },
    )
    flagged = next(r for r in now.rows if r.id == "8.2")
    flagged.coop_feedback = [
        Answer(unit=flagged.coop_units[0], progress="配合推进。", status="滞后")
    ]
    out = render_quarter(app, tmp_path, now, previous=before)
    first, second, third, fourth = next_step_paragraphs(out.docx)
    assert first.startswith("（一）紧盯滞后任务，压实推进责任。本季度3项任务未达到序时进度")
    assert "第三季度末75%的序时进度" in first
    assert "第18（3）项、第21（2）项共2项任务连续两个季度未达到序时进度" in first
    assert second.startswith("（二）")
    assert (
        "针对用地及要素保障问题（3项任务，其中2项滞后），建议区自然资源规划分局本月内召开用地专题会"
        in second
    )
    assert second.index("用地及要素保障") < second.index("资金保障")  # raised by more tasks
    assert "第8（2）项任务的牵头单位与配合单位所报推进状态不一致" in third
    q3 = period_calendar(Period(2024, 3), app.settings.deadline)
    due = q3.deadline
    assert f"第三季度推进情况报送截止时间为{due.month}月{due.day}日{due.hour}时" in fourth
    assert fourth.startswith("（四）做好第三季度调度。")


def test_two_different_quarters_share_no_next_step_paragraph(app, tmp_path):
    q1 = written_result(app, Q1, {"16.2": Said(Status.LAGGING, problems="资金到位不及时。")})
    q2 = written_result(
        app, Q2, {"18.3": Said(Status.LAGGING, problems="个别配合单位反馈不够及时。")}
    )
    outs = [render_quarter(app, tmp_path / str(r.period), r) for r in (q1, q2)]
    a, b = (next_step_paragraphs(o.docx) for o in outs)
    assert len(a) == len(b) == 4
    assert not set(a) & set(b)


def test_a_quarter_without_returns_asks_for_them(app, tmp_path):
    from reporting.report.render import empty_result

    out = render_quarter(app, tmp_path, empty_result(app.settings, app.assignments, Q2))
    steps = next_step_paragraphs(out.docx)
    assert steps[0].startswith("（一）督促报送，掌握进展。") and steps[1].startswith(
        "（二）做好第三季度调度。"
    )


# -- the rules are the office's, in config.toml ------------------------------------------------
def write_config(tmp_path: Path, extra: str) -> Path:
    from conftest import ROOT

    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    cut = text.index("[report.theme_keywords]")
    end = text.index("[bulletin]")
    path = tmp_path / "config.toml"
    path.write_text(text[:cut] + extra + "\n" + text[end:], encoding="utf-8")
    return path


def test_the_office_edits_the_themes_and_their_measures(tmp_path):
    from reporting.core.config import load_settings
    from reporting.report.themes import classify, themes_from

    path = write_config(
        tmp_path,
        '[report.theme_keywords]\n"市场需求" = ["市场", "需求", "意愿"]\n"资金保障" = ["资金"]\n'
        '[report.theme_measures]\n"市场需求" = "建议区商务外事局组织产销对接"\n',
    )
    settings = load_settings(path)
    themes = themes_from(settings.report.theme_keywords)
    assert classify("企业投资意愿不强，市场需求偏弱。", themes) == ("市场需求",)
    assert classify("用地指标未落实。", themes) == ("其他",)  # no rule of the office's names it
    assert settings.report.theme_measures == {"市场需求": "建议区商务外事局组织产销对接"}


def test_bundled_rules_are_the_defaults_and_cover_every_theme_with_a_measure(root):
    from reporting.core.config import load_settings
    from reporting.core.theme_rules import DEFAULT_THEME_KEYWORDS, DEFAULT_THEME_MEASURES

    settings = load_settings(root / "config.toml")
    assert settings.report.theme_keywords == DEFAULT_THEME_KEYWORDS
    assert settings.report.theme_measures == DEFAULT_THEME_MEASURES
    assert list(DEFAULT_THEME_KEYWORDS) == RULE_ORDER
    assert set(DEFAULT_THEME_MEASURES) == {*RULE_ORDER, OTHER}


@pytest.mark.parametrize(
    ("tables", "words"),
    [
        ('[report.theme_keywords]\n"资金保障" = []\n', "“资金保障”没有关键词"),
        ('[report.theme_keywords]\n"其他" = ["x"]\n', "不能是“其他”"),
        (
            '[report.theme_keywords]\n"资金保障" = ["资金"]\n[report.theme_measures]\n"用地" = "建议"\n',
            "“用地”不是 [report.theme_keywords] 里的主题",
        ),
    ],
)
def test_bad_theme_rules_are_a_chinese_error(tmp_path, tables, words):
    from reporting.core.config import load_settings
    from reporting.core.exceptions import ConfigError

    with pytest.raises(ConfigError, match=re.escape(words)):
        load_settings(write_config(tmp_path, tables))
