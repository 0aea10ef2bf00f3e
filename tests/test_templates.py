"""The wording the office edits lives in templates/ and is really used."""

import shutil

import openpyxl
import pytest
from helpers import NOW

from reporting.core.exceptions import NotifyError
from reporting.core.periods import Period
from reporting.forms.build import build_forms


@pytest.fixture
def own_templates(app, root, tmp_path):
    target = tmp_path / "templates"
    shutil.copytree(root / "templates", target)
    app.settings.paths.templates = target
    return target


def guide_texts(path) -> list[str]:
    ws = openpyxl.load_workbook(path)["填报说明"]
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value]


def test_form_guide_wording_comes_from_the_template(app, own_templates):
    guide = own_templates / "form_guide.txt.j2"
    guide.write_text(
        guide.read_text(encoding="utf-8") + "\n本季度请特别注意：报送材料须经主要负责同志审定。\n",
        encoding="utf-8",
    )
    summary = build_forms(
        app.settings,
        app.assignments,
        app.workspace,
        Period(2024, 1),
        units=["区发改委"],
        now=NOW,
    )
    texts = guide_texts(summary.built[0].path)
    assert any("本季度请特别注意：报送材料须经主要负责同志审定。" in t for t in texts)
    assert any("本季度序时进度为 25%" in t for t in texts)


def test_a_broken_form_template_is_a_clear_error(app, own_templates):
    (own_templates / "form_guide.txt.j2").write_text("{{ 不存在的变量 }}\n", encoding="utf-8")
    with pytest.raises(NotifyError, match="模板 .*form_guide.txt.j2 用了不存在的变量"):
        build_forms(
            app.settings,
            app.assignments,
            app.workspace,
            Period(2024, 1),
            units=["区发改委"],
            now=NOW,
        )
