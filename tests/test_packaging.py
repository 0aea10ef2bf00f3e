"""A normal (non-editable) install works: the wheel carries every subpackage and data file.

The wheel is built from a copy of the working tree, installed into a fresh virtual
environment outside the repository, and every kind of command is run from an office folder
that holds only the office's own files (config.toml, tasks.csv, units.csv, templates/).
Dependencies come from this test run's environment (a path entry), so the only code of
duban the new environment can see is the wheel's.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".git", ".venv", "demo", "var", "build", "__pycache__", ".pytest_cache", ".ruff_cache"}


def _copy_tree(dst: Path) -> None:
    shutil.copytree(
        ROOT,
        dst,
        ignore=lambda d, names: [n for n in names if n in SKIP or n.endswith(".egg-info")],
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """bin/ of a fresh venv with only the built wheel of duban installed."""
    tmp = tmp_path_factory.mktemp("wheel")
    _copy_tree(tmp / "src")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp / "dist"),
            str(tmp / "src"),
        ],
        cwd=tmp,
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp / "dist").glob("duban-*.whl")
    venv.EnvBuilder(with_pip=False).create(tmp / "venv")
    purelib = Path(
        sysconfig.get_path(
            "purelib", vars={"base": str(tmp / "venv"), "platbase": str(tmp / "venv")}
        )
    )
    # the dependencies, from this environment; not its editable duban (.pth files here are not run)
    (purelib / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            "--target",
            str(purelib),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    bin_dir = tmp / "venv" / "bin"
    # the console script, as pip writes it for a venv
    script = bin_dir / "duban"
    script.write_text(
        f"#!{bin_dir / 'python'}\nimport sys\nfrom jobs.cli import main\nsys.exit(main())\n"
    )
    script.chmod(0o755)
    return bin_dir


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> Path:
    """What an office keeps: its settings and tables, nothing of the code."""
    folder = tmp_path_factory.mktemp("office")
    for name in ("config.toml", "tasks.csv", "units.csv"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(ROOT / "templates", folder / "templates")
    return folder


def _run(bin_dir: Path, office: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DUBAN_", "PYTHON"))}
    return subprocess.run(
        [str(bin_dir / "duban"), *args],
        cwd=office,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_the_installed_code_is_the_wheels(installed, office):
    out = subprocess.run(
        [
            str(installed / "python"),
            "-c",
            "import jobs.commands, reporting.documents.office as o;"
            " print(jobs.commands.__file__); print(o.FONTS_CONF.is_file())",
        ],
        cwd=office,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert str(installed.parent) in out[0] and str(ROOT) not in out[0]
    assert out[1] == "True"  # fonts.conf ships with the code


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, expect",
    [
        (("--help",), "督办"),
        (("check",), "任务表 79 行"),
        (("units",), "区发改委"),
        (("tasks", "--unit", "长青乡"), "长青乡"),
        (("calendar", "--year", "2024"), "截止"),
        (("forms", "--period", "2024Q1", "--unit", "区发改委"), "已生成 1 个单位"),
        (("remind", "--period", "2024Q1", "--stage", "通知", "--dry-run"), "通知"),
        (("collect", "--period", "2024Q1", "--no-receipts"), "收件目录"),
        (("status", "--period", "2024Q1"), "未报送"),
        (("report", "--period", "2024Q1"), ".docx"),
        (("dashboard", "--period", "2024Q1"), "看板已生成"),
        (("schedule", "--plan", "--year", "2024"), "2024Q1"),
        (("demo", "--dir", "demo"), "2024年第二季度"),
    ],
)
def test_every_command_runs_from_the_installed_wheel(installed, office, args, expect):
    r = _run(installed, office, *args)
    text = r.stdout + r.stderr
    assert "程序内部出错" not in text and "ModuleNotFoundError" not in text, text
    assert r.returncode in (0, 1) and expect in text, text
