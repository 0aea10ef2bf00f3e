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
@click.option(
    "--first-leads/--no-first-leads",
    "first_leads",
    default=None,
    help="“责任单位”列了几个单位时：--first-leads 第一个为牵头责任单位、其余为配合责任单位；"
    "--no-first-leads 都作为牵头责任单位。默认按通知自己的说明（如“列第一位的为牵头单位”），"
    "没有说明时都作为牵头，并在核对清单中列出。标明“（牵头）”的单位总是按标明的导入。",
)
@click.pass_context
@writes_data_dir()
def command(ctx, source, output, force, show_diff, keep_indicators, year, first_leads):
    """从任务分解通知导入任务表（tasks.csv 格式），供核对后使用。

    \b
    可读取：纯文本（UTF-8 或 GB18030，如从 PDF 导出的文字，页眉页脚和折行自动处理）、
    Word 文档（.docx，逐段书写或“任务分解表”表格）、Excel 表格（.xlsx/.xls）。
    文件类型按内容识别，与扩展名无关。通知正文前面的部分自动跳过。

    \b
    任务编号按通知自己的写法识别：一、／1.／（1），一、／（一），（一）／1.，
    一、／（1），以及段落中的“一是……二是……”。分工可以单独成行、写在句末括号里
    或作为表格的一列：牵头单位、牵头责任单位、主责单位、责任单位、配合单位、协办单位、
    责任领导、分管领导、责任人、完成时限、时间节点等，冒号全角半角均可。
    完成时限换算为日期（“6月底前”“2024年三季度”“年底前”）；“持续推进”“长期坚持”
    按年底填写并列入核对清单。没能归入任务的段落在最后逐条列出。

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
      duban import-tasks 重点工作责任分解.docx --first-leads
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
        first_leads=first_leads,
        now=app.now(),
    )
    for line in result.lines():
        click.echo(line)
