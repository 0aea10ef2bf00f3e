"""The layout's rules, held by reading the code (ast), not by convention.

- ``reporting/`` is split into stages that follow the pipeline; a stage imports only itself
  and the stages before it (``STAGES``).
- ``reporting/`` never imports ``jobs`` or click, never reads the clock and never reads the
  environment: "now" and secrets come in as arguments from ``jobs/``.
- docs/development.md's module map lists exactly the modules in the tree.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPORTING = ROOT / "reporting"

# In pipeline order; each may import itself and anything to its left.
STAGES = (
    "core",
    "documents",
    "taskbook",
    "forms",
    "notify",
    "intake",
    "merge",
    "feedback",
    "report",
    "assess",
    "annual",
    "sample",
    "recover",
)

CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
    ("time", "strftime"),
}
ENV_CALLS = {("os", "getenv"), ("os", "getenvb")}
ENV_ATTRS = {("os", "environ"), ("os", "environb")}
FORBIDDEN_MODULES = ("jobs", "click", "apscheduler")


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "reporting" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in STAGES else None


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.AST, module: str) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the package
                base = module.split(".")[: -node.level]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((node.lineno, name))
            if name.count(".") < 2:  # ``from reporting.merge import judge`` names a module
                out += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]
    return out


def _dotted(node: ast.AST) -> tuple[str, ...]:
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        names.append(node.id)
    return tuple(reversed(names))


def impurities(tree: ast.AST) -> list[tuple[int, str]]:
    """Clock and environment reads: ``datetime.now()``, ``time.time()``, ``os.environ`` …"""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            tail = _dotted(node.func)[-2:]
            if tail in CLOCK_CALLS:
                found.append((node.lineno, "读取时钟 " + ".".join(tail) + "()"))
            if tail in ENV_CALLS:
                found.append((node.lineno, "读取环境变量 " + ".".join(tail) + "()"))
        elif isinstance(node, ast.Attribute):
            if _dotted(node)[-2:] in ENV_ATTRS:
                found.append((node.lineno, "读取环境变量 " + ".".join(_dotted(node)[-2:])))
        elif isinstance(node, ast.ImportFrom) and node.module in ("os", "time"):
            for alias in node.names:
                if (node.module, alias.name) in ENV_CALLS | ENV_ATTRS | CLOCK_CALLS:
                    found.append((node.lineno, f"from {node.module} import {alias.name}"))
    return found


def violations(root: Path = REPORTING) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        where = path.relative_to(ROOT)
        own = stage_of(module)
        if module != "reporting" and own is None:
            out.append(f"{where}: 不在任何阶段目录中（{', '.join(STAGES)}）")
        for line, name in imported_modules(tree, module):
            top = name.split(".")[0]
            if top in FORBIDDEN_MODULES:
                out.append(f"{where}:{line}: reporting 不得导入 {name}")
            target = stage_of(name)
            if own and target and STAGES.index(target) > STAGES.index(own):
                out.append(f"{where}:{line}: {own} 阶段不得导入后面的阶段 {name}")
        out += [f"{where}:{line}: {what}" for line, what in impurities(tree)]
    return out


def test_reporting_follows_the_layout_rules():
    assert violations() == []


def test_a_wrong_way_import_is_caught(tmp_path):
    pkg = tmp_path / "reporting"
    (pkg / "core").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "core" / "__init__.py").write_text("")
    (pkg / "core" / "bad.py").write_text("from reporting.report.render import render_report\n")
    found = _violations_in(tmp_path)
    assert found == ["reporting/core/bad.py:1: core 阶段不得导入后面的阶段 reporting.report.render"]


@pytest.mark.parametrize(
    "code, what",
    [
        ("from datetime import datetime\nx = datetime.now()\n", "读取时钟 datetime.now()"),
        ("import datetime\nx = datetime.date.today()\n", "读取时钟 date.today()"),
        ("import time\nx = time.time()\n", "读取时钟 time.time()"),
        ("import os\nx = os.environ.get('A')\n", "读取环境变量 os.environ"),
        ("import os\nx = os.getenv('A')\n", "读取环境变量 os.getenv()"),
        ("import click\n", "reporting 不得导入 click"),
        ("from jobs.clock import Clock\n", "reporting 不得导入 jobs.clock"),
    ],
)
def test_clock_environment_and_cli_reads_are_caught(tmp_path, code, what):
    pkg = tmp_path / "reporting" / "merge"
    pkg.mkdir(parents=True)
    (pkg.parent / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "planted.py").write_text(code)
    found = _violations_in(tmp_path)
    assert any(what in line and "planted.py" in line for line in found), found


def _violations_in(root: Path) -> list[str]:
    global ROOT
    saved = ROOT
    ROOT = root
    try:
        return violations(root / "reporting")
    finally:
        ROOT = saved


def test_module_map_in_the_docs_matches_the_tree():
    doc = (ROOT / "docs" / "development.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `((?:reporting|jobs)/[\w/]+\.py)` \|", doc, flags=re.M))
    actual = {
        str(p.relative_to(ROOT))
        for d in ("reporting", "jobs")
        for p in (ROOT / d).rglob("*.py")
        if p.name != "__init__.py"
    }
    assert sorted(actual - documented) == [], "模块未写入 docs/development.md"
    assert sorted(documented - actual) == [], "docs/development.md 写了不存在的模块"
