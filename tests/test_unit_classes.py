"""单位类别: config.toml [units.classes], the classes of the bundled units, older kinds, the
warning of `duban check`, and who the 通报 and the 考核评分表 may name on a hand-built year
(the unit not named is counted and told in its own mail)."""

from __future__ import annotations

import csv
import email
import tomllib
from datetime import date
from email import policy

import pytest
from assess_helpers import KINDS, YEAR, install_year, result
from helpers import UNIT_CLASSES, at

from reporting.assess.bulletin import bulletin_lists, render_bulletin
from reporting.assess.score_sheet import run_score
from reporting.core.config import RegistrySettings, load_settings
from reporting.core.exceptions import ConfigError
from reporting.core.periods import Period
from reporting.core.unit_classes import Classes
from reporting.taskbook.registry import Registry

CLASSES = UNIT_CLASSES
# what the names make plain (the list), written here, not read from units.csv
BY_NAME = {
    "区纪委监委": "纪检监察机关",
    "区委组织部": "区委工作机关",
    "区委宣传部": "区委工作机关",
    "区委政法委": "区委工作机关",
    "区人大办": "人大政协机关",
    "区政协办": "人大政协机关",
    "区税务局": "垂直管理单位",
    "区残联": "群团组织",
    "长青乡": "乡镇",
    "马城镇": "乡镇",
    "大庆街道": "街道",
    "钓鱼台街道": "街道",
    "禹投集团": "国有企业",
    "昇荣集团": "国有企业",
    "区发改委": "政府工作部门",
    "区政府办": "政府工作部门",
}


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_config_defines_the_classes_of_a_district(root):
    s = load_settings(root / "config.toml", env={})
    assert tuple(s.units.classes) == CLASSES
    raw = tomllib.loads((root / "config.toml").read_text(encoding="utf-8"))["units"]["classes"]
    for name in ("区委工作机关", "人大政协机关", "纪检监察机关"):
        assert raw[name] == {"praise": False, "criticise": False, "scored": False}, name
    assert raw["垂直管理单位"]["criticise"] is False and raw["垂直管理单位"]["scored"] is False
    assert raw["乡镇"]["group"] == raw["街道"]["group"] == "乡镇、街道"


def test_a_class_in_config_changes_only_what_it_names(tmp_path):
    path = write(
        tmp_path,
        "config.toml",
        '[units.classes]\n"垂直管理单位" = { scored = true, group = "驻区单位" }\n'
        '"开发区" = { criticise = false }\n',
    )
    s = load_settings(path, env={})
    vertical = s.units.classes["垂直管理单位"]
    assert (vertical.praise, vertical.criticise, vertical.scored) == (True, False, True)
    assert vertical.group == "驻区单位"
    assert s.units.classes["开发区"].praise and not s.units.classes["开发区"].criticise
    assert len(s.units.classes) == len(CLASSES) + 1
    bad = write(tmp_path, "bad.toml", '[units.classes]\n"乡镇" = { score = true }\n')
    with pytest.raises(ConfigError, match=r"bad.toml 第 1 行.*不认识的项 score"):
        load_settings(bad, env={})


def test_bundled_units_have_the_classes_their_names_say(root):
    with open(root / "units.csv", encoding="utf-8") as f:
        kinds = {row["name"]: row["kind"] for row in csv.DictReader(f)}
    assert set(kinds.values()) <= set(CLASSES)
    for name, cls in BY_NAME.items():
        assert kinds[name] == cls, name
    for name, kind in kinds.items():
        if name.endswith("街道"):
            assert kind == "街道", name
        elif name.endswith(("乡", "镇")):
            assert kind == "乡镇", name
        elif name.startswith("区委") and name != "区委编办":
            assert kind == "区委工作机关", name


def test_older_kinds_still_load_as_their_classes(tmp_path):
    path = write(
        tmp_path,
        "units.csv",
        "name,kind\n甲局,department\n一乡,township\n二街道,street\n东集团,enterprise\n某场,other\n",
    )
    reg = Registry.load(path, load_settings(tmp_path / "none.toml", env={}).registry)
    got = {n: u.kind for n, u in reg.units.items()}
    assert got == {
        "甲局": "政府工作部门",
        "一乡": "乡镇",
        "二街道": "街道",
        "东集团": "国有企业",
        "某场": "其他",
    }


def test_check_warns_about_a_unit_of_no_known_class(root, tmp_path, duban, monkeypatch):
    text = (root / "units.csv").read_text(encoding="utf-8")
    text = text.replace("区残联,群团组织", "区残联,社会团体").replace(
        "大洪山林场,其他", "大洪山林场,"
    )
    monkeypatch.setenv("DUBAN_PATHS_UNITS", str(write(tmp_path, "units.csv", text)))
    res = duban("check")
    assert "单位“区残联”单位类别“社会团体”不是已设定的类别" in res.out, res.out
    assert "单位“大洪山林场”没有填写单位类别" in res.out
    assert "通报不点名该单位，考核不给它评分" in res.out
    assert not any(line.startswith("错误") and "类别" in line for line in res.out.splitlines())


def test_the_office_and_unknown_classes_are_never_named_or_scored(root):
    s = load_settings(root / "config.toml", env={})
    c = Classes.of(s, {"区督查考核办": "政府工作部门", "某单位": "社会团体"})
    assert c.rule("区发改委", "政府工作部门").praise  # the class allows it …
    assert not (c.may_praise("区督查考核办") or c.may_criticise("区督查考核办"))  # … not the office
    assert not c.scored("区督查考核办")
    assert not (c.may_praise("某单位") or c.may_criticise("某单位") or c.scored("某单位"))
    assert c.may_praise("区税务局", "垂直管理单位") and not c.may_criticise(
        "区税务局", "垂直管理单位"
    )
    assert c.group("长青乡", "township") == c.group("大庆街道", "街道") == "乡镇、街道"


@pytest.fixture
def year(app):
    install_year(app)
    return app


# the hand-built year with 丁局 (missing in Q3) a 纪检监察机关, 二镇 (praised in Q4) a 区委工作机关
# and 东集团 (leads the red task 8) a 垂直管理单位; 甲局 is the issuing office
KINDS_NOW = {**KINDS, "丁局": "纪检监察机关", "二镇": "区委工作机关", "东集团": "垂直管理单位"}


def test_the_bulletin_counts_but_does_not_name_them(year):
    year.settings.district.office = "甲局"
    with year.ledger() as ledger:
        q3 = bulletin_lists(year.settings, ledger, result(3), KINDS_NOW)
        q4 = bulletin_lists(year.settings, ledger, result(4), KINDS_NOW)
    assert [s.unit for s in q3.missing] == ["西集团"] and q3.withheld["missing"] == 1
    assert q3.private["丁局"] == ["本季度未报送推进情况"]
    assert q4.praised == [] and q4.withheld["praised"] == 2  # 甲局: the office; 二镇
    assert "甲局" not in q4.private and "符合通报表扬条件" in q4.private["二镇"][0]
    # task 8, led by 东集团 alone, is counted, not listed; 东集团 reads it in its own mail
    assert [r.id for r in q4.lagging] == ["2", "6"] and q4.withheld["lagging"] == 1
    assert q4.private["东集团"] == ["牵头的任务8“任务8”：自报“滞后”，亮红灯"]


def test_a_list_left_without_names_still_says_how_many(year):
    """Q3: 丁局 and 西集团 sent nothing; neither may be criticised by name here. The 通报 says
    two were told apart, never that every unit reported."""
    from reporting.assess.bulletin import bulletin_context

    kinds = {**KINDS_NOW, "西集团": "人大政协机关"}
    with year.ledger() as ledger:
        lists = bulletin_lists(year.settings, ledger, result(3), kinds)
    context = bulletin_context(
        year.settings, result(3), lists, doc_number="禹督考〔2024〕3号", day=date(2024, 10, 10)
    )
    items = {n["lead"][3:]: n["text"] for n in context["named"]}
    assert items["未报送的单位："] == "共2个，已单独告知。"
    assert "均按时报送" not in context["named_intro"]


def test_the_documents_leave_them_out_and_their_mails_tell_them(year, tmp_path):
    from docx import Document

    from reporting.assess.bulletin_send import send_bulletin

    s = year.settings
    s.district.office = "甲局"
    units = "name,kind,email\n" + "".join(
        f"{u},{k},u{i}@yuhui.example\n" for i, (u, k) in enumerate(KINDS_NOW.items())
    )
    s.paths.units = write(tmp_path, "units.csv", units)
    registry = Registry.load(s.paths.units, RegistrySettings())

    class Assignments:  # the registry is all render_bulletin reads of it
        pass

    a = Assignments()
    a.registry = registry
    with year.ledger() as ledger:
        out = render_bulletin(
            s, year.workspace, ledger, Period(YEAR, 3), now=at(date(2024, 10, 10)), assignments=a
        )
        text = "\n".join(p.text for p in Document(out.docx).paragraphs)
        assert "西集团" in text and "丁局" not in text
        # counted all the same: the list says there is one more
        assert "未报送的单位：西集团，共1个（另有1个单位已单独告知）。" in text
        card = run_score(
            s, year.workspace, ledger, YEAR, registry=registry, now=at(date(2025, 1, 10))
        ).card
        assert {u.unit for u in card.units} == set(KINDS) - {"甲局", "丁局", "二镇", "东集团"}
        s.smtp.outbox = tmp_path / "outbox"
        out.pdf = write(tmp_path, "bulletin.pdf", "%PDF-1.4 stand-in")
        send_bulletin(s, registry, ledger, out, now=at(date(2024, 10, 10)))
    bodies = {}
    for eml in (tmp_path / "outbox").glob("*.eml"):
        msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        bodies[msg["To"].addresses[0].username] = msg.get_body(("plain",)).get_content()
    told = bodies[f"u{list(KINDS_NOW).index('丁局')}"]
    assert "以下情况未在通报中点名，特此单独告知：本季度未报送推进情况。" in told
    assert not any(
        "单独告知" in b for u, b in bodies.items() if u != f"u{list(KINDS_NOW).index('丁局')}"
    )
