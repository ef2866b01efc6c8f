"""Charts (图表): the only module that imports matplotlib, always with the Agg backend.

Chinese labels need a font that has Chinese glyphs: without one matplotlib draws empty boxes
(豆腐块) and says so only in a warning. So the font is chosen first — ``chart_font`` from
``zhengdun.yaml``, then the usual families — and checked against every character the chart
will show; when none has them, the chart is refused with the name of a font to install.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from zhengdun.errors import UserError

#: Looked for in this order after ``chart_font``: Windows, then the free families of
#: Linux distributions and macOS.
CJK_FAMILIES = ("SimHei", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC",
                "Source Han Sans CN", "Noto Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                "PingFang SC", "Heiti SC", "STHeiti", "Noto Serif CJK SC", "SimSun")
INSTALL_HINT = ("请安装中文字体后重试：Debian/Ubuntu 运行 apt-get install fonts-noto-cjk，"
                "Windows 自带黑体（SimHei）；也可在 zhengdun.yaml 中用 chart_font 指定已安装的中文字体")
FORMATS = ("png", "svg")

RED = "#C00000"
BLUE = "#1F4E79"
GREY = "#7F7F7F"
GREEN = "#548235"


@dataclass(frozen=True)
class Font:
    """The font chosen for a chart: its family name and file."""

    family: str
    path: str


def _covers(path: str, text: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        charmap = FT2Font(path).get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False
    return all(ord(ch) in charmap for ch in set(text) if not ch.isspace())


def choose_font(configured: str | None, text: str) -> Font:
    """The first installed font (``configured``, then :data:`CJK_FAMILIES`) that has a glyph
    for every character of ``text``; a refusal naming a font to install when none has."""
    from matplotlib import font_manager

    by_family: dict[str, list[str]] = {}
    # the regular weight first: a family's bold file may come first in the list
    entries = sorted(font_manager.fontManager.ttflist,
                     key=lambda e: (e.weight not in (400, "normal", "regular"), e.fname))
    for entry in entries:
        by_family.setdefault(entry.name, []).append(entry.fname)
    if configured:
        files = by_family.get(configured, [])
        if not files:
            raise UserError(f"zhengdun.yaml 中 chart_font 指定的字体“{configured}”没有安装，图表未生成",
                            "请安装该字体，或改成已安装的中文字体，或删去 chart_font 由 zhengdun 自动选用")
        for path in files:
            if _covers(path, text):
                return Font(configured, path)
        raise UserError(f"chart_font 指定的字体“{configured}”缺少图表中的汉字，画出来会是方框，图表未生成",
                        "请在 chart_font 中改写一种中文字体（如 SimHei、Noto Sans CJK SC），或删去它")
    for family in CJK_FAMILIES:
        for path in by_family.get(family, []):
            if _covers(path, text):
                return Font(family, path)
    raise UserError("没有找到可显示汉字的字体，图表中的中文会显示成方框，图表未生成", INSTALL_HINT)


def _figure(width_mm: float, height_mm: float) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width_mm / 25.4, height_mm / 25.4), layout="constrained")


def _save(figure: Any, fmt: str) -> bytes:
    buffer = io.BytesIO()
    # metadata pinned: the same numbers give the same picture (no date, no version in it)
    metadata: dict[str, Any] = ({"Software": None} if fmt == "png"
                                else {"Date": None, "Creator": None})
    figure.savefig(buffer, format=fmt, dpi=200, metadata=metadata)
    return buffer.getvalue()


def _style(font: Font) -> dict[str, Any]:
    from matplotlib.font_manager import FontProperties

    return {"fontproperties": FontProperties(fname=font.path)}


BURNDOWN_WORDS = ("未销号", "其中逾期", "累计登记问题", "累计销号", "问题数（个）")


def burndown(points: list[dict[str, Any]], title: str, configured: str | None,
             fmt: str) -> bytes:
    """销号进度: per month, problems registered and closed to date (lines) and those still
    open and overdue at month end (bars)."""
    labels = [p["label"] for p in points]
    font = choose_font(configured, "".join([title, *labels, *BURNDOWN_WORDS]))
    import matplotlib

    matplotlib.rcParams["svg.hashsalt"] = "zhengdun"
    matplotlib.rcParams["axes.unicode_minus"] = False
    figure = _figure(150, 75)
    axes = figure.add_subplot()
    text = _style(font)
    xs = list(range(len(points)))
    axes.bar(xs, [p["open"] for p in points], color="#BDD7EE", label="未销号", width=0.6)
    axes.bar(xs, [p["overdue"] for p in points], color=RED, label="其中逾期", width=0.6)
    axes.plot(xs, [p["problems"] for p in points], color=BLUE, marker="o", label="累计登记问题")
    axes.plot(xs, [p["closed"] for p in points], color=GREEN, marker="s", label="累计销号")
    for x, p in zip(xs, points, strict=True):
        axes.annotate(str(p["closed"]), (x, p["closed"]), textcoords="offset points",
                      xytext=(0, 5), ha="center", fontsize=7, color=GREEN)
    axes.set_xticks(xs, labels)
    for tick in axes.get_xticklabels():
        tick.set_fontproperties(text["fontproperties"])
        tick.set_fontsize(8)
    axes.set_ylabel("问题数（个）", **text)
    axes.set_title(title, **text, fontsize=11)
    axes.set_ylim(bottom=0)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.grid(axis="y", color="#D9D9D9", linewidth=0.6)
    axes.set_axisbelow(True)
    # under the axis, where no bar or line runs
    axes.legend(prop=text["fontproperties"], loc="upper center", bbox_to_anchor=(0.5, -0.1),
                ncol=4, frameon=False)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return _save(figure, fmt)


def townships(rows: list[dict[str, Any]], title: str, configured: str | None,
              fmt: str) -> bytes:
    """各乡镇销号率: one bar per township in ranking order, the last one red."""
    names = [r["township"] + ("（末位）" if r["last"] else "") for r in rows]
    font = choose_font(configured, "".join([title, *names, "销号率—%（）/0123456789."]))
    import matplotlib

    matplotlib.rcParams["svg.hashsalt"] = "zhengdun"
    figure = _figure(150, max(50, 14 + 9 * len(rows)))
    axes = figure.add_subplot()
    text = _style(font)
    ys = list(range(len(rows)))
    rates = [r["rate"] or 0 for r in rows]
    colors = [RED if r["last"] else GREY if r["rate"] is None else BLUE for r in rows]
    axes.barh(ys, rates, color=colors, height=0.6)
    for y, row in zip(ys, rows, strict=True):
        shown = "—" if row["rate"] is None else f"{row['rate']:.1f}%"
        axes.text((row["rate"] or 0) + 1, y, f"{shown}（{row['closed']}/{row['problems']}）",
                  va="center", fontsize=8, **text)
    axes.set_yticks(ys, names)
    for tick in axes.get_yticklabels():
        tick.set_fontproperties(text["fontproperties"])
        tick.set_fontsize(9)
    axes.invert_yaxis()
    axes.set_xlim(0, 118)
    axes.set_xticks([0, 20, 40, 60, 80, 100], ["0", "20%", "40%", "60%", "80%", "100%"])
    axes.set_xlabel("销号率", **text)
    axes.set_title(title, **text, fontsize=11)
    axes.grid(axis="x", color="#D9D9D9", linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return _save(figure, fmt)
