"""共性问题: the units' 存在问题 grouped into themes by keyword rules the office edits.

Pure and deterministic. A text is read clause by clause; a clause lands in every theme one
of whose keywords it contains; a text with a problem that no keyword names lands in
``OTHER``; a text (or clause) that only says there is none ("无", "暂无问题") is no problem.
``group`` turns each task's texts into theme groups, the theme raised by most tasks first.
The rules are ``[report] theme_keywords`` (defaults for a 区 in ``core.config``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

OTHER = "其他"
_CLAUSE_SPLIT = re.compile(r"[，。；;,！？!?\n]+")
_ENUM = re.compile(
    r"^(\d+[.、．]|[（(]\d+[）)]|[一二三四五六七八九十]+[是、])"
)  # "1." "（2）" "一是"
# a clause saying there is no problem: "无", "暂无问题", "目前无明显问题", "/"
_NONE = re.compile(
    r"^((目前|当前|本季度)?暂?(无|没有|未发现|不存在)(明显|其他|突出|重大)?的?(问题|困难)?|[—\-/／无]+)$"
)


@dataclass(frozen=True)
class Theme:
    name: str
    keywords: tuple[str, ...]


def themes_from(rules: Mapping[str, Sequence[str]]) -> tuple[Theme, ...]:
    """The office's rules (theme → keywords, in the order written) as themes."""
    return tuple(Theme(name, tuple(k for k in words if k)) for name, words in rules.items())


def clauses(text: str) -> list[str]:
    """The clauses of a 存在问题 text that state a problem, without numbering or end marks."""
    out = []
    for part in _CLAUSE_SPLIT.split(text or ""):
        part = _ENUM.sub("", part.strip()).strip()
        if part and not _NONE.match(part):
            out.append(part)
    return out


def clause_themes(clause: str, themes: Sequence[Theme]) -> tuple[str, ...]:
    return tuple(t.name for t in themes if any(k in clause for k in t.keywords))


def classify(text: str, themes: Sequence[Theme]) -> tuple[str, ...]:
    """The themes ``text`` raises, in rule order; (OTHER,) for a problem no rule names;
    () when the text says there is none."""
    found: list[str] = []
    parts = clauses(text)
    for clause in parts:
        for name in clause_themes(clause, themes):
            if name not in found:
                found.append(name)
    order = [t.name for t in themes]
    if found:
        return tuple(sorted(found, key=order.index))
    return (OTHER,) if parts else ()


@dataclass
class ThemeGroup:
    """Tasks that raised the same theme(s): ``themes`` holds several when exactly the same
    tasks raised each of them; ``said`` the clauses they wrote, most tasks first."""

    themes: tuple[str, ...]
    tasks: list[str]
    said: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        names = list(self.themes)
        return names[0] if len(names) == 1 else "、".join(names[:-1]) + "和" + names[-1]


def group(items: Iterable[tuple[str, Sequence[str]]], themes: Sequence[Theme]) -> list[ThemeGroup]:
    """``items``: (task, its problem texts) in task order → theme groups, the theme raised by
    most tasks first (ties in rule order), ``OTHER`` last; a task counts once per theme."""
    order = [t.name for t in themes] + [OTHER]
    tasks_of: dict[str, list[str]] = {}
    said_by: dict[str, dict[str, list[str]]] = {}  # theme → clause → tasks
    for task, texts in items:
        for text in texts:
            parts = clauses(text)
            hits = [(c, clause_themes(c, themes)) for c in parts]
            if parts and not any(names for _, names in hits):
                hits = [(c, (OTHER,)) for c in parts]
            for clause, names in hits:
                for name in names:
                    if task not in tasks_of.setdefault(name, []):
                        tasks_of[name].append(task)
                    who = said_by.setdefault(name, {}).setdefault(clause, [])
                    if task not in who:
                        who.append(task)
    merged: list[list[str]] = []  # themes raised by exactly the same tasks share a group
    for name in sorted(tasks_of, key=order.index):
        same = next(
            (g for g in merged if OTHER not in (name, g[0]) and tasks_of[g[0]] == tasks_of[name]),
            None,
        )
        if same is None:
            merged.append([name])
        else:
            same.append(name)
    groups = []
    for members in merged:
        tasks = tasks_of[members[0]]
        said: dict[str, list[str]] = {}
        for name in members:
            for clause, who in said_by[name].items():
                said.setdefault(clause, [])
                said[clause] += [t for t in who if t not in said[clause]]
        ranked = sorted(said, key=lambda c: -len(said[c]))  # stable: first written first
        groups.append(ThemeGroup(tuple(members), list(tasks), ranked))
    groups.sort(key=lambda g: (OTHER in g.themes, -len(g.tasks), order.index(g.themes[0])))
    return groups
