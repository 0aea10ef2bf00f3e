"""Plant each bug of ``mutants.catalogue`` in a copy of the tree and run the tests that
should catch it; print which ones the suite let through and the kill rate.

    python -m mutants                 every mutant, each against its own test files
    python -m mutants --only NAME     one mutant (or several: --only a --only b)
    python -m mutants --full          each mutant against the whole suite (slow)
    python -m mutants --list          the catalogue, no run

The repository itself is never touched: the tracked files are copied once into a temporary
folder, each mutant is applied there and undone after its run, and the copy is put first on
``PYTHONPATH`` so the tests (and the ``duban`` they start) import the mutated code.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .catalogue import MUTANTS, Mutant


def checkout() -> Path:
    """The duban checkout to mutate: the one this package sits in, else (installed from a
    wheel) the git work tree of the current directory."""
    here = Path(__file__).resolve().parent.parent
    if (here / ".git").exists() and (here / "tests").is_dir():
        return here
    found = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
    )
    top = Path(found.stdout.strip()) if found.returncode == 0 else None
    if top is None or not (top / "mutants" / "catalogue.py").is_file():
        raise SystemExit("请在 duban 的源码目录（git 仓库）中运行 python -m mutants")
    return top


TIMEOUT = 20 * 60  # seconds for one mutant's tests


def copy_tree(dest: Path) -> None:
    root = checkout()
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        src = root / os.fsdecode(name)
        if src.is_file():
            target = dest / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


class StaleMutant(Exception):
    """The code moved: the entry's text is no longer in its file exactly once."""


def plant(tree: Path, m: Mutant) -> str:
    """Apply ``m`` in ``tree``; return the file's original text (to undo)."""
    path = tree / m.path
    text = path.read_text(encoding="utf-8")
    count = text.count(m.before)
    if count != 1:
        raise StaleMutant(f"{m.path} holds the planted text {count} times, not once")
    path.write_text(text.replace(m.before, m.after), encoding="utf-8")
    return text


def run_tests(tree: Path, tests: list[str]) -> tuple[bool, float, str]:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    start = time.monotonic()
    try:
        r = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return True, time.monotonic() - start, "timeout"
    tail = (r.stdout.strip().splitlines() or [""])[-1]
    return r.returncode != 0, time.monotonic() - start, tail


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mutants")
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--full", action="store_true", help="run the whole suite for each mutant")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--no-baseline", action="store_true", help="skip the run without mutants")
    args = ap.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or m.name in args.only]
    if args.list:
        for m in chosen:
            print(f"{m.name:28} {m.path}  — {m.what}")
        return 0
    killed, survivors, stale = 0, [], []
    with tempfile.TemporaryDirectory(prefix="duban-mutants-") as tmp:
        tree = Path(tmp)
        copy_tree(tree)
        if not args.no_baseline:
            # the unmutated tree must pass the tests used, or a "kill" would mean nothing
            used = ["tests"] if args.full else sorted({t for m in chosen for t in m.tests})
            failed, secs, tail = run_tests(tree, used)
            print(f"baseline (no mutant) {secs:6.1f} s  {tail}")
            if failed:
                print("the tests fail without any mutant: fix them first")
                return 2
        for m in chosen:
            try:
                original = plant(tree, m)
            except StaleMutant as exc:
                stale.append(m)
                print(f"STALE    {m.name:28} {exc}")
                continue
            try:
                dead, secs, tail = run_tests(tree, ["tests"] if args.full else m.tests)
            finally:
                (tree / m.path).write_text(original, encoding="utf-8")
            killed += dead
            if not dead:
                survivors.append(m)
            print(f"{'killed  ' if dead else 'SURVIVED'} {m.name:28} {secs:6.1f} s  {tail}")
            sys.stdout.flush()
    total = len(chosen) - len(stale)
    print(f"\n{killed}/{total} killed ({100 * killed / max(total, 1):.0f} %)")
    for m in survivors:
        print(f"  survived: {m.name} ({m.path}): {m.what}")
    for m in stale:
        print(f"  stale (update the entry): {m.name} ({m.path})")
    return 0 if killed == total and not stale else 1


if __name__ == "__main__":
    sys.exit(main())
