"""The layout's rules, held by reading the code (ast), not by convention.

- ``reporting/`` is split into stages that follow the pipeline; a stage imports only itself
  and the stages before it (``STAGES``).
- ``reporting/`` never imports ``jobs`` or click, never reads the clock and never reads the
  environment: "now" and secrets come in as arguments from ``jobs/``.
- docs/development.md's module map lists exactly the modules in the tree.
- No import circle between modules of ``reporting/`` and ``jobs/`` (at any depth, imports
  inside functions and under ``TYPE_CHECKING`` included).
- No module of ``reporting/`` is over ``MAX_LINES`` lines.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
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
    "dashboard",
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


# -- import circles ---------------------------------------------------------------------

PACKAGES = ("reporting", "jobs")

# Circles known and being removed; each entry is the set of modules of one circle.
KNOWN_CIRCLES: list[frozenset[str]] = []


def modules_in(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Dotted name → file of every module (a package is its ``__init__.py``)."""
    return {
        module_name_under(root, path): path
        for pkg in packages
        for path in sorted((root / pkg).rglob("*.py"))
    }


def module_name_under(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_edges(module: str, path: Path, known: set[str]) -> dict[str, int]:
    """The modules of the tree ``module`` imports anywhere in its file (in functions, under
    ``TYPE_CHECKING``) → the first line. ``from pkg import name`` imports ``pkg.name`` when
    that is a module, else ``pkg``; importing ``a.b.c`` is not counted as importing ``a.b``
    (a package's ``__init__`` importing its own submodules is no circle)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: dict[str, int] = {}

    def add(name: str, line: int) -> None:
        if name in known and name != module:
            found.setdefault(name, line)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            for alias in node.names:
                if f"{name}.{alias.name}" in known:
                    add(f"{name}.{alias.name}", node.lineno)
                else:
                    add(name, node.lineno)
    return found


def import_graph(root: Path = ROOT) -> dict[str, dict[str, int]]:
    modules = modules_in(root)
    known = set(modules)
    return {module: import_edges(module, path, known) for module, path in modules.items()}


def circles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One path per group of modules that import each other (strongly connected components,
    Tarjan): ``[a, b, c, a]`` with a → b → c → a, shortest from the group's first module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(start: str) -> None:
        # iterative, so a deep import chain does not hit the recursion limit
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(group)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return [_cycle_path(graph, group) for group in sorted(groups, key=sorted)]


def _cycle_path(graph: dict[str, dict[str, int]], group: set[str]) -> list[str]:
    start = min(group)
    came_from: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node]):
            if target not in group:
                continue
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if target not in came_from:
                came_from[target] = node
                queue.append(target)
    raise AssertionError(f"no cycle through {start}")  # a component always has one


def describe(graph: dict[str, dict[str, int]], path: list[str]) -> str:
    """``a → b (a.py:12) → a (b.py:3)``: each step with the line that imports."""
    steps = [path[0]]
    for here, there in zip(path, path[1:], strict=False):
        steps.append(f"{there}（{here}:{graph[here][there]}）")
    return " → ".join(steps)


def unexpected_circles(root: Path = ROOT) -> tuple[list[str], list[frozenset[str]]]:
    """Circles not in ``KNOWN_CIRCLES`` (described), and known ones that no longer exist."""
    graph = import_graph(root)
    found = circles(graph)
    new = [describe(graph, path) for path in found if frozenset(path) not in KNOWN_CIRCLES]
    gone = [known for known in KNOWN_CIRCLES if known not in {frozenset(p) for p in found}]
    return new, gone


def test_no_import_circle_between_modules():
    new, gone = unexpected_circles()
    assert new == [], "模块之间有循环导入：\n" + "\n".join(new)
    assert gone == [], f"KNOWN_CIRCLES 里的循环已不存在，请从列表中删除：{gone}"


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, code in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code, encoding="utf-8")
    for pkg in PACKAGES:
        (root / pkg).mkdir(exist_ok=True)
    return root


@pytest.mark.parametrize(
    "files, expected",
    [
        (  # two modules, each imports the other at the top
            {
                "reporting/__init__.py": "",
                "reporting/core/__init__.py": "",
                "reporting/core/a.py": "from reporting.core.b import x\n",
                "reporting/core/b.py": "import reporting.core.a\nx = 1\n",
            },
            ["reporting.core.a", "reporting.core.b", "reporting.core.a"],
        ),
        (  # three deep, the way back inside a function, a submodule by ``from pkg import``
            {
                "reporting/__init__.py": "",
                "reporting/core/__init__.py": "",
                "reporting/core/a.py": "from reporting.core import b\n",
                "reporting/core/b.py": "from reporting.core.c import y\n",
                "reporting/core/c.py": "def f():\n    from reporting.core.a import z\ny = 1\n",
            },
            ["reporting.core.a", "reporting.core.b", "reporting.core.c", "reporting.core.a"],
        ),
        (  # across reporting and jobs, relative imports in a package's __init__
            {
                "reporting/__init__.py": "",
                "reporting/core/__init__.py": "from .x import thing\n",
                "reporting/core/x.py": "import jobs.app\nthing = 1\n",
                "jobs/__init__.py": "",
                "jobs/app.py": "from reporting.core import thing\n",
            },
            ["jobs.app", "reporting.core", "reporting.core.x", "jobs.app"],
        ),
    ],
)
def test_an_import_circle_is_caught_with_its_path(tmp_path, files, expected):
    graph = import_graph(_tree(tmp_path, files))
    assert circles(graph) == [expected]
    text = describe(graph, expected)
    assert text.startswith(expected[0] + " → ") and text.count(" → ") == len(expected) - 1


def test_a_package_importing_its_own_submodules_is_no_circle(tmp_path):
    root = _tree(
        tmp_path,
        {
            "reporting/__init__.py": "",
            "reporting/core/__init__.py": "",
            "reporting/core/store/__init__.py": "from reporting.core.store.a import A\n",
            "reporting/core/store/a.py": "from reporting.core.store.base import Base\nA = 1\n",
            "reporting/core/store/base.py": "Base = 1\n",
            "reporting/core/user.py": "from reporting.core.store import A\n",
        },
    )
    assert circles(import_graph(root)) == []


# -- module size --------------------------------------------------------------------------

MAX_LINES = 600

# Over MAX_LINES today and being split; each must still be over it (a split one leaves).
TOO_LONG: set[str] = set()


def line_counts(root: Path = REPORTING) -> dict[str, int]:
    return {
        str(path.relative_to(root.parent)): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(root.rglob("*.py"))
    }


def test_no_module_in_reporting_is_over_600_lines():
    counts = line_counts()
    over = {name: n for name, n in counts.items() if n > MAX_LINES and name not in TOO_LONG}
    assert over == {}, f"reporting/ 的模块不得超过 {MAX_LINES} 行，请按职责拆分：{over}"
    stale = {name: counts.get(name) for name in TOO_LONG if counts.get(name, 0) <= MAX_LINES}
    assert stale == {}, (
        f"这些模块已不超过 {MAX_LINES} 行（或已不存在），请从 TOO_LONG 中删除：{stale}"
    )


def test_each_stage_says_what_it_holds_and_may_import():
    import importlib

    for i, stage in enumerate(STAGES):
        doc = importlib.import_module(f"reporting.{stage}").__doc__ or ""
        said = doc.partition("May import: ")[2].split("\n\n")[0]
        allowed = " ".join(said.split()).rstrip(".")
        want = ", ".join(STAGES[:i]) if i else "nothing outside itself"
        assert allowed == want, f"reporting/{stage}/__init__.py 的说明与阶段顺序不符"
        assert doc.split("\n\n")[0].strip(), f"reporting/{stage}/__init__.py 没有说明本阶段包含什么"
