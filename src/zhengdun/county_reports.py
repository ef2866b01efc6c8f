"""The county department's standing reports: the 党内统计 form and the 包联 views.

``report stats`` counts 整顿软弱涣散基层党组织情况 as the annual statistics return asks (each
row by 村 / 社区); ``report leaders`` / ``report leader NAME`` show each 包联 leader's and each
第一书记's organizations, their progress, and the months in which a leader recorded no visit
("每月至少深入包联点调研一次"). Like :mod:`zhengdun.reports`, every function returns plain
JSON-ready data: ``--json`` prints exactly what the template receives.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from zhengdun.errors import UserError
from zhengdun.model import GRADES, Ledger, Responsibility
from zhengdun.reports import Month
from zhengdun.wording import name_key
from zhengdun.workspace import LoadedLedger, Workspace, in_round, load_all, reading_round

#: The 包联 roles, in the order the views list them: (key in 责任清单, title).
ROLES = (("county_leader", "包联县级领导"), ("township_lead", "包村乡镇领导"),
         ("first_secretary", "第一书记"))
#: Roles held to "每月至少深入包联点调研一次" (a 第一书记 is stationed in the village).
VISITING_ROLES = ("county_leader", "township_lead")
VISIT_RULE = ("每月至少深入包联点调研一次：从认定的次月起，到统计日所在月的上一个月（统计日为月末时含当月），"
              "每月应有一条该领导本人的督查、调度、约谈或回头看记录（记录的“人员或单位”中写有其姓名）")


def _rate(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def _progress(ledger: Ledger, day: date) -> dict[str, Any]:
    found = [p for p in ledger.problems if p.exists_on(day)]
    closed = len([p for p in found if p.is_closed_on(day)])
    return {"problems": len(found), "closed": closed, "open": len(found) - closed,
            "overdue": len([p for p in found if p.is_overdue_on(day)]),
            "rate": _rate(closed, len(found))}


def _items(ws: Workspace, day: date, round_name: str | None) -> tuple[str | None,
                                                                    list[LoadedLedger]]:
    """The round read (``--round``, else the one in effect on ``day``) and its organizations
    designated by ``day``, each as that round saw it."""
    chosen = reading_round(ws, round_name, day)
    items = sorted((i for i in in_round(load_all(ws), chosen) if i.ledger.designated_on <= day),
                   key=lambda i: (name_key(i.ledger.township), i.ledger.name))
    return chosen, items


# --------------------------------------------------------------------------- 党内统计


def stats_context(ws: Workspace, as_of: date | None = None,
                  round_name: str | None = None) -> dict[str, Any]:
    """党内统计: the counts of the annual return, each by 村 / 社区 and in total, of one round."""
    day = as_of or ws.today()
    chosen, items = _items(ws, day, round_name)
    rows: list[dict[str, Any]] = []

    def row(key: str, item: str, counted: Any, unit: str = "个") -> None:
        villages = sum(counted(i) for i in items if i.ledger.kind == "村")
        communities = sum(counted(i) for i in items if i.ledger.kind == "社区")
        rows.append({"key": key, "item": item, "unit": unit, "villages": villages,
                     "communities": communities, "total": villages + communities})

    def duty(item: LoadedLedger) -> Responsibility:
        return item.ledger.responsibility

    row("designated", "认定软弱涣散基层党组织", lambda i: 1)
    for code, name in ws.config.categories.items():
        row(f"category_{code}", f"其中：{code}. {name}",
            lambda i, code=code: int(code in i.ledger.categories))
    row("first_secretaries", "选派第一书记", lambda i: int(bool(duty(i).first_secretary)), "人")
    row("work_teams", "派驻工作队", lambda i: int(bool(duty(i).work_team)))
    row("paired", "有结对帮扶单位的", lambda i: int(bool(duty(i).paired_units)))
    row("county_leaders", "有县级领导包联的", lambda i: int(bool(duty(i).county_leader)))
    row("problems", "梳理问题", lambda i: _progress(i.ledger, day)["problems"])
    row("solved", "已整改销号问题", lambda i: _progress(i.ledger, day)["closed"])
    row("overdue", "逾期未整改问题", lambda i: _progress(i.ledger, day)["overdue"])
    row("accepted", "已组织验收的", lambda i: int(bool(_graded(i.ledger, day))))
    for grade in GRADES:
        row(f"grade_{grade}", f"其中：验收{grade}",
            lambda i, grade=grade: int(_graded(i.ledger, day) == grade))
    row("transformed", "已转化（摘牌）", lambda i: int(i.ledger.stage_on(day) == "已转化"))
    by_key = {r["key"]: r for r in rows}
    units = sorted({u for i in items for u in duty(i).paired_units})
    leaders = sorted({name_key(n) for i in items if (n := duty(i).county_leader)})
    return {
        "county": ws.config.county, "issuer": ws.config.issuer, "as_of": day.isoformat(),
        "year": day.year, "round": chosen, "rows": rows,
        "paired_units": len(units), "county_leaders": len(leaders),
        "rate": _rate(by_key["solved"]["total"], by_key["problems"]["total"]),
        "conversion_rate": _rate(by_key["transformed"]["total"], by_key["designated"]["total"]),
        # Not in the ledger: how many were screened (排查) and how many 书记 were adjusted.
        "not_recorded": ["排查村（社区）总数", "调整党组织书记"],
    }


def _graded(ledger: Ledger, day: date) -> str | None:
    """The grade of the last acceptance on or before ``day``."""
    graded = [a for a in ledger.acceptances if a.on <= day]
    return graded[-1].grade if graded else None


# --------------------------------------------------------------------------- 包联


def required_months(designated_on: date, day: date) -> list[Month]:
    """The months in which a 包联 leader owes a visit (see :data:`VISIT_RULE`)."""
    start = Month(designated_on.year, designated_on.month).last + timedelta(days=1)
    current = Month(day.year, day.month)
    stop = current.last if day == current.last else current.first - timedelta(days=1)
    months = []
    while start <= stop:
        months.append(Month(start.year, start.month))
        start = Month(start.year, start.month).last + timedelta(days=1)
    return months


def _assignment(item: LoadedLedger, role: str, person: str, day: date) -> dict[str, Any]:
    ledger = item.ledger
    entry: dict[str, Any] = {"org": item.slug, "org_name": ledger.name, "kind": ledger.kind,
                             "township": ledger.township, "stage": ledger.stage_on(day),
                             **_progress(ledger, day)}
    if role in VISITING_ROLES:
        own = [v for v in ledger.visits if v.on <= day and person in v.by]
        visited = {str(Month(v.on.year, v.on.month)) for v in own}
        owed = required_months(ledger.designated_on, day)
        entry["visits"] = len(own)
        entry["months_required"] = len(owed)
        entry["months_without_visit"] = [str(m) for m in owed if str(m) not in visited]
    return entry


def leaders_context(ws: Workspace, as_of: date | None = None,
                    name: str | None = None, round_name: str | None = None) -> dict[str, Any]:
    """包联 views: each leader's and 第一书记's organizations and progress (only ``name``'s), in
    one round."""
    day = as_of or ws.today()
    chosen, items = _items(ws, day, round_name)
    people: list[dict[str, Any]] = []
    for role, title in ROLES:
        held: dict[str, list[LoadedLedger]] = {}
        for item in items:
            person = getattr(item.ledger.responsibility, role)
            if person:
                held.setdefault(name_key(person), []).append(item)
        for person, orgs in sorted(held.items()):
            if name is not None and person != name_key(name):
                continue
            assignments = [_assignment(i, role, person, day) for i in orgs]
            total = {k: sum(a[k] for a in assignments)
                     for k in ("problems", "closed", "open", "overdue")}
            entry: dict[str, Any] = {"name": person, "role": role, "title": title,
                                     "organizations": assignments, **total,
                                     "rate": _rate(total["closed"], total["problems"])}
            if role in VISITING_ROLES:
                entry["months_without_visit"] = sum(len(a["months_without_visit"])
                                                    for a in assignments)
            people.append(entry)
    if name is not None and not people:
        known = sorted({name_key(n) for i in items for role, _ in ROLES
                        if (n := getattr(i.ledger.responsibility, role))})
        raise UserError(f"责任清单中没有“{name}”（包联县级领导、包村乡镇领导或第一书记）",
                        f"现有：{'、'.join(known)}" if known else
                        "请先用 zhengdun org set 填写责任清单")
    return {"county": ws.config.county, "issuer": ws.config.issuer, "as_of": day.isoformat(),
            "round": chosen, "subject": name_key(name) if name is not None else None,
            "people": people,
            "visit_rule": VISIT_RULE}
