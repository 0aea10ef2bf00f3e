"""The report's chart: task status by section, as a PNG for the .docx.

Drawn with matplotlib's object API on an Agg canvas (no pyplot state, safe in a
scheduler thread). Every text is drawn with a CJK font *file* (``documents.fonts``),
never a family name looked up in matplotlib's per-user cache: a cache built before the
fonts were installed would print boxes. Without a CJK font there is no chart
(``ChartFontError``); a glyph the font lacks is the same error, never a warning on the
console. Each status has a colour and a hatch, and every bar segment its number, so the
chart reads in grey print. The PNG is deterministic (no timestamp or software metadata).
"""

from __future__ import annotations

import io
import warnings

from reporting.core.exceptions import ChartFontError
from reporting.core.model import MISSING, QuarterResult, Status
from reporting.documents.fonts import INSTALL_HINT, FontFile
from reporting.merge.tally import STATUS_KEYS, section_counts

# one colour and one hatch per status: 已完成 dark solid … 未报送 light dotted
STATUS_STYLE = {
    Status.DONE: ("#1b7837", ""),
    Status.AHEAD: ("#5aae61", "///"),
    Status.ON_TRACK: ("#a6dba0", ""),
    Status.LAGGING: ("#d6604d", "xxx"),
    Status.NOT_STARTED: ("#b2182b", "\\\\\\"),
    MISSING: ("#e0e0e0", "..."),
}
_DARK = (Status.DONE, Status.NOT_STARTED)


def font_missing(detail: str = "") -> ChartFontError:
    """The error for a chart without a usable CJK font (``detail``: the font that fell short)."""
    return ChartFontError(
        f"未找到可用的中文字体{detail}，报告中的图1已略去。{INSTALL_HINT}，然后重新生成报告"
    )


def section_status_counts(result: QuarterResult) -> list[tuple[str, dict[str, int]]]:
    """[(section label, {status → rows})] in section order, counted by ``tally.section_counts``."""
    return [
        (_section_label(n, title), counts.status)
        for n, title, counts in section_counts(result.rows)
    ]


def _section_label(section: int, title: str) -> str:
    from reporting.core.labels import SECTION_NUMERALS

    numeral = (
        SECTION_NUMERALS[section - 1] if 1 <= section <= len(SECTION_NUMERALS) else str(section)
    )
    short = title.split("，")[-1] if title else ""
    short = short.removeprefix("着力").rstrip("。")
    if len(short) > 13:  # the longest section names in the notice have 13 characters
        short = short[:13]
    return f"{numeral}、{short}" if short else f"{numeral}、"


def _font_properties(font: FontFile, size: float):
    from matplotlib.font_manager import FontProperties

    try:  # matplotlib ≥ 3.11 picks the face of a .ttc collection (Noto's SC face is not the first)
        from matplotlib.font_manager import FontPath

        fname = FontPath(str(font.path), font.index)
    except ImportError:
        fname = str(font.path)  # type: ignore[assignment]  # older matplotlib: a path
    return FontProperties(fname=fname, size=size)


def status_chart_png(
    result: QuarterResult,
    font: FontFile | None,
    *,
    title: str = "",
    width_in: float = 5.5,
    dpi: int = 200,
) -> bytes:
    """A horizontal stacked bar chart of status by section; PNG bytes.

    Raises ``ChartFontError`` when ``font`` is None or lacks a glyph the chart needs.
    """
    return counts_chart_png(
        section_status_counts(result), font, title=title, width_in=width_in, dpi=dpi
    )


def counts_chart_png(
    data: list[tuple[str, dict[str, int]]],
    font: FontFile | None,
    *,
    title: str = "",
    width_in: float = 5.5,
    dpi: int = 200,
) -> bytes:
    """``status_chart_png`` from the counts by section (``section_status_counts``)."""
    keys = [k for k in STATUS_KEYS if any(c[k] for _, c in data)] or [MISSING]
    return bars_png(data, keys, font, title=title, width_in=width_in, dpi=dpi)


def warm_up() -> None:
    """Import what drawing needs (about half a second), in a process that draws later."""
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import matplotlib.font_manager  # noqa: F401


def bars_png(
    data: list[tuple[str, dict[str, int]]],
    keys: list[str],
    font: FontFile | None,
    *,
    title: str = "",
    width_in: float = 5.5,
    dpi: int = 200,
) -> bytes:
    """Stacked horizontal bars, one per ``(label, {status → tasks})``, segments in ``keys``
    order: the report's chart (by section) and the annual edition's (by quarter)."""
    if font is None:
        raise font_missing()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = _draw(data, keys, font, title, width_in, dpi)
    missing = [
        w for w in caught if "missing from font" in str(w.message) or "Glyph" in str(w.message)
    ]
    if missing:
        raise font_missing(f"（{font.path.name} 缺少汉字字形）")
    return png


def _draw(
    data: list[tuple[str, dict[str, int]]],
    keys: list[str],
    font: FontFile,
    title: str,
    width_in: float,
    dpi: int,
) -> bytes:
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = [label for label, _ in data]
    text9, text8 = _font_properties(font, 9), _font_properties(font, 8)
    rc: dict = {"axes.unicode_minus": False, "hatch.linewidth": 0.6, "hatch.color": "#333333"}
    with rc_context(rc):
        height = 0.95 + 0.25 * max(len(labels), 1)
        fig = Figure(figsize=(width_in, height), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        ypos = list(range(len(labels)))[::-1]
        left = [0] * len(labels)
        for key in keys:
            color, hatch = STATUS_STYLE.get(key, ("#888888", ""))
            values = [counts[key] for _, counts in data]
            bars = ax.barh(
                ypos,
                values,
                left=left,
                color=color,
                hatch=hatch,
                edgecolor="#333333",
                linewidth=0.4,
                label=key,
                height=0.62,
            )
            for bar, value in zip(bars, values, strict=True):
                if value:
                    ax.text(
                        bar.get_x() + bar.get_width() / 2,
                        bar.get_y() + bar.get_height() / 2,
                        str(value),
                        ha="center",
                        va="center",
                        fontproperties=text8,
                        color="white" if key in _DARK else "black",
                        bbox={"boxstyle": "square,pad=0.08", "fc": color, "ec": "none"},
                    )
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_yticks(ypos, labels)
        for tick in ax.get_yticklabels() + ax.get_xticklabels():
            tick.set_fontproperties(text9)
        ax.set_xlabel("任务数（项）", fontproperties=text9)
        most = max(left, default=0)
        ax.set_xlim(0, max(most, 1) * 1.05)
        ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]  # MaxNLocator
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(
            ncols=min(len(keys), 6),
            loc="lower center",
            bbox_to_anchor=(0.4, 1.0),
            frameon=False,
            prop=text8,
            handlelength=1.8,
            handleheight=1.0,
            columnspacing=1.0,
        )
        if title:
            fig.suptitle(title, fontproperties=_font_properties(font, 10))
        fig.tight_layout()
        buf = io.BytesIO()
        # no Software/time metadata: equal data → equal bytes
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()
