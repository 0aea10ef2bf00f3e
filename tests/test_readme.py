"""The commands in README.md work when copy-pasted (run in order on a fresh data dir)."""

import re
import shlex

from conftest import office


def readme_commands(root) -> list[list[str]]:
    text = (root / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("duban "):
                commands.append(shlex.split(line)[1:])
    return commands


def test_readme_has_the_quarter_cycle(root):
    names = [c[0] for c in readme_commands(root)]
    assert names == ["forms", "remind", "collect", "status", "report", "run"]


@office
def test_readme_quarter_commands_run(root, duban, tmp_path, monkeypatch):
    monkeypatch.setenv("DUBAN_SMTP_OUTBOX", str(tmp_path / "outbox"))  # no mail server here
    for args in readme_commands(root):
        r = duban(*args)
        assert r.code == 0, (args, r.output)
        assert "错误" not in r.output, (args, r.output)
    sent = [p.name.split("_")[1] for p in (tmp_path / "outbox").glob("*.eml")]
    # the 通知 went once to every unit; run neither resends it nor chases on the day it went out
    assert sent.count("通知") == 50 and set(sent) == {"通知"}


def cli_command_names() -> list[str]:
    from jobs.cli import COMMANDS

    return list(COMMANDS)


def test_every_command_is_in_readme(root):
    """An office reading README.md learns of every command the CLI has."""
    text = (root / "README.md").read_text(encoding="utf-8")
    mentioned = set(re.findall(r"duban ([a-z][a-z-]*)", text))
    # a row of the command table may list the cycle's commands after the first
    for cell in re.findall(r"`duban ([a-z-]+)`((?: / `[a-z-]+`)+)", text):
        mentioned |= set(re.findall(r"`([a-z-]+)`", cell[1]))
    missing = [name for name in cli_command_names() if name not in mentioned]
    assert not missing, f"README.md never mentions: {missing}"
