from pathlib import Path

import click

from jobs.cli import get_app, writes_data_dir


@click.command("import-tasks")
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default="tasks.imported.csv",
    show_default=True,
    help="写到哪个文件（UTF-8 带 BOM 的 CSV，Excel/WPS 可直接打开）。",
)
@click.option(
    "--force",
    is_flag=True,
    help="允许覆盖 -o 指向的已有文件（如当前使用的任务表），覆盖前自动备份为 <文件名>.<时间>.bak.csv；"
    "单位名录 units.csv 和配置文件 config.toml 任何时候都不会被写入。",
)
@click.option(
    "--diff",
    "show_diff",
    is_flag=True,
    help="按任务编号列出与当前任务表相比新增、删除、修改了什么。",
)
@click.option(
    "--keep-indicators",
    is_flag=True,
    help="内容与当前任务表相同的行沿用其中已核定的指标，不用自动建议的指标。",
)
@click.option(
    "--year",
    type=int,
    default=None,
    help="任务年度；默认取文件标题中的年份，找不到时取配置 [district] year。",
)
@click.pass_context
@writes_data_dir()
def command(ctx, source, output, force, show_diff, keep_indicators, year):
    """从任务分解通知导入任务表（tasks.csv 格式），供核对后使用。

    \b
    可读取：纯文本（UTF-8 或 GB18030，如从 PDF 导出的文字）、Word 文档（.docx，
    逐段书写或“任务分解表”表格）、Excel 表格（.xlsx/.xls）。文件类型按内容识别，
    与扩展名无关。通知正文前面的部分自动跳过。

    \b
    名称照原文写入；连写、别名和认不出的名称在最后的“需要人工核对”清单中列出，
    可量化的目标（如“新增就业人员 4100 人”）自动建议为指标，也请逐条核对。
    默认写到 tasks.imported.csv；已有的文件（包括正在使用的任务表 config.toml [paths] tasks）
    不会被覆盖，核对无误后用 -o 指向该任务表并加 --force 替换，原表自动备份。

    \b
    示例：
      duban import-tasks 任务分解.docx
      duban import-tasks 任务分解.txt --diff
      duban import-tasks 任务分解表.xlsx -o tasks.csv --force --keep-indicators
    """
    from reporting.core.exceptions import DubanError
    from reporting.taskbook.importer import import_tasks

    app = get_app(ctx)
    try:
        registry = app.registry
    except DubanError as exc:
        click.echo(f"警告：单位名录无法读取（{exc}），本次不核对名称。", err=True)
        registry = None
    result = import_tasks(
        app.settings,
        source,
        out=output,
        force=force,
        diff=show_diff,
        keep_indicators=keep_indicators,
        registry=registry,
        year=year,
        now=app.now(),
    )
    for line in result.lines():
        click.echo(line)
