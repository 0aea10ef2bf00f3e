"""Which process owns a send claim: ``process_token`` (pid, start time, host) and
``owner_alive``, so a claim left by a process that is gone is taken over and a live one is
left alone."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name ([0] state, [19] start time);
    None when the process does not exist, [] when /proc cannot tell (not Linux)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return None if Path("/proc/self/stat").exists() else []
    except OSError:
        return []
    return stat.rsplit(")", 1)[-1].split()


def process_token(pid: int | None = None) -> str:
    """``pid:start@host`` of this (or ``pid``'s) process, written on each send claim; the
    start time tells a reused pid from the process that made the claim."""
    pid = os.getpid() if pid is None else pid
    fields = _proc_stat(pid) or []
    start = fields[19] if len(fields) > 19 else ""
    return f"{pid}:{start}@{socket.gethostname()}"


def owner_alive(token: str) -> bool:
    """Whether the process named by a ``process_token`` may still be running. A claim from
    another host counts as alive: only a person can tell, and sending twice is worse."""
    try:
        ident, host = token.rsplit("@", 1)
        pid_text, start = ident.split(":", 1)
        pid = int(pid_text)
    except ValueError:
        return False
    if host != socket.gethostname():
        return True
    fields = _proc_stat(pid)
    if fields is None:
        return False
    if fields:
        if fields[0] in ("Z", "X"):  # killed, not yet reaped
            return False
        return not start or (len(fields) > 19 and fields[19] == start)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
