"""Reading the ledgers: problem lists, one organization's 台账, the list of organizations.

Each function returns plain data (dicts and lists), the same the CLI prints with ``--json``
and shows as tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from zhengdun.errors import UserError
from zhengdun.model import STATE_LABELS, Ledger, Problem
from zhengdun.wording import name_key
from zhengdun.workspace import (
    LoadedLedger,
    Workspace,
    in_round,
    load_all,
    load_ledger,
    reading_round,
    resolve_org,
)


def problem_row(slug: str, ledger: Ledger, problem: Problem, day: date,
                catalog: dict[str, str]) -> dict[str, Any]:
    """One problem as a flat record, judged on ``day``."""
    state = problem.state_on(day)
    last_step = max((s.on for s in problem.steps if s.on <= day), default=None)
    return {
        "ref": f"{slug}/{problem.id}",
        "org": slug,
        "org_name": ledger.name,
        "township": ledger.township,
        "id": problem.id,
        "title": problem.title,
        "category": problem.category,
        "category_name": catalog.get(problem.category, ""),
        "source": problem.source,
        "owner": problem.owner,
        "found_on": problem.found_on.isoformat(),
        "due": problem.due.isoformat(),
        "deadline": problem.deadline_on(day).isoformat(),  # after the extensions (延期)
        "extensions": len([e for e in problem.extensions if e.on <= day]),
        "state": state,
        "state_label": STATE_LABELS[state],
        "closed_on": (d.isoformat() if (d := problem.closed_on(day)) else None),
        "overdue": problem.is_overdue_on(day),
        "days_overdue": problem.days_overdue_on(day),
        "steps": len([s for s in problem.steps if s.on <= day]),
        "last_step": last_step.isoformat() if last_step else None,
    }


@dataclass(frozen=True)
class ProblemFilter:
    """The filters of ``zhengdun list``."""

    org: str | None = None
    township: str | None = None
    category: str | None = None
    status: str | None = None  # "open" | "closed" | "overdue"
    due_within: int | None = None
    leader: str | None = None  # 包联县级领导 or 包村乡镇领导


def leaders_of(ledger: Ledger) -> list[str]:
    """The 包联 leaders of an organization: its county leader and its township lead."""
    duty = ledger.responsibility
    return [name_key(n) for n in (duty.county_leader, duty.township_lead) if n]


def known_leader(items: list[LoadedLedger], leader: str) -> None:
    """Refuse a ``--leader`` that leads no organization, naming those who do."""
    names = sorted({n for item in items for n in leaders_of(item.ledger)})
    if name_key(leader) not in names:
        raise UserError(f"没有包联领导“{leader}”的村（社区）",
                        f"现有包联领导：{'、'.join(names)}" if names else
                        "请先用 zhengdun org set 填写包联县级领导和包村乡镇领导")


def known_township(items: list[LoadedLedger], township: str) -> None:
    """Refuse a ``--township`` that has no organization, naming those that do."""
    townships = sorted({name_key(item.ledger.township) for item in items})
    if name_key(township) not in townships:
        raise UserError(f"没有乡镇“{township}”的村(社区)",
                        f"现有乡镇：{'、'.join(townships)}" if townships else None)


def list_problems(ws: Workspace, flt: ProblemFilter, as_of: date | None = None,
                  round_name: str | None = None) -> dict[str, Any]:
    """Problems found by ``as_of`` (default today) that pass the filter, by township and name,
    of one round: ``round_name``, else the round in effect on that day (with ``--org``: that
    organization's current round)."""
    day = as_of or ws.today()
    if flt.due_within is not None and flt.due_within < 0:
        raise UserError("--due-within 的天数不能为负数")
    if flt.due_within is not None and flt.due_within > (date.max - day).days:
        # date + timedelta would overflow: the calendar ends at 9999-12-31
        raise UserError(f"--due-within 的天数 {flt.due_within} 太大：从 {day.isoformat()} 算起"
                        f"超过了 {date.max.isoformat()}，日历算不到那么远",
                        "请写一个合理的天数，例如 --due-within 30；要看全部未销号的问题，用 --open")
    if flt.category is not None and flt.category not in ws.config.categories:
        listed = "；".join(f"{c} {n}" for c, n in ws.config.categories.items())
        raise UserError(f"类型“{flt.category}”不在类型目录中", f"可用的类型代码：{listed}")
    loaded = ([load_ledger(ws, resolve_org(ws, flt.org))] if flt.org else load_all(ws))
    if flt.org is not None:
        chosen: str | None = (loaded[0].ledger.round if round_name is None
                              else _org_round(loaded[0], round_name))
    else:
        chosen = reading_round(ws, round_name, day)
    if flt.township is not None:
        known_township(load_all(ws) if flt.org else loaded, flt.township)
    if flt.leader is not None:
        known_leader(load_all(ws) if flt.org else loaded, flt.leader)
    rows = []
    horizon = day + timedelta(days=flt.due_within) if flt.due_within is not None else None
    for item in sorted(in_round(loaded, chosen), key=lambda i: (i.ledger.township, i.ledger.name)):
        ledger = item.ledger
        if flt.township is not None and name_key(ledger.township) != name_key(flt.township):
            continue
        if flt.leader is not None and name_key(flt.leader) not in leaders_of(ledger):
            continue
        for problem in ledger.problems:
            if not problem.exists_on(day):
                continue
            if flt.category is not None and problem.category != flt.category:
                continue
            closed = problem.is_closed_on(day)
            if flt.status == "open" and closed:
                continue
            if flt.status == "closed" and not closed:
                continue
            if flt.status == "overdue" and not problem.is_overdue_on(day):
                continue
            if horizon is not None and (closed or not day <= problem.due <= horizon):
                continue
            rows.append(problem_row(item.slug, ledger, problem, day, ws.config.categories))
    if flt.status == "overdue":  # the longest overdue first (stable: township, name after)
        rows.sort(key=lambda r: -int(r["days_overdue"]))
    return {"as_of": day.isoformat(), "round": chosen, "count": len(rows), "problems": rows}


def _org_round(item: LoadedLedger, asked: str) -> str:
    """``asked``, a round ``item``'s organization was designated in (refused otherwise)."""
    if asked not in item.ledger.rounds():
        raise UserError(f"{item.ledger.name} 没有在批次 {asked} 认定过",
                        f"它认定过的批次：{'、'.join(item.ledger.rounds())}；"
                        f"运行 zhengdun org history {item.slug} 查看各批次")
    return asked


def org_summary(item: LoadedLedger, day: date) -> dict[str, Any]:
    """One organization's counts on ``day``: the line of ``org list``."""
    ledger = item.ledger
    found = [p for p in ledger.problems if p.exists_on(day)]
    closed = [p for p in found if p.is_closed_on(day)]
    last = ledger.last_activity(day)
    duty = ledger.responsibility
    return {
        "slug": item.slug,
        "name": ledger.name,
        "kind": ledger.kind,
        "township": ledger.township,
        "round": ledger.round,
        "designated_on": ledger.designated_on.isoformat(),
        "categories": list(ledger.categories),
        "stage": ledger.stage_on(day),
        "problems": len(found),
        "closed": len(closed),
        "open": len(found) - len(closed),
        "overdue": len([p for p in found if p.is_overdue_on(day)]),
        "last_activity": last.isoformat() if last else None,
        "county_leader": duty.county_leader,
        "first_secretary": duty.first_secretary,
    }


def list_orgs(ws: Workspace, as_of: date | None = None) -> dict[str, Any]:
    """Every organization with its counts, by township and name."""
    day = as_of or ws.today()
    loaded = sorted(in_round(load_all(ws), None), key=lambda i: (i.ledger.township, i.ledger.name))
    return {"as_of": day.isoformat(), "count": len(loaded),
            "organizations": [org_summary(item, day) for item in loaded]}


def show_org(ws: Workspace, org: str, as_of: date | None = None,
             round_name: str | None = None) -> dict[str, Any]:
    """One organization's 台账 in one round (``round_name``, else its current round), with the
    state of each problem on ``as_of``."""
    day = as_of or ws.today()
    whole = load_ledger(ws, resolve_org(ws, org))
    chosen = whole.ledger.round if round_name is None else _org_round(whole, round_name)
    item = in_round([whole], chosen)[0]
    ledger = item.ledger
    data = ledger.model_dump(mode="json")  # every key, so templates and scripts need no guards
    # The current round's designation at the top, as the v1 file had them: templates and
    # screens name them so.
    data["round"] = chosen
    data["rounds"] = whole.ledger.rounds()
    data["designated_on"] = ledger.designated_on.isoformat()
    data["categories"] = list(ledger.categories)
    data["responsibility"] = ledger.responsibility.model_dump(mode="json")
    data["slug"] = item.slug
    data["file"] = ws.rel(item.doc.path)
    data["as_of"] = day.isoformat()
    data["summary"] = org_summary(item, day)
    data["category_names"] = {c: ws.config.categories.get(c, "") for c in ledger.categories}
    for problem, entry in zip(ledger.problems, data["problems"], strict=True):
        state = problem.state_on(day)
        entry["ref"] = f"{item.slug}/{problem.id}"
        entry["state"] = state
        entry["state_label"] = STATE_LABELS[state]
        entry["overdue"] = problem.is_overdue_on(day)
        entry["days_overdue"] = problem.days_overdue_on(day)
    result: dict[str, Any] = _jsonable(data)
    return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value
