"""The campaign's own records beyond the first wave's: 延期 (extensions) of a problem's
整改时限, 整改通知书 / 督办单 issued to an organization and their replies.

Each is one function recording one thing through the same path as :mod:`zhengdun.ledger`
(lock, hand-edit refusal, rule check, splice, one commit); the preconditions are in
:mod:`zhengdun.rules`.
"""

from __future__ import annotations

from datetime import date

from zhengdun import rules, store
from zhengdun.ledger import (
    Receipt,
    _check_day,
    _find_problem,
    _nonempty,
    _problem_ref,
    _record,
    _refuse,
    _replace_problem,
)
from zhengdun.model import Extension, Ledger
from zhengdun.wording import typed_name
from zhengdun.workspace import Workspace


def extend_problem(ws: Workspace, ref: str, to: date, reason: str, approved_by: str,
                   on: date | None = None) -> Receipt:
    """延期: record an approved extension of a problem's 整改时限; ``due`` stays as it was."""
    slug, number = _problem_ref(ws, ref)
    _nonempty(reason, "延期理由")
    approved_by = typed_name(approved_by)
    _nonempty(approved_by, "批准人")
    day = on or ws.today()
    _check_day(ws, day, "延期批准日期")

    def change(ledger: Ledger) -> tuple[Ledger, list[store.Edit]]:
        index, problem = _find_problem(ledger, slug, number)
        _refuse(rules.extend_refusal(f"{slug}/{number}", day, to, problem.found_on,
                                     problem.deadline_on(), problem.closed_on()))
        extension = Extension(on=day, to=to, reason=reason, approved_by=approved_by)
        updated = problem.model_copy(update={"extensions": [*problem.extensions, extension]})
        new = _replace_problem(ledger, index, updated)
        return new, [store.Append(("problems", index), "extensions", extension.to_data(),
                                  [e.to_data() for e in updated.extensions])]

    canonical = f"{slug}/{number}"
    commit, new = _record(ws, slug, "extend", canonical, f"延期至 {to}：{reason}", change)
    extended = new.problem(number)
    assert extended is not None
    return Receipt("extend", canonical, commit,
                   f"{canonical} 整改时限延期至 {to}（原时限 {extended.due}，"
                   f"第 {len(extended.extensions)} 次延期）",
                   {"to": to.isoformat(), "due": extended.due.isoformat(),
                    "extensions": len(extended.extensions)})
