"""What a run imports: openpyxl without numpy (it wants numpy only to take numpy numbers as
cell values, and duban writes none), numpy as usual afterwards; a process that imported
numpy first keeps openpyxl's usual behaviour."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def probe(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_forms_import_openpyxl_without_numpy():
    out = probe(
        "import sys\n"
        "import reporting.forms.build, reporting.merge.collect_merge, reporting.notify.remind\n"
        "from openpyxl.compat.numbers import NUMERIC_TYPES\n"
        "print('numpy' in sys.modules, len(NUMERIC_TYPES))\n"
        "import numpy\n"  # imports as usual afterwards
        "print(numpy.float64(2.5) * 2)\n"
    )
    assert out.splitlines() == ["False 3", "5.0"]


def test_numpy_imported_before_is_seen_by_openpyxl():
    out = probe(
        "import numpy, reporting.documents.xlsx_direct\n"
        "from openpyxl.compat.numbers import NUMPY\n"
        "from openpyxl import Workbook\n"
        "ws = Workbook().active\n"
        "ws['A1'] = numpy.int64(7)\n"
        "print(NUMPY, ws['A1'].data_type)\n"
    )
    assert out == "True n"


def test_a_workbook_written_and_read_by_openpyxl_after_the_hidden_import(tmp_path):
    out = probe(
        "import sys, reporting.forms.build\n"
        "from openpyxl import Workbook, load_workbook\n"
        "wb = Workbook(); wb.active['A1'] = 1.5; wb.active['B1'] = '文字'\n"
        f"wb.save(r'{tmp_path / 'x.xlsx'}')\n"
        f"ws = load_workbook(r'{tmp_path / 'x.xlsx'}').active\n"
        "print(ws['A1'].value, ws['B1'].value, 'numpy' in sys.modules)\n"
    )
    assert out == "1.5 文字 False"


def test_the_xml_escapes_are_the_standard_librarys():
    """``xlsx_parts.escape``/``quoteattr`` give what ``xml.sax.saxutils`` gives (that module
    imports urllib.request, http.client, ssl and the email parser: not imported for it)."""
    import itertools
    from xml.sax.saxutils import escape as sax_escape
    from xml.sax.saxutils import quoteattr as sax_quoteattr

    from reporting.documents.xlsx_parts import escape, quoteattr

    chars = ["a", "&", "<", ">", '"', "'", "\n", "\r", "\t", "中", ";"]
    for n in range(5):
        for combo in itertools.product(chars, repeat=n):
            text = "".join(combo)
            assert escape(text) == sax_escape(text), text
            assert quoteattr(text) == sax_quoteattr(text), text
    out = probe(
        "import sys, reporting.documents.xlsx_save, reporting.forms.build\n"
        "print('xml.sax.saxutils' in sys.modules)\n"
    )
    assert out == "False"


def test_the_notice_day_loads_no_http_client():
    """urllib.request and http.client (and the email parser they import) only when a group
    robot is posted to (tests/test_remind_webhook.py posts to one)."""
    out = probe(
        "import sys\n"
        "import reporting.notify.remind, reporting.merge.collect_merge, reporting.forms.build\n"
        "print([m for m in ('urllib.request', 'http.client') if m in sys.modules])\n"
    )
    assert out == "[]"
