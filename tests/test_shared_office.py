"""Two clerks of one group (umask 002) share a data dir: what clerk A creates — the ledger,
the data dir's lock, forms, backups — clerk B can write, because duban creates every file
with the umask's mode (SQLite alone would make the ledger 0644). Two real uids of one real
group; each clerk's run is a forked child that drops root (the interpreter lives under
/root, which other users cannot enter, so the child reuses the modules already loaded)."""

from __future__ import annotations

import grp
import io
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import ROOT

GROUP = "dubanoffice"
CLERKS = ("dubanclerka", "dubanclerkb")


def _ensure_accounts() -> tuple[int, dict[str, int]] | None:
    if os.geteuid() != 0 or not shutil.which("useradd"):
        return None
    try:
        grp.getgrnam(GROUP)
    except KeyError:
        if subprocess.run(["groupadd", GROUP], capture_output=True).returncode != 0:
            return None
    gid = grp.getgrnam(GROUP).gr_gid
    uids = {}
    for name in CLERKS:
        try:
            pwd.getpwnam(name)
        except KeyError:
            done = subprocess.run(
                ["useradd", "-M", "-N", "-g", GROUP, "-s", "/usr/sbin/nologin", name],
                capture_output=True,
            )
            if done.returncode != 0:
                return None
        uids[name] = pwd.getpwnam(name).pw_uid
    return gid, uids


def as_clerk(uid: int, gid: int, argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ``duban argv`` as ``uid`` (group ``gid``, umask 002) in a forked child."""
    from jobs.cli import main

    with tempfile.TemporaryFile() as out:
        return _fork(uid, gid, argv, env, out, main)


def _fork(uid, gid, argv, env, out, main) -> tuple[int, str]:
    pid = os.fork()
    if pid == 0:  # the child: never returns to pytest
        code = 1
        try:
            os.dup2(out.fileno(), 1)
            os.dup2(out.fileno(), 2)
            os.setgroups([gid])
            os.setgid(gid)
            os.setuid(uid)
            os.umask(0o002)
            os.environ.update(env)
            import sys

            sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb"), encoding="utf-8", write_through=True)
            sys.stderr = sys.stdout
            try:
                main(["--config", str(ROOT / "config.toml"), *argv])
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    out.seek(0)
    return os.waitstatus_to_exitcode(status), out.read().decode("utf-8", "replace")


def test_clerk_b_collects_after_clerk_a_made_the_forms(duban, tmp_path):
    accounts = _ensure_accounts()
    if accounts is None:
        pytest.skip("需要 root 并能建立用户和用户组（useradd、groupadd）")
    gid, uids = accounts
    # the modules the children need, loaded while still root (a warm-up in tmp_path)
    env = {"DUBAN_FAKE_NOW": "2024-04-02T10:00:00+08:00"}
    os.environ.update(env)
    try:
        assert duban("forms", "--period", "2024Q1").code == 0
        assert duban("collect", "--period", "2024Q1", "--no-mailbox").code == 0
    finally:
        os.environ.pop("DUBAN_FAKE_NOW")
    office = Path(tempfile.mkdtemp(prefix="duban-office-"))
    try:
        os.chown(office, 0, gid)
        office.chmod(0o2775)  # the office's shared folder: group-writable, setgid
        data = office / "var"
        code, out = as_clerk(
            uids["dubanclerka"], gid, ["--data-dir", str(data), "forms", "--period", "2024Q1"], env
        )
        assert code == 0, out
        for name in ("ledger.sqlite", ".duban.lock"):
            mode = (data / name).stat().st_mode
            assert mode & stat.S_IWGRP, f"{name} {stat.filemode(mode)}"
            assert (data / name).stat().st_uid == uids["dubanclerka"]
        code, out = as_clerk(
            uids["dubanclerkb"],
            gid,
            ["--data-dir", str(data), "collect", "--period", "2024Q1", "--no-mailbox"],
            env,
        )
        assert code == 0, out
        assert "2024年第一季度应报 50 个单位" in out
        assert "程序内部出错" not in out and "没有写入权限" not in out
    finally:
        shutil.rmtree(office, ignore_errors=True)
