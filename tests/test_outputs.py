"""Outputs are written whole or not at all, readable by the office, never left stale.

Every writer goes through ``reporting.core.fileutil.atomic_path``: a temporary file in the
target's own folder, created 0666 so the umask decides (``mkstemp`` gives 0600), fsynced,
then ``os.replace``d. A full disk is real here: a child process with ``RLIMIT_FSIZE``
(SIGXFSZ ignored, so a write past the limit fails with EFBIG) and, where a mount namespace
is available, a small tmpfs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import office

from reporting.core.exceptions import OutputError
from reporting.core.fileutil import atomic_write_bytes, clean_temp_files

ROOT = Path(__file__).resolve().parent.parent
FAKE_NOW = "2024-04-09T09:00:00+08:00"


def _umask(mask: int):
    """Set the process umask; returns the one it replaced."""
    return os.umask(mask)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_an_output_follows_the_umask(tmp_path, mask, mode):
    old = _umask(mask)
    try:
        atomic_write_bytes(tmp_path / "a.txt", b"x")
        target = tmp_path / "b.txt"
        target.write_bytes(b"old")
        target.chmod(0o600)  # replacing a file gives the umask's mode, not the old file's
        atomic_write_bytes(target, b"new")
    finally:
        _umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == mode
    assert target.stat().st_mode & 0o777 == mode
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_every_document_of_a_cycle_is_0644_under_the_default_umask(app, duban, data_dir):
    old = _umask(0o022)
    try:
        assert duban("forms", "--period", "2024Q1").code == 0
        r = duban("collect", "--period", "2024Q1")
        assert r.code == 0, r.output
        assert duban("report", "--period", "2024Q1", "--by-leader").code == 0
    finally:
        _umask(old)
    files = [p for p in data_dir.rglob("*") if p.is_file() and p.suffix != ".lock"]
    kinds = {p.suffix for p in files}
    assert {".xlsx", ".docx", ".json"} <= kinds
    wrong = {str(p.relative_to(data_dir)): oct(p.stat().st_mode & 0o777) for p in files}
    wrong = {k: v for k, v in wrong.items() if v != "0o644" and not k.endswith("sqlite")}
    assert wrong == {}


def test_a_temp_file_of_a_dead_writer_is_removed_at_the_next_write(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True
    )
    dead_pid = int(dead.stdout)
    live = subprocess.Popen(["sleep", "30"])
    try:
        stale = tmp_path / f".tmp-{dead_pid}-abcd1234.docx"
        busy = tmp_path / f".tmp-{live.pid}-abcd1234.docx"
        other = tmp_path / ".tmp-notours.docx"  # not our naming: left alone
        for p in (stale, busy, other):
            p.write_bytes(b"half")
        atomic_write_bytes(tmp_path / "report.docx", b"whole")
        assert not stale.exists()
        assert busy.exists() and other.exists()
        assert (tmp_path / "report.docx").read_bytes() == b"whole"
        # once per folder and process: a second write does not scan again
        assert clean_temp_files(tmp_path) == []
    finally:
        live.kill()
        live.wait()


def test_a_failed_write_keeps_the_old_file_and_says_so_in_chinese(tmp_path):
    target = tmp_path / "汇总表.xlsx"
    target.write_bytes(b"previous")
    (tmp_path).chmod(0o500)
    try:
        if os.access(
            tmp_path, os.W_OK
        ):  # root ignores permissions: use a read-only target dir another way
            tmp_path.chmod(0o700)
            pytest.skip(
                "running as root: permissions are not enforced (the full-disk tests cover this)"
            )
        with pytest.raises(
            OutputError, match="没有写入权限，无法写入 .*汇总表.xlsx（原来的文件未改动）"
        ):
            atomic_write_bytes(target, b"new")
    finally:
        tmp_path.chmod(0o700)
    assert target.read_bytes() == b"previous"


# -- a full disk, for real -----------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    from jobs.cli import main
    main(sys.argv[2:])
    """
)


def run_limited(limit: int, data: Path, *args: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-c", CHILD, str(limit), "--config", str(ROOT / "config.toml")]
    argv += ["--data-dir", str(data), *args]
    env = {**os.environ, "DUBAN_FAKE_NOW": FAKE_NOW, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_a_full_disk_leaves_the_previous_report_and_summary_whole(duban, data_dir):
    assert duban("forms", "--period", "2024Q1").code == 0
    assert duban("collect", "--period", "2024Q1").code == 0
    r = duban("report", "--period", "2024Q1")
    assert r.code == 0, r.output
    report = next((data_dir / "2024Q1" / "report").glob("*.docx"))
    before = report.read_bytes()
    assert len(before) > 20_000
    # the same report again, with files limited to 40 kB: the ledger can still be read (its
    # shared-memory index takes 32 KiB) but the docx cannot be written
    assert len(before) > 40_000
    proc = run_limited(40_000, data_dir, "report", "--period", "2024Q1", "--date", "2024-04-10")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "程序内部出错" not in out and "Traceback" not in out
    assert f"无法写入 {report}" in out and "原来的文件未改动" in out
    assert report.read_bytes() == before
    assert [p.name for p in report.parent.iterdir()] == [report.name]  # no temp file left
    # the ledger cannot grow either: that is a full disk, not a damaged ledger
    for extra in ("-wal", "-shm"):
        (data_dir / f"ledger.sqlite{extra}").unlink(missing_ok=True)
    proc = run_limited(20_000, data_dir, "status", "--period", "2024Q1")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "程序内部出错" not in out, out
    assert "无法写入" in out and "磁盘可能已满或没有写入权限" in out and "已损坏" not in out


def _can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


TMPFS_CHILD = textwrap.dedent(
    """
    set -e
    mount -t tmpfs -o size=$SIZE tmpfs "$OUT"
    cp -p "$SAVED"/* "$OUT"/
    # fill the disk until only room for the new .docx (not for the PDF) is left
    head -c "$FILL" /dev/zero > "$OUT/filler" || true
    df -B1 "$OUT" >&2
    set +e
    "$PY" -m jobs --config "$CONFIG" --data-dir "$DATA" report --period 2024Q1 --pdf --out "$OUT" --date 2024-04-10 --force
    echo "rc=$?"
    sha256sum "$OUT"/*.pdf "$OUT"/*.docx
    ls -a "$OUT"
    """
)


@office
@pytest.mark.slow
def test_a_full_disk_during_the_pdf_keeps_the_previous_pdf(duban, data_dir, tmp_path):
    if not _can_mount_tmpfs():
        pytest.skip("no mount namespace for a small tmpfs here (unshare -rm)")
    saved = tmp_path / "saved"
    r = duban("report", "--period", "2024Q1", "--pdf", "--out", str(saved), "--force")
    assert r.code == 0, r.output
    docx = next(saved.glob("*.docx"))
    pdf = docx.with_suffix(".pdf")
    assert pdf.stat().st_size > docx.stat().st_size + 64 * 1024
    size = docx.stat().st_size + pdf.stat().st_size + docx.stat().st_size + 32 * 1024
    size = (size // 4096 + 8) * 4096
    out = tmp_path / "mnt"
    out.mkdir()
    env = {
        **os.environ,
        "DUBAN_FAKE_NOW": FAKE_NOW,
        "SIZE": str(size),
        "OUT": str(out),
        "SAVED": str(saved),
        "FILL": str(
            size - docx.stat().st_size - pdf.stat().st_size - docx.stat().st_size - 16 * 1024
        ),
        "PY": sys.executable,
        "CONFIG": str(ROOT / "config.toml"),
        "DATA": str(data_dir),
    }
    proc = subprocess.run(
        ["unshare", "-rm", "sh", "-c", TMPFS_CHILD],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    text = proc.stdout + proc.stderr
    assert "rc=1" in proc.stdout, text
    assert "程序内部出错" not in text and "Traceback" not in text
    assert "未能生成 PDF：磁盘空间不足，无法写入" in text and "原来的文件未改动" in text
    assert f"上次生成的 {pdf.name} 未改动" in text
    digest = subprocess.run(["sha256sum", str(pdf)], capture_output=True, text=True).stdout.split()[
        0
    ]
    assert f"{digest}  {out / pdf.name}" in proc.stdout  # the previous PDF, byte for byte
    assert ".tmp-" not in proc.stdout.split("rc=1")[1]


# -- stale outputs ---------------------------------------------------------------------------


@office
@pytest.mark.slow
def test_a_report_without_pdf_removes_the_earlier_pdf_and_briefs_and_says_so(duban, data_dir):
    r = duban("report", "--period", "2024Q1", "--pdf", "--by-leader", "--force")
    assert r.code == 0, r.output
    folder = data_dir / "2024Q1" / "report"
    pdf = next(folder.glob("*.pdf"))
    briefs = sorted((folder / "分管领导调度单").glob("*.docx"))
    assert briefs
    r = duban("report", "--period", "2024Q1", "--force")
    assert r.code == 0, r.output
    assert not pdf.exists()
    assert f"已删除与本次报告不一致的旧文件：{pdf}" in r.out
    for brief in briefs:
        assert not brief.exists()
        assert f"已删除与本次报告不一致的旧文件：{brief}" in r.out
    assert [p.suffix for p in folder.iterdir() if p.is_file()] == [".docx"]
    # nothing stale: nothing to say
    r = duban("report", "--period", "2024Q1", "--force")
    assert "已删除" not in r.out
