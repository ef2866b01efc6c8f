"""The campaign's own records beyond the first wave's: 延期 (extensions) of a problem's
整改时限, 整改通知书 / 督办单 issued to an organization and their replies.

Each is one function recording one thing through the same path as :mod:`zhengdun.ledger`
(lock, hand-edit refusal, rule check, splice, one commit); the preconditions are in
:mod:`zhengdun.rules`.
"""

from __future__ import annotations

from datetime import date

from zhengdun import rules, store
from zhengdun.errors import UserError
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
from zhengdun.model import NOTICE_KINDS, Extension, Ledger, Notice, Reply
from zhengdun.wording import typed_name
from zhengdun.workspace import Workspace, resolve_org


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


def issue_notice(ws: Workspace, org: str, number: str, kind: str, reply_by: date, text: str,
                 on: date | None = None) -> Receipt:
    """整改通知书 / 督办单: issue a notice to an organization, with its 文号 and reply deadline."""
    slug = resolve_org(ws, org)
    _refuse(rules.choice_refusal(kind, NOTICE_KINDS, "类别"))
    number = typed_name(number)
    _nonempty(number, "文号")
    _nonempty(text, "内容")
    day = on or ws.today()
    _check_day(ws, day, "发出日期")

    def change(ledger: Ledger) -> tuple[Ledger, list[store.Edit]]:
        _refuse(rules.notice_refusal(number, day, reply_by, [n.number for n in ledger.notices]))
        notice = Notice(number=number, kind=kind, on=day, reply_by=reply_by, text=text)
        new = ledger.model_copy(update={"notices": [*ledger.notices, notice]})
        return new, [store.Append((), "notices", notice.to_data(),
                                  [n.to_data() for n in new.notices])]

    commit, new = _record(ws, slug, "notice", slug, f"{kind} {number}", change)
    return Receipt("notice", slug, commit,
                   f"已向 {new.name} 发出{kind} {number}（{day}，限 {reply_by} 前回复）",
                   {"number": number, "reply_by": reply_by.isoformat()})


def record_reply(ws: Workspace, org: str, number: str, text: str,
                 on: date | None = None) -> Receipt:
    """The reply to a 整改通知书 / 督办单 issued to the organization."""
    slug = resolve_org(ws, org)
    number = typed_name(number)
    _nonempty(text, "回复内容")
    day = on or ws.today()
    _check_day(ws, day, "回复日期")

    def change(ledger: Ledger) -> tuple[Ledger, list[store.Edit]]:
        found = [i for i, n in enumerate(ledger.notices) if n.number == number]
        if not found:
            known = "、".join(n.number for n in ledger.notices) or "（还没有发出通知书）"
            raise UserError(f"{ledger.name}（{slug}）没有文号为“{number}”的通知书",
                            f"已发出的文号：{known}")
        index = found[0]
        notice = ledger.notices[index]
        _refuse(rules.reply_refusal(number, day, notice.on,
                                    notice.reply.on if notice.reply is not None else None))
        reply = Reply(on=day, text=text)
        notices = list(ledger.notices)
        notices[index] = notice.model_copy(update={"reply": reply})
        new = ledger.model_copy(update={"notices": notices})
        return new, [store.Set(("notices", index), "reply", reply.to_data())]

    commit, new = _record(ws, slug, "notice-reply", slug, f"{number} 回复", change)
    late = new.notices[[n.number for n in new.notices].index(number)].reply_by < day
    return Receipt("notice-reply", slug, commit,
                   f"已记录 {new.name} 对 {number} 的回复（{day}）" + ("，已超过回复期限" if late else ""),
                   {"number": number, "late": late})
