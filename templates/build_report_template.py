"""Build the report templates (GB/T 9704-2012 公文格式) with python-docx.

    .venv/bin/python templates/build_report_template.py

writes ``templates/report.docx`` (the quarterly report with its landscape annex) and
``templates/leader_brief.docx`` (分管领导调度单, one per leading leader). The built files
are committed; the office may edit them in Word/WPS (wording, styles), keeping the
``{{ … }}`` / ``{%p … %}`` tags whole — type a tag in one go, never format part of it.
Rerun this script only to start again from the shipped layout (it overwrites both).

Everything about the page lives in the template: A4, margins 37/35/28/26 mm, the
22 lines × 28 characters grid, styles with Chinese fonts (eastAsia, no theme fonts,
zh-CN), exact line spacing, odd/even footers with PAGE fields. The data only fills tags.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from docx.oxml.ns import qn  # noqa: E402

from reporting.core.fileutil import atomic_write_bytes  # noqa: E402
from reporting.documents import docx_format as fmt  # noqa: E402

# style names the office sees in Word's style gallery
BODY = "Normal"
TITLE = "公文标题"
SUBTITLE = "公文副标题"
ADDRESSEE = "主送机关"
H1 = "一级标题"
H2 = "二级标题"
KAI_RUN = "楷体字"
SIGNER = "发文机关署名"
DATE = "成文日期"
ANNEX_MARK = "附件标识"
ATTACHMENT = "附件说明"
ATTACHMENT2 = "附件说明续"
ATTACHMENT_POINT = "．"  # after an annex's number in the 附件说明: full-width, "1．2024年…"
ATTACHMENT_TITLE_AT = 6.5  # characters from the margin where an annex title starts
CELL = "表格文字"
CELL_CENTER = "表格文字居中"
CELL_HEAD = "表头文字"
FIGURE = "图片"
CAPTION = "图表标题"
PAGE_NO = "页码"
NOTE = "表格说明"
# the dense annex tables: 小五 on exact 11.5 pt lines
ANNEX_CELL = "附表文字"
ANNEX_CELL_CENTER = "附表文字居中"
ANNEX_HEAD = "附表表头"

# the templates' own core properties (rendered documents get theirs from the data)
BUILT = datetime(2024, 1, 1)


def base_document(table_size: float = fmt.SIZE_XIAOSI):
    """An empty document with the GB/T 9704 page, styles and footers; tables in ``table_size`` pt."""
    doc = fmt.new_document()

    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    fmt.set_font(defaults.find(qn("w:rPrDefault")), fmt.FANGSONG, fmt.SIZE_SAN)
    fmt.set_spacing(defaults.find(qn("w:pPrDefault")), line=240, rule="auto")
    fmt.strip_theme_fonts(styles)
    fmt.set_east_asian_language(doc)

    normal = doc.styles[BODY].element
    fmt.set_font(normal, fmt.FANGSONG, fmt.SIZE_SAN)
    fmt.set_spacing(normal)
    fmt.set_indent(normal, first_chars=2)
    # left, not justified: LibreOffice drops a 。 or 、 hung after a full 28-character line
    # of a justified paragraph (the grid's equal-width lines look the same either way)
    fmt.set_para(normal, jc="left", widow=True)
    fmt.fit_char_grid(normal)

    def style(name, **kw):
        kw.setdefault("font", fmt.FANGSONG)
        kw.setdefault("size", fmt.SIZE_SAN)
        return fmt.add_paragraph_style(doc, name, **kw)

    style(
        TITLE,
        font=fmt.XIAOBIAOSONG,
        size=fmt.SIZE_ER,
        jc="center",
        first_chars=0,
        keep_next=True,
        snap_to_grid=False,
    )
    style(SUBTITLE, font=fmt.KAITI, jc="center", first_chars=0, keep_next=True)
    style(ADDRESSEE, first_chars=0, jc="left", keep_next=True)
    style(H1, font=fmt.HEITI, first_chars=2, keep_next=True, outline=0)
    style(H2, font=fmt.KAITI, first_chars=2, keep_next=True, outline=1)
    # unsealed document: 署名 about two characters further left than the date, date 2 from the right
    style(SIGNER, first_chars=0, jc="right", right_chars=4)
    style(DATE, first_chars=0, jc="right", right_chars=2)
    # 附件1, 附件2 are PDF bookmarks too (outline level 1, like 一、…)
    style(ANNEX_MARK, font=fmt.HEITI, first_chars=0, jc="left", keep_next=True, outline=0)
    # 附件：1．… indented 2 characters; the number's full-width point (1½ characters with
    # the digit) keeps it apart from a title that starts with a year ("1．2024年", not
    # "1.2024年"); a wrapped title lines up with the title's first character (GB/T 9704
    # 7.3.3), 2 + 3 + 1½ = 6½ characters in (left-aligned: a line ended by keep_tail's
    # break is not stretched across the line)
    att = style(ATTACHMENT, first_chars=0, jc="left", keep_next=True)
    fmt.set_indent(
        att.element, left_chars=ATTACHMENT_TITLE_AT, hanging_chars=ATTACHMENT_TITLE_AT - 2
    )
    # the second attachment's number under the first one's, its title under the first title
    att2 = style(ATTACHMENT2, first_chars=0, jc="left", keep_next=True)
    fmt.set_indent(
        att2.element, left_chars=ATTACHMENT_TITLE_AT, hanging_chars=ATTACHMENT_TITLE_AT - 5
    )
    # tables, figures and footers: single spacing, off the character grid
    cell = dict(size=table_size, first_chars=0, line=240, rule="auto", snap_to_grid=False)
    style(CELL, jc="left", **cell)
    style(CELL_CENTER, jc="center", **cell)
    style(CELL_HEAD, font=fmt.HEITI, jc="center", **cell)
    dense = dict(size=fmt.SIZE_XIAOWU, first_chars=0, line=230, rule="exact", snap_to_grid=False)
    style(ANNEX_CELL, jc="left", **dense)
    style(ANNEX_CELL_CENTER, jc="center", **dense)
    style(ANNEX_HEAD, font=fmt.HEITI, jc="center", **dense)
    style(
        NOTE,
        font=fmt.KAITI,
        size=fmt.SIZE_SI,
        first_chars=0,
        jc="center",
        line=None,
        keep_next=True,
    )
    style(
        FIGURE,
        jc="center",
        first_chars=0,
        line=240,
        rule="auto",
        snap_to_grid=False,
        keep_next=True,
    )
    style(CAPTION, size=fmt.SIZE_SI, jc="center", first_chars=0, line=None)
    style(
        PAGE_NO,
        font=fmt.SONGTI,
        size=fmt.SIZE_SI,
        first_chars=0,
        line=240,
        rule="auto",
        snap_to_grid=False,
        base=None,
    )
    fmt.add_character_style(doc, KAI_RUN, font=fmt.KAITI)

    fmt.page_setup(doc.sections[0])
    fmt.enable_even_odd_footers(doc)
    fmt.page_number_footers(doc.sections[0], doc.styles[PAGE_NO])
    # the first (empty) paragraph of python-docx's sample document
    body = doc.element.body
    for p in body.findall(qn("w:p")):
        body.remove(p)
    return doc


def p(doc, text: str = "", style: str = BODY):
    return doc.add_paragraph(text, style=style)


def tag(doc, text: str):
    """A paragraph holding only a docxtpl paragraph tag ({%p … %}); it disappears on render."""
    return doc.add_paragraph(text, style=BODY)


def kai_lead(doc, lead: str, rest: str):
    """（一）… heading in 楷体 followed by body text in the same paragraph."""
    para = doc.add_paragraph(style=BODY)
    para.add_run(lead, style=KAI_RUN)
    para.add_run(rest)
    return para


def loop_table(
    doc,
    headers: list[str],
    cells: list[tuple[str, str]],
    widths: list[float],
    loop: str,
    *,
    head_style: str = CELL_HEAD,
    margin: int = 85,
):
    """A table: a header row repeated on every page, then one row per item of ``loop``.

    ``cells`` are (text with tags, style) for the repeated row. Rows stay whole on a page
    (w:cantSplit): a row cut in two leaves its continuation without its task number.
    """
    table = doc.add_table(rows=4, cols=len(headers))
    fmt.table_layout(table, widths, cell_margin=margin)
    head, start, row, end = table.rows
    for cell, text in zip(head.cells, headers, strict=True):
        cell.paragraphs[0].text = text
        cell.paragraphs[0].style = doc.styles[head_style]
    fmt.repeat_header(head)
    fmt.cant_split(head)
    start.cells[0].paragraphs[0].text = f"{{%tr for {loop} %}}"
    end.cells[0].paragraphs[0].text = "{%tr endfor %}"
    for cell, (text, style) in zip(row.cells, cells, strict=True):
        cell.paragraphs[0].text = text
        cell.paragraphs[0].style = doc.styles[style]
    fmt.cant_split(row)
    return table


def dense_table(doc, headers, cells, widths, loop: str, **kw):
    """A table as dense as annex 1: 小五 on exact lines, narrow cell margins."""
    return loop_table(doc, headers, cells, widths, loop, head_style=ANNEX_HEAD, margin=57, **kw)


def pairs_table(doc, headers, half, widths, items: str):
    """A long narrow list printed as two columns side by side (``context.in_pairs``): the
    ``x.`` cells of ``half`` once for ``r.a`` and once for ``r.b``."""
    cells = [(t.replace("x.", "r.a."), st) for t, st in half] + [
        (t.replace("x.", "r.b."), st) for t, st in half
    ]
    return loop_table(
        doc, headers * 2, cells, widths * 2, f"r in {items}", head_style=ANNEX_HEAD, margin=57
    )


def moved(key: str, what: str) -> str:
    """'已完成由3项增至4项' / '减至' / '仍为4项' for the count ``change.<key>``."""
    m = f"change.{key}"
    return (
        f"{what}{{% if {m}.diff > 0 %}}由{{{{ {m}.before }}}}项增至{{{{ {m}.after }}}}项"
        f"{{% elif {m}.diff < 0 %}}由{{{{ {m}.before }}}}项减至{{{{ {m}.after }}}}项"
        f"{{% else %}}仍为{{{{ {m}.after }}}}项{{% endif %}}"
    )


def listed(key: str) -> str:
    """'第2、5项共2项任务' (or '…等15项任务' when cut) for ``change.<key>``; an open {% if %}."""
    m = f"change.{key}"
    return (
        f"{{% if {m}.n %}}{{{{ {m}.named }}}}"
        f"{{% if {m}.more %}}等{{{{ {m}.n }}}}项{{% elif {m}.n > 1 %}}共{{{{ {m}.n }}}}项{{% endif %}}任务"
    )


# the lagging table as dense as annex 1 (小五): a unit name of up to 12 字 on one line,
# "序号" and "亮灯" on one line
LAGGING_WIDTHS = [9, 45, 40, 51, 11]

# 表1 in 五号 (3.7 mm a character, 3 mm of cell margins, LibreOffice's space between Chinese
# and digits): "社会消费品零售总额", "高于目标0.1个百分点" and "区科技经信局" each on one line
TABLE1_WIDTHS = [11, 36.5, 21, 22, 39.5, 26]


def build_report(path: Path) -> None:
    doc = base_document(table_size=fmt.SIZE_WU)  # 表1 in 五号: each indicator on one line
    # a 公文 fills its 22 lines a page: a body paragraph may leave one line on a page (else a
    # three-line paragraph after 20 lines left two blank); headings still keep with what follows
    fmt.set_para(doc.styles[BODY].element, widow=False)
    # title_document: document_title with a line break where a long title should wrap (梯形)
    p(
        doc,
        "关于{{ district }}{{ year }}年{{ title_document }}{{ quarter_label }}推进情况的报告",
        TITLE,
    )
    p(doc)
    p(doc, "{{ government }}：", ADDRESSEE)
    p(
        doc,
        "根据《{{ district }}人民政府关于印发{{ year }}年〈政府工作报告〉任务分解的通知》（{{ basis }}）要求，"
        "{{ office }}对{{ year }}年{{ document_title }}（共{{ n_rows }}项，含分项）{{ quarter_label }}推进情况进行了调度。"
        "本季度应报送单位{{ u.due }}个，截至{{ cutoff }}，按时报送{{ u.on_time }}个，逾期报送{{ u.late }}个，"
        "{% if u.rejected %}被退回待重新报送{{ u.rejected }}个，{% endif %}{% if u.held %}报送待核实{{ u.held }}个，{% endif %}未报送{{ u.missing }}个（见附件2）。现将有关情况报告如下：",
    )

    p(doc, "一、总体情况", H1)
    tag(doc, "{%p if any_returns %}")
    kai_lead(
        doc,
        "（一）任务推进情况。",
        "截至{{ cutoff }}，{{ n_rows }}项任务中，已完成{{ c.done }}项、超序时{{ c.ahead }}项、序时推进{{ c.on_track }}项，"
        "合计{{ c.on_pace }}项达到序时进度，占{{ c.on_pace_share }}；滞后{{ c.lagging }}项、未启动{{ c.not_started }}项，"
        "合计{{ c.behind }}项未达到序时进度，占{{ c.behind_share }}"
        "{% if c.missing %}；另有{{ c.missing }}项因牵头单位未报送，进展暂不掌握{% endif %}。",
    )
    p(
        doc,
        "{{ quarter_label }}序时进度为{{ expected }}%。亮灯规则：{{ light_rule }}。"
        "据此，亮绿灯{{ l.green }}项、黄灯{{ l.yellow }}项、红灯{{ l.red }}项"
        "{% if l.unlit %}，{{ l.unlit }}项未报送不亮灯{% endif %}"
        "{% if l.on_pace_lit %}；达到序时进度的任务中有{{ l.on_pace_lit }}项因量化指标未达到要求等原因亮黄灯或红灯{% endif %}"
        "{% if l.yellow or l.red %}，各黄灯、红灯任务及原因见第三部分{% endif %}。",
    )
    tag(doc, "{%p else %}")
    p(
        doc,
        "截至{{ cutoff }}，尚未收到任何单位报送的推进情况，{{ n_rows }}项任务的进展暂无法汇总。请各牵头单位抓紧报送。",
    )
    tag(doc, "{%p endif %}")

    tag(doc, "{%p if indicators %}")
    kai_lead(doc, "（二）主要经济指标。", "{{ ind.summary }}")
    p(doc, "表1　主要经济指标完成情况", NOTE)
    loop_table(
        doc,
        ["序号", "指标", "年度目标", "本季度完成", "与目标比较", "牵头单位"],
        [
            ("{{ i.no }}", CELL_CENTER),
            ("{{ i.name }}", CELL),
            ("{{ i.target }}", CELL_CENTER),
            ("{{ i.value }}", CELL_CENTER),
            ("{{ i.compare }}", CELL),
            ("{{ i.units }}", CELL),
        ],
        TABLE1_WIDTHS,
        "i in indicators",
    )
    tag(doc, "{%p else %}")
    kai_lead(doc, "（二）主要经济指标。", "任务表中未设置主要经济指标。")
    tag(doc, "{%p endif %}")

    kai_lead(doc, "（三）各板块推进状态。", "{{ sections_summary }}")
    tag(doc, "{%p if has_chart %}")
    p(doc, "{{ chart }}", FIGURE)
    p(doc, "图1　各板块任务推进状态（单位：项）", CAPTION)
    tag(doc, "{%p endif %}")
    # from the second quarter on (same year): what moved since last quarter
    tag(doc, "{%p if change %}")
    kai_lead(
        doc,
        "（四）与上季度相比。",
        "与{{ change.previous_label }}相比，"
        + moved("done", "已完成")
        + "，"
        + moved("lagging", "滞后")
        + "{% if change.not_started.before or change.not_started.after %}，"
        + moved("not_started", "未启动")
        + "{% endif %}{% if change.compared %}；两个季度均填报累计完成进度的{{ change.compared }}项任务，牵头单位累计完成进度平均"
        "{% if change.mean_sign > 0 %}提高{{ change.mean_delta }}个百分点"
        "{% elif change.mean_sign < 0 %}下降{{ change.mean_delta }}个百分点"
        "{% else %}与上季度持平{% endif %}{% endif %}。"
        "{% if change.caught_up.n or change.fell_behind.n %}"
        + listed("caught_up")
        + "由上季度未达到序时进度转为达到序时进度{% endif %}"
        "{% if change.caught_up.n and change.fell_behind.n %}；{% endif %}"
        + listed("fell_behind")
        + "由上季度达到序时进度转为未达到序时进度{% endif %}。{% endif %}",
    )
    tag(doc, "{%p endif %}")
    # 销号/延期/调整: the quarter's requests, the tasks closed so far, those judged as changed
    tag(doc, "{%p if changes.any %}")
    kai_lead(doc, "{{ changes.head }}任务销号、延期、调整。", "{{ changes.text }}")
    tag(doc, "{%p endif %}")

    p(doc, "二、主要进展", H1)
    tag(doc, "{%p if not any_returns %}")
    p(doc, "尚未收到报送，暂无进展可汇总。")
    tag(doc, "{%p elif detail_full %}")
    # [report] detail = "full": every task walked one by one
    tag(doc, "{%p for s in sections %}")
    p(doc, "（{{ s.numeral }}）{{ s.title }}", H2)
    p(doc, "{{ s.summary }}")
    tag(doc, "{%p for r in s.rows %}")
    p(doc, "{{ r.label }}{{ r.short }}{{ r.state }}。{{ r.detail }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    tag(doc, "{%p for s in sections %}")
    # the section's counts, then what its tasks achieved (results: from the units' progress)
    kai_lead(doc, "（{{ s.numeral }}）{{ s.title }}。", "{{ s.summary }}{{ s.results }}")
    tag(doc, "{%p endfor %}")
    p(doc, "各项任务的进展摘要见附件1。")
    tag(doc, "{%p endif %}")

    p(doc, "三、存在的问题", H1)
    tag(doc, "{%p if not any_returns %}")
    p(doc, "因尚未收到报送，暂无法判断滞后情况。")
    tag(doc, "{%p elif not issues.any %}")
    p(doc, "对照{{ quarter_label }}序时进度，已报送的任务均达到序时进度，亮灯均为绿灯。")
    tag(doc, "{%p else %}")
    # 共性问题 first: what units said, grouped by theme, most tasks first
    tag(doc, "{%p if issues.common %}")
    kai_lead(doc, "{{ issues.heads.common }}共性问题。", "{{ issues.common.intro }}")
    tag(doc, "{%p for t in issues.common.themes %}")
    p(doc, "{{ t }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if issues.common.silent %}")
    p(doc, "{{ issues.common.silent }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if issues.lagging %}")
    kai_lead(
        doc,
        "{{ issues.heads.lagging }}进度滞后的任务。",
        "对照{{ quarter_label }}序时进度{{ plan_words }}，共有{{ issues.lagging|length }}项任务滞后、未启动或亮红灯"
        "{% if issues.lagging_rest %}，差距较大的{{ issues.lagging_shown|length }}项见表{{ issues.table_no }}"
        "，其余{{ issues.lagging_rest.n }}项是{{ issues.lagging_rest.named }}"
        "{% if issues.lagging_rest.more %}等{% endif %}（逐项见附件1）"
        "{% else %}（见表{{ issues.table_no }}）{% endif %}。",
    )
    # a table in 五号: a leader scans task, unit and gap; a list of paragraphs took pages
    p(doc, "表{{ issues.table_no }}　进度滞后的任务", NOTE)
    dense_table(
        doc,
        ["序号", "任务", "牵头单位", "进度和原因", "亮灯"],
        [
            ("{{ loop.index }}", ANNEX_CELL_CENTER),
            ("{{ r.task }}", ANNEX_CELL),
            ("{{ r.unit_lines }}", ANNEX_CELL_CENTER),
            ("{{ r.brief }}", ANNEX_CELL),
            ("{% cellbg r.fill %}{{ r.light }}", ANNEX_CELL_CENTER),
        ],
        LAGGING_WIDTHS,
        "r in issues.lagging_shown",
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if issues.lit %}")
    kai_lead(
        doc,
        "{{ issues.heads.lit }}达到序时进度但亮黄灯、红灯的任务。",
        "{% for r in issues.lit_shown %}{{ r.label }}{{ r.short }}：{{ r.reason }}，亮{{ r.light }}灯"
        "{% if not loop.last %}；{% endif %}{% endfor %}"
        "{% if issues.lit_rest %}；另有{{ issues.lit_rest.named }}"
        "{% if issues.lit_rest.more %}等{% endif %}共{{ issues.lit_rest.n }}项，见附件1{% endif %}。",
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if issues.missing %}")
    kai_lead(
        doc,
        "{{ issues.heads.missing }}未报送的任务。",
        "牵头单位未报送的任务{{ issues.n_missing }}项，进展暂不掌握："
        "{% for m in issues.missing %}{{ m.units }}（{{ m.named }}）{% if loop.last %}。{% else %}；{% endif %}{% endfor %}",
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")

    # built from this quarter: the tasks behind, the 共性问题 with the office's measures,
    # the checks under way, the next deadline and report
    p(doc, "四、下步工作建议", H1)
    tag(doc, "{%p for n in next_steps %}")
    tag(doc, "{%p if loop.last %}")
    # the last paragraph keeps with 特此报告: the closing never has a page of its own
    fmt.set_para(kai_lead(doc, "{{ n.lead }}", "{{ n.text }}")._p, keep_next=True)
    tag(doc, "{%p else %}")
    kai_lead(doc, "{{ n.lead }}", "{{ n.text }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    closing(doc, ["{{ annex_title }}", "{{ annex2_title }}"])

    fmt.add_landscape_section(doc)
    p(doc, "附件1", ANNEX_MARK)
    p(doc, "{{ annex_title }}", TITLE)
    # the rows judged otherwise than by the 序时进度 (节点, 一次性, 其它), said over the rows
    p(doc, "（截至{{ cutoff }}，共{{ n_rows }}项）", NOTE)
    # on a line of its own: run on after the count it wrapped with a few characters left over
    tag(doc, "{%p if pace_note %}")
    p(doc, "（{{ pace_note }}）", NOTE)
    tag(doc, "{%p endif %}")
    # one table per part of the annex (context.ANNEX_TABLE_ROWS rows each, so one table for
    # a district): LibreOffice lays out a table of thousands of rows in time that grows with
    # the square of its length (50 s for 2,000 rows, 10 s as tables of 100 rows)
    tag(doc, "{%p for part in annex_parts %}")
    tag(doc, "{%p if not loop.first %}")
    joint(doc)
    tag(doc, "{%p endif %}")
    loop_table(
        doc,
        [
            "任务编号",
            "任务（简称）",
            # two characters a line: never "牵头领" over a lonely "导"
            "牵头\n领导",
            "牵头单位",
            "累计\n进度",
            "推进状态",
            "亮灯",
            "本季度进展（摘要）",
            "存在问题",
        ],
        [
            ("{{ r.label }}", ANNEX_CELL_CENTER),
            ("{{ r.task }}", ANNEX_CELL),
            ("{{ r.leaders }}", ANNEX_CELL_CENTER),
            ("{{ r.units }}", ANNEX_CELL_CENTER),
            ("{{ r.percent }}", ANNEX_CELL_CENTER),
            ("{{ r.status }}", ANNEX_CELL_CENTER),
            ("{% cellbg r.fill %}{{ r.light }}", ANNEX_CELL_CENTER),
            ("{{ r.progress }}", ANNEX_CELL),
            ("{{ r.problems }}", ANNEX_CELL),
        ],
        ANNEX_WIDTHS,
        "r in part",
        head_style=ANNEX_HEAD,
        margin=57,
    )
    tag(doc, "{%p endfor %}")
    page_break(doc)
    p(doc, "附件2", ANNEX_MARK)
    p(doc, "{{ annex2_title }}", TITLE)
    p(doc, "（截至{{ cutoff }}，应报送单位{{ u.due }}个）", NOTE)
    pairs_table(
        doc,
        ["序号", "单位", "报送情况", "收到时间"],
        [
            ("{{ x.no }}", ANNEX_CELL_CENTER),
            ("{{ x.unit }}", ANNEX_CELL),
            ("{{ x.state }}", ANNEX_CELL_CENTER),
            ("{{ x.when }}", ANNEX_CELL_CENTER),
        ],
        [11, 50, 20, 31.5],
        "unit_rows",
    )
    save(doc, path, "{{ title }}")


# annex 1 on a landscape type area of 225 mm, 小五: the columns of names and numbers fit
# their longest entry on one line (the bundled registry's longest unit name has 12 字)
ANNEX_WIDTHS = [15, 30, 13, 42, 12, 16, 10, 55, 32]


def joint(doc):
    """An empty paragraph 1 pt high between two parts of a table (two tables with nothing
    between them would be one table to Word)."""
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    para = doc.add_paragraph(style=BODY)
    f = para.paragraph_format
    f.space_before = f.space_after = Pt(0)
    f.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    f.line_spacing = Pt(1)
    return para


def closing(doc, annexes: list[str], optional: tuple[str, str] | None = None) -> None:
    """特此报告, the 附件说明 (1．, 2．, …), 署名 and date; the lines stay together, so a
    signature never starts a page on its own. ``optional``: (title, condition) of one more
    annex, listed only when the condition holds."""
    paras = [p(doc, "特此报告。"), p(doc)]
    # a long title wraps before its last words, never leaving "表" alone on a line
    annexes = [re.sub(r"\{\{ (\w+) \}\}", r"{{ \1|keep_tail }}", a) for a in annexes]
    for k, annex in enumerate(annexes, 1):
        paras.append(
            p(
                doc,
                f"{'附件：' if k == 1 else ''}{k}{ATTACHMENT_POINT}{annex}",
                ATTACHMENT if k == 1 else ATTACHMENT2,
            )
        )
    if optional is not None:
        title, condition = optional
        tag(doc, f"{{%p if {condition} %}}")
        paras.append(p(doc, f"{len(annexes) + 1}{ATTACHMENT_POINT}{title}", ATTACHMENT2))
        tag(doc, "{%p endif %}")
    paras += [p(doc), p(doc, "{{ signer }}", SIGNER)]
    for para in paras:
        fmt.set_para(para._p, keep_next=True)
    p(doc, "{{ date_text }}", DATE)


def page_break(doc):
    from docx.enum.text import WD_BREAK

    para = doc.add_paragraph(style=BODY)
    para.add_run().add_break(WD_BREAK.PAGE)
    return para


# the brief's table on the portrait type area (156 mm), 五号: unit names of up to 6 字,
# "全年基本完成" and "100% 已完成" on one line each, the progress column as wide as the
# rest allows (short rows)
BRIEF_WIDTHS = [30, 26, 73, 27]


def build_leader_brief(path: Path) -> None:
    doc = base_document(table_size=fmt.SIZE_WU)  # 五号: a short brief, the table in portrait
    p(doc, "分管领导调度单", TITLE)
    p(doc, "（{{ period_label }}　{{ leader }}同志牵头任务）", SUBTITLE)
    p(doc)
    p(doc, "{{ leader }}同志：", ADDRESSEE)
    p(
        doc,
        "截至{{ cutoff }}，{{ leader }}同志牵头的{{ document_title }}{{ n_rows }}项中，{{ phrase }}。"
        "{% if n_lagging %}其中{{ n_lagging }}项滞后或亮红灯，已列在表首，请调度推进。"
        "{% elif n_missing %}已报送的任务均达到序时进度，{{ n_missing }}项牵头单位尚未报送，请督促报送。"
        "{% else %}各项任务均达到序时进度。{% endif %}"
        "{% if n_lit %}另有{{ n_lit }}项进度达到序时但量化指标未达到要求，亮黄灯。{% endif %}"
        "{{ quarter_label }}序时进度为{{ expected }}%{% if pace_note %}（{{ pace_note }}）{% endif %}。{{ year_summary }}",
    )
    table = loop_table(
        doc,
        # the narrow last header breaks after 进度及, never leaving 态 alone on a line
        ["任务", "牵头单位", "本季度进展及存在问题", "进度及\n状态"],
        [
            ("{{ r.task }}", CELL),
            ("{{ r.units }}", CELL_CENTER),
            ("{{ r.progress }}", CELL),
            # cumulative progress, status and light, one per line, tinted by the light
            ("{% cellbg r.fill %}{{ r.state }}", CELL_CENTER),
        ],
        BRIEF_WIDTHS,
        "r in rows",
    )
    progress = table.rows[2].cells[2]
    # why the row is yellow or red, and the lead units' own 存在问题
    progress.add_paragraph("{%p if r.reason %}", style=CELL)
    progress.add_paragraph("亮{{ r.light }}原因：{{ r.reason }}", style=CELL)
    progress.add_paragraph("{%p endif %}", style=CELL)
    progress.add_paragraph("{%p if r.problems != '—' %}", style=CELL)
    progress.add_paragraph("存在问题：{{ r.problems }}", style=CELL)
    progress.add_paragraph("{%p endif %}", style=CELL)
    # from the second quarter on: the row's status and progress last quarter, under its progress
    progress.add_paragraph("{%p if r.before %}", style=CELL)
    before = progress.add_paragraph(style=CELL)
    before.add_run(
        "{{ previous_label }}：{{ r.before.status }}"
        "{% if r.before.percent %}，累计完成{{ r.before.percent }}%{% endif %}",
        style=KAI_RUN,
    )
    progress.add_paragraph("{%p endif %}", style=CELL)
    for para in (p(doc), p(doc, "{{ signer }}", SIGNER)):
        fmt.set_para(para._p, keep_next=True)
    p(doc, "{{ date_text }}", DATE)
    save(doc, path, "{{ title }}")


def save(doc, path: Path, title: str) -> None:
    import io

    fmt.set_core_properties(doc, title=title, author="duban", when=BUILT)
    fmt.finish(doc)
    buf = io.BytesIO()
    doc.save(buf)
    atomic_write_bytes(path, fmt.normalize_zip(buf.getvalue()))


def main() -> None:
    out = HERE
    build_report(out / "report.docx")
    build_leader_brief(out / "leader_brief.docx")
    print(f"已生成 {out / 'report.docx'} 和 {out / 'leader_brief.docx'}")


if __name__ == "__main__":
    main()
