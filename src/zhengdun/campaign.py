"""Campaign rounds (批次) across the years: one organization's history, and the 怀柔 classes.

怀柔 analysed its villages over ten years and counted those that went from good to bad, those
converted and then designated again, those never converted; a ledger that keeps every round
can say the same of any county. The one test of "converted" is :func:`zhengdun.rules.is_converted`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from zhengdun import rules
from zhengdun.model import CHAIN, FIELD_LABELS, Ledger
from zhengdun.workspace import Workspace, load_all, load_ledger, resolve_org

#: The classes, in the order the report lists them, with the rule each follows.
CLASSES: dict[str, str] = {
    "转化后反复": "在某一批次验收转化后，又在以后的批次被再次认定",
    "由好变差": "第一批次未被认定，在以后的批次才被认定",
    "一直未转化": "每一批次都被认定，且从未验收转化",
    "一次转化": "验收转化一次，以后未再被认定",
    "尚未转化": "以上都不是：被认定而尚未验收转化（不是每一批次都被认定）",
}


def converted_in(ledger: Ledger, round_name: str) -> bool:
    """Whether the organization was converted (已转化) in ``round_name``."""
    view = ledger.in_round(round_name)
    return rules.is_converted([a.verdict() for a in view.acceptances])


def classify(ledger: Ledger, rounds: list[str]) -> str:
    """The 怀柔 class of one organization over the workspace's ``rounds`` (in their order)."""
    order = {name: i for i, name in enumerate(rounds)}
    designated = sorted((r for r in ledger.rounds() if r in order), key=order.__getitem__)
    if not designated:
        return "尚未转化"
    converted = [r for r in designated if converted_in(ledger, r)]
    if any(order[later] > order[c] for c in converted for later in designated):
        return "转化后反复"
    if designated[0] != rounds[0]:
        return "由好变差"
    if len(designated) == len(rounds) and not converted:
        return "一直未转化"
    if converted:
        return "一次转化"
    return "尚未转化"


def round_record(slug: str, ledger: Ledger, round_name: str, day: date) -> dict[str, Any]:
    """One round of one organization: its designation chain, problems, acceptances."""
    view = ledger.in_round(round_name)
    designation = view.current
    found = [p for p in view.problems if p.exists_on(day)]
    closed = [p for p in found if p.is_closed_on(day)]
    chain = {key: {"label": FIELD_LABELS[key], "on": step.on.isoformat(), "doc": step.doc}
             for key in CHAIN if (step := getattr(designation, key)) is not None}
    return {
        "round": round_name,
        "designated_on": designation.on.isoformat(),
        "categories": list(designation.categories),
        "chain": chain,
        "responsibility": designation.responsibility.model_dump(mode="json"),
        "problems": len(found),
        "closed": len(closed),
        "open": len(found) - len(closed),
        "problem_refs": [f"{slug}/{p.id}" for p in view.problems],
        "acceptances": [a.model_dump(mode="json") for a in view.acceptances],
        "stage": view.stage_on(day),
        "converted": converted_in(ledger, round_name),
    }


def org_history(ws: Workspace, org: str, as_of: date | None = None) -> dict[str, Any]:
    """``zhengdun org history``: every round of one organization, oldest first."""
    day = as_of or ws.today()
    slug = resolve_org(ws, org)
    ledger = load_ledger(ws, slug).ledger
    rounds = ws.config.round_names()
    return {"slug": slug, "name": ledger.name, "township": ledger.township, "kind": ledger.kind,
            "as_of": day.isoformat(),
            "class": classify(ledger, rounds) if rounds else None,
            "rounds": [round_record(slug, ledger, r, day) for r in ledger.rounds()]}


def format_history(data: dict[str, Any]) -> str:
    """``org history`` on the screen: one paragraph per round."""
    lines = [f"{data['name']}（{data['slug']}）· {data['township']} · {data['kind']}"
             f" · 共认定 {len(data['rounds'])} 次"
             + (f" · 历年分类：{data['class']}" if data["class"] else "")]
    for item in data["rounds"]:
        lines.append("")
        lines.append(f"批次 {item['round']}：认定于 {item['designated_on']}，类型 "
                     f"{'、'.join(item['categories'])}，阶段 {item['stage']}")
        for step in item["chain"].values():
            doc = f"（{step['doc']}）" if step["doc"] else ""
            lines.append(f"  {step['label']} {step['on']}{doc}")
        lines.append(f"  问题 {item['problems']} 个，已销号 {item['closed']} 个，"
                     f"未销号 {item['open']} 个")
        for acceptance in item["acceptances"]:
            score = f"，{acceptance['score']:g}分" if acceptance.get("score") is not None else ""
            lines.append(f"  验收 {acceptance['on']} {acceptance['by']}：{acceptance['grade']}"
                         f"{score}")
    return "\n".join(lines) + "\n"


def rounds_context(ws: Workspace, as_of: date | None = None) -> dict[str, Any]:
    """``zhengdun report rounds``: every organization in its 怀柔 class across the rounds."""
    day = as_of or ws.today()
    rounds = ws.config.round_names()
    rows = []
    for item in sorted(load_all(ws), key=lambda i: (i.ledger.township, i.ledger.name)):
        ledger = item.ledger
        rows.append({"slug": item.slug, "name": ledger.name, "township": ledger.township,
                     "kind": ledger.kind, "class": classify(ledger, rounds),
                     "designated": [r for r in rounds if r in ledger.rounds()],
                     "converted": [r for r in rounds if r in ledger.rounds()
                                   and converted_in(ledger, r)]})
    classes = [{"name": name, "rule": rule,
                "organizations": [r for r in rows if r["class"] == name]}
               for name, rule in CLASSES.items()]
    return {"county": ws.config.county, "issuer": ws.config.issuer, "as_of": day.isoformat(),
            "rounds": rounds, "count": len(rows), "organizations": rows, "classes": classes}
