"""config.toml loading: types, unknown keys with the line, env overrides, relative paths."""

from pathlib import Path

import pytest

from reporting.core.config import load_settings
from reporting.core.exceptions import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_config_loads(root):
    s = load_settings(root / "config.toml", env={})
    assert s.district.name == "禹会区"
    assert s.paths.tasks == root / "tasks.csv"
    assert s.registry.aliases["陈春霖"] == "陈春霆"
    assert s.registry.groups["各乡镇、街道"][:2] == ["长青乡", "马城镇"]


def test_missing_file_gives_defaults(tmp_path):
    s = load_settings(tmp_path / "none.toml", env={})
    assert s.smtp.port == 25
    assert s.paths.data_dir == (tmp_path / "var").resolve()


def test_paths_are_relative_to_the_config_file(tmp_path):
    sub = tmp_path / "conf"
    sub.mkdir()
    s = load_settings(write(sub, '[paths]\ndata_dir = "../data"\n'), env={})
    assert s.paths.data_dir == (tmp_path / "data").resolve()


def test_unknown_key_names_the_line(tmp_path):
    path = write(tmp_path, '[smtp]\nhost = "mail"\nprot = 25\n')
    with pytest.raises(ConfigError, match=r"config.toml 第 3 行.*未知的配置项 \[smtp\] prot"):
        load_settings(path, env={})


def test_unknown_section(tmp_path):
    with pytest.raises(ConfigError, match=r"第 1 行.*未知的配置节 \[smpt\]"):
        load_settings(write(tmp_path, "[smpt]\nhost = 1\n"), env={})


def test_wrong_type_names_the_line(tmp_path):
    path = write(tmp_path, '[smtp]\nhost = "mail"\nport = "twenty-five"\n')
    with pytest.raises(ConfigError, match=r"第 3 行.*port 的值类型不对：应为整数"):
        load_settings(path, env={})


def test_bad_choice(tmp_path):
    with pytest.raises(ConfigError, match="security.*starttls / ssl / none"):
        load_settings(write(tmp_path, '[smtp]\nsecurity = "tls"\n'), env={})


def test_syntax_error_is_chinese(tmp_path):
    with pytest.raises(ConfigError, match=r"config.toml 第 1 行第 6 列"):
        load_settings(write(tmp_path, "[smtp\n"), env={})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[deadline]\ndays = 五\n",
            r"config.toml 第 2 行第 8 列：值的写法不对：文字要用英文双引号",
        ),
        ("[merge]\nred_gap = 15\nred_gap = 10\n", r"第 3 行第 \d+ 列：同一项写了两次"),
        ('[district]\nname = "某区\n', r"第 2 行第 \d+ 列：引号没有配对"),
        ("[smtp\n", r"第 1 行第 6 列：方括号没有配对"),
    ],
)
def test_syntax_error_names_the_line_in_plain_chinese(tmp_path, text, expected):
    with pytest.raises(ConfigError, match=expected) as caught:
        load_settings(write(tmp_path, text), env={})
    assert "Invalid" not in str(caught.value) and "Cannot" not in str(caught.value)


def test_env_overrides_every_type(tmp_path):
    env = {
        "DUBAN_SMTP_PORT": "465",
        "DUBAN_SMTP_HOST": "mail.example",
        "DUBAN_INTAKE_PARTIAL_ACCEPT": "true",
        "DUBAN_MERGE_RED_GAP": "20.5",
        "DUBAN_SCHEDULE_YEARS": "2024,2025",
        "DUBAN_PATHS_DATA_DIR": "elsewhere",
    }
    s = load_settings(write(tmp_path, "[smtp]\nport = 25\n"), env=env)
    assert s.smtp.port == 465
    assert s.smtp.host == "mail.example"
    assert s.intake.partial_accept is True
    assert s.merge.red_gap == 20.5
    assert s.schedule.years == [2024, 2025]
    assert s.paths.data_dir == (tmp_path / "elsewhere").resolve()


def test_env_override_with_wrong_type(tmp_path):
    with pytest.raises(ConfigError, match="DUBAN_SMTP_PORT"):
        load_settings(write(tmp_path, ""), env={"DUBAN_SMTP_PORT": "abc"})


def test_secrets_only_from_environment(tmp_path):
    s = load_settings(write(tmp_path, ""), env={"DUBAN_SMTP_PASSWORD": "s3cret"})
    assert s.secrets.smtp_password == "s3cret"
    assert "s3cret" not in repr(s)
    assert load_settings(write(tmp_path, ""), env={}).secrets.smtp_password == ""
    with pytest.raises(ConfigError, match="未知的配置项 \\[smtp\\] password"):
        load_settings(write(tmp_path, '[smtp]\npassword = "x"\n'), env={})


def test_one_time_zone_for_deadlines_and_the_scheduler(tmp_path):
    from reporting.core.calendar import period_calendar
    from reporting.core.periods import Period

    s = load_settings(write(tmp_path, '[schedule]\ntimezone = "Asia/Urumqi"\n'), env={})
    deadline = period_calendar(Period(2024, 1), s.deadline).deadline
    assert str(deadline.tzinfo) == "Asia/Urumqi" and deadline.hour == 17
    with pytest.raises(ConfigError, match="不是有效的时区名"):
        load_settings(write(tmp_path, '[schedule]\ntimezone = "Mars/Base"\n'), env={})
    with pytest.raises(ConfigError, match="未知的配置项"):
        load_settings(write(tmp_path, '[deadline]\nzone = "Asia/Urumqi"\n'), env={})


@pytest.mark.parametrize(
    "section, key, value, words",
    [
        ("intake", "max_file_mb", "-5", "应大于 0"),
        ("intake", "max_file_mb", "0", "应大于 0"),
        ("smtp", "port", "70000", "应在 1 到 65535 之间"),
        ("schedule", "collect_every_hours", "0", "应在 1 到 24 之间"),
        ("deadline", "notice_days", "0", "应在 1 到 60 之间"),
        ("imap", "timeout", "0", "应大于 0"),
    ],
)
def test_numbers_out_of_range_are_refused_with_their_line(tmp_path, section, key, value, words):
    """A value no return could meet (max_file_mb = -5) is refused at load, naming its line."""
    path = write(tmp_path, f'[district]\nname = "某区"\n\n[{section}]\n{key} = {value}\n')
    with pytest.raises(ConfigError) as exc:
        load_settings(path, env={})
    message = str(exc.value)
    assert message.startswith("config.toml 第 5 行：")
    assert f"[{section}] {key} = {value}" in message and words in message


def test_numbers_at_the_edge_of_their_range_load(tmp_path):
    text = "[intake]\nmax_file_mb = 0.5\n[smtp]\nport = 65535\nretries = 0\n"
    s = load_settings(write(tmp_path, text), env={})
    assert (s.intake.max_file_mb, s.smtp.port, s.smtp.retries) == (0.5, 65535, 0)


def test_an_environment_override_out_of_range_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"\[intake\] max_file_mb = -5 无效"):
        load_settings(write(tmp_path, ""), env={"DUBAN_INTAKE_MAX_FILE_MB": "-5"})
