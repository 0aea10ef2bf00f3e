"""LibreOffice headless conversions (docx → pdf, xlsx → pdf/xlsx/xls/ods).

Each call uses its own throw-away profile (parallel runs would collide on a shared one),
a timeout, and a fontconfig file mapping the official Chinese font names.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from reporting.core.exceptions import OfficeError
from reporting.core.fileutil import atomic_path
from reporting.documents.fonts import FONTS_CONF


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(src: Path | str, fmt: str, outdir: Path | str, timeout: int = 180) -> Path:
    """Convert ``src`` to ``fmt`` (e.g. "pdf", "xlsx", "xls", "ods") into ``outdir``."""
    return convert_all([src], fmt, outdir, timeout=timeout)[0]


def convert_all(
    sources: list[Path] | list[Path | str], fmt: str, outdir: Path | str, timeout: int = 180
) -> list[Path]:
    """Convert every file of ``sources`` (distinct names) to ``fmt`` into ``outdir`` with one
    LibreOffice start — the 督办单 of a quarter in seconds rather than one start each."""
    exe = soffice_path()
    if exe is None:
        raise OfficeError(
            "未安装 LibreOffice，无法转换文件。请安装（Debian/Ubuntu：sudo apt-get install libreoffice-calc libreoffice-writer）后重试"
        )
    srcs = [Path(s).resolve() for s in sources]
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    names = "、".join(s.name for s in srcs[:3]) + ("等" if len(srcs) > 3 else "")
    with (
        tempfile.TemporaryDirectory(prefix="duban-lo-") as profile,
        tempfile.TemporaryDirectory(prefix="duban-lo-out-") as tmp_out,
    ):
        # ``env`` adds the font map and a private HOME to the inherited environment
        cmd = [
            "env",
            f"FONTCONFIG_FILE={FONTS_CONF}",
            f"HOME={profile}",
            exe,
            "--headless",
            "--norestore",
            "--nolockcheck",
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--convert-to",
            fmt,
            "--outdir",
            tmp_out,
            *(str(s) for s in srcs),
        ]
        try:
            proc = subprocess.run(
                cmd, capture_output=True, timeout=timeout * len(srcs), check=False
            )
        except subprocess.TimeoutExpired:
            raise OfficeError(
                f"LibreOffice 转换 {names} 超时（{timeout * len(srcs)} 秒），请稍后重试"
            ) from None
        targets = []
        for src in srcs:
            produced = sorted(Path(tmp_out).glob(f"{src.stem}.*"))
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
