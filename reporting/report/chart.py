"""The report's chart: task status by section, as a PNG for the .docx.

Drawn with matplotlib's object API on an Agg canvas (no pyplot state, safe in a
scheduler thread). The PNG is deterministic: fixed size and dpi, no timestamp or
software metadata, so rendering the report twice gives the same bytes.
"""

from __future__ import annotations

import io

from reporting.core.model import MISSING, QuarterResult, Status

# a CJK face first, then fallbacks other machines may have; DejaVu keeps digits legible
FONT_FAMILIES = [
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "DejaVu Sans",
]

# one colour per status; readable in grey print too (light → dark)
STATUS_COLORS = {
    Status.DONE: "#1b7837",
    Status.AHEAD: "#5aae61",
    Status.ON_TRACK: "#a6dba0",
    Status.LAGGING: "#d6604d",
    Status.NOT_STARTED: "#b2182b",
    MISSING: "#bababa",
}


def section_status_counts(result: QuarterResult) -> list[tuple[str, dict[str, int]]]:
    """[(section label, {status → rows})] in section order; statuses as in ``status_counts``."""
    keys = list(result.status_counts())
    sections: dict[int, tuple[str, dict[str, int]]] = {}
    for row in sorted(result.rows, key=lambda r: r.section):
        label, counts = sections.setdefault(
            row.section, (_section_label(row.section, row.section_title), dict.fromkeys(keys, 0))
        )
        counts[row.status or MISSING] += 1
    return list(sections.values())


def _section_label(section: int, title: str) -> str:
    from reporting.core.labels import SECTION_NUMERALS

    numeral = (
        SECTION_NUMERALS[section - 1] if 1 <= section <= len(SECTION_NUMERALS) else str(section)
    )
    short = title.split("，")[-1] if title else ""
    short = short.removeprefix("着力").rstrip("。")
    if len(short) > 13:  # the longest section names in the notice have 13 characters
        short = short[:12] + "…"
    return f"{numeral}、{short}" if short else f"{numeral}、"


def status_chart_png(
    result: QuarterResult, *, title: str = "", width_in: float = 6.1, dpi: int = 200
) -> bytes:
    """A horizontal stacked bar chart of status by section; PNG bytes."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    data = section_status_counts(result)
    keys = [k for k in result.status_counts() if any(c[k] for _, c in data)] or [MISSING]
    labels = [label for label, _ in data]
    rc = {
        "font.family": "sans-serif",
        "font.sans-serif": FONT_FAMILIES,
        "axes.unicode_minus": False,
        "font.size": 9,
    }
    with rc_context(rc):
        height = 0.9 + 0.27 * max(len(labels), 1)
        fig = Figure(figsize=(width_in, height), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        ypos = list(range(len(labels)))[::-1]
        left = [0] * len(labels)
        for key in keys:
            values = [counts[key] for _, counts in data]
            bars = ax.barh(
                ypos,
                values,
                left=left,
                color=STATUS_COLORS.get(key, "#888888"),
                edgecolor="white",
                linewidth=0.6,
                label=key,
                height=0.62,
            )
            for bar, value in zip(bars, values, strict=True):
                if value:
                    dark = key in (
                        Status.DONE,
                        Status.LAGGING,
                        Status.NOT_STARTED,
                    )
                    ax.text(
                        bar.get_x() + bar.get_width() / 2,
                        bar.get_y() + bar.get_height() / 2,
                        str(value),
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if dark else "black",
                    )
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_yticks(ypos, labels)
        ax.set_xlabel("任务数（项）")
        most = max(left, default=0)
        ax.set_xlim(0, max(most, 1) * 1.05)
        ax.xaxis.get_major_locator().set_params(integer=True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(
            ncols=min(len(keys), 6),
            loc="lower center",
            bbox_to_anchor=(0.4, 1.0),
            frameon=False,
            fontsize=8,
            handlelength=1.2,
            columnspacing=1.0,
        )
        if title:
            fig.suptitle(title, fontsize=10)
        fig.tight_layout()
        buf = io.BytesIO()
        # no Software/time metadata: equal data → equal bytes
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()
