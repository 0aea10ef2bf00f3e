"""Nothing in the inbox is left out without a word: unreadable folders and files, symbolic
links (never followed, never archived) and special files (FIFOs, sockets) are listed by
``duban collect`` and ``duban status`` with the reason.

An unreadable folder is made with ``chmod 000`` when the tests do not run as root; root
reads every folder regardless of its mode, so there (as in CI containers) the folder is
made unreadable for real in another way: it is nested so deep that its path is longer than
PATH_MAX (4096 bytes), and listing it fails with ENAMETOOLONG for every user.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from test_intake_collect import put
from test_intake_support import UNIT, fill, make_forms, valid_answers

from reporting.core.calendar import period_calendar
from reporting.core.periods import Period
from reporting.intake.inbox import scan_inbox

PERIOD = Period(2024, 1)


@pytest.fixture
def setup(app):
    forms = make_forms(app, [UNIT, "长青乡"])
    deadline = period_calendar(PERIOD, app.settings.deadline).deadline
    inbox = app.workspace.inbox_dir(PERIOD)
    inbox.mkdir(parents=True, exist_ok=True)
    return app, forms, deadline, inbox


def unreadable_folder(inbox: Path) -> tuple[Path, str]:
    """A folder under ``inbox`` that cannot be listed: (where to put a file, how the reported
    folder starts)."""
    if os.geteuid() != 0:
        folder = inbox / "锁住的文件夹"
        folder.mkdir()
        return folder, "锁住的文件夹"
    # root ignores permissions: a path longer than PATH_MAX cannot be listed by anyone
    name = "深" * 80  # 240 bytes in UTF-8
    fd = os.open(inbox, os.O_RDONLY)
    depth = 0
    try:
        while len(str(inbox).encode()) + depth * 241 < 4200:
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
            depth += 1
    finally:
        os.close(fd)
    return inbox.joinpath(*[name] * depth), name  # listing fails at some depth below it


def put_in_deep(folder: Path, name: str, data: bytes) -> None:
    """Write a file into ``folder`` even when its path is too long for open(): step by dir_fd."""
    parts = folder.parts
    fd = os.open(parts[0], os.O_RDONLY)
    try:
        for part in parts[1:]:
            inner = os.open(part, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        out = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, data)
        os.close(out)
    finally:
        os.close(fd)


def test_links_special_files_and_unreadable_folders_are_listed_never_followed(setup, duban):
    app, forms, deadline, inbox = setup
    ok = put(fill(forms[UNIT], inbox / "ok.xlsx", valid_answers(app, UNIT)), deadline)
    other = fill(
        forms["长青乡"], app.workspace.root / "elsewhere.xlsx", valid_answers(app, "长青乡")
    )
    (inbox / "passwd.xlsx").symlink_to("/etc/passwd")
    (inbox / "长青乡.xlsx").symlink_to(other)  # even a valid return: not through a link
    (inbox / "dangling.xlsx").symlink_to(inbox / "gone.xlsx")
    (inbox / "etc").symlink_to("/etc", target_is_directory=True)
    os.mkfifo(inbox / "pipe.xlsx")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(inbox / "sock"))
    locked, locked_source = unreadable_folder(inbox)
    if os.geteuid() == 0:
        put_in_deep(locked, "长青乡.xlsx", other.read_bytes())
    else:
        (locked / "长青乡.xlsx").write_bytes(other.read_bytes())
        locked.chmod(0)
    try:
        r = duban("collect", "--period", str(PERIOD))
        status = duban("status", "--period", str(PERIOD))
        status_json = duban("status", "--period", str(PERIOD), "--json")
    finally:
        sock.close()
        if os.geteuid() != 0:
            locked.chmod(0o755)
    out = r.output
    assert "程序内部出错" not in out and "Traceback" not in out, out[-600:]
    assert "本次新收 1 份（接收 1" in r.out  # only ok.xlsx
    assert r.code == 1  # the unreadable folder may hold a return: the run is not complete
    (line,) = [x for x in r.out.splitlines() if "文件夹无法读取" in x]
    assert line.startswith(f"  未能处理 {locked_source}") and "/：文件夹无法读取（" in line
    assert "其中的文件都没有处理" in line and "下次运行时会重试" in line
    for name, target in [
        ("passwd.xlsx", "/etc/passwd"),
        ("长青乡.xlsx", str(other)),
        ("dangling.xlsx", str(inbox / "gone.xlsx")),
        ("etc", "/etc"),
    ]:
        assert f"未处理 {name}：是符号链接（指向 {target}），为安全起见不跟随、不归档" in r.out
    assert "未处理 pipe.xlsx：不是普通文件（命名管道（FIFO））" in r.out
    assert "未处理 sock：不是普通文件（套接字）" in r.out
    # nothing behind a link was read or archived: only ok.xlsx's bytes are in the archive
    archived = [
        p
        for p in app.workspace.archive_dir.rglob("*")
        if p.is_file() and not p.name.endswith(".2024Q1.json")  # its arrival record beside it
    ]
    assert [p.read_bytes() for p in archived] == [ok.read_bytes()]
    with app.ledger() as ledger:
        assert [row["source"] for row in ledger.returns(PERIOD)] == ["ok.xlsx"]
    # status lists the same entries, also as JSON
    assert status.code == 0
    lines = [line for line in status.out.splitlines() if line.startswith("收件目录中未处理：")]
    assert len(lines) == 7
    assert any("passwd.xlsx：是符号链接（指向 /etc/passwd）" in line for line in lines)
    assert any(line.startswith(f"收件目录中未处理：{locked_source}") for line in lines)
    import json

    skipped = {s["source"] for s in json.loads(status_json.out)["skipped"]}
    assert {"passwd.xlsx", "pipe.xlsx", "sock", "etc"} <= skipped and len(skipped) == 7


def test_scan_never_follows_a_link_to_a_folder(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "real").mkdir(parents=True)
    (inbox / "real" / "a.xlsx").write_bytes(b"x")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.xlsx").write_bytes(b"secret")
    (inbox / "link").symlink_to(outside, target_is_directory=True)
    skipped, ignored = [], []
    files = scan_inbox(inbox, ignored, skipped)
    assert [source for _, source in files] == ["real/a.xlsx"]
    assert [(s.source, s.retry) for s in skipped] == [("link", False)]


def test_an_unreadable_file_is_a_failure_retried_next_time(setup, duban):
    if os.geteuid() == 0:
        pytest.skip("root reads every file whatever its mode; the folder test covers root")
    app, forms, deadline, inbox = setup
    path = put(fill(forms[UNIT], inbox / "ok.xlsx", valid_answers(app, UNIT)), deadline)
    path.chmod(0)
    try:
        r = duban("collect", "--period", str(PERIOD))
    finally:
        path.chmod(0o644)
    assert r.code == 1 and "未能处理 ok.xlsx：无法读取" in r.out
    r = duban("collect", "--period", str(PERIOD))
    assert r.code == 0 and "接收 1" in r.out


def test_a_clean_inbox_says_nothing_extra(setup, duban):
    app, forms, deadline, inbox = setup
    put(
        fill(forms[UNIT], inbox / "ok.xlsx", valid_answers(app, UNIT)), deadline - timedelta(days=1)
    )
    r = duban("collect", "--period", str(PERIOD))
    assert r.code == 0 and "未处理" not in r.out
    assert "收件目录中未处理" not in duban("status", "--period", str(PERIOD)).out
