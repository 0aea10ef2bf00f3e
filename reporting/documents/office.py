"""LibreOffice headless conversions (docx → pdf, xlsx → pdf/xlsx/xls/ods).

Each call uses its own throw-away profile (parallel runs would collide on a shared one) —
a copy of the first profile LibreOffice converted on, so it starts once rather than
initialising a new one and restarting, and with the version it runs as recorded, so it does
not run its graphics self-test —, a timeout, and a fontconfig file mapping the
official Chinese font names.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

from reporting.core.exceptions import OfficeError
from reporting.core.fileutil import atomic_path
from reporting.documents.fonts import FONTS_CONF


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


# glibc keeps up to this many freed blocks of each small size per thread for reuse (7 by
# default); LibreOffice allocates and frees millions of small objects while it reads and lays
# out a long table, and spends a sixth of its time in the allocator otherwise: a fifth less
# CPU on the city report, about 10 % more peak memory, the same PDF
MALLOC_TUNABLES = "glibc.malloc.tcache_count=65535"


def office_command(exe: str, profile: str) -> list[str]:
    """LibreOffice headless on the private ``profile``; ``env`` adds the font map, a private
    HOME and glibc's allocator setting (other C libraries ignore it) to the inherited
    environment."""
    return [
        "env",
        f"FONTCONFIG_FILE={FONTS_CONF}",
        f"HOME={profile}",
        f"GLIBC_TUNABLES={MALLOC_TUNABLES}",
        exe,
        "--headless",
        "--norestore",
        "--nolockcheck",
        f"-env:UserInstallation={Path(profile).as_uri()}",
    ]


# what ``keep_profile`` adds to a kept profile; a new value keeps profiles kept before apart
PROFILE_SETTINGS = 1


def _template_dir(exe: str) -> Path:
    """Where a profile LibreOffice has started on is kept, per user and LibreOffice build."""
    import hashlib

    real = os.path.realpath(exe)
    build = [f"settings:{PROFILE_SETTINGS}"]
    for path in (real, os.path.join(os.path.dirname(real), "soffice.bin")):
        try:
            st = os.stat(path)
        except OSError:
            continue
        build.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
    key = hashlib.sha1("\n".join(build).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"duban-lo-profile-{os.getuid()}-{key}"


def new_profile(exe: str) -> tuple[str, bool]:
    """(a fresh private profile, whether it is a copy of the kept one). On a new profile
    LibreOffice initialises it and restarts itself (about half a second); on a copy of one
    it has started on before (``keep_profile``) it starts once."""
    profile = tempfile.mkdtemp(prefix="duban-lo-")
    kept = _template_dir(exe)
    try:
        # in a shared temp dir, only a real directory of ours that no one else can write to
        st = os.lstat(kept)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022:
            return profile, False
        shutil.copytree(kept, profile, symlinks=True, dirs_exist_ok=True)
    except OSError:  # none kept (or it went away meanwhile): a new one
        shutil.rmtree(profile, ignore_errors=True)
        return tempfile.mkdtemp(prefix="duban-lo-"), False
    return profile, True


def keep_profile(exe: str, profile: str) -> None:
    """Keep a copy of ``profile`` (LibreOffice has converted on it and ended) for later
    starts; the first to finish the copy wins (a rename), the others' copies are dropped."""
    kept = _template_dir(exe)
    if os.path.lexists(kept):  # kept already (or something else is in the way)
        return
    tmp = tempfile.mkdtemp(prefix=f"{kept.name}.", dir=kept.parent)
    try:
        shutil.copytree(profile, tmp, symlinks=True, dirs_exist_ok=True)
        settle_profile(exe, tmp)
        os.rename(tmp, kept)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


def product_version(exe: str) -> str | None:
    """LibreOffice's version as its configuration names it ("7.4"), from the installation's
    main.xcd; None when it is not where a Linux installation has it."""
    xcd = Path(os.path.realpath(exe)).parent.parent / "share" / "registry" / "main.xcd"
    try:
        text = xcd.read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        return None
    found = re.search(r'oor:name="ooSetupVersion">\s*<value>(\d+\.\d+)</value>', text)
    return found.group(1) if found else None


def settle_profile(exe: str, profile: str) -> None:
    """Record in ``profile`` the version LibreOffice last ran as, which it records only when
    started with a window: without it every headless start counts as the first after an
    upgrade and runs the graphics self-test (about a second of CPU, nothing converted)."""
    xcu = Path(profile) / "user" / "registrymodifications.xcu"
    version = product_version(exe)
    try:
        text = xcu.read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        return
    if version is None or "</oor:items>" not in text or '"ooSetupLastVersion"' in text:
        return
    item = (
        '<item oor:path="/org.openoffice.Setup/Product"><prop oor:name="ooSetupLastVersion"'
        f' oor:op="fuse"><value>{version}</value></prop></item>\n'
    )
    head, end, tail = text.rpartition("</oor:items>")
    xcu.write_text(head + item + end + tail, encoding="utf-8")


def drop_profile(exe: str) -> None:
    """Forget the kept profile (a conversion on a copy of it failed)."""
    shutil.rmtree(_template_dir(exe), ignore_errors=True)


class EarlyOffice:
    """LibreOffice started before the file it is to convert is written, so its start-up
    (a second or more) overlaps the rendering. A ``convert`` given it runs LibreOffice on
    the same profile, which hands the files to this instance and waits until they are
    converted; the instance then ends by itself. Should the conversion start first, it
    converts by itself and this instance is ended by ``close``. Should this process die
    first, timeout(1) ends it ``GUARD`` seconds plus the conversion's ``timeout`` after it
    started (the steps of a run come before the report's conversion: never sooner)."""

    GUARD = 3600

    def __init__(self, timeout: int = 180):
        self.proc: subprocess.Popen | None = None
        self.used = False  # a conversion was handed to it
        self.converted = False  # ... and it succeeded
        self.exe = exe = soffice_path()
        if exe is None:
            self.profile, self.copied = tempfile.mkdtemp(prefix="duban-lo-"), False
            return
        self.profile, self.copied = new_profile(exe)
        guard = shutil.which("timeout")
        cmd = ([guard, "-k", "5", str(self.GUARD + timeout)] if guard else []) + office_command(
            exe, self.profile
        )
        try:  # its own session: ``close`` ends the whole group (oosplash and soffice.bin)
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:
            self.proc = None

    def close(self) -> None:
        """After a conversion, wait a few seconds for the instance to end by itself (a
        fraction of a second; so its CPU time is counted); then, or unused, end it."""
        if self.proc is not None:
            try:
                self.proc.wait(5 if self.used else 0.01)
            except subprocess.TimeoutExpired:
                pass
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if not self._group_alive():
                    break
                _end_group(self.proc.pid, sig)
                deadline = time.monotonic() + 5
                while self._group_alive() and time.monotonic() < deadline:
                    time.sleep(0.05)
            self.proc.wait()
            self.proc = None
            if self.exe is not None and self.converted and not self.copied:
                keep_profile(self.exe, self.profile)
        shutil.rmtree(self.profile, ignore_errors=True)

    def _group_alive(self) -> bool:
        assert self.proc is not None
        self.proc.poll()  # an ended ``timeout`` (or LibreOffice) not yet waited for counts
        return group_alive(self.proc.pid)

    def __enter__(self) -> EarlyOffice:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def group_alive(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs. Zombies do not count: LibreOffice
    leaves gpg/gpgconf children to init, and an init that reaps late (a container's) would
    otherwise keep ``close`` waiting and signalling for up to a second after the PDF."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    try:
        entries = os.scandir("/proc")
    except OSError:  # no /proc: whatever is in the group counts
        return True
    with entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    stat = f.read()
            except OSError:  # ended meanwhile
                continue
            # after the name in parentheses: state, ppid, pgrp
            fields = stat[stat.rindex(b")") + 2 :].split()
            if int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
                return True
    return False


def _end_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def convert(
    src: Path | str,
    fmt: str,
    outdir: Path | str,
    timeout: int = 180,
    office: EarlyOffice | None = None,
) -> Path:
    """Convert ``src`` to ``fmt`` (e.g. "pdf", "xlsx", "xls", "ods") into ``outdir``."""
    return convert_all([src], fmt, outdir, timeout=timeout, office=office)[0]


def convert_all(
    sources: list[Path] | list[Path | str],
    fmt: str,
    outdir: Path | str,
    timeout: int = 180,
    office: EarlyOffice | None = None,
) -> list[Path]:
    """Convert every file of ``sources`` (distinct names) to ``fmt`` into ``outdir`` with one
    LibreOffice start — the 督办单 of a quarter in seconds rather than one start each;
    ``office``: by the LibreOffice started early (its profile)."""
    exe = soffice_path()
    if exe is None:
        raise OfficeError(
            "未安装 LibreOffice，无法转换文件。请安装（Debian/Ubuntu：sudo apt-get install libreoffice-calc libreoffice-writer）后重试"
        )
    srcs = [Path(s).resolve() for s in sources]
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    names = "、".join(s.name for s in srcs[:3]) + ("等" if len(srcs) > 3 else "")
    with tempfile.TemporaryDirectory(prefix="duban-lo-out-") as tmp_out:

        def run(profile: str, attempt: str) -> tuple[subprocess.CompletedProcess, Path, bool]:
            out = Path(tmp_out) / attempt
            cmd = [*office_command(exe, profile), "--convert-to", fmt, "--outdir", str(out)]
            try:
                proc = subprocess.run(
                    [*cmd, *(str(s) for s in srcs)],
                    capture_output=True,
                    timeout=timeout * len(srcs),
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise OfficeError(
                    f"LibreOffice 转换 {names} 超时（{timeout * len(srcs)} 秒），请稍后重试"
                ) from None
            whole = proc.returncode == 0 and all(any(out.glob(f"{s.stem}.*")) for s in srcs)
            return proc, out, whole

        if office is not None:
            office.used = True
            proc, out, office.converted = run(office.profile, "early")
            if not office.converted and office.copied:
                drop_profile(exe)
        else:
            profile, copied = new_profile(exe)
            try:
                proc, out, whole = run(profile, "first")
                if not whole and copied:  # perhaps the kept profile: once more on a new one
                    drop_profile(exe)
                    shutil.rmtree(profile, ignore_errors=True)
                    profile, copied = new_profile(exe)
                    proc, out, whole = run(profile, "again")
                if whole and not copied:
                    keep_profile(exe, profile)
            finally:
                shutil.rmtree(profile, ignore_errors=True)
        targets = []
        for src in srcs:
            produced = sorted(out.glob(f"{src.stem}.*"))
            if proc.returncode != 0 or not produced:
                detail = (proc.stderr or proc.stdout).decode("utf-8", "replace").strip()[:200]
                raise OfficeError(
                    f"LibreOffice 未能把 {src.name} 转换为 {fmt}：{detail or '没有输出文件'}"
                )
            target = outdir / f"{src.stem}{produced[0].suffix}"
            # copied to a temporary file beside the target, then renamed: a move from /tmp to
            # another file system would copy over the target in place (a full disk truncates it)
            with atomic_path(target) as tmp:
                shutil.copyfile(produced[0], tmp)
            targets.append(target)
        return targets


def pdf_pages(path: Path | str) -> int | None:
    """The number of pages of a PDF: ``pdfinfo`` (poppler-utils) when installed, else the page
    objects of an uncompressed PDF such as LibreOffice writes; None when neither can tell."""
    exe = shutil.which("pdfinfo")
    if exe is not None:
        proc = subprocess.run([exe, str(path)], capture_output=True, timeout=60, check=False)
        found = re.search(rb"^Pages:\s+(\d+)", proc.stdout, re.M)
        if proc.returncode == 0 and found:
            return int(found.group(1))
    count = len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", Path(path).read_bytes()))
    return count or None


def settle_pdf(docx: Path, *, error: str = "") -> tuple[list[Path], str]:
    """The rule every ``--pdf`` output follows once its .docx was written and no new PDF
    came of it: an earlier PDF beside it shows the old numbers. Not converted this time: it
    is removed (the paths removed). Conversion failed (``error``): it is kept whole — a full
    disk must not cost it — and named in the error returned."""
    old = Path(docx).with_suffix(".pdf")
    if not old.exists():
        return [], error
    if error:
        return [], f"{error}；上次生成的 {old.name} 未改动，其中的数字可能与本次生成的文件不同"
    old.unlink(missing_ok=True)
    return [old], error
