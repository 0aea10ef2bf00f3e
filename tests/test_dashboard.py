"""The 看板 pages without a browser: the command, the report step and the demo write them;
the numbers are the report's; unit text is escaped and contact details left out; the page
names nothing outside itself. (tests/test_dashboard_browser.py opens them in Chromium.)"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter

from helpers import REPORT_NOW

from reporting.core.model import Answer
from reporting.core.periods import Period
from reporting.dashboard.page import write_period_dashboard
from reporting.dashboard.period_view import CONTACT_LEFT_OUT, shown
from reporting.report.render import empty_result

P = Period(2024, 2)
HOSTILE = '<script>alert("x")</script></svg>&amp; 联系 li.si@qq.com 0552-1234567'


def hand_result(app):
    """Q2 with a few reported rows: lagging/red, on pace/green, a hostile text."""
    result = empty_result(app.settings, app.assignments, P)
    for i, row in enumerate(result.rows[:6]):
        unit = row.lead_units[0]
        pct, status, light = [(20, "滞后", "红"), (55, "序时推进", "绿"), (100, "已完成", "绿")][
            i % 3
        ]
        text = HOSTILE if i == 0 else f"第{i}项进展。"
        row.lead_reports = [Answer(unit=unit, progress=text, percent=pct, status=status)]
        row.percent, row.status, row.light = pct, status, light
        row.gap = 50 - pct
    return result


def count_shown(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-count="([^"]+)">(\d+)<', html)}


def test_period_page_counts_are_the_results(app, tmp_path):
    result = hand_result(app)
    out = write_period_dashboard(
        app.settings, app.workspace, P, now=REPORT_NOW, result=result, out=tmp_path / "p.html"
    )
    html = out.path.read_text(encoding="utf-8")
    status = Counter(r.status or "未报送" for r in result.rows)
    shown_counts = count_shown(html)
    assert shown_counts["total"] == len(result.rows) == out.tasks
    assert shown_counts["status:滞后"] == status["滞后"] == 2
    assert shown_counts["status:未报送"] == status["未报送"] == len(result.rows) - 6
    assert shown_counts["light:红"] == 2 and shown_counts["light:绿"] == 4
    assert shown_counts["light:未亮灯"] == len(result.rows) - 6
    assert shown_counts["units:due"] == len(result.units)
    assert shown_counts["units:missing"] == len(result.units)  # nobody's return recorded
    assert shown_counts["units:held"] == 0
    assert out.lines() == [
        f"看板已生成：{out.path}（{out.size / 1024:.0f} KB，任务 {out.tasks} 项）"
    ]
    assert "<title>禹会区2024年《政府工作报告》重点任务第二季度推进情况看板</title>" in html
    assert "数据截至" in html and '<html lang="zh-CN">' in html


def test_page_escapes_unit_text_and_names_nothing_outside(app, tmp_path):
    out = write_period_dashboard(
        app.settings,
        app.workspace,
        P,
        now=REPORT_NOW,
        result=hand_result(app),
        out=tmp_path / "p.html",
    )
    html = out.path.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;/svg&gt;&amp;amp;" in html
    assert '<script>alert("x")' not in html
    assert "li.si@qq.com" not in html and "1234567" not in html
    assert CONTACT_LEFT_OUT in html
    # no address of any kind: nothing is fetched, linked or submitted outside the file
    assert not re.search(r"(?:src|href|action)=\"(?!#)", html)
    assert (
        "http:" not in html and "https:" not in html and "url(" not in html.replace("url(#h-", "")
    )
    # exactly one script, and the page's policy allows exactly it
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in html and "default-src 'none'" in html


def test_full_texts_sit_in_json_no_text_can_end():
    from reporting.dashboard.page import script_json

    text = script_json([["甲", ["进展：</script><script>alert(1)</script> & \u2028"]]])
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == [["甲", ["进展：</script><script>alert(1)</script> & \u2028"]]]


def test_contact_details_in_unit_text_are_left_out():
    assert shown("联系人王五，电话13812345678，邮箱 wang.wu@bengbu.gov.cn。") == (
        f"联系人王五，电话{CONTACT_LEFT_OUT}，邮箱 {CONTACT_LEFT_OUT}。"
    )
    assert (
        shown("固话0552-3012345，+86 138 1234 5678")
        == f"固话{CONTACT_LEFT_OUT}，{CONTACT_LEFT_OUT}"
    )
    # figures are not phone numbers
    assert shown("完成投资12345678901.5万元，增长8.1%") == "完成投资12345678901.5万元，增长8.1%"


def test_command_writes_the_period_page_and_wants_one_scope(duban, data_dir):
    res = duban("dashboard")
    assert res.code == 1 and "请写 --period" in res.err
    res = duban("dashboard", "--period", "2024Q2")
    assert res.code == 0, res.output
    page = data_dir / "2024Q2" / "看板.html"
    assert f"看板已生成：{page}" in res.out
    html = page.read_text(encoding="utf-8")
    assert "尚未收到牵头单位的报送" in html
    res = duban("dashboard", "--year", "2024")
    assert res.code == 1 and "还没有任何季度的汇总结果" in res.err


def test_report_step_writes_both_pages(demo_year):
    outcome, printed, _app = demo_year
    for q in ("第一季度", "第二季度", "第三季度", "第四季度"):
        page = outcome.paths[f"{q}看板（用浏览器打开）"]
        assert page == outcome.root / f"2024Q{'一二三四'.index(q[1]) + 1}" / "看板.html"
        assert page.exists()
    year = outcome.paths["全年看板（用浏览器打开）"]
    assert year == outcome.root / "2024" / "看板.html"
    html = year.read_text(encoding="utf-8")
    assert "全年推进情况看板" in html and "全年完成情况" in html
    assert printed.count("看板已生成：") == 8  # each report step: the quarter's and the year's
    # Q2's 亮灯 tile: every light, 未亮灯 too, says its change since Q1, and says it right
    q2 = outcome.paths["第二季度看板（用浏览器打开）"].read_text(encoding="utf-8")
    tile = q2[q2.index("<h3>亮灯</h3>") :]
    tile = tile[: tile.index("</table>")]
    rows = re.findall(
        r'data-count="light:(\w+)">(\d+)</span> 项</td>\s*<td class="d">第一季度 (\d+)，(增加|减少|持平)(\d*)</td>',
        tile,
    )
    assert [r[0] for r in rows] == ["绿", "黄", "红", "未亮灯"], tile
    for _, now, before, word, d in rows:
        change = int(now) - int(before)
        assert (word, d) == (
            ("增加", str(change))
            if change > 0
            else ("减少", str(-change))
            if change < 0
            else ("持平", "")
        )


def test_the_units_part_lists_the_years_orders_as_they_stood_at_the_period(app, tmp_path):
    """督办单 issued in Q1 and Q2 (one answered by Q2's return and closed, one answered only in
    Q3, one of Q3): the Q2 page shows the first two, the Q3 one not; the one answered in Q3
    still 办理中 and past its 时限 on the Q2 page."""
    from reporting.core.ledger import Ledger

    at = "2024-07-10T09:00:00+08:00"
    with Ledger(app.workspace.ledger_path, create=True) as ledger:
        made = [
            ("2024Q1", "8.2", "书面说明", ["区发改委"], "2024-04-30"),
            ("2024Q1", "10.1", "约谈", ["区财政局"], "2024-04-30"),
            ("2024Q2", "16.2", "挂牌督办", ["区城市管理局"], "2024-12-31"),
            ("2024Q3", "18.3", "书面说明", ["区农业农村水利局"], "2024-10-31"),
        ]
        for period, task, rung, units, due in made:
            ledger.issue_order(
                period,
                task,
                2024,
                make=lambda n: f"督办〔2024〕{n}号",
                rung=rung,
                reason="连续两个季度滞后",
                units=units,
                due=due,
                at=at,
            )
        ledger.answer_order(
            "2024Q1", "8.2", answered_in="2024Q2", outcome="办结", returns=[], at=at
        )
        ledger.answer_order(
            "2024Q1", "10.1", answered_in="2024Q3", outcome="续办", returns=[], at=at
        )
        out = write_period_dashboard(
            app.settings,
            app.workspace,
            P,
            now=REPORT_NOW.replace(month=7),  # Q2's report day: the Q1 时限 has passed
            ledger=ledger,
            result=hand_result(app),
            out=tmp_path / "p.html",
        )
    html = out.path.read_text(encoding="utf-8")
    shown_counts = count_shown(html)
    assert shown_counts["orders"] == 3 and shown_counts["orders:open"] == 2
    rows = re.findall(r'<tr class="order-(\w+)">(.*?)</tr>', html)
    cells = [(slug, re.findall(r"<td>(.*?)</td>", tr)) for slug, tr in rows]
    assert [c[0] for _, c in cells] == ["督办〔2024〕1号", "督办〔2024〕2号", "督办〔2024〕3号"]
    assert cells[0] == (
        "closed",
        [
            "督办〔2024〕1号",
            "8（2）（第一季度下发）",
            "书面说明",
            "区发改委",
            "2024年4月30日",
            "办结（第二季度报送）",
        ],
    )
    assert cells[1][0] == "late" and cells[1][1][5] == "已过整改时限，未办结"  # 续办 only in Q3
    assert cells[2][0] == "open" and cells[2][1][2:6] == [
        "挂牌督办",
        "区城市管理局",
        "2024年12月31日",
        "办理中",
    ]
    assert "督办〔2024〕4号" not in html  # Q3's is not on the Q2 page


def test_a_year_without_orders_says_so(app, tmp_path):
    from reporting.core.ledger import Ledger

    with Ledger(app.workspace.ledger_path, create=True) as ledger:
        out = write_period_dashboard(
            app.settings, app.workspace, P, now=REPORT_NOW, ledger=ledger, out=tmp_path / "p.html"
        )
    html = out.path.read_text(encoding="utf-8")
    assert "本年度至本季度未下发督办单" in html and 'class="list orders"' not in html


def test_the_unlit_note_shows_only_when_some_task_is_unlit(app, tmp_path):
    """ "未亮灯：牵头单位未报送" explains a count; under a count of 0 it said nothing true."""
    note = "未亮灯：牵头单位未报送。"
    some = hand_result(app)
    every = hand_result(app)
    for row in every.rows:
        row.light = row.light or "绿"
    pages = [
        write_period_dashboard(
            app.settings, app.workspace, P, now=REPORT_NOW, result=r, out=tmp_path / f"{i}.html"
        ).path.read_text(encoding="utf-8")
        for i, r in enumerate((some, every))
    ]
    assert count_shown(pages[0])["light:未亮灯"] > 0 and note in pages[0]
    assert count_shown(pages[1])["light:未亮灯"] == 0 and note not in pages[1]
