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

from zhengdun import history, rules
from zhengdun.errors import UserError
from zhengdun.model import STATE_LABELS, VISIT_KINDS, Ledger
from zhengdun.queries import (
    known_leader,
    known_township,
    leaders_of,
    org_summary,
    problem_row,
    show_org,
)
from zhengdun.wording import name_key, spreadsheet_text
from zhengdun.workspace import LoadedLedger, Workspace, in_round, load_all, reading_round

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


#: 预警: open problems whose deadline falls within this many days of the bulletin's date.
WARNING_DAYS = 15
#: 主送 when ``zhengdun.yaml`` names no ``recipients``.
DEFAULT_RECIPIENTS = "各乡镇党委，县直有关单位"
#: The one ranking rule, stated in the bulletin's footnote.
RANKING_RULE = ("排名按销号率由高到低；销号率相同的，逾期未整改问题少的在前；仍相同的并列。"
                "只有最后一名唯一时才标注末位，并列最后或只有一个单位参与排名时不标注末位")
#: 下步工作要求 of one month: ``notes/YYYY-MM.md`` (the whole file), else the config text.
NOTES_DIR = "notes"


def _activity_in(ledger: Ledger, first: date, last: date) -> list[str]:
    """What moved in an organization between ``first`` and ``last``: steps, closures,
    reopenings, visits."""
    moved = []
    for problem in ledger.problems:
        if any(first <= s.on <= last for s in problem.steps):
            moved.append("step")
        for closure in problem.closures:
            if first <= closure.on <= last:
                moved.append("close")
            if closure.reopened is not None and first <= closure.reopened.on <= last:
                moved.append("reopen")
    moved += ["visit" for v in ledger.visits if first <= v.on <= last]
    return moved


def acceptance_rows(items: list[LoadedLedger], first: date, last: date) -> list[dict[str, Any]]:
    """验收 recorded between ``first`` and ``last``: the bulletin's acceptance list.

    The one place the acceptance list is made (the campaign's 初验/复核 steps extend it here).
    """
    rows: list[dict[str, Any]] = []
    for item in items:
        ledger = item.ledger
        for acceptance in ledger.acceptances:
            if first <= acceptance.on <= last:
                rows.append({"org": item.slug, "org_name": ledger.name, "kind": ledger.kind,
                             "township": ledger.township, "on": acceptance.on.isoformat(),
                             "by": acceptance.by, "grade": acceptance.grade,
                             "score": acceptance.score, "stage": acceptance.stage})
    rows.sort(key=lambda r: (str(r["on"]), name_key(str(r["township"])), str(r["org_name"])))
    return rows


def _standing(unit: dict[str, Any]) -> tuple[bool, float, int]:
    return (unit["rate"] is None, -(unit["rate"] or 0), unit["overdue"])


def rank(units: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Rank ``units`` (townships, or a township's villages) by :data:`RANKING_RULE`, in place;
    returns the one flagged 末位, or None when there is no single last place."""
    for unit in units:
        unit["rate"] = _rate(unit["closed"], unit["problems"])
    units.sort(key=lambda u: (*_standing(u), u["name"]))
    for unit in units:
        unit["rank"] = 1 + len([u for u in units if _standing(u) < _standing(unit)])
    # A unit with nothing registered has no 销号率: listed last, never flagged for 约谈.
    rated = [u for u in units if u["rate"] is not None]
    last = (rated[-1] if len(rated) > 1 and _standing(rated[-1]) != _standing(rated[-2])
            else None)
    for unit in units:
        unit["last"] = unit is last
    return last


def _report_by(last: date) -> date:
    """The 10th of the month after ``last``: when the 末位 township reports (约谈)."""
    return date(last.year + 1, 1, 10) if last.month == 12 else date(last.year, last.month + 1, 10)


def month_notes(ws: Workspace, month: Month) -> str | None:
    """This month's 下步工作要求 from ``notes/YYYY-MM.md`` (as committed, with ``--at``)."""
    rel = f"{NOTES_DIR}/{month}.md"
    if ws.revision is not None:
        from zhengdun import history

        files = history.tree_files(ws.root, ws.revision, NOTES_DIR)
        if rel not in files:
            return None
        raw = history.read_blobs(ws.root, [files[rel]])[files[rel]]
    else:
        path = ws.root / rel
        if not path.is_file():
            return None
        raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{rel} 不是 UTF-8 编码的文本，读不出本月的下步工作要求",
                        "请用 UTF-8 编码另存该文件（记事本“另存为”时选 UTF-8）") from None
    return text.strip() or None


def _scoped(ws: Workspace, items: list[LoadedLedger], township: str | None,
            ) -> list[LoadedLedger]:
    if township is None:
        return items
    chosen = [i for i in items if name_key(i.ledger.township) == name_key(township)]
    if not chosen:
        known = sorted({name_key(i.ledger.township) for i in items})
        raise UserError(f"没有乡镇“{township}”的村（社区）",
                        f"现有乡镇：{'、'.join(known)}" if known else "请先登记村（社区）")
    return chosen


def tally(ws: Workspace, items: list[LoadedLedger], first: date, end: date,
          by_township: bool = True) -> dict[str, Any]:
    """The numbers of a bulletin for the period ``first``..``end`` (judged on ``end``).

    ``by_township``: rank the townships; else rank the organizations (a township's bulletin).
    """
    catalog = ws.config.categories
    units: dict[str, dict[str, Any]] = {}
    overdue_rows: list[dict[str, Any]] = []
    closed_rows: list[dict[str, Any]] = []
    reopened_rows: list[dict[str, Any]] = []
    warning_rows: list[dict[str, Any]] = []
    stalled: list[dict[str, Any]] = []
    categories: dict[str, dict[str, Any]] = {
        code: {"code": code, "name": name, "village_orgs": 0, "community_orgs": 0,
               "village_problems": 0, "community_problems": 0, "problems": 0, "closed": 0}
        for code, name in catalog.items()}
    pushes = {kind: 0 for kind in VISIT_KINDS}
    totals: dict[str, Any] = {"organizations": 0, "villages": 0, "communities": 0, "problems": 0, "closed": 0,
              "open": 0, "overdue": 0, "registered_in_month": 0, "closed_in_month": 0,
              "reopened_in_month": 0, "transformed": 0, "accepted_in_month": 0,
              "extended": 0, "extended_in_month": 0, "relapsed": 0, "redo": 0,
              "redo_overdue": 0, "reviews_overdue": 0}
    extended_rows: list[dict[str, Any]] = []
    redo_rows: list[dict[str, Any]] = []
    review_rows: list[dict[str, Any]] = []
    unanswered_rows: list[dict[str, Any]] = []
    before = first - timedelta(days=1)
    horizon = end + timedelta(days=WARNING_DAYS)
    for item in sorted(items, key=lambda i: (name_key(i.ledger.township), i.ledger.name)):
        ledger = item.ledger
        village = ledger.kind == "村"
        duty = ledger.responsibility
        # "城关镇 " typed by hand is 城关镇: one township in the ranking (check flags the spelling)
        name = name_key(ledger.township) if by_township else ledger.name
        unit = units.setdefault(name, {
            "name": name, "township": name_key(ledger.township), "organizations": 0,
            "problems": 0, "closed": 0, "overdue": 0, "closed_in_month": 0,
            "registered_in_month": 0, "transformed": 0})
        totals["organizations"] += 1
        totals["villages" if village else "communities"] += 1
        unit["organizations"] += 1
        for code in dict.fromkeys(ledger.categories):
            if code in categories:
                categories[code]["village_orgs" if village else "community_orgs"] += 1
        if ledger.stage_on(end) == "已转化":
            totals["transformed"] += 1
            unit["transformed"] += 1
        pushes_here = [v for v in ledger.visits if first <= v.on <= end]
        for visit in pushes_here:
            pushes[visit.kind] += 1
        totals["accepted_in_month"] += len([a for a in ledger.acceptances
                                            if first <= a.on <= end])
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
        for problem in ledger.problems:
            if not problem.exists_on(end):
                continue
            row = problem_row(item.slug, ledger, problem, end, catalog)
            row["kind"] = ledger.kind
            row["county_leader"] = duty.county_leader
            row["township_lead"] = duty.township_lead
            totals["problems"] += 1
            unit["problems"] += 1
            if problem.category in categories:
                entry = categories[problem.category]
                entry["village_problems" if village else "community_problems"] += 1
                entry["problems"] += 1
            if first <= problem.found_on <= end:
                totals["registered_in_month"] += 1
                unit["registered_in_month"] += 1
            if problem.is_closed_on(end):
                totals["closed"] += 1
                unit["closed"] += 1
                if problem.category in categories:
                    categories[problem.category]["closed"] += 1
                standing = [c for c in problem.closures if c.on <= end][-1]
                if first <= standing.on <= end:
                    totals["closed_in_month"] += 1
                    unit["closed_in_month"] += 1
                    closed_rows.append({**row, "result": standing.result,
                                        "verified_by": standing.verified_by,
                                        "evidence": list(standing.evidence)})
            else:
                totals["open"] += 1
                if end <= problem.deadline_on(end) <= horizon:
                    warning_rows.append({**row, "days_left": (problem.deadline_on(end) - end).days})
            granted = [e for e in problem.extensions if e.on <= end]
            if granted:
                totals["extended"] += 1
                in_month = [e for e in granted if first <= e.on <= end]
                totals["extended_in_month"] += bool(in_month)
                extended_rows.append({**row, "extended_in_month": bool(in_month),
                                      "extended_to": granted[-1].to.isoformat(),
                                      "reason": granted[-1].reason,
                                      "approved_by": granted[-1].approved_by})
            if problem.is_overdue_on(end):
                totals["overdue"] += 1
                unit["overdue"] += 1
                overdue_rows.append(row)
            for closure in problem.closures:
                if closure.reopened is not None and first <= closure.reopened.on <= end:
                    totals["reopened_in_month"] += 1
                    reopened_rows.append({**row, "reopened_on": closure.reopened.on.isoformat(),
                                          "reason": closure.reopened.reason})
        # Designated during the period: its work has only begun, it is not 停滞.
        if ledger.designated_on < first and ledger.stage_on(before) != "已转化" \
                and not _activity_in(ledger, first, end):
            last = ledger.last_activity(end)
            stalled.append({"org": item.slug, "org_name": ledger.name,
                            "township": ledger.township, "kind": ledger.kind,
                            "last_activity": last.isoformat() if last else None,
                            "open": len([p for p in ledger.problems if p.exists_on(end)
                                         and not p.is_closed_on(end)])})
    ranking = list(units.values())
    last_unit = rank(ranking)
    rated = [u for u in ranking if u["rate"] is not None]
    tied_last = ([u["name"] for u in rated if _standing(u) == _standing(rated[-1])]
                 if len(rated) > 1 and last_unit is None else [])
    for unit in ranking:
        if by_township:
            unit["township"] = unit["name"]
    overdue_rows.sort(key=lambda r: (-r["days_overdue"], r["township"], r["org_name"], r["id"]))
    closed_rows.sort(key=lambda r: (r["closed_on"], r["township"], r["org_name"], r["id"]))
    warning_rows.sort(key=lambda r: (r["due"], r["township"], r["org_name"], r["id"]))
    totals["rate"] = _rate(totals["closed"], totals["problems"])
    return {
        "totals": totals,
        "units": ranking,
        "last_unit": last_unit["name"] if last_unit else None,
        "tied_last": tied_last,
        "overdue": overdue_rows,
        "extended": extended_rows,
        "redo": sorted(redo_rows, key=lambda r: (r["redo_by"], r["township"], r["org_name"])),
        "notices_unanswered": sorted(unanswered_rows, key=lambda r: (-r["days_overdue"],
                                                                     r["township"], r["number"])),
        "reviews_overdue": sorted(review_rows, key=lambda r: (-r["days_overdue"], r["township"],
                                                              r["org_name"])),
        "closed_in_month": closed_rows,
        "reopened_in_month": reopened_rows,
        "accepted_in_month": acceptance_rows(items, first, end),
        "stalled": stalled,
        "warnings": warning_rows,
        "pushes": pushes,
        "conversion": {"organizations": totals["organizations"],
                       "transformed": totals["transformed"],
                       "rate": _rate(totals["transformed"], totals["organizations"])},
        "by_category": [c for c in categories.values() if c["problems"] or c["village_orgs"]
                        or c["community_orgs"]],
    }


def _issuing(config: Any, township: str | None, scope: str) -> dict[str, Any]:
    """Who issues a bulletin or summary and to whom: the county department to the townships
    (``recipients`` in zhengdun.yaml), or a township 党委 to its villages (``township``)."""
    county = township is None
    return {"issuer": config.issuer if county else f"中共{scope}委员会",
            "doc_prefix": config.doc_prefix if county else None,
            "scope": scope, "township": None if county else scope,
            "unit_label": "乡镇" if county else "村（社区）",
            "recipients": (config.recipients or DEFAULT_RECIPIENTS) if county
            else "各村（社区）党组织"}


def bulletin_context(ws: Workspace, month: Month, number: str | None = None,
                     issued_on: date | None = None,
                     loaded: list[LoadedLedger] | None = None,
                     township: str | None = None,
                     round_name: str | None = None) -> dict[str, Any]:
    """Everything the monthly bulletin says, as numbers and lists (the Markdown and the Word
    bulletin are both made from this one dictionary), of one round (``round_name``, else the
    round in effect at the month's end): an organization of an earlier round only, converted
    then, is not counted as weak.

    The current, unfinished month is counted up to today and says so (``partial``): a
    mid-month bulletin for a 调度会 is common, and its numbers are true as of today.
    ``township``: that township's own bulletin to its villages, ranking its organizations.
    """
    today = ws.today()
    if month.first > today:
        raise UserError(f"{month} 还没有到，不能出这个月的通报", f"今天是 {today}")
    end = min(month.last, today)
    chosen = reading_round(ws, round_name, month.last)
    everything = in_round(loaded if loaded is not None else load_all(ws), chosen)
    items = [i for i in _scoped(ws, everything, township)
             if i.ledger.designated_on <= end]
    counted = tally(ws, items, month.first, end, by_township=township is None)
    config = ws.config
    ranking = counted["units"]
    scope = name_key(township) if township is not None else "全县"
    notes = month_notes(ws, month)
    context: dict[str, Any] = {
        "county": config.county,
        **_issuing(config, township, scope),
        "number": number,
        "year": month.year,
        "month": str(month),
        "month_first": month.first.isoformat(),
        "month_end": month.last.isoformat(),
        "as_of": end.isoformat(),
        "partial": end < month.last,
        "issued_on": (issued_on or end).isoformat(),
        "title": f"关于{month.year}年{month.month}月"
                 f"{'' if township is None else scope}软弱涣散基层党组织整顿工作进展情况的通报",
        "first_month": not any(i.ledger.designated_on < month.first for i in items),
        **{k: counted[k] for k in ("totals", "overdue", "closed_in_month", "reopened_in_month",
                                   "accepted_in_month", "stalled", "warnings", "pushes",
                                   "conversion", "by_category", "extended", "redo",
                                   "notices_unanswered", "reviews_overdue")},
        "townships": ranking,
        "last_township": counted["last_unit"],
        "tied_last": counted["tied_last"],
        "ranking_rule": RANKING_RULE,
        "report_by": _report_by(month.last).isoformat(),
        "warning_days": WARNING_DAYS,
        "round": chosen,
        "source_commit": _source_commit(ws),
        "next_steps": notes or config.next_steps,
        "next_steps_from": (f"{NOTES_DIR}/{month}.md" if notes
                            else "zhengdun.yaml" if config.next_steps else None),
        "categories": dict(config.categories),
    }
    return context


def _source_commit(ws: Workspace) -> str | None:
    """The ledger commit a report is made from (``--at``'s, else HEAD's): a bulletin records
    it, and ``audit --witness`` checks it."""
    if ws.revision is not None:
        return ws.revision
    try:
        return history.head_commit(ws.root)
    except UserError:
        return None


def board_rows(ws: Workspace, as_of: date | None = None,
               loaded: list[LoadedLedger] | None = None, township: str | None = None,
               leader: str | None = None, round_name: str | None = None) -> dict[str, Any]:
    """挂图作战: one row per organization of one round (``round_name``, else the round in effect
    on ``as_of``), sorted by township (``township``/``leader``: only that township's
    organizations, or that 包联 leader's)."""
    day = as_of or ws.today()
    chosen = reading_round(ws, round_name, day)
    items = in_round(loaded if loaded is not None else load_all(ws), chosen)
    if township is not None:
        known_township(items, township)
    if leader is not None:
        known_leader(items, leader)
    rows = []
    for item in sorted(items, key=lambda i: (i.ledger.township, i.ledger.name)):
        ledger = item.ledger
        if township is not None and name_key(ledger.township) != name_key(township):
            continue
        if leader is not None and name_key(leader) not in leaders_of(ledger):
            continue
        row = org_summary(item, day)
        soon = [p for p in ledger.problems if p.exists_on(day) and not p.is_closed_on(day)
                and day <= p.deadline_on(day) <= day + timedelta(days=DUE_SOON_DAYS)]
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
            "round": chosen, "count": len(rows), "organizations": rows}


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


def ledger_context(ws: Workspace, org: str, as_of: date | None = None,
                   round_name: str | None = None) -> dict[str, Any]:
    """一村一档: one organization's record of one round, for ``report ledger --org``."""
    data = show_org(ws, org, as_of, round_name)
    return {"county": ws.config.county, "issuer": ws.config.issuer, "as_of": data["as_of"],
            "org": data, "categories": dict(ws.config.categories),
            "state_labels": STATE_LABELS}


def workspace_context(ws: Workspace, as_of: date | None = None,
                      round_name: str | None = None) -> dict[str, Any]:
    """Everything, for ``report NAME``: config, every organization of one round (``round_name``,
    else the round in effect on ``as_of``) with derived state."""
    day = as_of or ws.today()
    chosen = reading_round(ws, round_name, day)
    everything = load_all(ws)
    items = sorted(in_round(everything, chosen), key=lambda i: (i.ledger.township, i.ledger.name))
    organizations = [show_org(ws, item.slug, day, item.ledger.round) for item in items]
    return {"county": ws.config.county, "issuer": ws.config.issuer,
            "doc_prefix": ws.config.doc_prefix, "as_of": day.isoformat(),
            "categories": dict(ws.config.categories), "sources": list(ws.config.sources),
            "round": chosen, "rounds": ws.config.round_names(),
            "organizations": organizations,
            "board": board_rows(ws, day, everything, round_name=chosen)}


def board_table(board: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The board's columns and rows as values (rate a number or None, dates as text): what
    ``board --format csv`` writes and ``export`` puts in its 挂图作战 sheet."""
    header = ["乡镇", "村(社区)", "类别", "软弱涣散类型", "阶段", "问题数", "已销号", "未销号",
              "逾期", f"{board['due_soon_days']}天内到期", "销号率", "最近进展",
              "包联县级领导", "第一书记", "提醒"]
    rows = [[row["township"], row["name"], row["kind"], "、".join(row["categories"]),
             row["stage"], row["problems"], row["closed"], row["open"],
             row["overdue"], row["due_soon"], row["rate"],
             row["last_activity"] or "", row["county_leader"] or "",
             row["first_secretary"] or "", "、".join(row.get("marks", []))]
            for row in board["organizations"]]
    return header, rows


def board_csv(board: dict[str, Any]) -> str:
    """The board as CSV (with a BOM, so Excel on a Chinese Windows machine opens it right).

    Text a spreadsheet would run as a formula (a name typed as ``=HYPERLINK(...)``) is
    written so that it shows as text: :func:`zhengdun.wording.spreadsheet_text`.
    """
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header, rows = board_table(board)
    writer.writerow(header)
    rate = header.index("销号率")
    for values in rows:
        values[rate] = "" if values[rate] is None else f"{values[rate]:.1f}%"
        writer.writerow([spreadsheet_text(v) if isinstance(v, str) else v for v in values])
    return "\ufeff" + out.getvalue()


# --------------------------------------------------------------------------- 季度/年度总结


@dataclass(frozen=True)
class Period:
    """A quarter (``2026Q3``) or a year (``2026``): the span of a 季度总结 or 年度总结."""

    first: date
    last: date
    label: str  # 2026年第三季度 / 2026年
    kind: str  # "quarter" | "year"

    @classmethod
    def quarter(cls, text: str) -> Period:
        match = re.fullmatch(r"(\d{4})[Qq]([1-4])", text.strip())
        if not match or int(match[1]) < 2:
            raise UserError(f"季度“{text}”写法不对", "季度写成 年份Q季度，例如 2026Q3")
        year, number = int(match[1]), int(match[2])
        first = date(year, 3 * number - 2, 1)
        last = Month(year, 3 * number).last
        return cls(first, last, f"{year}年第{'一二三四'[number - 1]}季度", "quarter")

    @classmethod
    def year(cls, text: str) -> Period:
        match = re.fullmatch(r"(\d{4})", text.strip())
        if not match or int(match[1]) < 2:
            raise UserError(f"年份“{text}”写法不对", "年份写成四位数字，例如 2026")
        year = int(match[1])
        return cls(date(year, 1, 1), date(year, 12, 31), f"{year}年", "year")

    def months(self, until: date) -> list[Month]:
        """The months of the period up to the one holding ``until``."""
        out = []
        day = self.first
        while day <= min(self.last, until):
            out.append(Month(day.year, day.month))
            day = Month(day.year, day.month).last + timedelta(days=1)
        return out


#: The numbers whose change over a period the summary states.
CHANGE_KEYS = ("organizations", "problems", "closed", "open", "overdue", "transformed")


def summary_context(ws: Workspace, period: Period, number: str | None = None,
                    issued_on: date | None = None, township: str | None = None,
                    round_name: str | None = None) -> dict[str, Any]:
    """季度总结 / 年度总结: the period's numbers, their change over it, month by month, of one
    round (``round_name``, else the round in effect at the period's end)."""
    today = ws.today()
    if period.first > today:
        raise UserError(f"{period.label}还没有开始，不能出这一期的总结", f"今天是 {today}")
    end = min(period.last, today)
    chosen = reading_round(ws, round_name, period.last)
    scoped = _scoped(ws, in_round(load_all(ws), chosen), township)
    by_township = township is None
    items = [i for i in scoped if i.ledger.designated_on <= end]
    counted = tally(ws, items, period.first, end, by_township)
    before = period.first - timedelta(days=1)
    start = tally(ws, [i for i in items if i.ledger.designated_on <= before], before, before,
                  by_township)["totals"]
    months: list[dict[str, Any]] = []
    for month in period.months(end):
        month_end = min(month.last, end)
        numbers = tally(ws, [i for i in items if i.ledger.designated_on <= month_end],
                        month.first, month_end, by_township)
        months.append({"month": str(month), "as_of": month_end.isoformat(),
                       **{k: numbers["totals"][k] for k in (
                           *CHANGE_KEYS, "rate", "registered_in_month", "closed_in_month")},
                       "pushes": sum(numbers["pushes"].values())})
    while months and not months[0]["organizations"]:
        months.pop(0)  # the months before the first designation say nothing
    config = ws.config
    scope = name_key(township) if township is not None else "全县"
    kind = "季度" if period.kind == "quarter" else "年度"
    return {
        "county": config.county,
        **_issuing(config, township, scope),
        "number": number,
        "year": period.first.year,
        "period": period.label,
        "period_kind": kind,
        "period_first": period.first.isoformat(),
        "period_last": period.last.isoformat(),
        "as_of": end.isoformat(),
        "partial": end < period.last,
        "issued_on": (issued_on or end).isoformat(),
        "title": f"关于{period.label}{'' if township is None else scope}"
                 f"软弱涣散基层党组织整顿工作情况的{kind}总结",
        "totals": counted["totals"],
        "start": {k: start[k] for k in (*CHANGE_KEYS, "rate")},
        "start_as_of": before.isoformat(),
        "change": {k: counted["totals"][k] - start[k] for k in CHANGE_KEYS},
        "months": months,
        "townships": counted["units"],
        "last_township": counted["last_unit"],
        "tied_last": counted["tied_last"],
        "ranking_rule": RANKING_RULE,
        "overdue": counted["overdue"],
        "pushes": counted["pushes"],
        "conversion": counted["conversion"],
        "accepted": counted["accepted_in_month"],
        "by_category": counted["by_category"],
        "next_steps": config.next_steps,
        "categories": dict(config.categories),
    }
