"""The registry: every name in tasks.csv resolves to canonical units, leaders, a group or a
collective reference.

Units and their contacts live in units.csv (the office edits it in Excel); aliases,
groups, collective references and leaders live in config.toml ``[registry]``, each with
a comment saying why. The notice is written by people, so names may be concatenated
(``长青乡马城镇``), aliased (``陈春霖``) or name a group (``各乡镇、街道``).
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from reporting.core.config import RegistrySettings
from reporting.core.exceptions import RegistryError
from reporting.core.problems import CheckFinding
from reporting.core.unit_classes import class_name
from reporting.taskbook.tasks import Task, decode_table_bytes

UNIT_COLUMNS = ("name", "kind", "contact", "phone", "email", "mobile")
_SEPARATORS = re.compile(r"[、，,；;\s]+")
_PLACEHOLDER = "\x00{}\x00"


@dataclass(frozen=True)
class Unit:
    name: str
    kind: str = "政府工作部门"  # a class of [units.classes] (older kinds mapped at load)
    contact: str = ""
    phone: str = ""
    email: str = ""
    mobile: str = ""  # WeCom/DingTalk @ by mobile
    cc: str = ""  # optional Cc, e.g. the leading leader's office

    @property
    def kind_cn(self) -> str:
        return class_name(self.kind) or "未填写"


@dataclass
class Resolution:
    """What one field of tasks.csv resolves to."""

    names: list[str] = field(default_factory=list)  # canonical units or leaders, groups expanded
    collectives: list[str] = field(default_factory=list)  # as written, no form
    groups: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was guessed: splits, aliases
    unknown: list[tuple[str, list[str]]] = field(default_factory=list)  # (name, close matches)


class Registry:
    def __init__(
        self,
        units: list[Unit],
        settings: RegistrySettings,
        source: str = "units.csv",
        columns: tuple[str, ...] = UNIT_COLUMNS,
    ):
        self.source = source
        self.columns = columns  # the header of units.csv (``duban check`` names missing ones)
        self.units: dict[str, Unit] = {}
        for unit in units:
            if unit.name in self.units:
                raise RegistryError(f"{source}：单位“{unit.name}”重复出现，请删除多余的一行")
            self.units[unit.name] = unit
        self.leaders: list[str] = list(settings.leaders)
        self.aliases: dict[str, str] = {_squash(k): v for k, v in settings.aliases.items()}
        self.groups: dict[str, list[str]] = {
            _squash(k): list(v) for k, v in settings.groups.items()
        }
        self.collectives: dict[str, str] = {_squash(c): c for c in settings.collectives}
        self._check_config()

    # -- loading -------------------------------------------------------------
    @classmethod
    def load(cls, units_csv: Path | str, settings: RegistrySettings) -> Registry:
        path = Path(units_csv)
        if not path.exists():
            raise RegistryError(f"找不到单位名录 {path}，请检查 config.toml 的 [paths] units")
        text = decode_table_bytes(path.read_bytes(), path.name)
        reader = csv.DictReader(io.StringIO(text))
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in ("name", "kind") if c not in header]
        if missing:
            raise RegistryError(f"{path.name} 第 1 行（表头）缺少列：{'、'.join(missing)}")
        reader.fieldnames = header
        units = []
        for row in reader:
            row = {k: (v or "").strip() for k, v in row.items() if k}
            if not any(row.values()):
                continue
            where = f"{path.name} 第 {reader.line_num} 行"
            if not row.get("name"):
                raise RegistryError(f"{where}：单位名称为空，请填写或删除该行")
            # the class is checked against config by ``duban check`` (unknown ones: warned)
            row["kind"] = class_name(row.get("kind", ""))
            units.append(Unit(**{k: row.get(k, "") for k in (*UNIT_COLUMNS, "cc")}))
        return cls(units, settings, source=path.name, columns=tuple(header))

    def _check_config(self) -> None:
        for alias, target in self.aliases.items():
            if target not in self.units and target not in self.leaders:
                raise RegistryError(
                    f"config.toml [registry.aliases]：“{alias}”指向的“{target}”既不是单位也不是领导，请检查"
                )
        for group, members in self.groups.items():
            for m in members:
                if m not in self.units:
                    raise RegistryError(
                        f"config.toml [registry.groups]：分组“{group}”的成员“{m}”不在单位名录中"
                    )

    # -- lookups -------------------------------------------------------------
    def unit(self, name: str) -> Unit:
        """The unit for a canonical name or an alias; RegistryError with suggestions otherwise."""
        key = self.canonical_unit(name)
        if key is None:
            hints = self.suggest(name, list(self.units))
            hint = f"，可能是 {' / '.join(hints)}？" if hints else ""
            raise RegistryError(f"单位名录中没有“{name}”{hint}")
        return self.units[key]

    def canonical_unit(self, name: str) -> str | None:
        key = _squash(name)
        key = self.aliases.get(key, key)
        return key if key in self.units else None

    def suggest(self, name: str, pool: list[str]) -> list[str]:
        close = difflib.get_close_matches(name, pool, n=3, cutoff=0.5)
        # same length names that differ by one character (陈春霖 / 陈春霆)
        for cand in pool:
            if (
                cand not in close
                and len(cand) == len(name)
                and sum(a != b for a, b in zip(cand, name, strict=True)) == 1
            ):
                close.insert(0, cand)
        return close[:3]

    # -- resolving fields ----------------------------------------------------
    def resolve_units(self, text: str) -> Resolution:
        return self._resolve(text, self.units.keys(), allow_groups=True)

    def resolve_leaders(self, text: str) -> Resolution:
        return self._resolve(text, self.leaders, allow_groups=False)

    def _resolve(self, text: str, known, allow_groups: bool) -> Resolution:
        # ``known`` stays a keys view for units: a list made per call cost more than the lookups
        res = Resolution()
        for token in self._tokens(text, allow_groups):
            if allow_groups and token in self.groups:
                res.groups.append(token)
                _extend_unique(res.names, self.groups[token])
            elif allow_groups and token in self.collectives:
                res.collectives.append(self.collectives[token])
            elif token in known:
                _extend_unique(res.names, [token])
            elif token in self.aliases and self.aliases[token] in known:
                res.notes.append(f"“{token}”按别名视为“{self.aliases[token]}”")
                _extend_unique(res.names, [self.aliases[token]])
            else:
                parts = self._split_concatenated(token, known, allow_groups)
                if parts:
                    res.notes.append(f"“{token}”拆分为“{'、'.join(parts)}”")
                    for part in parts:
                        sub = self._resolve(part, known, allow_groups)
                        _extend_unique(res.names, sub.names)
                        res.groups += sub.groups
                        res.notes += sub.notes
                else:
                    res.unknown.append((token, self.suggest(token, known)))
        return res

    def _tokens(self, text: str, allow_groups: bool) -> list[str]:
        """Split on separators, keeping group names that contain one (各乡镇、街道) whole."""
        text = _squash_keep_separators(text)
        protected: list[str] = []
        if allow_groups:
            for name in sorted([*self.groups, *self.collectives], key=len, reverse=True):
                if _SEPARATORS.search(name) is None or name not in text:
                    continue
                text = text.replace(name, _PLACEHOLDER.format(len(protected)))
                protected.append(name)
        tokens = []
        for raw in _SEPARATORS.split(text):
            token = raw.strip().rstrip("。.")
            for i, name in enumerate(protected):
                token = token.replace(_PLACEHOLDER.format(i), name)
            if token:
                tokens.append(token)
        return tokens

    def _split_concatenated(
        self, token: str, known: list[str], allow_groups: bool
    ) -> list[str] | None:
        """Split 长青乡马城镇 into known names (shortest split wins); None when impossible."""
        vocab = set(known) | {a for a, t in self.aliases.items() if t in known}
        if allow_groups:
            vocab |= set(self.groups)
        best: dict[int, list[str]] = {0: []}
        for end in range(1, len(token) + 1):
            for start in range(end):
                if start in best and token[start:end] in vocab:
                    cand = best[start] + [token[start:end]]
                    if end not in best or len(cand) < len(best[end]):
                        best[end] = cand
        parts = best.get(len(token))
        return parts if parts and len(parts) > 1 else None

    def unknown_classes(self, classes) -> list[CheckFinding]:
        """Units whose ``kind`` names no class of ``[units.classes]`` (for ``duban check``)."""
        out = []
        for unit in self.units.values():
            if unit.kind in classes:
                continue
            what = f"单位类别“{unit.kind}”不是" if unit.kind else "没有填写单位类别，应填"
            out.append(
                CheckFinding(
                    self.source,
                    f"单位“{unit.name}”{what}已设定的类别（{'、'.join(classes)}）之一；"
                    "在改正之前，通报不点名该单位，考核不给它评分",
                    error=False,
                )
            )
        return out

    # -- whole table -----------------------------------------------------------
    def check_tasks(self, tasks: list[Task]) -> list[CheckFinding]:
        problems: list[CheckFinding] = []
        used: set[str] = set()
        for task in tasks:
            where = f"tasks.csv 第 {task.line} 行（任务 {task.label}）"
            for column, cn in (
                ("lead_leaders", "牵头责任领导"),
                ("assist_leaders", "协助配合领导"),
                ("lead_units", "牵头责任单位"),
                ("coop_units", "配合责任单位"),
            ):
                text = getattr(task, column)
                if not text:
                    continue
                res = (
                    self.resolve_leaders(text) if "leaders" in column else self.resolve_units(text)
                )
                used.update(res.names)
                for name, close in res.unknown:
                    hint = (
                        f"，可能是 {' / '.join(close)}？"
                        if close
                        else "，请在单位名录或 config.toml [registry] 中登记"
                    )
                    problems.append(CheckFinding(where, f"{cn}“{name}”无法识别{hint}"))
                if column == "lead_units" and not res.names:
                    problems.append(CheckFinding(where, "牵头责任单位没有可发表的具体单位"))
        for name in self.units:
            if name not in used:
                problems.append(
                    CheckFinding(
                        self.source,
                        f"单位“{name}”在任务表中没有任何任务，不会收到表单",
                        error=False,
                    )
                )
        return problems


def _extend_unique(target: list[str], items) -> None:
    for item in items:
        if item not in target:
            target.append(item)


def _squash(name: str) -> str:
    """Drop spaces and full-width spaces: '50 项民生实事相关单位' == '50项民生实事相关单位'."""
    return re.sub(r"[\s\u3000]+", "", name or "")


def _squash_keep_separators(text: str) -> str:
    # spaces inside a name are PDF artefacts; only 、，；, separate names
    return re.sub(r"[ \u3000\t]+", "", text or "")
