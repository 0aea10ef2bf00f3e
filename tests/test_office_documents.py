"""The demo year's 通报 and 考核评分表 as the office may issue them (issue 27), with the bundled
units: no 通报 names a unit its class keeps out of it, nor the issuing office; the office has
no score row, nor any unit of a class not scored; no unit leading no task outranks one that
leads; no cell a clerk reads in any of the office's workbooks holds a ledger id, the ledger's
file name, a config key, a command or a period code. Who may be named is read here from
units.csv and config.toml, not from duban's code."""

from __future__ import annotations

import csv
import re
import shutil
import tomllib
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from helpers import NOT_FOR_CLERKS, at, clerk_cells, render_quarter_bulletin

pytestmark = pytest.mark.slow  # reads the demo year

HEADING = re.compile(r"^[一二三四五六七八九十]+、")


@pytest.fixture(scope="module")
def office(demo_year, tmp_path_factory):
    """The demo's ledger and merged results copied to a data dir of its own (the session's demo
    folder stays as the demo left it), the four 通报 and the year's 考核评分表 made there."""
    from jobs.app import create_app
    from reporting.assess.score_sheet import run_score

    outcome, _, _ = demo_year
    root = Path(__file__).resolve().parent.parent
    data = tmp_path_factory.mktemp("office") / "data"
    data.mkdir()
    shutil.copy(outcome.root / "ledger.sqlite", data / "ledger.sqlite")
    for q in range(1, 5):
        period = f"2024Q{q}"
        (data / period).mkdir()
        shutil.copy(outcome.root / period / "merged.json", data / period / "merged.json")
    app = create_app(root / "config.toml", data, env={})
    bulletins = {}
    with app.ledger() as ledger:
        for q in range(1, 5):
            day = date(2024, 3 * q + 1, 10) if q < 4 else date(2025, 1, 10)
            out = render_quarter_bulletin(app, ledger, q, day)
            bulletins[q] = [p.text for p in Document(out.docx).paragraphs]
        card = run_score(
            app.settings,
            app.workspace,
            ledger,
            2024,
            registry=app.registry,
            now=at(date(2025, 1, 10)),
        ).card
    return outcome, app, bulletins, card


def rules(root: Path):
    """unit → (may praise, may criticise, scored), and the issuing office, from the files."""
    config = tomllib.loads((root / "config.toml").read_text(encoding="utf-8"))
    classes = config["units"]["classes"]
    office = config["district"]["office"]
    out = {}
    with open(root / "units.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            c = classes[row["kind"]]
            own = row["name"] != office
            out[row["name"]] = (own and c["praise"], own and c["criticise"], own and c["scored"])
    return out, office


def sections(paragraphs: list[str]) -> dict[str, str]:
    """The 通报's parts by their heading ('二、通报表扬' → its text), the closing block apart."""
    out: dict[str, str] = {}
    current = ""
    for text in paragraphs:
        if HEADING.match(text):
            current = HEADING.sub("", text)
            out[current] = ""
        elif current:
            out[current] += text + "\n"
    return out


@pytest.mark.parametrize("q", [1, 2, 3, 4])
def test_no_bulletin_names_whom_its_class_keeps_out(office, root, q):
    _, _, bulletins, _ = office
    may, issuer = rules(root)
    parts = sections(bulletins[q])
    praise = next(t for h, t in parts.items() if "表扬" in h)
    blame = next(t for h, t in parts.items() if "批评" in h)
    scores = "".join(t for h, t in parts.items() if "考核" in h and "评价" in h)
    for unit, (praise_ok, blame_ok, scored) in may.items():
        if not praise_ok:
            assert unit not in praise, (q, unit)
            assert unit not in scores, (q, unit)
        if not blame_ok:
            assert unit not in blame, (q, unit)
        if not scored:
            assert unit not in scores, (q, unit)
    assert issuer not in praise + blame + scores


def test_the_demo_would_have_named_them(office, root):
    """The check above has teeth: the demo's returns make units of such classes late, missing
    or praised, and the 通报 counts them."""
    outcome, _, bulletins, _ = office
    may, _ = rules(root)
    quiet = {u for u, (p, b, _) in may.items() if not (p and b)}
    missing = {u for fate in ("missing", "rejected") for u in outcome.fates["2024Q2"].get(fate, [])}
    assert missing & quiet, missing
    told = [t for t in bulletins[2] if "单独告知" in t]
    assert told, "the Q2 通报 says some units were told apart"


def test_the_office_and_classes_not_scored_have_no_score_row(office, root):
    _, app, _, card = office
    may, issuer = rules(root)
    scored = {u.unit for u in card.units}
    assert issuer not in scored
    due = {u for u in may if u in app.assignments.by_unit}
    assert scored == {u for u in due if may[u][2]}
    for group in {u.group for u in card.units}:
        members = [u for u in card.units if u.group == group and u.ranked]
        for idle in (u for u in members if not u.leads):
            assert all(idle.rank > busy.rank for busy in members if busy.leads), idle.unit
    assert all(u.leads for u in card.units if u.ranked)  # rank_without_lead = false


def test_no_clerk_facing_cell_speaks_code(office):
    outcome, app, _, _ = office
    books = [
        p
        for p in outcome.root.rglob("*.xlsx")
        # the forms and the returns are the units' (their 识别码 is the form's own)
        if not ({"forms", "archive", "inbox"} & set(p.parts)) and "进展情况表" not in p.name
    ]
    books += list((app.workspace.root / "2024").glob("*.xlsx"))
    names = {p.name for p in books}
    for name in ("汇总表.xlsx", "2024年度推进情况汇总表.xlsx", "考核评分表.xlsx", "领导评价.xlsx"):
        assert name in names, name
    assert any("配合单位反馈" in n for n in names) and any("催报清单" in n for n in names)
    for path in books:
        bad = [c for c in clerk_cells(path) if re.search(NOT_FOR_CLERKS, c[2])]
        assert not bad, (path, bad[:3])
