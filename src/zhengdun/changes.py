"""What changed between two versions of one ledger, as typed records. Pure.

Ledgers only grow in normal use: problems are matched by id, and steps, closures, visits and
acceptances by position (zhengdun only ever appends them). Anything recorded that is missing or
different in the later version is a change of kind ``*_removed`` or ``*_altered``: the audit
treats those as serious.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date
from typing import Any

from zhengdun.model import FIELD_LABELS, Ledger, Problem

#: Kinds whose presence means something recorded was lost or rewritten.
SERIOUS = frozenset({
    "org_removed", "problem_removed", "step_removed", "step_altered", "closure_removed",
    "closure_altered", "reopen_removed", "reopen_altered", "visit_removed", "visit_altered",
    "acceptance_removed", "acceptance_altered", "extension_removed", "extension_altered",
    "notice_removed", "notice_altered", "reply_removed", "reply_altered",
})

KIND_LABELS = {
    "org_added": "新增整顿对象",
    "org_removed": "整顿对象被删除",
    "org_changed": "基本信息变更",
    "stage_changed": "阶段变化",
    "problem_added": "登记问题",
    "problem_removed": "问题被删除",
    "problem_changed": "问题信息变更",
    "step_added": "整改进展",
    "step_removed": "整改进展被删除",
    "step_altered": "整改进展被改动",
    "closed": "销号",
    "closure_removed": "销号记录被删除",
    "closure_altered": "销号记录被改动",
    "reopened": "反弹",
    "reopen_removed": "反弹记录被删除",
    "reopen_altered": "反弹记录被改动",
    "visit_added": "督查调度",
    "visit_removed": "督查调度记录被删除",
    "visit_altered": "督查调度记录被改动",
    "acceptance_added": "验收",
    "acceptance_removed": "验收记录被删除",
    "acceptance_altered": "验收记录被改动",
    "extension_added": "延期",
    "extension_removed": "延期记录被删除",
    "extension_altered": "延期记录被改动",
    "notice_added": "整改通知书",
    "notice_removed": "整改通知书记录被删除",
    "notice_altered": "整改通知书记录被改动",
    "replied": "通知书回复",
    "reply_removed": "通知书回复被删除",
    "reply_altered": "通知书回复被改动",
}


@dataclass(frozen=True)
class Change:
    """One change in one organization's ledger."""

    kind: str
    org: str
    problem: int | None = None
    field: str | None = None
    before: Any = None
    after: Any = None
    event_date: date | None = None
    text: str = ""

    @property
    def ref(self) -> str:
        return f"{self.org}/{self.problem}" if self.problem is not None else self.org

    @property
    def serious(self) -> bool:
        return self.kind in SERIOUS

    def describe(self) -> str:
        """One line in Chinese, e.g. ``销号 chengdong/1（2026-06-20）：新增停车位120个``."""
        label = KIND_LABELS.get(self.kind, self.kind)
        when = f"（{self.event_date}）" if self.event_date else ""
        if self.field is not None:
            name = FIELD_LABELS.get(self.field.split(".")[-1], self.field)
            return f"{label} {self.ref}：{name} {_show(self.before)} → {_show(self.after)}"
        detail = f"：{self.text}" if self.text else ""
        return f"{label} {self.ref}{when}{detail}"

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {"kind": self.kind, "label": KIND_LABELS.get(self.kind, self.kind),
                "ref": self.ref, "org": self.org, "problem": self.problem, "field": self.field,
                "before": _plain(self.before), "after": _plain(self.after),
                "event_date": self.event_date.isoformat() if self.event_date else None,
                "text": self.text, "serious": self.serious, "description": self.describe()}


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _show(value: Any) -> str:
    if value is None or value == []:
        return "（空）"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


def _fields(before: Any, after: Any, names: list[str], org: str, problem: int | None,
            kind: str, prefix: str = "") -> list[Change]:
    out = []
    for name in names:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            out.append(Change(kind, org, problem, f"{prefix}{name}", old, new))
    return out


def _sequence(kind: str, org: str, problem: int | None, old: list[Any], new: list[Any],
              describe: Any) -> list[Change]:
    """Records kept in ``old`` are matched in order wherever they stand in ``new``: zhengdun
    appends, but an earlier-dated step is backfilled by hand *between* existing ones (steps
    stay in date order), and that loses nothing. Only records missing or rewritten count."""
    keys_old = [item.model_dump_json() for item in old]
    keys_new = [item.model_dump_json() for item in new]
    matcher = difflib.SequenceMatcher(None, keys_old, keys_new, autojunk=False)
    out = []
    added: list[Any] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        before, after = old[i1:i2], new[j1:j2]
        for item, later in zip(before, after, strict=False):
            out.append(Change(f"{kind}_altered", org, problem, event_date=item.on,
                              before=describe(item), after=describe(later),
                              text=f"{describe(item)} → {describe(later)}"))
        for item in before[len(after):]:
            out.append(Change(f"{kind}_removed", org, problem, event_date=item.on,
                              text=describe(item)))
        added += after[len(before):]
    for item in added:
        out.append(Change(f"{kind}_added", org, problem, event_date=item.on,
                          text=describe(item)))
    return out


def _problem_changes(org: str, old: Problem, new: Problem) -> list[Change]:
    pid = new.id
    out = _fields(old, new, ["title", "category", "source", "found_on", "due", "owner",
                             "measures"], org, pid, "problem_changed")
    out += _sequence("step", org, pid, old.steps, new.steps, lambda s: s.text)
    out += _sequence("extension", org, pid, old.extensions, new.extensions,
                     lambda e: f"至 {e.to}（{e.approved_by}批准）：{e.reason}")
    for index, closure in enumerate(old.closures):
        if index >= len(new.closures):
            out.append(Change("closure_removed", org, pid, event_date=closure.on,
                              text=closure.result))
            if closure.reopened is not None:
                out.append(Change("reopen_removed", org, pid, event_date=closure.reopened.on,
                                  text=closure.reopened.reason))
            continue
        later = new.closures[index]
        core_old = closure.model_copy(update={"reopened": None})
        core_new = later.model_copy(update={"reopened": None})
        if core_old != core_new:
            diffs = [name for name in ("on", "result", "verified_by", "evidence")
                     if getattr(closure, name) != getattr(later, name)]
            out.append(Change("closure_altered", org, pid, field=None, event_date=closure.on,
                              before={n: _plain(getattr(closure, n)) for n in diffs},
                              after={n: _plain(getattr(later, n)) for n in diffs},
                              text="、".join(FIELD_LABELS.get(n, n) for n in diffs) + " 被改动"))
        if closure.reopened is not None and later.reopened is None:
            out.append(Change("reopen_removed", org, pid, event_date=closure.reopened.on,
                              text=closure.reopened.reason))
        elif closure.reopened is not None and later.reopened != closure.reopened:
            assert later.reopened is not None
            out.append(Change("reopen_altered", org, pid, event_date=closure.reopened.on,
                              text=f"{closure.reopened.reason} → {later.reopened.reason}"))
        elif closure.reopened is None and later.reopened is not None:
            out.append(Change("reopened", org, pid, event_date=later.reopened.on,
                              text=later.reopened.reason))
    for closure in new.closures[len(old.closures):]:
        out.append(Change("closed", org, pid, event_date=closure.on, text=closure.result))
        if closure.reopened is not None:
            out.append(Change("reopened", org, pid, event_date=closure.reopened.on,
                              text=closure.reopened.reason))
    return out


def ledger_changes(org: str, old: Ledger | None, new: Ledger | None) -> list[Change]:
    """Every change from ``old`` to ``new`` (either may be None: added or removed)."""
    if old is None and new is None:
        return []
    if old is None:
        assert new is not None
        out = [Change("org_added", org, event_date=new.designated_on, text=new.name)]
        out += ledger_changes(org, new.model_copy(update={
            "problems": [], "visits": [], "acceptances": [], "notices": []}), new)
        return out
    if new is None:
        return [Change("org_removed", org, event_date=old.designated_on, text=old.name)]
    out = _fields(old, new, ["name", "township", "kind", "designated_on", "categories"], org,
                  None, "org_changed")
    out += _fields(old.responsibility, new.responsibility,
                   list(type(new.responsibility).model_fields), org, None, "org_changed",
                   "responsibility.")
    if old.stage_on() != new.stage_on():
        out.append(Change("stage_changed", org, field="stage", before=old.stage_on(),
                          after=new.stage_on()))
    old_problems = {p.id: p for p in old.problems}
    new_ids = set()
    for problem in new.problems:
        new_ids.add(problem.id)
        previous = old_problems.get(problem.id)
        if previous is None:
            out.append(Change("problem_added", org, problem.id, event_date=problem.found_on,
                              text=problem.title))
            empty = problem.model_copy(update={"steps": [], "closures": [], "extensions": []})
            out += _problem_changes(org, empty, problem)
        else:
            out += _problem_changes(org, previous, problem)
    for problem in old.problems:
        if problem.id not in new_ids:
            out.append(Change("problem_removed", org, problem.id, event_date=problem.found_on,
                              text=problem.title))
    out += _sequence("visit", org, None, old.visits, new.visits,
                     lambda v: f"{v.kind} {v.by}：{v.text}")
    out += _sequence("acceptance", org, None, old.acceptances, new.acceptances,
                     lambda a: f"{a.grade}（{a.by}）")
    out += _notice_changes(org, old, new)
    return out


def _notice_changes(org: str, old: Ledger, new: Ledger) -> list[Change]:
    """Notices by position, as closures: a reply recorded later is no alteration."""
    out = []
    for index, notice in enumerate(old.notices):
        if index >= len(new.notices):
            out.append(Change("notice_removed", org, event_date=notice.on,
                              text=f"{notice.kind} {notice.number}"))
            continue
        later = new.notices[index]
        if notice.model_copy(update={"reply": None}) != later.model_copy(update={"reply": None}):
            out.append(Change("notice_altered", org, event_date=notice.on,
                              text=f"{notice.kind} {notice.number} → {later.kind} {later.number}"))
        if notice.reply is not None and later.reply is None:
            out.append(Change("reply_removed", org, event_date=notice.reply.on,
                              text=f"{notice.number}：{notice.reply.text}"))
        elif notice.reply is not None and later.reply != notice.reply:
            out.append(Change("reply_altered", org, event_date=notice.reply.on,
                              text=f"{notice.number}：{notice.reply.text}"))
    for index, notice in enumerate(new.notices):
        was = old.notices[index] if index < len(old.notices) else None
        if was is None:
            out.append(Change("notice_added", org, event_date=notice.on,
                              text=f"{notice.kind} {notice.number}：{notice.text}"))
        if notice.reply is not None and (was is None or was.reply is None):
            out.append(Change("replied", org, event_date=notice.reply.on,
                              text=f"{notice.number}：{notice.reply.text}"))
    return out


def is_due_edit(change: Change) -> bool:
    """A problem's original 整改时限 rewritten: no zhengdun command does that (``extend``
    records an extension beside it), so the audit reports it."""
    return change.kind == "problem_changed" and change.field == "due"
