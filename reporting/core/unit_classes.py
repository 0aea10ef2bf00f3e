"""单位类别: what the office's own documents may do with a unit, decided by its class.

units.csv ``kind`` names a class of ``[units.classes]`` (政府工作部门, 区委工作机关, 人大政协机关,
纪检监察机关, 垂直管理单位, 群团组织, 乡镇, 街道, 国有企业, 其他 by default). Each class says
whether the 通报 may praise or criticise its units by name, whether they are scored and in
which ranking group. The issuing office (``[district] office``) is never praised, criticised,
scored or ranked by its own documents. A unit of a class the config does not know is treated
with the most care: not named, not scored (``duban check`` warns about it).

The older kinds (department, township, street, enterprise, other) still load: ``LEGACY_KINDS``
maps them, so an office's units.csv and merged results written before keep working.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reporting.core.config import Settings, UnitClass

LEGACY_KINDS = {
    "department": "政府工作部门",
    "township": "乡镇",
    "street": "街道",
    "enterprise": "国有企业",
    "other": "其他",
}
UNKNOWN = UnitClass(praise=False, criticise=False, scored=False)


def class_name(kind: str) -> str:
    """The class a units.csv ``kind`` names (an older kind mapped, anything else as written)."""
    kind = (kind or "").strip()
    return LEGACY_KINDS.get(kind, kind)


@dataclass
class Classes:
    """The classes of ``settings`` applied to units: ``kinds`` (unit → kind, e.g. from the
    registry) takes precedence over the kind a merged result recorded."""

    classes: dict[str, UnitClass]
    office: str
    kinds: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, str] = field(default_factory=dict)  # class → group ([scoring] groups)

    @classmethod
    def of(cls, settings: Settings, kinds: Mapping[str, str] | None = None) -> Classes:
        groups = {
            class_name(kind): group
            for group, kinds_ in settings.scoring.groups.items()
            for kind in kinds_
        }
        return cls(settings.units.classes, settings.district.office, kinds or {}, groups)

    def name(self, unit: str, kind: str = "") -> str:
        return class_name(self.kinds.get(unit) or kind)

    def known(self, unit: str, kind: str = "") -> bool:
        return self.name(unit, kind) in self.classes

    def rule(self, unit: str, kind: str = "") -> UnitClass:
        return self.classes.get(self.name(unit, kind), UNKNOWN)

    def is_office(self, unit: str) -> bool:
        return unit == self.office

    def may_praise(self, unit: str, kind: str = "") -> bool:
        return not self.is_office(unit) and self.rule(unit, kind).praise

    def may_criticise(self, unit: str, kind: str = "") -> bool:
        return not self.is_office(unit) and self.rule(unit, kind).criticise

    def scored(self, unit: str, kind: str = "") -> bool:
        return not self.is_office(unit) and self.rule(unit, kind).scored

    def group(self, unit: str, kind: str = "") -> str:
        name = self.name(unit, kind)
        if name in self.groups:
            return self.groups[name]
        return self.rule(unit, kind).group or name


def describe(name: str, rule: UnitClass) -> str:
    """One line of the rule for people: '区委工作机关：不点名表扬，不点名批评，不参加考核评分'."""
    parts = [
        "可点名表扬" if rule.praise else "不点名表扬",
        "可点名批评" if rule.criticise else "不点名批评",
        f"参加考核评分（排名组：{rule.group or name}）" if rule.scored else "不参加考核评分",
    ]
    return f"{name}：{'，'.join(parts)}"
