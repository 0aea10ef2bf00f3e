"""Every command that writes, run on a full disk (a small tmpfs filled to the last byte, and
filled but for a little room): one Chinese error naming the path and what to do, never
"程序内部出错"; nothing truncated (the ledger passes its integrity check, every workbook and
document is a whole zip, no temporary file is left); with room again the same command
completes."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest

from reporting.core.periods import Period
from reporting.sample.returns import fill_form, unit_answers

Q1 = Period(2024, 1)
SIZE_MB = 48


def _mount() -> Path | None:
    if os.geteuid() != 0:
        return None
    where = Path(tempfile.mkdtemp(prefix="duban-full-"))
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m", "tmpfs", str(where)],
        capture_output=True,
    )
    if done.returncode != 0:
        where.rmdir()
        return None
    return where


@pytest.fixture
def disk():
    where = _mount()
    if where is None:
        pytest.skip("需要 root 且允许 mount -t tmpfs（一个可以写满的小文件系统）")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)
    where.rmdir()


@pytest.fixture
def data_dir(disk) -> Path:
    return disk / "data"


def fill(disk: Path, leave: int = 0) -> Path:
    """Take all the room on ``disk`` but ``leave`` bytes."""
    filler = disk / "filler.bin"
    with open(filler, "ab") as f:
        chunk = b"\0" * (1 << 20)
        while True:
            free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize - leave
            if free <= 0:
                break
            try:
                f.write(chunk[: min(len(chunk), free)])
                f.flush()
            except OSError:
                break
    return filler


def whole(data: Path) -> None:
    """Nothing truncated: the ledger is sound, every zip document opens, no temp file left."""
    ledger = data / "ledger.sqlite"
    if ledger.exists():
        conn = sqlite3.connect(ledger)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
    for path in data.rglob("*"):
        assert not path.name.startswith(".tmp-"), path
        if path.suffix in (".xlsx", ".docx") and path.is_file():
            with zipfile.ZipFile(path) as z:
                assert z.testzip() is None, path


def refused(result) -> None:
    text = result.output
    assert result.code != 0, text
    assert "程序内部出错" not in text and "Traceback" not in text, text
    assert "磁盘空间不足" in text and "无法写入" in text and "重新运行" in text, text


COMMANDS = [
    ("forms", "--period", "2024Q1"),
    ("remind", "--period", "2024Q1", "--stage", "通知"),
    ("collect", "--period", "2024Q1", "--no-mailbox"),
    ("report", "--period", "2024Q1"),
    ("dashboard", "--period", "2024Q1"),
    ("bulletin", "--period", "2024Q1"),
    ("coop-feedback", "--period", "2024Q1"),
    ("year", "--year", "2024"),
    ("score", "--year", "2024"),
    ("run", "--period", "2024Q1"),
    ("recover", "--force"),
]


@pytest.mark.slow
@pytest.mark.parametrize("leave", [0, 96 * 1024], ids=["full", "almost-full"])
def test_every_writing_command_on_a_full_disk(disk, data_dir, app, duban, monkeypatch, leave):
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-04-09T10:00:00+08:00")
    monkeypatch.setenv("DUBAN_SMTP_OUTBOX", str(data_dir / "outbox"))
    refusals = []
    for args in COMMANDS:
        if args[0] == "collect":  # three units' filled forms wait in the inbox
            inbox = app.workspace.inbox_dir(Q1)
            inbox.mkdir(parents=True, exist_ok=True)
            for unit in list(app.assignments.by_unit)[:3]:
                answers = unit_answers(app.assignments, unit, Q1, random.Random(unit))
                fill_form(app.workspace.form_path(Q1, unit), inbox / f"{unit}.xlsx", answers, {})
        filler = fill(disk, leave)
        first = duban(*args)
        filler.unlink()  # room to look: opening the ledger needs its -shm file
        whole(data_dir)
        if first.code == 0:  # it found room enough for what it writes: that is fine too
            continue
        refused(first)
        refusals.append(args[0])
        again = duban(*args)
        assert again.code == 0, (args, again.output)
        whole(data_dir)
    if not leave:  # with no byte free, every command stops at its first write
        assert refusals == [c[0] for c in COMMANDS]


@pytest.mark.slow
def test_every_writing_command_on_a_read_only_folder(disk, data_dir, app, duban, monkeypatch):
    """The data dir's file system turned read-only (root ignores file modes, not this): the
    one Chinese "no permission" error, nothing changed; writable again, the command works."""
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-04-09T10:00:00+08:00")
    monkeypatch.setenv("DUBAN_SMTP_OUTBOX", str(data_dir / "outbox"))
    for args in COMMANDS:
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        try:
            first = duban(*args)
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
        text = first.output
        assert first.code != 0, text
        assert "程序内部出错" not in text and "Traceback" not in text, text
        assert "文件系统只读" in text and "无法写入" in text and "重新运行" in text, text
        whole(data_dir)
        again = duban(*args)
        assert again.code == 0, (args, again.output)
