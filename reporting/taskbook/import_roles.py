"""Who leads and who helps, when the breakdown lists them in one place.

Notices name units three ways: with separate labels (牵头单位 / 配合单位), with one list
and a mark (``区发改委（牵头）、区财政局``, ``区城管局牵头，区商务局配合``), or with one list
(责任单位) and a convention stated once in the notice (``列第一位的为牵头单位``, as 杭州
writes). ``first_leads_rule`` finds that sentence; ``assign`` turns one row's labels into the
four columns of tasks.csv. Lists that are unsure (several units under 责任单位 and no
convention) stay as written and say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FIRST = r"(?:第一|第1|首)"
_WHAT = r"(?:责任单位|责任领导|单位|部门|领导)"
_FIRST_LEADS = (
    re.compile(
        rf"(?:列|排|排列|位列|排名|排在|列在|写在|居)?\s*{_FIRST}\s*[位个名]?\s*的?\s*(?P<a>{_WHAT})?"
        rf"\s*(?:为|是|系|即为|作为)\s*(?:牵头|主责)(?P<b>{_WHAT})?"
    ),
    re.compile(rf"牵头(?P<a>{_WHAT})\s*(?:列|排|排列|排在|列在|放在|居)\s*{_FIRST}"),
)
# a name marked as the lead: 区发改委（牵头） / 区发改委【牵头单位】 / 区发改委牵头
_LEAD_MARK = re.compile(r"\s*[（(【\[]\s*牵头(?:单位|部门|领导)?\s*[）)】\]]\s*$")
_BARE_LEAD = re.compile(r"\s*牵头(?:单位|部门)?$")
_BARE_HELP = re.compile(r"\s*(?:配合|协助|协办|参与)(?:单位|部门)?$")
_HELP_MARK = re.compile(r"\s*[（(【\[]\s*(?:配合|协助|协办|参与)(?:单位|部门)?\s*[）)】\]]\s*$")


@dataclass(frozen=True)
class FirstLeads:
    """The notice's own sentence: the first name of a list leads."""

    quote: str
    where: str
    units: bool
    leaders: bool


@dataclass
class Roles:
    """One row's four columns, and what was decided about them."""

    lead_units: str = ""
    coop_units: str = ""
    lead_leaders: str = ""
    assist_leaders: str = ""
    findings: list[str] = field(default_factory=list)
    first_split: bool = False  # a 责任单位 list split by the first-leads rule
    person: str = ""  # 责任人: "lead" when it filled lead_leaders, "kept out" when not


def first_leads_rule(lines) -> FirstLeads | None:
    """The sentence that says the first listed unit (or leader) leads, from any line."""
    for line in lines:
        text = line.text
        for rx in _FIRST_LEADS:
            m = rx.search(text)
            if m is None:
                continue
            start = max(text.rfind(p, 0, m.start()) for p in "。；;\n") + 1
            ends = [i for i in (text.find(p, m.end()) for p in "。；;") if i >= 0]
            quote = text[start : min(ends) if ends else len(text)].strip()
            quote = re.sub(r"^[（(]?\s*(?:注|说明|备注)\s*\d*\s*[：:]", "", quote).strip()
            what = (m.group("a") or "") + (m.groupdict().get("b") or "")
            leaders = "领导" in what
            return FirstLeads(
                quote, line.where, units=not leaders or "单位" in what, leaders=leaders
            )
    return None


def split_names(text: str) -> list[str]:
    """'区发改委、区财政局，各乡镇、街道' → ['区发改委', '区财政局', '各乡镇、街道'] (brackets kept)."""
    names: list[str] = []
    depth, cur = 0, ""
    for ch in text:
        if ch in "（(【[":
            depth += 1
        elif ch in "）)】]":
            depth = max(depth - 1, 0)
        if not depth and (ch in "、，,；;/／" or ch.isspace()):
            names.append(cur)
            cur = ""
        else:
            cur += ch
    names.append(cur)
    out: list[str] = []
    for name in (n.strip() for n in names):
        if not name:
            continue
        if out and name.startswith("街道") and out[-1].startswith("各"):
            out[-1] = f"{out[-1]}、{name}"  # 各乡镇、街道 is one group
        else:
            out.append(name)
    return out


def marked(text: str) -> tuple[list[str], list[str]] | None:
    """(leads, helpers) of a list that marks its lead; None when nothing is marked.

    A bracketed mark names one unit; a bare 牵头 / 配合 at the end of a clause names every
    unit of that clause (``区发改委、区财政局牵头，区住建局配合``).
    """
    if "牵头" not in text:
        return None
    leads: list[str] = []
    helps: list[str] = []
    for clause in re.split(r"[，,；;]", text):
        names = split_names(clause)
        if not names:
            continue
        bare_lead = bool(_BARE_LEAD.search(names[-1])) and not _LEAD_MARK.search(names[-1])
        bare_help = bool(_BARE_HELP.search(names[-1])) and not _HELP_MARK.search(names[-1])
        for name in names:
            plain = _HELP_MARK.sub("", _LEAD_MARK.sub("", name))
            plain = _BARE_HELP.sub("", _BARE_LEAD.sub("", plain)).strip()
            if not plain:
                continue
            if bare_lead or _LEAD_MARK.search(name):
                leads.append(plain)
            elif bare_help or _HELP_MARK.search(name):
                helps.append(plain)
            else:
                helps.append(plain)
    return (leads, helps) if leads else None


def _join(*parts: list[str]) -> str:
    return "、".join(dict.fromkeys(n for part in parts for n in part if n))


# a list without roles → (its lead column, its helpers' column, what the notice calls them)
_LISTS = {
    "units": ("lead_units", "coop_units", "责任单位", "牵头单位", "配合责任单位"),
    "leaders": ("lead_leaders", "assist_leaders", "责任领导", "牵头领导", "协助配合领导"),
}


def assign(labels: dict[str, str], *, units_first: bool, leaders_first: bool, hint: bool) -> Roles:
    """The four name columns of one row from its labels (``import_text.LABELS`` keys).

    Names stay as written when nothing is decided about them. ``hint``: a list of several
    units under 责任单位, all kept as leads, asks for ``--first-leads`` in the findings.
    """
    r = Roles()
    for key, first in (("units", units_first), ("leaders", leaders_first)):
        lead_column, help_column, called, lead_called, help_called = _LISTS[key]
        lead, helps = labels.get(lead_column, ""), labels.get(help_column, "")
        found = marked(lead)
        if found:  # 牵头单位：区发改委（牵头）、区财政局
            lead, helps = _join(found[0]), _join(found[1], split_names(helps))
        listed = labels.get(key, "")
        leads, others, how = _divide(listed, first) if listed else ([], [], "")
        if lead and how == "all":
            helps = _join(leads, split_names(helps))
            r.findings.append(
                f"同时写了“{lead_called}”和“{called}”，已把{called}作为{help_called}，请核对"
            )
        elif listed:
            if not lead:
                lead = listed if how == "all" else _join(leads)  # as written: nothing decided
            else:
                lead = _join(split_names(lead), leads)
            helps = _join(others, split_names(helps)) if others else helps
        if key == "units":
            r.first_split = how == "first"
            if how == "all" and not labels.get(lead_column) and len(leads) > 1 and hint:
                r.findings.append(
                    f"“责任单位”列了 {len(leads)} 个单位，都作为牵头责任单位；"
                    "如通知规定列第一位的为牵头单位，请加 --first-leads 重新导入"
                )
        setattr(r, lead_column, lead)
        setattr(r, help_column, helps)
    person = labels.get("person", "")
    if person and not r.lead_leaders and not r.assist_leaders:
        r.lead_leaders, r.person = person, "lead"
    elif person:
        r.person = "kept out"
    return r


def _divide(text: str, first: bool) -> tuple[list[str], list[str], str]:
    """(leads, helpers, how: marked / first / all) of a list under 责任单位 or 责任领导."""
    found = marked(text)
    if found:
        return found[0], found[1], "marked"
    names = split_names(text)
    if first and len(names) > 1:
        return names[:1], names[1:], "first"
    return names, [], "all"
