"""What the report says: 共性问题, substance by section, 下步 from this quarter, and clean text.

Results are written by hand (``report_helpers.written_result``); expected counts, task lists
and theme assignments are computed here from what each test wrote.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from docx import Document
from helpers import REPORT_NOW
from report_helpers import Said, written_result

from reporting.core.model import Status
from reporting.core.periods import Period
from reporting.report.render import render_report

Q1, Q2 = Period(2024, 1), Period(2024, 2)
INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")


def body_text(path: Path) -> str:
    lines = [p.text for p in Document(path).paragraphs]
    return "\n".join(lines[: lines.index("附件1")])


def document_parts(path: Path) -> dict[str, str]:
    """Every XML part of an Office file, as text."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")}


def test_no_invisible_characters_in_any_document(app, tmp_path):
    """Unit text pasted with zero-width spaces, joiners, marks and BOMs; lists of task labels
    (the comparison with last quarter): nothing invisible in the report, the briefs or the
    汇总表, and the labels are joined by a plain 、."""
    from reporting.merge.summary import write_summary

    dirty = "资金\u200b到位\u200c不及时\u200d，\u200e影响\u200f进度\u2060。\ufeff"
    before = written_result(app, Q1, {}, Said(Status.ON_TRACK))
    lagging = ["16.2", "18.2", "18.3", "20.2", "21.2", "21.3"]
    now = written_result(
        app,
        Q2,
        {t: Said(Status.LAGGING, progress=dirty, problems=dirty) for t in lagging},
    )
    out = render_report(
        app.settings,
        app.workspace,
        Q2,
        out_dir=tmp_path,
        result=now,
        previous=before,
        by_leader=True,
        now=REPORT_NOW.replace(month=7),
    )
    summary = tmp_path / "汇总表.xlsx"
    write_summary(now, [], summary, app.settings)
    for path in [out.docx, *out.briefs, summary]:
        for part, xml in document_parts(path).items():
            assert not INVISIBLE.search(xml), (path.name, part)
    text = body_text(out.docx)
    assert "资金到位不及时" in text
    assert "16（2）、18（2）、18（3）、20（2）、21（2）、21（3）" in text
