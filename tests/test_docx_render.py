"""``documents.docx_render``: a template part compiled once per process, the styles part
checked once per template file, and the package written in one pass — each giving the
bytes the plain way (python-docx's save, then ``normalize_zip``) gives."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import jinja2
import pytest
from docx import Document
from docx.oxml.ns import qn

from reporting.core.exceptions import ReportError
from reporting.documents.docx_format import normalize_zip
from reporting.documents.docx_render import compile_ahead, package_bytes, render_docx

WHEN = datetime(2024, 4, 9)


def template(path, text: str, *, disorder_styles: bool = False):
    """A one-paragraph template; ``disorder_styles``: its Normal style's run properties
    with w:lang before w:rFonts (schema order is rFonts … lang)."""
    doc = Document()
    doc.add_paragraph(text)
    doc.sections[0].footer.is_linked_to_previous = False
    doc.sections[0].footer.paragraphs[0].text = "第{{ page }}页"
    if disorder_styles:
        rpr = doc.styles["Normal"].element.get_or_add_rPr()
        lang = rpr.makeelement(qn("w:lang"), {qn("w:val"): "zh-CN"})
        fonts = rpr.makeelement(qn("w:rFonts"), {qn("w:eastAsia"): "仿宋_GB2312"})
        rpr.append(lang)
        rpr.append(fonts)
    doc.save(str(path))
    return path


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def render(tpl, out, **ctx):
    ctx.setdefault("page", "1")
    return render_docx(tpl, ctx, out, title="标题", author="区政府办", when=WHEN).read_bytes()


def count_compiles(monkeypatch) -> list[str]:
    """The sources Jinja compiles from now on (every environment)."""
    compiled: list[str] = []
    real = jinja2.Environment.compile

    def counting(self, source, *a, **kw):
        compiled.append(source)
        return real(self, source, *a, **kw)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return compiled


def test_package_bytes_equal_the_saved_and_normalized_zip(tmp_path):
    doc = Document(str(template(tmp_path / "t.docx", "正文")))
    saved = io.BytesIO()
    doc.save(saved)
    assert package_bytes(doc) == normalize_zip(saved.getvalue())


def test_a_template_compiled_once_renders_every_context(tmp_path, monkeypatch):
    compiled = count_compiles(monkeypatch)
    tpl = template(tmp_path / "brief.docx", "致{{ name }}：请于{{ day }}前报送。")
    first = render(tpl, tmp_path / "a.docx", name="<甲&乙>", day="4月9日")
    n = len(compiled)
    assert n >= 2  # the body, the footer (and the core properties)
    second = render(tpl, tmp_path / "b.docx", name="丙", day="4月10日", page="2")
    assert len(compiled) == n  # the same parts: nothing compiled again
    body = parts(first)["word/document.xml"].decode()
    assert "致&lt;甲&amp;乙&gt;：请于4月9日前报送。" in body
    body2 = parts(second)["word/document.xml"].decode()
    assert "致丙：请于4月10日前报送。" in body2
    assert "第2页" in parts(second)["word/footer1.xml"].decode()
    # another template's text is its own, not the cached one's
    other = template(tmp_path / "other.docx", "另一份：{{ name }}")
    assert (
        "另一份：丁"
        in parts(render(other, tmp_path / "c.docx", name="丁"))["word/document.xml"].decode()
    )
    # the same context twice: the same bytes
    assert render(tpl, tmp_path / "d.docx", name="<甲&乙>", day="4月9日") == first


def test_parts_compiled_ahead_are_not_compiled_again_by_the_render(tmp_path, monkeypatch):
    compiled = count_compiles(monkeypatch)
    tpl = template(tmp_path / "ahead.docx", "提前编译：{{ name }}，{{ day }}")
    compile_ahead(tpl)
    assert [s for s in compiled if "提前编译" in s]  # the body (the footer is shared, cached)
    compiled.clear()
    out = render(tpl, tmp_path / "a.docx", name="<甲>", day="4月9日", page="3")
    assert not [s for s in compiled if "{{ name }}" in s or "{{ page }}" in s]
    assert "提前编译：&lt;甲&gt;，4月9日" in parts(out)["word/document.xml"].decode()
    assert "第3页" in parts(out)["word/footer1.xml"].decode()


def test_compile_ahead_leaves_a_damaged_or_missing_template_to_the_render(tmp_path):
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"not a zip")
    compile_ahead(bad)
    compile_ahead(tmp_path / "missing.docx")
    broken = template(tmp_path / "broken.docx", "{{ name ")
    compile_ahead(broken)  # a tag the render reports in Chinese
    with pytest.raises(ReportError, match="标签有误"):
        render(broken, tmp_path / "b.docx", name="甲")


def test_styles_out_of_order_are_put_in_order_on_every_render(tmp_path):
    tpl = template(tmp_path / "t.docx", "{{ name }}", disorder_styles=True)
    for out in ("a.docx", "b.docx"):
        styles = parts(render(tpl, tmp_path / out, name="甲"))["word/styles.xml"].decode()
        normal = styles[styles.index('w:styleId="Normal"') :]
        assert normal.index("<w:rFonts") < normal.index("<w:lang")


def test_listing_only_where_a_paragraph_holds_a_tab_or_break_as_docxtpl_does():
    from docxtpl import DocxTemplate

    from reporting.documents.docx_render import listing_template

    def p(text, ppr="", rpr=""):
        ppr = f"<w:pPr>{ppr}</w:pPr>" if ppr else ""
        rpr = f"<w:rPr>{rpr}</w:rPr>" if rpr else ""
        return (
            f'<w:p w14:paraId="1">{ppr}<w:r>{rpr}<w:t xml:space="preserve">{text}</w:t></w:r></w:p>'
        )

    box = (  # a text box: a paragraph inside a run of another
        "<w:p><w:r><w:t>外</w:t></w:r><w:r><w:txbxContent>"
        + p("框内\n第二行")
        + "</w:txbxContent></w:r></w:p>"
    )
    bodies = [
        p("没有特殊字符") + p("也没有", '<w:jc w:val="center"/>', "<w:b/>"),
        p("甲\n乙") + p("平常") + p("丙\t丁", "<w:ind/>", '<w:sz w:val="28"/>'),
        p("段\a落") + p("换\f页", '<w:pStyle w:val="正文"/>') + p("末尾\n"),
        box + p("后\n面"),
    ]
    ours = listing_template(DocxTemplate)("unused.docx")
    theirs = DocxTemplate("unused.docx")
    for body in bodies:
        xml = f"<w:body>{body}<w:sectPr/></w:body>"
        assert ours.resolve_listing(xml) == theirs.resolve_listing(xml)
    assert ours.resolve_listing(bodies[0]) is bodies[0]  # nothing to do: left as it is


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _table(grid: int, rows: list[list[int]], nested: str = "") -> str:
    """A w:tbl of ``grid`` columns; each row a list of its cells' gridSpan (1: none)."""

    def cell(span: int) -> str:
        pr = f'<w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr>' if span > 1 else ""
        return f"<w:tc>{pr}<w:p><w:r><w:t>格</w:t></w:r></w:p>{nested}</w:tc>"

    cols = "".join(f'<w:gridCol w:w="{1000 + 10 * i}"/>' for i in range(grid))
    body = "".join("<w:tr>" + "".join(cell(s) for s in r) + "</w:tr>" for r in rows)
    return f"<w:tbl><w:tblPr/><w:tblGrid>{cols}</w:tblGrid>{body}</w:tbl>"


def test_tables_are_fixed_as_docxtpl_fixes_them():
    from docxtpl import DocxTemplate
    from lxml import etree

    from reporting.documents.docx_render import grids_off, listing_template

    fast = listing_template(DocxTemplate)
    inner = _table(2, [[1, 1]])
    cases = {
        "fits": (_table(3, [[1, 1, 1]] * 50), False),
        "header spans the grid": (_table(3, [[3], [1, 1, 1], [2, 1]]), False),
        "a row wider than the grid": (_table(2, [[1, 1], [1, 1, 1]]), True),
        "a grid wider than every row": (_table(4, [[1, 1], [2, 1]]), True),
        "spans wider than the grid, cells not": (_table(2, [[2, 2]]), False),
        "nested table rows count for the outer": (_table(1, [[1]], _table(3, [[1, 1, 1]])), True),
        "nested, fitting": (_table(2, [[1, 1]], inner), False),
    }
    for name, (table, off) in cases.items():
        xml = f"<w:document {_W}><w:body>{table}<w:p/></w:body></w:document>"
        tree = etree.fromstring(xml)
        assert grids_off(tree) == off, name
        want = etree.tostring(DocxTemplate.fix_tables(None, xml))
        assert etree.tostring(fast.fix_tables(None, xml)) == want, name
