"""The 看板 opened in a real headless Chromium: no console error, no request of any kind, the
counts of merged.json, the red filter by keyboard, hostile unit text shown as text, a phone
without sideways scrolling, and printed pages that never cut a task.

The pages are the demo year's (``demo_year``), written again by ``duban dashboard`` into a
copy whose second quarter carries a hostile text and each task's own marker in its 打算.
Expected values are computed here from that merged.json.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from pathlib import Path

import browser
import pytest
from helpers import copy_merged

pytestmark = pytest.mark.skipif(bool(browser.MISSING), reason=browser.MISSING)

HOSTILE = "<script>alert(1)</script></svg><b>加粗</b> 联系人邮箱 zhang@example.cn 电话 13912345678"


@pytest.fixture(scope="module")
def pages(demo_year, tmp_path_factory):
    """(data dir, Q2 merged.json as a dict, Q2 page, year page), written by the CLI."""
    from jobs.cli import main

    outcome, _printed, _app = demo_year
    data = tmp_path_factory.mktemp("dash") / "data"
    copy_merged(outcome.root, data)
    with (
        sqlite3.connect(outcome.root / "ledger.sqlite") as src,
        sqlite3.connect(data / "ledger.sqlite") as dst,
    ):
        src.backup(dst)  # the demo's sends: who was reminded
    merged = data / "2024Q2" / "merged.json"
    q2 = json.loads(merged.read_text(encoding="utf-8"))
    # long enough for the card to shorten it: the full text opens from the page's JSON
    q2["rows"][0]["lead_reports"][0]["progress"] = HOSTILE + "。" + "本季度持续推进各项工作，" * 15
    for row in q2["rows"]:
        for report in row["lead_reports"]:
            report["next_steps"] = f"标记{row['id']}号。" + report["next_steps"]
    merged.write_text(json.dumps(q2, ensure_ascii=False, indent=1), encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    for args in (["--period", "2024Q2"], ["--year", "2024"]):
        argv = ["--config", str(root / "config.toml"), "--data-dir", str(data), "dashboard", *args]
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0
    return data, q2, data / "2024Q2" / "看板.html", data / "2024" / "看板.html"


@pytest.fixture(scope="module")
def chrome(tmp_path_factory):
    driver = browser.start(tmp_path_factory.mktemp("profile"))
    yield driver
    driver.quit()


def shown_ids(chrome) -> list[str]:
    return chrome.execute_script(
        "return Array.prototype.filter.call(document.querySelectorAll('#task-list > li'),"
        " function (el) { return el.offsetParent !== null; })"
        ".map(function (el) { return el.getAttribute('data-id'); });"
    )


def test_pages_open_without_errors_or_any_request(pages, chrome):
    _data, _q2, page, year = pages
    for path in (page, year):
        browser.open_page(chrome, path)
        assert chrome.title.startswith("禹会区2024年")
        assert chrome.execute_script("return document.documentElement.lang") == "zh-CN"
        assert browser.console_errors(chrome) == []
        assert browser.requests(chrome) == [path.as_uri()]  # the file itself, nothing else
    assert "第二季度" in chrome.title or "全年" in chrome.title


def test_counts_shown_equal_merged_json(pages, chrome):
    _data, q2, page, _year = pages
    status = Counter(r["status"] or "未报送" for r in q2["rows"])
    lights = Counter(r["light"] for r in q2["rows"] if r["light"])
    units = q2["units"]
    want = {"total": len(q2["rows"]), "light:未亮灯": sum(1 for r in q2["rows"] if not r["light"])}
    for s in ("已完成", "超序时", "序时推进", "滞后", "未启动", "未报送"):
        want[f"status:{s}"] = status[s]
    for light in ("绿", "黄", "红"):
        want[f"light:{light}"] = lights[light]
    want["units:due"] = len(units)
    want["units:on_time"] = sum(1 for u in units if u["state"] == "accepted" and not u["late"])
    want["units:late"] = sum(1 for u in units if u["state"] == "accepted" and u["late"])
    want["units:rejected"] = sum(1 for u in units if u["state"] == "rejected")
    want["units:held"] = sum(1 for u in units if u["state"] == "held")  # 待核实, apart
    want["units:missing"] = sum(1 for u in units if u["state"] == "missing")
    browser.open_page(chrome, page)
    shown = chrome.execute_script(
        "var out = {}; document.querySelectorAll('[data-count]').forEach(function (el) {"
        " out[el.getAttribute('data-count')] = el.textContent; }); return out;"
    )
    assert {k: int(v) for k, v in shown.items()} == want
    assert want["light:红"] > 0 and want["units:late"] > 0  # the demo has both


def test_light_filter_by_keyboard_shows_exactly_the_red_rows(pages, chrome):
    from selenium.webdriver.common.keys import Keys

    _data, q2, page, _year = pages
    red = [r["id"] for r in q2["rows"] if r["light"] == "红"]
    browser.open_page(chrome, page)
    assert len(shown_ids(chrome)) == len(q2["rows"])
    search = chrome.find_element("css selector", "#tasks input[type=search]")
    search.click()
    for _ in range(12):  # Tab through the filters to the light control
        active = chrome.switch_to.active_element
        if active.get_attribute("data-attr") == "light":
            break
        active.send_keys(Keys.TAB)
    active = chrome.switch_to.active_element
    assert active.get_attribute("data-attr") == "light"
    active.send_keys(Keys.ARROW_DOWN)  # 全部 → 红灯
    assert active.get_attribute("value") == "红"
    assert sorted(shown_ids(chrome)) == sorted(red)
    count = chrome.find_element("css selector", "#tasks output").text
    assert count == f"显示 {len(red)} 项（共 {len(q2['rows'])} 项）"
    # a link to a leader's view: only that leader's tasks, lagging and red ones first
    leader = q2["rows"][0]["lead_leaders"][0]
    browser.open_page(chrome, page, hash=f"#leader={leader}&sort=brief")
    mine = [r for r in q2["rows"] if leader in r["lead_leaders"]]
    ids = shown_ids(chrome)
    assert sorted(ids) == sorted(r["id"] for r in mine)
    first = {r["id"] for r in mine if r["status"] == "滞后" or r["light"] == "红"}
    assert set(ids[: len(first)]) == first


def test_unit_text_is_shown_as_text_never_run(pages, chrome):
    _data, q2, page, _year = pages
    browser.open_page(chrome, page)
    card = chrome.find_element("css selector", f"#task-list > li[data-id='{q2['rows'][0]['id']}']")
    text = card.get_attribute("textContent")
    assert "<script>alert(1)</script></svg><b>加粗</b>" in text
    # the page's own script and its data block, nothing a unit wrote
    assert chrome.execute_script(
        "return Array.prototype.map.call(document.scripts, function (s) { return s.type; })"
    ) == ["application/json", ""]
    # the full text opens as text too (filled in from the JSON when the 全文 is opened)
    card.find_element("css selector", "details[data-full] summary").click()
    full = card.find_element("css selector", "details[data-full]")
    assert full.get_attribute("open") is not None
    assert HOSTILE.split(" 联系人")[0] in full.get_attribute("textContent")
    assert all(b.text != "加粗" for b in full.find_elements("css selector", "b"))
    assert card.find_elements("css selector", "b") and all(
        b.text != "加粗" for b in card.find_elements("css selector", "b")
    )
    # contact details a unit typed are left out
    assert "zhang@example.cn" not in text and "13912345678" not in text
    html = page.read_text(encoding="utf-8")
    assert re.findall(r"[\w.+-]+@[\w-]+\.\w+", html) == []  # no mail address anywhere
    assert re.findall(r"(?<!\d)1[3-9]\d{9}(?!\d)", html) == []  # nor a mobile number
    assert browser.console_errors(chrome) == []


@pytest.mark.parametrize("which", ["period", "year"])
def test_phone_width_has_no_sideways_scroll(pages, chrome, which):
    _data, _q2, page, year = pages
    browser.open_page(chrome, page if which == "period" else year, width=390, height=844)
    # every card laid out, not only those on screen (content-visibility skips the others)
    chrome.execute_script(
        "document.querySelectorAll('.task').forEach(function (el) {"
        " el.style.contentVisibility = 'visible'; });"
    )
    widths = chrome.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
        " document.body.scrollWidth]"
    )
    assert widths[0] <= 390 and widths[2] <= 390, widths
    assert widths[1] == 390


def test_printed_pages_cut_no_task(pages, chrome, tmp_path):
    _data, q2, page, _year = pages
    browser.open_page(chrome, page)
    chrome.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:  # each card's lines as printed (the full texts are not printed)
        cards = chrome.execute_script(
            "return Array.prototype.map.call(document.querySelectorAll('#task-list > li'),"
            " function (el) { return [el.getAttribute('data-id'), el.innerText]; });"
        )
    finally:
        chrome.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    pdf = browser.print_pdf(chrome, tmp_path / "看板.pdf")
    texts = ["".join(p.split()) for p in browser.pdf_pages(pdf)]
    assert len(texts) > 5
    assert len(cards) == len(q2["rows"])
    reported = {r["id"] for r in q2["rows"] if r["lead_reports"]}
    for task_id, text in cards:
        lines = ["".join(line.split()) for line in text.splitlines() if line.strip()]
        marker = f"标记{task_id}号" if task_id in reported else lines[0]
        holding = [i for i, t in enumerate(texts) if marker in t]
        assert len(holding) == 1, (task_id, holding)
        page_text = texts[holding[0]]
        missing = [line for line in lines if line not in page_text]
        assert not missing, (task_id, holding[0] + 1, missing)
