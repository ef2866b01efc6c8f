"""``zhengdun export``: the 台账 as an Excel workbook (.xlsx) a county office works in.

Sheets 挂图作战 (the board), 问题清单 (one row per problem, the columns a clerk expects),
逾期清单 and 图表 (native Excel charts: each township's 销号率, the month-by-month burndown).
Every number comes from the queries the board and the bulletin use (``board_rows``,
``problem_row``, ``bulletin_context``); this module only lays them out.

No cell is ever a formula: text that Excel would run (:func:`zhengdun.wording.formula_like`)
is written with the string type. openpyxl is imported here and in ``xlsx_import`` only, and
only when the command runs.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from zhengdun import history
from zhengdun.errors import UserError, ZhengdunError
from zhengdun.model import Ledger, Problem
from zhengdun.queries import problem_row
from zhengdun.reports import Month, board_rows, board_table, bulletin_context
from zhengdun.wording import formula_like, name_key
from zhengdun.workspace import LoadedLedger, Workspace, in_round, load_all, reading_round

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

#: 问题清单's columns, in the order and words of a county office's 台账 (issue 12).
PROBLEM_COLUMNS = ("序号", "乡镇", "村(社区)", "存在问题", "问题类型", "来源", "整改措施", "整改时限",
                   "责任人", "整改进展", "销号时间", "验收人", "是否销号", "逾期天数", "佐证")
OVERDUE_COLUMNS = ("序号", "乡镇", "村(社区)", "存在问题", "整改时限", "责任人", "逾期天数")
#: In 整改进展, a closure and a reopening are lines of their own: ``2026-06-20 销号：结果``.
CLOSED_MARK = "销号："
REOPENED_MARK = "反弹："
VERIFIED_MARK = "（验收人：{}）"  # ends a closure's line: an earlier closure has no 验收人 cell
#: 挂图作战's columns after the board's own (``reports.board_table``).
BOARD_EXTRA = ("认定日期", "包村乡镇领导", "结对帮扶单位")
SHEETS = ("挂图作战", "问题清单", "逾期清单", "图表", "督查验收")
#: 督查验收: the visits and acceptances, so that an import gives back each 阶段 and 最近进展.
EVENT_COLUMNS = ("序号", "乡镇", "村(社区)", "日期", "事项", "人员或单位", "内容", "验收等次", "得分")
ACCEPTANCE = "验收"

DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.0%"
OVERDUE_FILL = "FFC7CE"  # Excel's own "light red fill" of conditional formatting
HEADER_FILL = "DDEBF7"
MAX_WIDTH = 60


@dataclass(frozen=True)
class Scope:
    """Which part of the ledger an export holds.

    ``township``: one township's organizations only. ``round``: the round (批次) asked for,
    else the one in effect today; every sheet is of that one round, as the board and the
    bulletin count it (an organization not designated in it is not in the workbook).
    """

    township: str | None = None
    round: str | None = None


def _in_scope(ws: Workspace, scope: Scope, day: date) -> tuple[str | None, list[LoadedLedger]]:
    """The round the export is of, and its organizations, each as that round saw it."""
    round_name = reading_round(ws, scope.round, day)
    items = in_round(load_all(ws), round_name)
    if scope.township is None:
        return round_name, items
    wanted = name_key(scope.township)
    chosen = [i for i in items if name_key(i.ledger.township) == wanted]
    if not chosen:
        towns = sorted({name_key(i.ledger.township) for i in items})
        raise UserError(f"没有乡镇“{scope.township}”的村(社区)",
                        f"现有乡镇：{'、'.join(towns)}" if towns else None)
    return round_name, chosen


def display_width(text: str) -> int:
    """Columns a line takes on screen: a CJK character (wide or full-width) counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def progress_lines(problem: Problem, day: date) -> list[str]:
    """整改进展 as one line per event on or before ``day``, in date order: steps as
    ``日期 内容``, closures as ``日期 销号：结果（验收人：…）``, reopenings as ``日期 反弹：原因``."""
    events: list[tuple[date, str]] = [(s.on, s.text) for s in problem.steps]
    for closure in problem.closures:
        verified = VERIFIED_MARK.format(closure.verified_by) if closure.verified_by else ""
        events.append((closure.on, CLOSED_MARK + closure.result + verified))
        if closure.reopened is not None:
            events.append((closure.reopened.on, REOPENED_MARK + closure.reopened.reason))
    events = [e for e in events if e[0] <= day]
    events.sort(key=lambda e: e[0])  # stable: each kind keeps its recorded order
    return [f"{on.isoformat()} {text}" for on, text in events]


def evidence_of(problem: Problem, day: date) -> list[str]:
    """Every evidence file of the problem's steps and closures on or before ``day``."""
    found = [e for s in problem.steps if s.on <= day for e in s.evidence]
    found += [e for c in problem.closures if c.on <= day for e in c.evidence]
    return list(dict.fromkeys(found))


def problem_values(number: int, slug: str, ledger: Ledger, problem: Problem, day: date,
                   catalog: dict[str, str]) -> tuple[list[Any], bool]:
    """One row of 问题清单 (and whether it is overdue), judged on ``day``."""
    row = problem_row(slug, ledger, problem, day, catalog)
    standing = [c for c in problem.closures if c.on <= day]
    closed = row["closed_on"] is not None
    return [
        number, row["township"], row["org_name"], row["title"],
        row["category_name"] or row["category"], row["source"] or "",
        "\n".join(str(m) for m in problem.measures), problem.due, row["owner"],
        "\n".join(progress_lines(problem, day)),
        date.fromisoformat(row["closed_on"]) if closed else None,
        (standing[-1].verified_by or "") if closed else "",
        "是" if closed else "否",
        row["days_overdue"] or None,
        "\n".join(evidence_of(problem, day)),
    ], bool(row["overdue"])


def export_workbook(ws: Workspace, scope: Scope = Scope()) -> bytes:
    """The workbook's bytes: every sheet, judged today."""
    from openpyxl import Workbook

    day = ws.today()
    round_name, items = _in_scope(ws, scope, day)
    board = board_rows(ws, day, items, round_name=round_name)
    book = Workbook()
    county = ws.config.county + (f"{name_key(scope.township)}" if scope.township else "")
    stamp = datetime.combine(day, time())
    book.properties.creator = ws.config.issuer
    book.properties.title = f"{county}软弱涣散基层党组织整顿台账"
    # a printed or mailed export can be matched to the ledger it was produced from
    book.properties.description = (f"zhengdun 导出，{f'批次 {round_name}，' if round_name else ''}"
                                   f"台账提交 {_revision(ws)}，截至 {day}")
    book.properties.created = book.properties.modified = stamp

    sheet = book.active
    assert sheet is not None
    sheet.title = SHEETS[0]
    header, rows = board_table(board)
    # the board's columns name two of the 四个一; the other two go with 认定日期, so that an
    # import of the workbook gives back the whole four (and the board no 四个一不全)
    header = [*header, *BOARD_EXTRA]
    rate = header.index("销号率")
    last = header.index("最近进展")
    duty = {i.slug: i.ledger.responsibility for i in items}
    values: list[list[Any]] = []
    for row, org in zip(rows, board["organizations"], strict=True):
        forces = duty[org["slug"]]
        row = [*row, date.fromisoformat(org["designated_on"]), forces.township_lead or "",
               "、".join(forces.paired_units)]
        row[rate] = None if row[rate] is None else row[rate] / 100
        row[last] = date.fromisoformat(row[last]) if row[last] else None
        values.append(row)
    _table(sheet, f"{county}软弱涣散基层党组织整顿挂图作战表（截至{_cn(day)}）", header, values,
           [org["overdue"] > 0 for org in board["organizations"]])

    catalog = ws.config.categories
    problem_rows: list[list[Any]] = []
    overdue: list[bool] = []
    ordered = sorted(items, key=lambda i: (i.ledger.township, i.ledger.name))
    for item in ordered:
        for problem in item.ledger.problems:
            if problem.exists_on(day):
                cells, late = problem_values(len(problem_rows) + 1, item.slug, item.ledger,
                                             problem, day, catalog)
                problem_rows.append(cells)
                overdue.append(late)
    _table(book.create_sheet(SHEETS[1]), f"{county}软弱涣散基层党组织整顿问题清单（截至{_cn(day)}）",
           list(PROBLEM_COLUMNS), problem_rows, overdue)

    picked = [PROBLEM_COLUMNS.index(c) for c in OVERDUE_COLUMNS]
    late_rows = [r for r, late in zip(problem_rows, overdue, strict=True) if late]
    late_rows.sort(key=lambda r: -(r[PROBLEM_COLUMNS.index("逾期天数")] or 0))
    _table(book.create_sheet(SHEETS[2]), f"逾期未整改问题清单（截至{_cn(day)}）",
           list(OVERDUE_COLUMNS),
           [[n, *[r[i] for i in picked[1:]]] for n, r in enumerate(late_rows, start=1)],
           [True] * len(late_rows))

    _charts(book.create_sheet(SHEETS[3]), ws, items, day, round_name)
    events: list[list[Any]] = []
    for item in ordered:
        ledger = item.ledger
        dated: list[tuple[date, list[Any]]] = [
            (v.on, [v.on, v.kind, v.by, v.text, None, None]) for v in ledger.visits]
        dated += [(a.on, [a.on, ACCEPTANCE, a.by, a.note or "", a.grade, a.score])
                  for a in ledger.acceptances]
        for on, cells in dated:  # listed as recorded: each kind keeps its order on import
            if on <= day:
                events.append([len(events) + 1, ledger.township, ledger.name, *cells])
    _table(book.create_sheet(SHEETS[4]), f"督查调度和验收记录（截至{_cn(day)}）",
           list(EVENT_COLUMNS), events, [False] * len(events))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _revision(ws: Workspace) -> str:
    if ws.revision is not None:
        return ws.revision
    try:
        return history.head_commit(ws.root)
    except ZhengdunError:
        return "（无）"


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _table(sheet: Worksheet, title: str, header: Sequence[str], rows: Sequence[Sequence[Any]],
           red: Sequence[bool]) -> None:
    """A title line, a frozen and filtered header, typed cells, widths, red overdue rows."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet.append([title])
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    sheet.append(list(header))
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor=HEADER_FILL)
    for col in range(1, len(header) + 1):
        head = sheet.cell(2, col)
        head.font, head.fill = bold, head_fill
        head.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    widths = [display_width(h) for h in header]
    fill = PatternFill("solid", fgColor=OVERDUE_FILL)
    wrap = Alignment(vertical="top", wrap_text=True)
    # Setting a style on a cell makes openpyxl look it up in the workbook's tables each time
    # (most of an export's time at 3,000 rows); each combination is looked up once, and its
    # cells share the result.
    styled: dict[tuple[str | None, bool, bool], Any] = {}
    for r, (values, late) in enumerate(zip(rows, red, strict=True), start=3):
        for c, value in enumerate(values, start=1):
            cell: Any = sheet.cell(r, c)  # a plain Cell: nothing in the data rows is merged
            cell.value = value
            number: str | None = None
            wrapped = False
            if isinstance(value, str):
                if formula_like(value):
                    cell.data_type = "s"  # text, whatever it starts with: never a formula
                wrapped = "\n" in value
                lines = value.splitlines() or [""]
                widths[c - 1] = max(widths[c - 1], *(display_width(x) for x in lines))
            elif isinstance(value, date):
                number = DATE_FORMAT
                widths[c - 1] = max(widths[c - 1], 10)
            elif isinstance(value, float) and header[c - 1] == "销号率":
                number = PERCENT_FORMAT
            key = (number, wrapped, late)
            if key == (None, False, False):
                continue
            if key in styled:
                cell._style = copy(styled[key])
                continue
            if number is not None:
                cell.number_format = number
            if wrapped:
                cell.alignment = wrap
            if late:
                cell.fill = fill
            styled[key] = copy(cell._style)
    for c, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = min(width, MAX_WIDTH) + 2
    last = get_column_letter(len(header))
    sheet.freeze_panes = "A3"
    sheet.auto_filter.ref = f"A2:{last}{max(2, len(rows) + 2)}"
    sheet.print_title_rows = "2:2"


def burndown(ws: Workspace, items: list[LoadedLedger], day: date,
             round_name: str | None = None) -> list[dict[str, Any]]:
    """Month by month, from the first problem's month to ``day``'s: registered, closed and
    open at the month's end, as the bulletin of the round ``round_name`` counts them (each
    organization's current round when the config names no rounds)."""
    found = [p.found_on for i in items for p in i.ledger.problems if p.found_on <= day]
    if not found:
        return []
    year, month = min(found).year, min(found).month
    points = []
    while (year, month) <= (day.year, day.month):
        context = bulletin_context(ws, Month(year, month), loaded=items, round_name=round_name)
        totals = context["totals"]
        points.append({"month": f"{year}-{month:02d}", "problems": totals["problems"],
                       "closed": totals["closed"], "open": totals["open"]})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return points


def _charts(sheet: Worksheet, ws: Workspace, items: list[LoadedLedger], day: date,
            round_name: str | None) -> None:
    """Two tables and their native charts: 各乡镇销号率 (bars) and 月度销号进度 (lines)."""
    from openpyxl.chart import BarChart, LineChart, Reference

    context = bulletin_context(ws, Month(day.year, day.month), loaded=items,
                               round_name=round_name)
    towns = [t for t in context["townships"] if t["rate"] is not None]
    sheet.append(["各乡镇销号率"])
    sheet.append(["乡镇", "问题数", "已销号", "销号率"])
    for town in towns:
        sheet.append([town["township"], town["problems"], town["closed"], town["rate"] / 100])
        sheet.cell(sheet.max_row, 4).number_format = PERCENT_FORMAT
    first, end = 3, 2 + len(towns)
    sheet.column_dimensions["A"].width = max([10, *(display_width(t["township"]) + 2
                                                    for t in towns)])
    if towns:
        bars = BarChart()
        bars.type = "col"
        bars.title = "各乡镇销号率"
        bars.y_axis.title = "销号率"
        bars.y_axis.number_format = "0%"
        bars.y_axis.scaling.min = 0
        bars.y_axis.scaling.max = 1
        bars.legend = None
        bars.add_data(Reference(sheet, min_col=4, min_row=2, max_row=end), titles_from_data=True)
        bars.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=end))
        bars.width, bars.height = 18, 8
        sheet.add_chart(bars, "F2")

    points = burndown(ws, items, day, round_name)
    top = end + 3
    sheet.cell(top, 1, "月度销号进度（月末数）")
    for c, text in enumerate(("月份", "累计问题数", "累计已销号", "未销号"), start=1):
        sheet.cell(top + 1, c, text)
    for r, point in enumerate(points, start=top + 2):
        sheet.cell(r, 1, point["month"])
        sheet.cell(r, 2, point["problems"])
        sheet.cell(r, 3, point["closed"])
        sheet.cell(r, 4, point["open"])
    if points:
        lines = LineChart()
        lines.title = "月度销号进度"
        lines.y_axis.title = "问题数"
        lines.x_axis.title = "月份"
        lines.add_data(Reference(sheet, min_col=2, max_col=4, min_row=top + 1,
                                 max_row=top + 1 + len(points)), titles_from_data=True)
        lines.set_categories(Reference(sheet, min_col=1, min_row=top + 2,
                                       max_row=top + 1 + len(points)))
        lines.width, lines.height = 18, 8
        sheet.add_chart(lines, "F20")
