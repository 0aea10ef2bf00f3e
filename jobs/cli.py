"""The ``duban`` command line: a thin layer over ``reporting`` and ``jobs``.

Each command lives in ``jobs/commands/<name>.py`` and only parses options, calls a
function and echoes; its docstring is its --help. Library errors (``DubanError``)
become one Chinese line ``错误：…`` and exit code 1; tracebacks only with --debug.
"""

from __future__ import annotations

import functools
import importlib
import re
import sys
import warnings
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

import click

from reporting.core.exceptions import ConfigError, DubanError, storage_error

# command name → module under jobs/commands (one file per command)
COMMANDS = {
    # setting up
    "check": "check",
    "tasks": "tasks",
    "units": "units",
    "import-tasks": "import_tasks",
    "calendar": "calendar",
    "plan": "plan",
    # the quarter cycle, in order
    "forms": "forms",
    "remind": "remind",
    "collect": "collect",
    "status": "status",
    "coop-feedback": "coop_feedback",
    "review": "review",
    "changes": "changes",
    "report": "report",
    "dashboard": "dashboard",
    "bulletin": "bulletin",
    "score": "score",
    "year": "year",
    "carry-over": "carry_over",
    # unattended
    "run": "run",
    "schedule": "schedule",
    "demo": "demo",
    # damage
    "recover": "recover",
}

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# click writes its own headings and usage errors in English; the office reads Chinese
_HELP_WORDS = {
    "Options": "选项",
    "Commands": "命令",
    "Arguments": "参数",
    "Show this message and exit.": "显示本帮助并退出。",
}
_HELP_PATTERNS = (
    (re.compile(r"\[default: (.*?)\]"), r"[默认：\1]"),
    (re.compile(r"\[required\]"), "[必填]"),
)


@functools.cache  # compiled when first needed: not on every start
def _usage_errors() -> tuple:
    """click's usage errors, in Chinese."""
    return (
        (re.compile(r"Missing option '(.+?)'.*"), r"缺少选项 \1"),
        (re.compile(r"Missing argument '(.+?)'.*"), r"缺少参数 \1"),
        (
            re.compile(r"No such option:? '?([^\s'.]+)'?\.?(?: Did you mean '?([^\s'?]+)'?\?)?$"),
            lambda m: (
                f"没有选项 {m.group(1)}" + (f"，是不是要写 {m.group(2)}？" if m.group(2) else "")
            ),
        ),
        (
            re.compile(r"No such option:? '?([^\s'.]+)'?\.? \(Did you mean one of: (.+?)\?\)$"),
            lambda m: (
                f"没有选项 {m.group(1)}，是不是要写 {m.group(2).replace(chr(39), '')} 中的一个？"
            ),
        ),
        (re.compile(r"No such command '(.+?)'\."), lambda m: _no_such_command(m.group(1))),
        (re.compile(r"Option '(.+?)' requires an argument\."), r"选项 \1 后面要写一个值"),
        (re.compile(r"Got unexpected extra arguments? \((.+?)\)"), r"多余的参数：\1"),
        (
            re.compile(r"Invalid value for '(.+?)': (.*)", re.S),
            lambda m: f"选项 {m.group(1)} 的值不对：{_value_detail(m.group(2))}",
        ),
    )


@functools.cache  # compiled when first needed: not on every start
def _value_details() -> tuple:
    """What click says about a value (its types' messages), in Chinese."""
    return (
        (re.compile(r"(.+?) is not one of (.+?)\.?$", re.S), r"\1 不在可选的 \2 之中"),
        (re.compile(r"(.+?) does not match the formats? (.+?)\.?$", re.S), r"\1 不符合格式 \2"),
        (re.compile(r"(.+?) is not a valid integer(?: range)?\.?$"), r"\1 不是整数"),
        (re.compile(r"(.+?) is not a valid float\.?$"), r"\1 不是数字"),
        (re.compile(r"(.+?) is not a valid boolean\.?$"), r"\1 不是 true/false"),
        (re.compile(r"(.+?) is not in the range x>=(\S+?)\.?$"), r"\1 应不小于 \2"),
        (re.compile(r"(.+?) is not in the range x<=(\S+?)\.?$"), r"\1 应不大于 \2"),
        (re.compile(r"(.+?) is not in the range (\S+?)<=x<=(\S+?)\.?$"), r"\1 应在 \2 到 \3 之间"),
        (re.compile(r"(?:File|Directory|Path) (.+?) does not exist\.?$"), r"\1 不存在"),
        (
            re.compile(r"(?:File|Directory|Path) (.+?) is a directory\.?$"),
            r"\1 是文件夹，这里要写文件",
        ),
        (re.compile(r"(?:File|Directory|Path) (.+?) is a file\.?$"), r"\1 是文件，这里要写文件夹"),
        (re.compile(r"(?:File|Directory|Path) (.+?) is not writable\.?$"), r"\1 没有写入权限"),
        (re.compile(r"(?:File|Directory|Path) (.+?) is not readable\.?$"), r"\1 没有读取权限"),
        (re.compile(r"(.+?) is not (.+?)\.?$", re.S), r"\1 不是 \2"),
    )


def _value_detail(text: str) -> str:
    text = text.strip().replace("'%Y-%m-%d'", "年-月-日（如 2024-07-10）")
    for pattern, repl in _value_details():
        if pattern.match(text):
            return pattern.sub(repl, text)
    return text


def _no_such_command(name: str) -> str:
    """ "没有命令 colect，是不是要写 collect？" (click suggests options, not commands)."""
    import difflib

    close = difflib.get_close_matches(name, list(COMMANDS), n=1, cutoff=0.6)
    return f"没有命令 {name}" + (f"，是不是要写 {close[0]}？" if close else "")


def translate_usage_error(message: str) -> str:
    for pattern, repl in _usage_errors():
        if pattern.match(message):
            return pattern.sub(repl, message)
    return message


class ChineseHelpFormatter(click.HelpFormatter):
    def write_usage(self, prog, args="", prefix=None):
        for english, chinese in (
            ("[OPTIONS]", "[选项]"),
            ("COMMAND", "命令"),
            ("[ARGS]", "[参数]"),
        ):
            args = args.replace(english, chinese)
        super().write_usage(prog, args, prefix="用法：")

    def write_heading(self, heading):
        self.write(f"{'':>{self.current_indent}}{_HELP_WORDS.get(heading, heading)}：\n")

    def write_dl(self, rows, col_max=30, col_spacing=2):
        """click's definition list measured in terminal cells: a CJK metavar such as
        [auto|通知|提醒|催报|逾期] takes two cells a character, and the Chinese text is
        wrapped by width, never with a line starting with ，or 。"""
        from reporting.core.columns import display_width

        out = []
        for term, text in rows:
            text = _HELP_WORDS.get(text, text)
            for pattern, repl in _HELP_PATTERNS:
                text = pattern.sub(repl, text)
            out.append((term, text))
        first_col = min(max((display_width(t) for t, _ in out), default=0), col_max) + col_spacing
        indent = " " * self.current_indent
        for term, text in out:
            self.write(f"{indent}{term}")
            if not text:
                self.write("\n")
                continue
            if display_width(term) <= first_col - col_spacing:
                self.write(" " * (first_col - display_width(term)))
            else:
                self.write("\n" + indent + " " * first_col)
            lines = _wrap_with_tail(text, max(self.width - first_col - self.current_indent - 2, 10))
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{indent}{'':>{first_col}}{line}\n")

    def write_text(self, text):
        """A command's description wrapped by terminal cells, like the options (click counts
        a CJK character as one column, so its lines ran to twice the terminal's width). In a
        ``\\b`` block the hand-made line breaks stay while they fit; a run of prose lines
        that does not fit is wrapped anew, a list item or example on its own."""
        from reporting.core.columns import wrap

        indent = " " * self.current_indent
        width = max(self.width - self.current_indent, 20)
        out = []
        for para in re.split(r"\n\s*\n", text.expandtabs()):
            lines = para.splitlines()
            if lines and lines[0].strip() == "\b":
                runs = _runs(lines[1:])
            else:
                runs = [[line.strip() for line in lines]]
                runs[0][0] = " " * (len(para) - len(para.lstrip())) + runs[0][0]
            for run in runs:
                if all(_cells(line) <= width for line in run):
                    out += [indent + line for line in run]
                    continue
                first = run[0]
                lead = len(first) - len(first.lstrip())
                if (
                    len(run) == 1
                    and first.lstrip().startswith("duban ")
                    and "  " not in first.strip()
                ):
                    out += [indent + line for line in _command_lines(first, width)]
                    continue
                two = _TWO_COLUMNS.match(first[lead:])
                if len(run) > 1 and _lead(run[1]) > lead:
                    hang = _lead(run[1])  # the item's own continuation indent
                else:
                    hang = lead + (_cells(first[lead : lead + two.end()]) if two else 0)
                hang = hang if hang <= width // 2 else lead
                body = _join_lines([first[lead:], *(line.strip() for line in run[1:])])
                wrapped = wrap(body, max(width - hang, 10))
                first_width = max(width - lead, 10)
                if len(wrapped) > 1 and hang > lead:  # the first line is wider by the hang
                    head = wrap(body, first_width)[0]
                    wrapped = [head, *wrap(body[len(head) :].lstrip(), max(width - hang, 10))]
                out.append(indent + " " * lead + wrapped[0])
                out += [indent + " " * hang + rest for rest in wrapped[1:]]
            out.append("")
        self.write("\n".join(out[:-1]) + "\n")


# in a \b block: a line that starts an item of its own (a numbered step, a term and its
# text in two columns)
_ITEM = re.compile(r"(\d+[.、]\s|[-•]\s)")
_TWO_COLUMNS = re.compile(r"\S+(?: \S+)*?\s{2,}(?=\S)")


def _lead(line: str) -> int:
    return len(line) - len(line.lstrip())


def _runs(lines: list[str]) -> list[list[str]]:
    """A ``\\b`` block's lines grouped into what is wrapped as one: a prose paragraph (lines
    of one indent), or an item (a step, an example, a term and its text, a line of the list
    under a heading ending in ：) with the lines indented under it."""
    runs: list[list[str]] = []
    items_at = None  # the indent of the list under the last heading
    for n, line in enumerate(lines):
        body, lead = line.strip(), _lead(line)
        if items_at is not None and lead < items_at:
            items_at = None
        item = bool(_ITEM.match(body) or _TWO_COLUMNS.match(body)) or lead == items_at
        if runs and not item:
            first, last = runs[-1][0], runs[-1][-1]
            first_body = first.strip()
            first_item = bool(_ITEM.match(first_body) or _TWO_COLUMNS.match(first_body))
            first_item = first_item or _lead(first) == items_at
            same = lead == _lead(first) and not first_item
            under = lead > _lead(first) and (len(runs[-1]) == 1 or lead == _lead(last))
            if same or under:
                runs[-1].append(line)
                continue
        runs.append([line])
        if body.endswith("：") and n + 1 < len(lines) and _lead(lines[n + 1]) > lead:
            items_at = _lead(lines[n + 1])
    return runs


def _command_lines(line: str, width: int) -> list[str]:
    """An example command too long for the terminal, broken between its words (never inside
    one, so each piece can be read and typed), the rest indented under it."""
    lead = _lead(line)
    out = [" " * lead]
    for word in line.split():
        if out[-1].strip() and _cells(out[-1]) + 1 + _cells(word) > width:
            out.append(" " * (lead + 2))
        out[-1] += (" " if out[-1].strip() else "") + word
    return out


def _cells(text: str) -> int:
    from reporting.core.columns import display_width

    return display_width(text)


def _join_lines(lines) -> str:
    """A paragraph's source lines as one: a space only between two Latin words."""
    out = ""
    for line in lines:
        if out and line and out[-1].isascii() and out[-1].isalnum() and line[0].isascii():
            out += " "
        out += line
    return out


_TAIL = re.compile(r"\s*(\[(?:默认|必填)[^\]]*\])$")


def _wrap_with_tail(text: str, width: int) -> list[str]:
    """An option's text wrapped, its ``[默认：auto]`` kept whole at the end."""
    from reporting.core.columns import display_width, wrap

    m = _TAIL.search(text)
    if not m:
        return wrap(text, width)
    lines = wrap(text[: m.start()], width) if m.start() else []
    tail = m.group(1)
    if lines and display_width(lines[-1]) + 2 + display_width(tail) <= width:
        lines[-1] += "  " + tail
    else:
        lines.append(tail)
    return lines


class DubanContext(click.Context):
    formatter_class = ChineseHelpFormatter

    def make_formatter(self):
        """click's, with the width it would find: without importing ``shutil`` for it."""
        width = self.terminal_width
        if width is None:
            from click import formatting

            width = formatting.FORCED_WIDTH or max(
                min(_terminal_columns(), self.max_content_width or 80) - 2, 50
            )
        return self.formatter_class(width=width, max_width=self.max_content_width)


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``: $COLUMNS, else the terminal's, else 80."""
    import os

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            stdout = sys.__stdout__
            columns = os.get_terminal_size(stdout.fileno()).columns if stdout else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class DubanGroup(click.Group):
    context_class = DubanContext

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        module = COMMANDS.get(name)
        if module is None:
            return None
        command = importlib.import_module(f"jobs.commands.{module}").command
        command.context_class = DubanContext
        return command

    def format_commands(self, ctx, formatter):
        """click's list of commands, each one's summary taken from its docstring in the
        module's source: ``duban --help`` imports none of the command modules."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = []
        for name, module in COMMANDS.items():
            doc = _command_doc(module)
            if doc is None:  # not found as written: from the command itself
                rows.append((name, self.get_command(ctx, name).get_short_help_str(limit)))
            else:
                rows.append((name, click.Command(name, help=doc).get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _command_doc(module: str) -> str | None:
    """The docstring of ``command`` in ``jobs/commands/<module>.py``, read from its source."""
    import ast

    try:
        source = (Path(__file__).parent / "commands" / f"{module}.py").read_text(encoding="utf-8")
    except OSError:
        return None
    start = source.find("\ndef command(")
    first = source.find('"""', start) if start >= 0 else -1
    last = source.find('"""', first + 3) if first >= 0 else -1
    if last < 0 or not source[source.find("):\n", start) + 3 : first].isspace():
        return None  # no docstring right after the signature
    return ast.literal_eval(source[first : last + 3])


@click.group(cls=DubanGroup, context_settings=CONTEXT_SETTINGS)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default="config.toml",
    show_default=True,
    help="配置文件路径。",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="数据目录（表单、回收文件、台账、报告）；默认取配置 [paths] data_dir，即 ./var。",
)
@click.option("--debug", is_flag=True, help="出错时显示完整的技术信息（供开发人员排查）。")
@click.pass_context
def cli(ctx, config_path, data_dir, debug):
    """督办：政府工作报告重点任务季度推进情况的下发、催报、回收、汇总与成文。

    \b
    一个季度的流程：
      duban forms   --period 2024Q1    生成各单位进展情况表
      duban remind  --period 2024Q1    发通知、提醒、催报
      duban collect --period 2024Q1    回收、校验、归档、汇总
      duban report  --period 2024Q1    生成报区政府的报告（公文格式）
      duban run / duban schedule       自动按日程执行以上各步

    \b
    示例：
      duban check                      检查任务表、单位名录和配置
      duban tasks --unit 区发改委      查看某单位牵头和配合的任务
      duban --data-dir /srv/duban status
    """
    explicit = ctx.get_parameter_source("config_path") != click.core.ParameterSource.DEFAULT
    if explicit and not config_path.exists():
        raise ConfigError(f"找不到配置文件 {config_path}，请检查 --config 后面的路径")
    # main() passes the arguments as typed (for the lock file); other callers may not
    argv = tuple(ctx.obj) if isinstance(ctx.obj, list) else None
    ctx.obj = Invocation(config_path, data_dir, debug, argv)


@dataclass
class Invocation:
    """The global options of one ``duban`` call; the App is built from them on first use."""

    config_path: Path
    data_dir: Path | None
    debug: bool
    argv: tuple[str, ...] | None = None  # as typed, when run through main()

    @cached_property
    def app(self):
        from jobs.app import create_app

        return create_app(self.config_path, self.data_dir)


def get_app(ctx: click.Context):
    """The App for this invocation, created once from the global options."""
    return ctx.find_root().obj.app


def period_option(*, required: bool = True, help: str = "报告期，如 2024Q1 或 2024年第一季度。"):
    """The ``--period`` option every command spells the same way (value: the text typed)."""
    return click.option("--period", "period_text", required=required, help=help)


def parse_day(text: str | None, what: str, example: str) -> date | None:
    """A ``--date`` value (2024-04-09) as a date, None when not given; a Chinese error naming
    ``what`` the date is for otherwise."""
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DubanError(f"{what}“{text}”无法识别，请写成 {example} 这样的形式") from None


def force_option(help: str = "也处理 [schedule] years 以外的报告期（默认拒绝，以防年份写错）。"):
    """``--force``: allow a period outside ``[schedule] years`` (see ``check_scope``)."""
    return click.option("--force", is_flag=True, help=help)


def check_scope(app, period, *, force: bool) -> None:
    """Refuse a period outside ``[schedule] years`` unless ``force`` (PeriodError, Chinese)."""
    from reporting.core.exceptions import PeriodError
    from reporting.core.periods import Period, scope_problem

    problem = scope_problem(Period.parse(period), app.settings.schedule.years)
    if problem and not force:
        raise PeriodError(problem)


def command_line(ctx: click.Context) -> str:
    """The command as typed (for the lock file: who holds the data dir)."""
    argv = ctx.find_root().obj.argv
    if argv is not None:
        return " ".join(["duban", *argv])
    return ctx.command_path


def writes_data_dir(unless: str | None = None):
    """Run the command under the data dir's one-writer lock (``App.hold``), unless its
    option ``unless`` is set (a dry run writes and sends nothing). Put it right above the
    function, below ``@click.pass_context``."""

    def wrap(func):
        @functools.wraps(func)
        def inner(*args, **kwargs):
            ctx = click.get_current_context()
            if unless and kwargs.get(unless):
                return func(*args, **kwargs)
            app = get_app(ctx)
            try:
                with app.hold(command_line(ctx)):
                    return func(*args, **kwargs)
            except Exception as exc:
                # a full disk or a folder not ours to write: one Chinese error, the ledger named
                known = storage_error(exc, app.workspace.ledger_path)
                if known is None or known is exc:
                    raise
                raise known from exc

        return inner

    return wrap


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"提示：{message}", err=True)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        # with standalone_mode=False click returns ctx.exit()'s code instead of exiting
        with warnings.catch_warnings():
            # a warning is one Chinese line, never Python's "file:line: Category" form
            warnings.showwarning = _show_warning
            warnings.simplefilter("default", UserWarning)
            code = cli.main(args=args, prog_name="duban", standalone_mode=False, obj=list(args))
    except click.exceptions.Abort:
        click.echo("已取消。", err=True)
        sys.exit(130)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        sys.exit(0)
    except click.UsageError as exc:
        where = (
            f"duban {exc.ctx.command_path.split(' ', 1)[1]}"
            if exc.ctx and " " in exc.ctx.command_path
            else "duban"
        )
        click.echo(
            f"错误：命令用法不对（{translate_usage_error(exc.format_message())}）。请运行 {where} --help 查看用法。",
            err=True,
        )
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except DubanError as exc:
        if debug:
            raise
        click.echo(f"错误：{exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("已中断。", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the office must never see a traceback
        if debug:
            raise
        known = storage_error(exc)
        if known is not None:
            click.echo(f"错误：{known}", err=True)
            sys.exit(1)
        click.echo(
            f"错误：程序内部出错（{type(exc).__name__}: {exc}）。请加 --debug 重新运行，并把输出发给维护人员。",
            err=True,
        )
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
