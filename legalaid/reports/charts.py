"""The report's charts, drawn with matplotlib's Agg canvas in a font that has Chinese glyphs.

The font ships with the project's dependencies (Noto Sans SC, SIL Open Font License, in the
``pylopdf-fonts-zh-cn`` package) and is registered with matplotlib's font manager when a chart is first
drawn: never looked up on the system by a name that may be missing (tofu boxes), never downloaded. Every
text element is given the font explicitly rather than through the global rcParams, so drawing in several
threads (the worker's ``threads`` pool) cannot mix settings. The figure is built without pyplot: no global
figure registry, no GUI backend, the same bytes for the same data.
"""

from __future__ import annotations

import io
import threading
from functools import lru_cache
from pathlib import Path
from typing import Literal

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font

from legalaid.reports.content import BarChart

# Colours that stay apart when printed in grey: the reports are printed for meetings.
PALETTE = ("#1f4e79", "#c55a11", "#7f7f7f", "#548235", "#bf9000", "#7030a0")
DPI = 150
_lock = threading.Lock()


class ChartFontMissing(RuntimeError):
    """No font with Chinese glyphs could be found: the charts would show tofu boxes."""


def cjk_font_path() -> Path:
    """The shipped Noto Sans SC (``pylopdf-fonts-zh-cn``); failing that, a CJK font matplotlib knows."""
    try:
        from pylopdf_fonts_zh_cn import sans_path
    except ImportError:  # pragma: no cover - a dependency of the project; only a broken install lacks it
        pass
    else:
        path = Path(sans_path())
        if path.is_file():
            return path
    for name in ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "SimHei"):
        try:
            found = font_manager.findfont(FontProperties(family=name), fallback_to_default=False)
        except ValueError:  # matplotlib's "not found" when it may not fall back
            continue
        if has_chinese(Path(found)):
            return Path(found)
    raise ChartFontMissing(
        "no font with Chinese glyphs: reinstall legalaid (it depends on pylopdf-fonts-zh-cn)"
    )


def has_chinese(path: Path, sample: str = "法律援助案件民事刑事") -> bool:
    """True when the font file has a glyph for every character of ``sample``."""
    font = FT2Font(str(path))
    return all(font.get_char_index(ord(char)) for char in sample)


@lru_cache(maxsize=1)
def chart_font() -> FontProperties:
    """The charts' font, registered with matplotlib once per process."""
    path = cjk_font_path()
    with _lock:
        font_manager.fontManager.addfont(str(path))
    return FontProperties(fname=str(path))


# Where a legend goes, by whether the chart is horizontal (see render_chart).
_LEGEND_CORNER: dict[bool, Literal["lower right", "upper left"]] = {True: "lower right", False: "upper left"}


def render_chart(chart: BarChart, *, width: float = 6.4, height: float = 3.6) -> bytes:
    """The chart as a PNG."""
    font = chart_font()
    small = font.copy()
    small.set_size(8)

    def font_for(label: str) -> FontProperties:
        return small if label.isascii() else font

    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(chart.categories)))
    count = len(chart.series)
    bar = 0.8 if chart.stacked or count == 1 else 0.8 / count
    bottoms = [0] * len(positions)
    for index, (label, values) in enumerate(chart.series):
        colour = PALETTE[index % len(PALETTE)]
        offset = 0.0 if chart.stacked or count == 1 else (index - (count - 1) / 2) * bar
        places = [p + offset for p in positions]
        if chart.horizontal:
            bars = axes.barh(places, values, height=bar, left=bottoms, label=label, color=colour)
        else:
            bars = axes.bar(places, values, width=bar, bottom=bottoms, label=label, color=colour)
        if not chart.stacked:
            labels = [chart.no_data_label if i in chart.no_data else str(v) for i, v in enumerate(values)]
            axes.bar_label(bars, labels=labels, fontproperties=small, padding=2)
        if chart.stacked:
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    if chart.stacked:
        # A period without data is labelled so above its (empty) place, never as a total of 0.
        totals = [
            chart.no_data_label if index in chart.no_data else str(total)
            for index, total in enumerate(bottoms)
        ]
        for position, total, label in zip(positions, bottoms, totals, strict=True):
            axes.annotate(label, (position, total), ha="center", va="bottom", fontproperties=font_for(label))
    if chart.horizontal:
        axes.set_yticks(positions, chart.categories, fontproperties=font)
        axes.invert_yaxis()  # the first category on top, as the table lists it
        axes.set_xlabel(chart.value_label, fontproperties=font)
    else:
        axes.set_xticks(positions, chart.categories, fontproperties=font)
        axes.set_ylabel(chart.value_label, fontproperties=font)
    for tick in [*axes.get_xticklabels(), *axes.get_yticklabels()]:
        tick.set_fontproperties(font_for(tick.get_text()))
    axes.set_title(chart.title, fontproperties=font)
    axes.spines[["top", "right"]].set_visible(False)
    if chart.horizontal:
        axes.margins(x=0.12)  # room for the value labels
    else:
        axes.margins(y=0.12)
    if count > 1:
        # A fixed corner, not matplotlib's "best": its search over placements warns when it takes over a
        # second (a loaded machine, a long series), and a fixed place draws the same chart every time. The
        # corner is where bars are short: the early periods of a vertical chart, the small values of a
        # horizontal one.
        axes.legend(prop=font, frameon=False, loc=_LEGEND_CORNER[chart.horizontal])
    out = io.BytesIO()
    # No "Software" chunk: the same chart gives the same bytes, so an unchanged report keeps its checksum.
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
