"""Reports: the monthly bulletin (月度通报), the board (挂图作战), and what templates receive.

Every function returns plain JSON-ready data: what ``--json`` prints is exactly what the
template is given. Numbers are counted by the event dates in the ledgers, so a step or a
closure entered late still counts in the month it happened; "overdue" is judged at the end of
the month.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from zhengdun import rules
from zhengdun.errors import UserError
from zhengdun.model import STATE_LABELS, Ledger
from zhengdun.queries import org_summary, problem_row, show_org
from zhengdun.wording import name_key
from zhengdun.workspace import LoadedLedger, Workspace, load_all

DUE_SOON_DAYS = 14


@dataclass(frozen=True)
class Month:
    """A calendar month, ``YYYY-MM``."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
        if not match or not 1 <= int(match[2]) <= 12:
            raise UserError(f"月份“{text}”写法不对", "月份写成 YYYY-MM，例如 2026-10")
        if int(match[1]) < 1 or (int(match[1]), int(match[2])) == (1, 1):
            # the bulletin also looks at the day before the month: 0001-01 has none
            raise UserError(f"月份“{text}”太早，超出了日历能计算的范围",
                            "请写通报所在的月份，例如 2026-10")
        return cls(int(match[1]), int(match[2]))

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


def _rate(closed: int, total: int) -> float | None:
    return round(closed * 100 / total, 1) if total else None


def _activity_in(ledger: Ledger, month: Month) -> list[str]:
    """What moved in an organization during ``month``: steps, closures, reopenings, visits."""
    moved = []
    for problem in ledger.problems:
        if any(s.on in month for s in problem.steps):
            moved.append("step")
        for closure in problem.closures:
            if closure.on in month:
                moved.append("close")
            if closure.reopened is not None and closure.reopened.on in month:
                moved.append("reopen")
    moved += ["visit" for v in ledger.visits if v.on in month]
    return moved


def bulletin_context(ws: Workspace, month: Month, number: str | None = None,
                     issued_on: date | None = None,
                     loaded: list[LoadedLedger] | None = None) -> dict[str, Any]:
    """Everything the monthly bulletin says, as numbers and lists."""
    end = month.last
    today = ws.today()
    if month.first > today:
        raise UserError(f"{month} 还没有到，不能出这个月的通报", f"今天是 {today}")
    items = [i for i in (loaded if loaded is not None else load_all(ws))
             if i.ledger.designated_on <= end]
    catalog = ws.config.categories
    townships: dict[str, dict[str, Any]] = {}
    overdue_rows: list[dict[str, Any]] = []
    closed_rows: list[dict[str, Any]] = []
    reopened_rows: list[dict[str, Any]] = []
    stalled: list[dict[str, Any]] = []
    accepted_rows: list[dict[str, Any]] = []
    totals: dict[str, Any] = {"organizations": 0, "villages": 0, "communities": 0, "problems": 0, "closed": 0,
              "open": 0, "overdue": 0, "registered_in_month": 0, "closed_in_month": 0,
              "reopened_in_month": 0, "transformed": 0, "accepted_in_month": 0,
              "extended": 0, "extended_in_month": 0, "relapsed": 0, "redo": 0,
              "redo_overdue": 0, "reviews_overdue": 0}
    extended_rows: list[dict[str, Any]] = []
    redo_rows: list[dict[str, Any]] = []
    review_rows: list[dict[str, Any]] = []
    unanswered_rows: list[dict[str, Any]] = []
    before = month.first - timedelta(days=1)
    for item in sorted(items, key=lambda i: (name_key(i.ledger.township), i.ledger.name)):
        ledger = item.ledger
        # "城关镇 " typed by hand is 城关镇: one township in the ranking (check flags the spelling)
        town = townships.setdefault(name_key(ledger.township), {
            "township": name_key(ledger.township), "organizations": 0, "problems": 0, "closed": 0,
            "overdue": 0, "closed_in_month": 0, "registered_in_month": 0, "transformed": 0})
        totals["organizations"] += 1
        totals["villages" if ledger.kind == "村" else "communities"] += 1
        town["organizations"] += 1
        if ledger.stage_on(end) == "已转化":
            totals["transformed"] += 1
            town["transformed"] += 1
        org_row = {"org": item.slug, "org_name": ledger.name, "township": ledger.township}
        stage = ledger.stage_on(end)
        totals["relapsed"] += stage == "反弹"
        redo_by = ledger.redo_by_on(end)
        if stage == "重新整顿":
            totals["redo"] += 1
        if redo_by is not None:
            late = redo_by < end
            totals["redo_overdue"] += late
            redo_rows.append({**org_row, "redo_by": redo_by.isoformat(), "overdue": late,
                              "days_overdue": (end - redo_by).days if late else 0,
                              "open": len([p for p in ledger.problems if p.exists_on(end)
                                           and not p.is_closed_on(end)])})
        review_due = ledger.review_due_on(end, ws.config)
        if review_due is not None and review_due < end:
            totals["reviews_overdue"] += 1
            converted = ledger.converted_on(end)
            review_rows.append({**org_row, "converted_on": converted and converted.isoformat(),
                                "review_due": review_due.isoformat(),
                                "days_overdue": (end - review_due).days})
        for notice in ledger.notices:
            if notice.awaits_reply_on(end):
                unanswered_rows.append({**org_row, "number": notice.number, "kind": notice.kind,
                                        "on": notice.on.isoformat(),
                                        "reply_by": notice.reply_by.isoformat(),
                                        "days_overdue": (end - notice.reply_by).days})
        for acceptance in ledger.acceptances:
            if acceptance.on in month:
                totals["accepted_in_month"] += 1
                accepted_rows.append({"org": item.slug, "org_name": ledger.name,
                                      "township": ledger.township,
                                      "on": acceptance.on.isoformat(), "by": acceptance.by,
                                      "grade": acceptance.grade, "score": acceptance.score,
                                      "stage": acceptance.stage})
        for problem in ledger.problems:
            if not problem.exists_on(end):
                continue
            row = problem_row(item.slug, ledger, problem, end, catalog)
            totals["problems"] += 1
            town["problems"] += 1
            if problem.found_on in month:
                totals["registered_in_month"] += 1
                town["registered_in_month"] += 1
            if problem.is_closed_on(end):
                totals["closed"] += 1
                town["closed"] += 1
                standing = [c for c in problem.closures if c.on <= end][-1]
                if standing.on in month:
                    totals["closed_in_month"] += 1
                    town["closed_in_month"] += 1
                    closed_rows.append({**row, "result": standing.result,
                                        "verified_by": standing.verified_by,
                                        "evidence": list(standing.evidence)})
            else:
                totals["open"] += 1
            granted = [e for e in problem.extensions if e.on <= end]
            if granted:
                totals["extended"] += 1
                in_month = [e for e in granted if e.on in month]
                totals["extended_in_month"] += bool(in_month)
                extended_rows.append({**row, "extended_in_month": bool(in_month),
                                      "extended_to": granted[-1].to.isoformat(),
                                      "reason": granted[-1].reason,
                                      "approved_by": granted[-1].approved_by})
            if problem.is_overdue_on(end):
                totals["overdue"] += 1
                town["overdue"] += 1
                overdue_rows.append(row)
            for closure in problem.closures:
                if closure.reopened is not None and closure.reopened.on in month:
                    totals["reopened_in_month"] += 1
                    reopened_rows.append({**row, "reopened_on": closure.reopened.on.isoformat(),
                                          "reason": closure.reopened.reason})
        if ledger.stage_on(before) != "已转化" and not _activity_in(ledger, month):
            last = ledger.last_activity(end)
            stalled.append({"org": item.slug, "org_name": ledger.name,
                            "township": ledger.township, "kind": ledger.kind,
                            "last_activity": last.isoformat() if last else None,
                            "open": len([p for p in ledger.problems if p.exists_on(end)
                                         and not p.is_closed_on(end)])})
    ranking = list(townships.values())
    for town in ranking:
        town["rate"] = _rate(town["closed"], town["problems"])
    ranking.sort(key=lambda t: (t["rate"] is None, -(t["rate"] or 0), t["overdue"],
                                t["township"]))
    # Only townships with problems are ranked against each other; one with nothing registered
    # has no 销号率 and is listed last without being flagged for 约谈.
    rated = [t for t in ranking if t["rate"] is not None]
    for place, town in enumerate(ranking, start=1):
        town["rank"] = place
        town["last"] = len(rated) > 1 and town is rated[-1]
    overdue_rows.sort(key=lambda r: (-r["days_overdue"], r["township"], r["org_name"], r["id"]))
    closed_rows.sort(key=lambda r: (r["closed_on"], r["township"], r["org_name"], r["id"]))
    totals["rate"] = _rate(totals["closed"], totals["problems"])
    config = ws.config
    return {
        "county": config.county,
        "issuer": config.issuer,
        "doc_prefix": config.doc_prefix,
        "number": number,
        "year": month.year,
        "month": str(month),
        "month_first": month.first.isoformat(),
        "month_end": end.isoformat(),
        "issued_on": (issued_on or end).isoformat(),
        "title": f"关于{month.year}年{month.month}月软弱涣散基层党组织整顿工作进展情况的通报",
        "totals": totals,
        "townships": ranking,
        "last_township": rated[-1]["township"] if len(rated) > 1 else None,
        "overdue": overdue_rows,
        "closed_in_month": closed_rows,
        "reopened_in_month": reopened_rows,
        "accepted_in_month": accepted_rows,
        "extended": extended_rows,
        "redo": sorted(redo_rows, key=lambda r: (r["redo_by"], r["township"], r["org_name"])),
        "notices_unanswered": sorted(unanswered_rows, key=lambda r: (-r["days_overdue"],
                                                                     r["township"], r["number"])),
        "reviews_overdue": sorted(review_rows, key=lambda r: (-r["days_overdue"], r["township"],
                                                              r["org_name"])),
        "stalled": stalled,
        "next_steps": config.next_steps,
        "categories": dict(config.categories),
    }


def board_rows(ws: Workspace, as_of: date | None = None,
               loaded: list[LoadedLedger] | None = None) -> dict[str, Any]:
    """挂图作战: one row per organization, sorted by township."""
    day = as_of or ws.today()
    items = loaded if loaded is not None else load_all(ws)
    rows = []
    for item in sorted(items, key=lambda i: (i.ledger.township, i.ledger.name)):
        ledger = item.ledger
        row = org_summary(item, day)
        soon = [p for p in ledger.problems if p.exists_on(day) and not p.is_closed_on(day)
                and day <= p.due <= day + timedelta(days=DUE_SOON_DAYS)]
        row["due_soon"] = len(soon)
        row["category_names"] = [ws.config.categories.get(c, "") for c in ledger.categories]
        row["rate"] = _rate(row["closed"], row["problems"])
        row["status"] = ("overdue" if row["overdue"] else "due_soon" if soon
                         else "accepted" if row["stage"] == "已转化" else "normal")
        review_due = ledger.review_due_on(day, ws.config)
        redo_by = ledger.redo_by_on(day)
        row["review_due"] = review_due.isoformat() if review_due else None
        row["redo_by"] = redo_by.isoformat() if redo_by else None
        row["marks"] = board_marks(ledger, day, review_due, redo_by)
        rows.append(row)
    return {"as_of": day.isoformat(), "county": ws.config.county, "due_soon_days": DUE_SOON_DAYS,
            "count": len(rows), "organizations": rows}


def board_marks(ledger: Ledger, day: date, review_due: date | None,
                redo_by: date | None) -> list[str]:
    """The board's reminders for one organization on ``day``: 回头看逾期, 重新整顿逾期, and the
    seeds' 避重就轻 and 四个一不全 (the rules of :mod:`zhengdun.rules`, as ``check`` warns)."""
    marks = []
    if review_due is not None and review_due < day:
        marks.append("回头看逾期")
    if redo_by is not None and redo_by < day:
        marks.append("重新整顿逾期")
    found = [p.category for p in ledger.problems if p.exists_on(day)]
    if rules.evasive_categories(ledger.categories, found):
        marks.append("避重就轻")
    if rules.missing_forces(ledger.responsibility.to_data()):
        marks.append("四个一不全")
    if any(n.awaits_reply_on(day) for n in ledger.notices):
        marks.append("通知书逾期未回复")
    return marks


def ledger_context(ws: Workspace, org: str, as_of: date | None = None) -> dict[str, Any]:
    """一村一档: one organization's whole record, for ``report ledger --org``."""
    data = show_org(ws, org, as_of)
    return {"county": ws.config.county, "issuer": ws.config.issuer, "as_of": data["as_of"],
            "org": data, "categories": dict(ws.config.categories),
            "state_labels": STATE_LABELS}


def workspace_context(ws: Workspace, as_of: date | None = None) -> dict[str, Any]:
    """Everything, for ``report NAME``: config, every organization with derived state."""
    day = as_of or ws.today()
    items = sorted(load_all(ws), key=lambda i: (i.ledger.township, i.ledger.name))
    organizations = [show_org(ws, item.slug, day) for item in items]
    return {"county": ws.config.county, "issuer": ws.config.issuer,
            "doc_prefix": ws.config.doc_prefix, "as_of": day.isoformat(),
            "categories": dict(ws.config.categories), "sources": list(ws.config.sources),
            "organizations": organizations, "board": board_rows(ws, day, items)}


def board_csv(board: dict[str, Any]) -> str:
    """The board as CSV (with a BOM, so Excel on a Chinese Windows machine opens it right)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["乡镇", "村(社区)", "类别", "软弱涣散类型", "阶段", "问题数", "已销号", "未销号",
                     "逾期", f"{board['due_soon_days']}天内到期", "销号率", "最近进展",
                     "包联县级领导", "第一书记", "提醒"])
    for row in board["organizations"]:
        writer.writerow([row["township"], row["name"], row["kind"], "、".join(row["categories"]),
                         row["stage"], row["problems"], row["closed"], row["open"],
                         row["overdue"], row["due_soon"],
                         "" if row["rate"] is None else f"{row['rate']:.1f}%",
                         row["last_activity"] or "", row["county_leader"] or "",
                         row["first_secretary"] or "", "、".join(row["marks"])])
    return "\ufeff" + out.getvalue()
