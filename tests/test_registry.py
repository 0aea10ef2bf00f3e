"""The registry: splits, aliases, groups, collectives, and suggestions for unknown names."""

import pytest
from helpers import UNIT_CLASSES

from reporting.core.config import RegistrySettings
from reporting.core.exceptions import RegistryError
from reporting.taskbook.registry import Registry, Unit


@pytest.fixture
def reg(app):
    return app.registry


@pytest.mark.parametrize(
    "text, names",
    [
        ("王宏洲陈春霆", ["王宏洲", "陈春霆"]),
        ("崔海锋陈丽娜", ["崔海锋", "陈丽娜"]),
        ("陈丽娜陈春霖", ["陈丽娜", "陈春霆"]),
        ("王宏洲、陈丽娜", ["王宏洲", "陈丽娜"]),
        ("陈春霖", ["陈春霆"]),
    ],
)
def test_leaders(reg, text, names):
    res = reg.resolve_leaders(text)
    assert res.names == names
    assert not res.unknown


@pytest.mark.parametrize(
    "alias, canonical",
    [
        ("区生态环境局", "区生态环境分局"),
        ("昇容集团", "昇荣集团"),
        ("禹投公司", "禹投集团"),
        ("区税务分局", "区税务局"),
        ("区编办", "区委编办"),
        ("区经济发展服务中心", "区招商和经济发展服务中心"),
        ("区发改委（区营商环境办）", "区发改委"),
    ],
)
def test_unit_aliases(reg, alias, canonical):
    res = reg.resolve_units(alias)
    assert res.names == [canonical]
    assert "别名" in res.notes[0]
    assert reg.unit(alias).name == canonical


def test_concatenated_units_are_split(reg):
    res = reg.resolve_units("长青乡马城镇")
    assert res.names == ["长青乡", "马城镇"]
    assert "拆分" in res.notes[0]


def test_group_with_inner_separator_is_one_group(reg):
    res = reg.resolve_units("各乡镇、街道，涂山风景区管委会、区发改委")
    assert res.groups == ["各乡镇、街道"]
    assert res.names[:2] == ["长青乡", "马城镇"]
    assert {"大庆街道", "张公山街道", "纬四街道", "朝阳街道"} <= set(res.names)
    assert res.names[-2:] == ["涂山风景区管委会", "区发改委"]


def test_small_groups(reg):
    assert reg.resolve_units("各乡镇").names == ["长青乡", "马城镇"]
    streets = reg.resolve_units("马城镇、各街道").names
    assert streets[0] == "马城镇" and "朝阳街道" in streets and "长青乡" not in streets


def test_trailing_full_stop_and_commas(reg):
    res = reg.resolve_units("长青乡、大庆街道、纬四街道、张公山街道、朝阳街道。")
    assert res.names[-1] == "朝阳街道"
    assert not res.unknown


def test_collectives_resolve_to_no_unit(reg):
    res = reg.resolve_units("区住建交通局、大庆街道、50 项民生实事相关单位")
    assert res.names == ["区住建交通局", "大庆街道"]
    assert res.collectives == ["50项民生实事相关单位"]
    for text in [
        "区政府各部门",
        "区直相关部门",
        "区安委会成员单位",
        "GDP核算基础数据承担单位",
        "驻政务服务中心部门",
    ]:
        res = reg.resolve_units(text)
        assert res.names == [] and res.collectives == [text]


def test_unknown_name_gets_close_matches(reg):
    res = reg.resolve_units("区发改局")
    assert res.unknown and res.unknown[0][0] == "区发改局"
    assert "区发改委" in res.unknown[0][1]
    with pytest.raises(RegistryError, match="可能是 区发改委"):
        reg.unit("区发改局")


def test_unaliased_leader_is_suggested():
    reg = Registry([Unit("区发改委")], RegistrySettings(leaders=["陈春霆", "陈丽娜"]))
    res = reg.resolve_leaders("陈春霖")
    assert res.unknown == [("陈春霖", ["陈春霆"])]


def test_contacts_and_kinds(reg):
    u = reg.units["长青乡"]
    assert u.kind == "乡镇" and u.kind_cn == "乡镇"
    assert u.email.endswith(".example")  # placeholders under a reserved domain
    assert {x.kind for x in reg.units.values()} == set(UNIT_CLASSES)


def test_bad_units_csv(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("name,kind\n区发改委,department\n区发改委,department\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="重复"):
        Registry.load(path, RegistrySettings())


def test_alias_to_nowhere_is_an_error():
    with pytest.raises(RegistryError, match="既不是单位也不是领导"):
        Registry([Unit("区发改委")], RegistrySettings(aliases={"发改": "区发展委"}))
