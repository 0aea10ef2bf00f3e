"""LibreOffice's private profiles: the first one it has converted on is kept (per user and
LibreOffice build, in the temp dir) and later conversions start on a copy of it, so
LibreOffice starts once instead of initialising a new profile and restarting itself. A
kept profile a conversion fails on is dropped and the file converted once more on a new one."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import office

from reporting.documents import office as office_module


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """The temp dir (where profiles are kept) of this test alone."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


def kept(tmp: Path) -> list[Path]:
    return sorted(p for p in tmp.glob("duban-lo-profile-*") if "." not in p.name)


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@office
def test_the_first_profile_is_kept_and_the_next_conversion_starts_on_a_copy(tmp_path, private_tmp):
    from docx import Document

    src = tmp_path / "通知.docx"
    doc = Document()
    doc.add_paragraph("请各单位于4月10日前报送第一季度进展情况。")
    doc.save(str(src))
    assert kept(private_tmp) == []
    with office_module.EarlyOffice(60) as early:
        assert early.copied is False
        first = office_module.convert(src, "pdf", tmp_path / "a", office=early)
    [profile] = kept(private_tmp)  # kept once the early instance had ended
    assert (profile / "user" / "registrymodifications.xcu").is_file()
    assert not Path(early.profile).exists()

    copy, copied = office_module.new_profile(office_module.soffice_path())
    try:
        assert copied is True
        made = {p.relative_to(copy) for p in Path(copy).rglob("*")}
        assert made == {p.relative_to(profile) for p in profile.rglob("*")}
        # the version it runs as is recorded: a start on the copy runs no graphics self-test
        said = subprocess.run(
            [office_module.soffice_path() or "soffice", "--version"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        version = ".".join(said.split()[1].split(".")[:2])  # "LibreOffice 7.4.7.2 …"
        registry = (Path(copy) / "user" / "registrymodifications.xcu").read_text(encoding="utf-8")
        assert f'"ooSetupLastVersion" oor:op="fuse"><value>{version}</value>' in registry
        log = Path(copy) / "user" / "GraphicsRenderTests.log"
        log.unlink()  # written by the self-test on the first start
        started = subprocess.run(
            [
                *office_module.office_command(office_module.soffice_path() or "soffice", copy),
                "--convert-to",
                "pdf",
                "--outdir",
                str(tmp_path / "c"),
                str(src),
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert started.returncode == 0 and (tmp_path / "c" / "通知.pdf").is_file()
        assert not log.exists()
    finally:
        subprocess.run(["rm", "-rf", copy], check=True)
    second = office_module.convert(src, "pdf", tmp_path / "b")
    assert pdf_text(second) == pdf_text(first) and "第一季度" in pdf_text(second)
    assert kept(private_tmp) == [profile]
    assert [p.name for p in private_tmp.iterdir()] == [profile.name]  # nothing else left


FAKE_SOFFICE = """#!{python}
import sys
from pathlib import Path
args = sys.argv[1:]
profile = Path(next(a for a in args if a.startswith("-env:UserInstallation=file://"))[29:])
if (profile / "broken").exists():
    sys.exit(1)
(profile / "user").mkdir(exist_ok=True)
(profile / "user" / "registrymodifications.xcu").write_text("started")
out = Path(args[args.index("--outdir") + 1])
out.mkdir(parents=True, exist_ok=True)
for src in args[args.index("--outdir") + 2 :]:
    (out / (Path(src).stem + ".pdf")).write_text("%PDF " + Path(src).read_text())
"""


def test_a_kept_profile_a_conversion_fails_on_is_dropped_and_the_file_converted_again(
    tmp_path, private_tmp, monkeypatch
):
    exe = tmp_path / "soffice"
    exe.write_text(FAKE_SOFFICE.format(python=sys.executable))
    exe.chmod(0o755)
    monkeypatch.setattr(office_module, "soffice_path", lambda: str(exe))
    src = tmp_path / "报告.docx"
    src.write_text("正文")
    office_module.convert(src, "pdf", tmp_path / "a")
    [profile] = kept(private_tmp)
    (profile / "broken").write_text("")  # a kept profile LibreOffice now fails on

    out = office_module.convert(src, "pdf", tmp_path / "b")
    assert out.read_text() == "%PDF 正文"
    [again] = kept(private_tmp)  # the new profile the second attempt made, kept instead
    assert not (again / "broken").exists()
    assert (again / "user" / "registrymodifications.xcu").read_text() == "started"


def test_a_file_that_does_not_convert_is_told_and_no_profile_kept(
    tmp_path, private_tmp, monkeypatch
):
    exe = tmp_path / "soffice"
    exe.write_text(
        FAKE_SOFFICE.format(python=sys.executable).replace("if (profile", "if True or (profile")
    )
    exe.chmod(0o755)
    monkeypatch.setattr(office_module, "soffice_path", lambda: str(exe))
    src = tmp_path / "报告.docx"
    src.write_text("正文")
    with pytest.raises(office_module.OfficeError, match="未能把 报告.docx 转换为 pdf"):
        office_module.convert(src, "pdf", tmp_path / "a")
    assert kept(private_tmp) == []  # nothing kept from a failed conversion
    assert [p.name for p in private_tmp.iterdir()] == []


@pytest.mark.parametrize("planted", ["symlink", "group-writable"])
def test_a_planted_profile_in_the_shared_temp_dir_is_not_copied(tmp_path, private_tmp, planted):
    """Another user of the machine can create the kept profile's name in /tmp: a link to a
    directory of ours, or a directory others may write to, is never started on."""
    exe = sys.executable  # the kept profile's name needs only a file to identify the build
    name = office_module._template_dir(exe)
    ours = tmp_path / "home"
    (ours / "user").mkdir(parents=True)
    (ours / "secret.txt").write_text("not a profile", encoding="utf-8")
    if planted == "symlink":
        name.symlink_to(ours, target_is_directory=True)
    else:
        ours.rename(name)
        name.chmod(0o777)
    profile, copied = office_module.new_profile(exe)
    try:
        assert copied is False
        assert list(Path(profile).iterdir()) == []
    finally:
        subprocess.run(["rm", "-rf", profile], check=True)
    office_module.keep_profile(exe, str(tmp_path))  # nothing replaces what is in the way
    assert name.is_symlink() == (planted == "symlink")


REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry">
<item oor:path="/org.openoffice.Setup/Office"><prop oor:name="ooSetupInstCompleted" oor:op="fuse"><value>true</value></prop></item>
</oor:items>
"""

MAIN_XCD = """<oor:data><oor:component-schema oor:name="Setup" oor:package="org.openoffice">
<prop oor:name="ooSetupVersion" oor:type="xs:string" oor:nillable="false">
          <value/>
        </prop>
<prop oor:name="ooSetupLastVersion" oor:type="xs:string" oor:nillable="true"/>
</oor:component-schema><oor:component-data oor:name="Setup" oor:package="org.openoffice">
      <prop oor:name="ooSetupVersion">
        <value>24.8</value>
      </prop>
      <prop oor:name="ooSetupVersionAboutBox">
        <value>24.8.3.2</value>
      </prop></oor:component-data></oor:data>
"""


def test_the_kept_profile_records_the_version_libreoffice_runs_as(tmp_path, private_tmp):
    """Headless, LibreOffice never records the version it last ran as, so each start on a
    profile without it runs the graphics self-test of a first start after an upgrade."""
    install = tmp_path / "lo"
    (install / "program").mkdir(parents=True)
    (install / "share" / "registry").mkdir(parents=True)
    (install / "share" / "registry" / "main.xcd").write_text(MAIN_XCD, encoding="utf-8")
    exe = install / "program" / "soffice"
    exe.write_text("#!/bin/sh\n")
    link = tmp_path / "bin" / "soffice"  # as /usr/bin/soffice links into the installation
    link.parent.mkdir()
    link.symlink_to(exe)
    profile = tmp_path / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(REGISTRY, encoding="utf-8")

    office_module.keep_profile(str(link), str(profile))
    [made] = kept(private_tmp)
    registry = (made / "user" / "registrymodifications.xcu").read_text(encoding="utf-8")
    item = (
        '<item oor:path="/org.openoffice.Setup/Product"><prop oor:name="ooSetupLastVersion"'
        ' oor:op="fuse"><value>24.8</value></prop></item>\n'
    )
    assert registry == REGISTRY.replace("</oor:items>", item + "</oor:items>")
    assert (profile / "user" / "registrymodifications.xcu").read_text(encoding="utf-8") == REGISTRY
    office_module.settle_profile(str(link), str(made))  # recorded once
    assert (made / "user" / "registrymodifications.xcu").read_text(encoding="utf-8") == registry

    (install / "share" / "registry" / "main.xcd").unlink()  # not where it is looked for
    office_module.settle_profile(str(link), str(profile))
    assert (profile / "user" / "registrymodifications.xcu").read_text(encoding="utf-8") == REGISTRY


def same_but_stamps(pdf: bytes) -> bytes:
    """A PDF LibreOffice wrote without what differs between two runs: the creation date, the
    file identifier and the checksum over both."""
    pdf = re.sub(rb"/CreationDate\(D:[^)]*\)", b"", pdf)
    pdf = re.sub(rb"/ID \[ <[0-9A-F]+>\s*<[0-9A-F]+> \]", b"", pdf)
    return re.sub(rb"/DocChecksum /[0-9A-F]+", b"", pdf)


@office
def test_libreoffice_runs_with_more_reused_memory_blocks_and_writes_the_same_pdf(tmp_path):
    """glibc's allocator keeps more freed blocks for reuse in LibreOffice (a fifth less CPU
    on a long report); the PDF is the same as without the setting."""
    from docx import Document

    exe = office_module.soffice_path() or "soffice"
    cmd = office_module.office_command(exe, str(tmp_path))
    tunables = "GLIBC_TUNABLES=glibc.malloc.tcache_count=65535"
    assert cmd[0] == "env" and cmd.index(tunables) < cmd.index(exe)

    src = tmp_path / "附件1.docx"
    doc = Document()
    doc.add_paragraph("附件1 各单位任务进展情况")
    table = doc.add_table(rows=1, cols=3)
    for n in range(1, 120):
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = str(n), f"第{n}项任务", "按计划推进"
    doc.save(str(src))
    ours = office_module.convert(src, "pdf", tmp_path / "ours")
    profile, _ = office_module.new_profile(exe)
    try:
        plain = [c for c in office_module.office_command(exe, profile) if c != tunables]
        subprocess.run(
            [*plain, "--convert-to", "pdf", "--outdir", str(tmp_path / "plain"), str(src)],
            capture_output=True,
            timeout=120,
            check=True,
        )
    finally:
        subprocess.run(["rm", "-rf", profile], check=True)
    without = (tmp_path / "plain" / "附件1.pdf").read_bytes()
    assert b"/Type/Page" in without.replace(b" ", b"")
    assert same_but_stamps(ours.read_bytes()) == same_but_stamps(without)
