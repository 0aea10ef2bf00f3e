"""A real IMAP server for the tests and the benchmark: Debian's Dovecot with a throw-away
config, state and maildir under one temp folder, listening on 127.0.0.1 only.

Run as root with a private config (docs/mailbox.md, REFERENCE "Mailbox (IMAP) — traps"):
login processes as ``dovenull``, the mail user is uid/gid 65534 owning the maildir, plain
text login allowed on loopback. ``tls=True`` adds a certificate from ``trustme`` so the
client's certificate checks run for real.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
)
USER = "duban@example.cn"
PASSWORD = "s3cret-口令"
MAIL_UID = 65534


def skip_reason() -> str | None:
    if DOVECOT is None:
        return "没有安装 Dovecot（apt-get install dovecot-imapd；.ci/run 会安装）"
    if os.geteuid() != 0:
        return "Dovecot 测试服务器需要以 root 启动（降权到 dovenull / 65534）"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    """One private Dovecot instance: ``start()``, ``stop()``, ``append(...)``."""

    def __init__(self, *, tls=None, capabilities: str | None = None):
        # its own folder under /tmp, traversable by the login/auth users (a pytest tmp_path
        # sits below a 0700 folder that dovenull cannot enter)
        self.root = Path(tempfile.mkdtemp(prefix="duban-dovecot-"))
        self.port = free_port()
        self.tls = tls  # a trustme.CA, or None for plain IMAP
        self.capabilities = capabilities  # replaces the announced CAPABILITY list
        self.maildir = self.root / "mail"
        self.config = self.root / "dovecot.conf"
        self._write_config()

    # -- lifecycle ----------------------------------------------------------------------
    def _write_config(self) -> None:
        for d in (self.root, self.root / "base", self.root / "state", self.maildir):
            d.mkdir(parents=True, exist_ok=True)
            os.chmod(d, 0o755)
        os.chown(self.maildir, MAIL_UID, MAIL_UID)
        passwd = self.root / "passwd"
        passwd.write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}:{MAIL_UID}:{MAIL_UID}::{self.maildir}\n", encoding="utf-8"
        )
        os.chmod(passwd, 0o644)
        ssl = "ssl = no"
        if self.tls is not None:
            cert = self.tls.issue_cert("127.0.0.1", "localhost")
            cert.cert_chain_pems[0].write_to_path(str(self.root / "cert.pem"))
            cert.private_key_pem.write_to_path(str(self.root / "key.pem"))
            ssl = (
                f"ssl = required\nssl_cert = <{self.root / 'cert.pem'}\n"
                f"ssl_key = <{self.root / 'key.pem'}\n"
            )
        caps = f"imap_capability = {self.capabilities}\n" if self.capabilities else ""
        self.config.write_text(
            f"""
base_dir = {self.root / "base"}
state_dir = {self.root / "state"}
instance_name = duban-test-{self.port}
listen = 127.0.0.1
protocols = imap
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
log_path = {self.root / "dovecot.log"}
mail_location = maildir:~/Maildir
mail_uid = {MAIL_UID}
mail_gid = {MAIL_UID}
first_valid_uid = 1
first_valid_gid = 1
namespace inbox {{
  inbox = yes
  separator = .
}}
{caps}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {passwd}
}}
userdb {{
  driver = passwd-file
  args = {passwd}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""",
            encoding="utf-8",
        )

    def start(self) -> Dovecot:
        subprocess.run(
            [DOVECOT, "-c", str(self.config)],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"Dovecot did not start: {self.log()}")

    def close(self) -> None:
        """Stop and remove everything."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def stop(self) -> None:
        pidfile = self.root / "base" / "master.pid"
        if not pidfile.exists():
            return
        pid = int(pidfile.read_text().split()[0])
        for child in _children(pid):  # the open sessions go down with the server
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the port is free again
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                time.sleep(0.05)
            except OSError:
                break

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    # -- filling the mailbox ------------------------------------------------------------
    def client(self):
        from imapclient import IMAPClient

        if self.tls is not None:
            import ssl

            ctx = ssl.create_default_context()
            self.tls.configure_trust(ctx)
            c = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
            c.starttls(ctx)
        else:
            c = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        c.plain_login(USER, PASSWORD)
        return c

    def append(self, messages, folder: str = "INBOX") -> None:
        """``messages``: (bytes, INTERNALDATE datetime) pairs, APPENDed in order."""
        with self.client() as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            for data, when in messages:
                c.append(folder, data, msg_time=when)

    def uids(self, folder: str = "INBOX") -> list[int]:
        with self.client() as c:
            if not c.folder_exists(folder):
                return []
            c.select_folder(folder, readonly=True)
            return sorted(c.search("ALL"))

    def folders(self) -> list[str]:
        with self.client() as c:
            return sorted(name for _, _, name in c.list_folders())

    def flags(self, folder: str = "INBOX") -> dict[int, tuple]:
        with self.client() as c:
            c.select_folder(folder, readonly=True)
            return {uid: d[b"FLAGS"] for uid, d in c.fetch(c.search("ALL"), ["FLAGS"]).items()}


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out
