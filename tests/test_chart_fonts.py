"""The chart's Chinese cannot silently become boxes: the font is a file found through
fontconfig (independent of matplotlib's per-user cache), a stale cache changes nothing,
and without a CJK font the report leaves the chart out and says how to fix it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from docx import Document
from helpers import REPORT_NOW
from test_report import TODAY, P, sample_result

from reporting.core.exceptions import ChartFontError
from reporting.documents import fonts
from reporting.report.chart import status_chart_png
from reporting.report.render import render_report

needs_cjk = pytest.mark.skipif(fonts.chart_font() is None, reason="本机没有中文字体")

# a matplotlib cache built before the CJK fonts were installed: every CJK face left out
STALE_CACHE = """
import matplotlib.font_manager as fm
from pathlib import Path
fm.fontManager.ttflist = [f for f in fm.fontManager.ttflist if "CJK" not in f.name
                          and "WenKai" not in f.name and "WenQuanYi" not in f.name]
import matplotlib
fm.json_dump(fm.fontManager, Path(matplotlib.get_cachedir()) / f"fontlist-v{fm.FontManager.__version__}.json")
"""

DRAW = """
import sys, warnings
from pathlib import Path
warnings.simplefilter("error")  # a glyph warning would fail here
import matplotlib.font_manager as fm
# the stale cache is really in use: a family lookup no longer finds a CJK face
assert "CJK" not in fm.findfont("Noto Sans CJK SC"), fm.findfont("Noto Sans CJK SC")
from reporting.core.model import QuarterResult
from reporting.documents.fonts import chart_font
from reporting.report.chart import status_chart_png
result = QuarterResult.load(Path(sys.argv[1]))
Path(sys.argv[2]).write_bytes(status_chart_png(result, chart_font()))
"""


@needs_cjk
def test_a_stale_matplotlib_cache_still_draws_chinese(app, tmp_path):
    result = sample_result(app)
    data = tmp_path / "merged.json"
    data.write_text(result.to_json(), encoding="utf-8")
    env = {"MPLCONFIGDIR": str(tmp_path / "mpl"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for script, args in ((STALE_CACHE, []), (DRAW, [str(data), str(tmp_path / "chart.png")])):
        proc = subprocess.run(
            [sys.executable, "-c", script, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        assert "Glyph" not in proc.stderr and "Warning" not in proc.stderr
    assert list((tmp_path / "mpl").glob("fontlist-*.json"))
    # the same pixels as with a fresh cache: the Chinese glyphs are there
    fresh = status_chart_png(result, fonts.chart_font())
    assert (tmp_path / "chart.png").read_bytes() == fresh


def test_without_a_cjk_font_the_chart_is_left_out_with_a_note(app, tmp_path, monkeypatch):
    from jobs.checks import run_checks

    monkeypatch.setattr(fonts, "cjk_faces", lambda: [])
    assert fonts.chart_font() is None
    out = render_report(
        app.settings,
        app.workspace,
        P,
        out_dir=tmp_path,
        result=sample_result(app),
        today=TODAY,
        now=REPORT_NOW,
    )
    note = next(line for line in out.lines() if "未找到可用的中文字体" in line)
    assert "图1已略去" in note and "fonts-noto-cjk" in note and "chart_font" in note
    with zipfile.ZipFile(out.docx) as z:
        assert not [n for n in z.namelist() if n.startswith("word/media/")]
    text = "\n".join(p.text for p in Document(out.docx).paragraphs)
    assert "图1" not in text and "（三）各板块推进状态。" in text
    found = [p for p in run_checks(app) if p.where == "中文字体"]
    assert len(found) == 1 and "fonts-noto-cjk" in found[0].message and not found[0].error


def test_a_font_without_chinese_glyphs_is_refused_without_warnings(app, recwarn):
    latin = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not latin.exists():
        pytest.skip("DejaVu Sans 未安装")
    font = fonts.chart_font(latin)
    assert font.path == latin
    with pytest.raises(ChartFontError, match="DejaVuSans.ttf 缺少汉字字形"):
        status_chart_png(sample_result(app), font)
    assert not [w for w in recwarn if "Glyph" in str(w.message)]


def test_pdf_substitutes_name_an_installed_face_for_each_official_font():
    subs = {s.official: s for s in fonts.pdf_substitutes()}
    assert set(subs) == set(fonts.OFFICIAL_FONTS)
    if not subs["黑体"].family:
        pytest.skip("fc-match 未安装")
    installed = {f.family for f in fonts.cjk_faces()}
    for s in subs.values():
        assert s.family in installed or s.family == s.official, s
        assert s.official in s.line() and s.family in s.line()
