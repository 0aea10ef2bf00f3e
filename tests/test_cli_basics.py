"""duban check / tasks / units on the bundled data, and the error conventions."""

import csv
import io
import json
import re

import pytest

SEED_GROUP_MEMBERS = {
    "长青乡",
    "马城镇",
    "大庆街道",
    "张公山街道",
    "纬四街道",
    "朝阳街道",
    "钓鱼台街道",
}


@pytest.fixture
def rows(duban):
    r = duban("tasks", "--json")
    assert r.code == 0, r.err
    return {row["id"]: row for row in json.loads(r.out)}


def test_check_passes_on_bundled_data(duban):
    r = duban("check")
    assert r.code == 0, r.output
    assert "检查通过" in r.out
    assert "任务表 79 行" in r.out


def test_tasks_json_has_79_resolved_rows(rows):
    assert len(rows) == 79
    one = rows["1"]
    assert set(one) >= {
        "id",
        "section",
        "task_no",
        "task_title",
        "content",
        "lead_leaders",
        "assist_leaders",
        "lead_units",
        "coop_units",
        "coop_collective",
        "indicators",
    }
    assert one["section"] == 1 and rows["33"]["section"] == 9
    assert one["coop_units"] == [] and one["coop_collective"] == ["GDP核算基础数据承担单位"]


@pytest.mark.parametrize(
    "task_id, field, expected",
    [
        ("14.1", "lead_leaders", ["王宏洲", "陈春霆"]),
        ("15.1", "lead_leaders", ["陈春霆"]),
        ("15.3", "lead_leaders", ["陈丽娜", "陈春霆"]),
        ("25.5", "lead_leaders", ["崔海锋", "陈丽娜"]),
        ("26.3", "lead_leaders", ["王宏洲", "胡海波"]),
        ("29", "assist_leaders", ["马长伟"]),
        ("24.2", "lead_units", ["区发改委"]),
        ("21.1", "lead_units", ["区生态环境分局"]),
        ("24.1", "lead_units", ["区税务局"]),
        ("23.4", "lead_units", ["区财政局", "禹投集团"]),
        ("19.1", "coop_units", ["长青乡", "马城镇"]),
        ("23.2", "coop_units", []),
        ("27.2", "coop_units", ["区自然资源规划分局", "区住建交通局", "禹投集团"]),
        ("29", "coop_collective", ["区政府各部门"]),
        ("28.1", "coop_collective", ["区安委会成员单位"]),
        ("23.1", "coop_collective", ["驻政务服务中心部门"]),
    ],
)
def test_rows_match_the_seed(rows, task_id, field, expected):
    assert rows[task_id][field] == expected


def test_groups_expanded(rows):
    coop = rows["23.3"]["coop_units"]
    assert SEED_GROUP_MEMBERS <= set(coop)
    assert coop[-2:] == ["区委编办", "区司法局"]
    assert set(rows["7.1"]["coop_units"]) == {
        "区财政局",
        "马城镇",
        "大庆街道",
        "张公山街道",
        "纬四街道",
        "朝阳街道",
        "钓鱼台街道",
    }
    # 20.2: 各乡镇 only, not the streets
    assert "长青乡" in rows["20.2"]["coop_units"] and "大庆街道" not in rows["20.2"]["coop_units"]


def test_lead_unit_not_repeated_as_cooperating(rows):
    for row in rows.values():
        assert not set(row["lead_units"]) & set(row["coop_units"]), row["id"]


def test_all_names_canonical(rows, app):
    units = set(app.registry.units)
    leaders = set(app.registry.leaders)
    for row in rows.values():
        assert set(row["lead_units"] + row["coop_units"]) <= units
        assert set(row["lead_leaders"] + row["assist_leaders"]) <= leaders


def test_tasks_for_a_unit_by_alias(duban):
    r = duban("tasks", "--unit", "区生态环境局", "--json")
    ids = [row["id"] for row in json.loads(r.out)]
    assert "21.1" in ids and "20.1" in ids and "1" not in ids
    text = duban("tasks", "--unit", "区生态环境分局").out
    assert "【牵头】" in text and "【配合】" in text


def test_tasks_for_a_leader(duban):
    ids = [row["id"] for row in json.loads(duban("tasks", "--leader", "张斌", "--json").out)]
    assert ids == ["29", "30", "31", "32", "33"]


def test_units_lists_counts(duban, app):
    items = json.loads(duban("units", "--json").out)
    by_name = {i["name"]: i for i in items}
    assert len(items) == len(app.assignments.by_unit)
    assert by_name["区发改委"]["lead"] == sum(
        1 for r in app.assignments.rows if "区发改委" in r.lead_units
    )
    assert "区政府各部门" not in by_name  # collective: no form


def test_check_fails_with_suggestion_when_alias_removed(duban, root, tmp_path):
    text = (root / "config.toml").read_text(encoding="utf-8")
    text = re.sub(r'^"陈春霖" = .*$', "", text, flags=re.M)
    text = text.replace('tasks = "tasks.csv"', f'tasks = "{root / "tasks.csv"}"')
    text = text.replace('units = "units.csv"', f'units = "{root / "units.csv"}"')
    cfg = tmp_path / "config.toml"
    cfg.write_text(text, encoding="utf-8")
    r = duban("check", config=cfg)
    assert r.code == 1
    assert "牵头责任领导“陈春霖”无法识别，可能是 陈春霆？" in r.out


def test_errors_are_one_chinese_line(duban, tmp_path):
    r = duban("tasks", "--unit", "不存在的局")
    assert r.code == 1
    assert r.err.startswith("错误：") and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1
    bad = tmp_path / "bad.toml"
    bad.write_text("[smtp]\nport = 'x'\n", encoding="utf-8")
    r = duban("check", config=bad)
    assert r.code == 1 and "第 2 行" in r.err


def test_missing_explicit_config(duban, tmp_path):
    r = duban("check", config=tmp_path / "nope.toml")
    assert r.code == 1 and "找不到配置文件" in r.err


def test_python_dash_m_jobs(root, tmp_path):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "jobs", "--help"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "督办" in out and "check" in out


def test_every_command_has_chinese_help_with_examples(duban):
    from jobs.cli import COMMANDS

    top = duban("--help")
    assert top.code == 0
    for name in COMMANDS:
        assert name in top.out
    for name in COMMANDS:
        r = duban(name, "--help")
        assert r.code == 0, name
        assert "用法：" in r.out and "选项：" in r.out, name
        assert "示例" in r.out, f"{name} --help has no examples"
        examples = r.out.split("示例", 1)[1]
        assert re.search(rf"^\s+duban {re.escape(name)}\b", examples, re.M), (name, r.out)
        for english in (
            "Usage:",
            "Options:",
            "Show this message",
            "[default:",
            "[required]",
            "[OPTIONS]",
        ):
            assert english not in r.out, (name, english)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["forms"], "缺少选项 --period"),
        (["forms", "--perio", "2024Q1"], "没有选项 --perio，是不是要写 --period？"),
        (["frobnicate"], "没有命令 frobnicate"),
        (["remind", "--period", "2024Q1", "--stage", "逾x"], "'逾x' 不在可选的"),
        (["bulletin", "--period", "2024Q2", "--number", "-3"], "-3 应不小于 1"),
        (["calendar", "--year", "abc"], "'abc' 不是整数"),
        (["remind", "--period", "2024Q1", "--today", "2024/1/1"], "不符合格式 年-月-日"),
        (["remind", "--period", "2024Q1", "--date", "1"], "没有选项 --date，是不是要写"),
        (["collect", "--period", "2024Q1", "--inbox", __file__], "是文件，这里要写文件夹"),
    ],
)
def test_usage_errors_are_chinese(duban, args, expected):
    r = duban(*args)
    assert r.code == 2
    assert expected in r.err and r.err.startswith("错误：")
    # click's own English never reaches the office
    english = r"\b(is not|one of|does not|match|valid|range|Did you mean|directory)\b"
    assert not re.search(english, r.err), r.err


def config_with_units(root, tmp_path, units_text: str):
    text = (root / "config.toml").read_text(encoding="utf-8")
    text = text.replace('tasks = "tasks.csv"', f'tasks = "{root / "tasks.csv"}"')
    text = text.replace('templates = "templates"', f'templates = "{root / "templates"}"')
    (tmp_path / "units.csv").write_text(units_text, encoding="utf-8")
    cfg = tmp_path / "config.toml"
    cfg.write_text(text, encoding="utf-8")
    return cfg


def test_check_warns_about_placeholder_and_missing_emails(duban, root, tmp_path):
    lines = (root / "units.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("unit01@yuhui.example", "")  # 区发改委: no email
    rest = [line.replace("@yuhui.example", "@yuhui.gov.cn") for line in lines[3:]]
    cfg = config_with_units(root, tmp_path, "\n".join([lines[0], lines[1], lines[2], *rest]) + "\n")
    r = duban("check", config=cfg)
    assert r.code == 0, r.output
    assert (
        "提示：units.csv：1 个单位没有填邮箱，收不到邮件通知（可用催报清单电话联系）：区发改委"
        in r.out
    )
    assert "1 个单位的邮箱还是示例地址（如 unit02@yuhui.example）" in r.out


def test_check_warns_when_the_offices_contact_has_no_name_or_phone(duban, root, tmp_path):
    units = (root / "units.csv").read_text(encoding="utf-8")
    r = duban("check")
    assert r.code == 0, r.output
    assert (
        "提示：config.toml [forms] contact：没有填写联系人和电话，表单的填报说明和每封通知、"
        "催报邮件只写“区督查考核办”" in r.out
    )
    cfg = config_with_units(root, tmp_path, units)
    text = cfg.read_text(encoding="utf-8")
    assert 'contact = ""' in text
    cfg.write_text(text.replace('contact = ""', 'contact = "区督查考核办 王某"'), encoding="utf-8")
    r = duban("check", config=cfg)
    assert r.code == 0, r.output
    assert "联系人“区督查考核办 王某”没有电话号码" in r.out
    good = 'contact = "区督查考核办 王某 0552-1234567"'
    cfg.write_text(text.replace('contact = ""', good), encoding="utf-8")
    r = duban("check", config=cfg)
    assert r.code == 0, r.output
    assert "[forms] contact" not in r.out


def test_check_fails_on_a_malformed_email(duban, root, tmp_path):
    text = (
        (root / "units.csv")
        .read_text(encoding="utf-8")
        .replace("unit03@yuhui.example", "unit03.yuhui")
    )
    r = duban("check", config=config_with_units(root, tmp_path, text))
    assert r.code == 1
    assert "错误：units.csv（区住建交通局）：邮箱地址“unit03.yuhui”格式不对" in r.out


def test_a_mistyped_command_gets_a_suggestion(duban):
    r = duban("colect")
    assert r.code == 2
    assert "没有命令 colect，是不是要写 collect？" in r.err
    r = duban("xyzzy")
    assert "没有命令 xyzzy" in r.err and "是不是" not in r.err


def test_how_a_return_was_recognised_is_said_in_plain_words():
    from reporting.intake.identify import IDENTIFIED_BY

    assert not any("隐藏" in v or "标识表" in v or "定义名称" in v for v in IDENTIFIED_BY.values())


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("report", "落款日期“2024-13-01”无法识别，请写成 2024-04-09"),
        ("bulletin", "日期“2024-13-01”无法识别"),
    ],
)
def test_a_mistyped_date_is_a_chinese_error_naming_it(duban, command, words):
    r = duban(command, "--period", "2024Q1", "--date", "2024-13-01")
    assert r.code == 1 and words in r.err
    assert "Traceback" not in r.err and "程序内部出错" not in r.err


def test_check_fails_when_units_csv_has_no_email_column(duban, root, tmp_path):
    """No email column means no unit can be mailed: an error, not "检查通过" with a note."""
    rows = list(csv.reader(io.StringIO((root / "units.csv").read_text(encoding="utf-8"))))
    keep = [i for i, name in enumerate(rows[0]) if name != "email"]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([[r[i] for i in keep] for r in rows])
    r = duban("check", config=config_with_units(root, tmp_path, out.getvalue()))
    assert r.code == 1, r.output
    assert "错误：units.csv 第 1 行（表头）：没有 email 列" in r.out
    assert "检查通过" not in r.out


def test_a_warning_is_one_chinese_line(duban):
    """A year without holiday data is said once, in Chinese, without a source line."""
    r = duban("status", "--period", "2099Q1")
    assert r.code == 0, r.output
    assert "提示：节假日数据不含 2099 年" in r.err
    assert "Warning" not in r.err and ".py:" not in r.err


def test_help_lines_up_and_wraps_by_display_width(duban):
    """A CJK metavar ([auto|通知|…]) takes two cells a character: every option's text starts
    in one column; no wrapped line starts with closing punctuation; collect speaks plainly."""
    from reporting.core.columns import NO_LINE_START, display_width

    for command in ("remind", "collect", "report", "calendar"):
        r = duban(command, "--help")
        assert r.code == 0, r.output
        options = r.out.split("选项：\n", 1)[1].splitlines()
        starts = set()
        for line in options:
            if line.startswith("  -"):
                term, _, text = line[2:].partition("  ")
                if text.strip():
                    starts.add(2 + display_width(term) + len(text) - len(text.lstrip()) + 2)
            assert line.strip()[:1] not in NO_LINE_START, (command, line)
            assert display_width(line) <= 80, (command, line)
        assert len(starts) == 1, (command, starts)
    text = duban("collect", "--help").out
    for jargon in ("SHA-256", "Received:", "trusted_hosts", "done_folder"):
        assert jargon not in text


def test_every_help_fits_an_80_column_terminal(duban, monkeypatch):
    """Every command's whole --help (description, list, examples, options) at 80 columns:
    no line wider than the terminal, none starting with closing punctuation or ending with
    opening punctuation, no example command cut inside a word."""
    from jobs.cli import COMMANDS
    from reporting.core.columns import NO_LINE_END, NO_LINE_START, display_width

    monkeypatch.setenv("COLUMNS", "80")
    pages = {"": duban("--help").out} | {c: duban(c, "--help").out for c in COMMANDS}
    for command, text in pages.items():
        lines = text.splitlines()
        assert len(lines) > 8, command
        for line in lines:
            assert display_width(line) <= 80, (command, line)
            start = line.strip()[:2]  # a file's extension (.msg) may begin a line
            assert start[:1] not in NO_LINE_START or re.match(r"\.\w", start), (command, line)
            assert line.rstrip()[-1:] not in NO_LINE_END, (command, line)
    # the long examples are broken between their words, the rest indented under them
    changes = pages["changes"].splitlines()
    k = next(i for i, x in enumerate(changes) if "--add 延期" in x)
    assert changes[k + 1].startswith("      ") and changes[k + 1].split()[0] == "2025年6月底前"
    # the report day is where the calendar puts it, after the 逾期 day
    for command in ("report", "run", "schedule"):
        assert "截止后的下一个工作日" not in pages[command], command
        assert "report_days" in pages[command], command


def test_wrap_keeps_a_word_with_the_mark_after_it():
    """（.xlsx/.xls）at a line's end goes down whole; an opening bracket never ends a line."""
    from reporting.core.columns import wrap

    text = "理）、Word 文档（.docx，逐段书写或“任务分解表”表格）、Excel 表格（.xlsx/.xls）。文件"
    lines = wrap(text, 76)
    assert lines[1].startswith("（.xlsx/.xls）"), lines
    lines = wrap("重发上次发送时程序中断、可能已发出的消息（duban status 列出）", 40)
    assert not lines[0].endswith("（") and lines[1].startswith("（duban"), lines


@pytest.mark.parametrize("width", [60, 80, 100])
def test_help_lists_each_command_as_click_would_without_importing_it(root, width):
    """``duban --help`` reads each command's summary from its module's source: the list is
    the one click writes from the imported commands, and no command module is imported."""
    import subprocess
    import sys

    import click

    from jobs.cli import COMMANDS, DubanContext, cli

    ctx = DubanContext(cli, info_name="duban", terminal_width=width, max_content_width=100)
    ours, theirs = ctx.make_formatter(), ctx.make_formatter()
    cli.format_commands(ctx, ours)
    click.Group.format_commands(cli, ctx, theirs)  # imports every command
    assert ours.getvalue() == theirs.getvalue()
    assert all(name in ours.getvalue() for name in COMMANDS)
    probe = (
        "import contextlib, io, sys\n"
        "from jobs.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main(['--help'])\n    except SystemExit:\n        pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('jobs.commands.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
