"""The documents a county office circulates: the bulletin as a Word 公文, 一村一档 in Word,
and the charts (图表) that go in them.

The numbers are the Markdown bulletin's own (:func:`zhengdun.reports.bulletin_context`); the
burndown's point for each month is that month's bulletin totals, so a chart never says other
than the bulletins do. Every document names the ledger commit it was made from (in its 版记
and in its properties), so a printed copy can be matched to the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from zhengdun.errors import UserError
from zhengdun.reports import Month, bulletin_context
from zhengdun.workspace import LoadedLedger, Workspace, in_round, load_all, reading_round

CHART_KINDS = {"burndown": "销号进度", "townships": "各乡镇销号率"}
#: The burndown shows at most this many months, the last ones (a campaign runs about a year).
BURNDOWN_MONTHS = 24


@dataclass(frozen=True)
class Source:
    """The ledger commit a document is made from."""

    commit: str
    uncommitted: bool  # the ledgers or the config had changes not yet committed

    @property
    def note(self) -> str:
        """The line in the document's 版记."""
        text = f"台账版本：{self.commit[:12]}"
        return text + "（另有未提交的修改）" if self.uncommitted else text


def source_of(ws: Workspace) -> Source:
    """The commit the ledgers are read at (``--at``), or HEAD and whether files differ from it."""
    from zhengdun import history, place

    if ws.revision is not None:
        return Source(ws.revision, False)
    changed = history.status(ws.root, [place.LEDGERS, place.CONFIG_NAME])
    return Source(history.head_commit(ws.root), bool(changed))


def _cn_date(day: str) -> str:
    value = date.fromisoformat(day)
    return f"{value.year}年{value.month}月{value.day}日"


# --------------------------------------------------------------------------- charts


def burndown_points(ws: Workspace, month: Month, loaded: list[LoadedLedger],
                    round_name: str | None = None) -> list[dict[str, Any]]:
    """Month by month up to ``month``: the bulletin totals at each month's end, all of one
    round (``round_name``, else the one in effect at ``month``'s end), from its first record."""
    chosen = reading_round(ws, round_name, month.last)
    loaded = in_round(loaded, chosen)
    starts = [min([item.ledger.designated_on, *(p.found_on for p in item.ledger.problems)])
              for item in loaded if item.ledger.designated_on <= month.last]
    if not starts:
        return []
    first = min(starts)
    months = []
    year, number = first.year, first.month
    while (year, number) <= (month.year, month.month):
        months.append(Month(year, number))
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    months = months[-BURNDOWN_MONTHS:]
    several_years = months[0].year != months[-1].year
    points = []
    for each in months:
        totals = bulletin_context(ws, each, loaded=loaded, round_name=chosen)["totals"]
        label = f"{each.year % 100}年{each.month}月" if several_years else f"{each.month}月"
        points.append({"month": str(each), "label": label, "problems": totals["problems"],
                       "closed": totals["closed"], "open": totals["open"],
                       "overdue": totals["overdue"]})
    return points


def _burndown_title(ws: Workspace, month: Month) -> str:
    return f"{ws.config.county}软弱涣散基层党组织整顿销号进度（截至{_cn_date(month.last.isoformat())}）"


def _townships_title(month: Month) -> str:
    return f"{month.year}年{month.month}月各乡镇问题销号率"


def chart(directory: Path | None, kind: str, month_text: str | None,
          output: Path) -> tuple[bytes, str]:
    """``zhengdun chart``: the picture's bytes and what it is, for ``output`` (.png or .svg)."""
    from zhengdun import plots
    from zhengdun.clock import typed_date
    from zhengdun.workspace import find

    if kind not in CHART_KINDS:
        raise UserError(f"没有“{kind}”这种图表",
                        "可用的图表：burndown（逐月销号进度）、townships（各乡镇销号率排名）")
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in plots.FORMATS:
        raise UserError(f"图表文件 {output} 的扩展名应是 .png 或 .svg",
                        "例如 -o 销号进度.png（插入 Word）或 -o 销号进度.svg（矢量图）")
    ws = find(directory)
    month = Month.parse(typed_date(month_text)) if month_text else \
        Month(ws.today().year, ws.today().month)
    items = load_all(ws)
    font = ws.config.chart_font
    if kind == "burndown":
        points = burndown_points(ws, month, items)
        if not points:
            raise UserError(f"截至{_cn_date(month.last.isoformat())}还没有认定的整顿对象，没有可画的进度",
                            "请先用 zhengdun org add 登记整顿对象，或换一个月份（--month）")
        return plots.burndown(points, _burndown_title(ws, month), font, fmt), "销号进度图"
    context = bulletin_context(ws, month, loaded=items)
    if not context["townships"]:
        raise UserError(f"截至{_cn_date(month.last.isoformat())}还没有认定的整顿对象，没有可画的乡镇",
                        "请先用 zhengdun org add 登记整顿对象，或换一个月份（--month）")
    return plots.townships(context["townships"], _townships_title(month), font, fmt), "乡镇销号率图"


# --------------------------------------------------------------------------- Word


def docx_template(ws: Workspace, name: str) -> tuple[bytes, str]:
    """The bytes of Word template ``name`` (``bulletin`` → ``bulletin.docx``) and how to name
    it: the workspace's own in ``templates/`` first, as for Markdown; with ``--at``, the one
    committed then."""
    from zhengdun import history
    from zhengdun.render import find_template

    file = name if name.endswith(".docx") else f"{name}.docx"
    if ws.revision is not None:
        files = history.tree_files(ws.root, ws.revision, "templates")
        committed = files.get(f"templates/{file}")
        if committed is not None:
            blob = history.read_blobs(ws.root, [committed])[committed]
            return blob, f"{ws.revision[:8]}:templates/{file}"
        path = find_template(file, None)
    else:
        path = find_template(file, ws.root)
    return path.read_bytes(), str(path)


def _properties(title: str, subject: str, issuer: str, day: str,
                source: Source) -> dict[str, Any]:
    from zhengdun.docx_out import moment

    return {"title": title, "subject": subject, "author": issuer, "created": moment(day),
            "modified": moment(day), "identifier": f"zhengdun:{source.commit}",
            "comments": f"由 zhengdun 根据台账提交 {source.commit} 生成"
                        + ("（生成时另有未提交的修改）" if source.uncommitted else ""),
            "category": subject}


def bulletin_docx(ws: Workspace, month: Month, number: str | None, issued_on: date | None,
                  template: str, round_name: str | None = None) -> bytes:
    """月度通报 as a Word 公文: the Markdown bulletin's numbers in the Word template."""
    from zhengdun import docx_out, plots

    items = load_all(ws)
    context = bulletin_context(ws, month, number, issued_on, loaded=items, round_name=round_name)
    source, display = docx_template(ws, template)
    font = ws.config.chart_font
    pictures = {
        "burndown_chart": lambda: plots.burndown(
            burndown_points(ws, month, items, round_name), _burndown_title(ws, month), font, "png"),
        "townships_chart": lambda: plots.townships(
            context["townships"], _townships_title(month), font, "png"),
    }
    made = source_of(ws)
    full = {**context, "ledger_commit": made.commit, "ledger_version": made.note}
    return docx_out.render(source, display, full, pictures, _properties(
        context["title"], "月度通报", context["issuer"], context["issued_on"], made))


def report_docx(ws: Workspace, name: str, context: dict[str, Any]) -> bytes:
    """``report NAME --format docx``: the context ``report`` built (一村一档 for ``ledger
    --org``, else the whole workspace) in Word template ``NAME.docx``."""
    from zhengdun import docx_out

    org = context.get("org")
    title = (f"{org['name']}软弱涣散基层党组织整顿台账" if isinstance(org, dict)
             else f"{ws.config.county}软弱涣散基层党组织整顿报告")
    source, display = docx_template(ws, name)
    made = source_of(ws)
    full = {**context, "title": title, "ledger_commit": made.commit,
            "ledger_version": made.note}
    return docx_out.render(source, display, full, {}, _properties(
        title, "一村一档" if org is not None else "报告", ws.config.issuer, context["as_of"], made))
