"""The preconditions of the recording commands, over plain values: each returns the clerk's
refusal (message and hint) or None. Nothing here knows pydantic, YAML or git.

Both front ends ask these same functions: the full path (:mod:`zhengdun.ledger`, on the models)
raises the refusal; the quick path (:mod:`zhengdun.quick`, on the plain data of a ledger with a
verdict) hands any refused command to the full path, which then says it. A new precondition is
written here once and holds on both paths.

So far: the dates and states of ``step``, ``close``, ``reopen``, ``add``, ``visit`` and
``accept``, and the scope of each clerk (分工). The one-path issue moves every other
precondition and per-file rule here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Refusal:
    """Why a record cannot be made: what is wrong, then what to do."""

    message: str
    hint: str | None = None


def not_in_future(day: date, today: date, what: str) -> Refusal | None:
    """No event is recorded before it happens (``what``: 进展日期, 销号日期 …)."""
    if day > today:
        return Refusal(f"{what} {day} 晚于今天（{today}），不能记录未来的事",
                       "请核对日期；不写 --on 时默认为今天")
    return None


def step_refusal(day: date, found_on: date, steps: Sequence[date]) -> Refusal | None:
    """整改进展 on ``day`` for a problem found on ``found_on`` with steps on ``steps``."""
    if day < found_on:
        return Refusal(f"进展日期 {day} 早于问题的发现日期 {found_on}", "请核对 --on")
    if steps and day < max(steps):
        return Refusal(f"进展日期 {day} 早于上一条进展（{max(steps)}）",
                       "整改进展按日期先后记录；补录更早的进展请手工编辑后用 zhengdun commit 记录")
    return None


def close_refusal(ref: str, day: date, found_on: date, steps: Sequence[date],
                  closed_on: date | None, reopened_on: date | None) -> Refusal | None:
    """销号 of ``ref`` on ``day``: ``closed_on`` when it stands closed now, ``reopened_on``
    when its last closure was reopened."""
    if closed_on is not None:
        return Refusal(f"{ref} 已于 {closed_on} 销号，不能重复销号",
                       f"如果问题反弹，请先运行 zhengdun reopen {ref} --reason 原因")
    if day < found_on:
        return Refusal(f"销号日期 {day} 早于问题的发现日期 {found_on}")
    if steps and day < max(steps):
        return Refusal(f"销号日期 {day} 早于最后一条整改进展（{max(steps)}）", "请核对 --on")
    if reopened_on is not None and day < reopened_on:
        return Refusal(f"销号日期 {day} 早于反弹日期 {reopened_on}")
    return None


def reopen_refusal(ref: str, day: date, closed_on: date | None) -> Refusal | None:
    """反弹 of ``ref`` on ``day``; ``closed_on``: the day it was closed, None when open."""
    if closed_on is None:
        return Refusal(f"{ref} 尚未销号，无需重新打开", "只有已销号的问题才能记录反弹")
    if day < closed_on:
        return Refusal(f"反弹日期 {day} 早于销号日期 {closed_on}", "请核对 --on")
    return None


def add_refusal(found_on: date, due: date) -> Refusal | None:
    """登记问题 found on ``found_on`` with 整改时限 ``due``."""
    if due < found_on:
        return Refusal(f"整改时限 {due} 早于发现日期 {found_on}", "请核对 --due 和 --found")
    return None


def acceptance_refusal(name: str, day: date, designated_on: date, grade: str,
                       still_open: Sequence[str]) -> Refusal | None:
    """验收 of organization ``name`` on ``day`` with ``grade``; ``still_open``: its problems
    not closed on that day, as ``ORG/N 问题`` (a 合格 needs every one closed)."""
    if day < designated_on:
        return Refusal(f"验收日期 {day} 早于认定日期 {designated_on}")
    if grade == "合格" and still_open:
        listed = "；".join(still_open[:10])
        return Refusal(f"{name} 还有 {len(still_open)} 个问题未销号，不能验收为合格：{listed}",
                       "请先把问题全部销号；如果验收结论是基本合格或不合格，用 --grade 写明")
    return None


def choice_refusal(value: str, allowed: Sequence[str], what: str) -> Refusal | None:
    """A value that must be one of a fixed list (督查/调度/约谈/回头看; 合格/基本合格/不合格)."""
    if value not in allowed:
        return Refusal(f"{what}“{value}”不对", f"应为 {'、'.join(allowed)} 之一")
    return None


def scope_refusal(email: str, clerks: Sequence[Mapping[str, object]],
                  township: str | None) -> Refusal | None:
    """分工: whether the clerk with git identity ``email`` may record for ``township`` (None:
    the workspace's own ``zhengdun.yaml``, which only a clerk answering for every township may
    change). ``clerks``: ``zhengdun.yaml``'s ``clerks:`` as plain data, each with ``email`` and
    ``townships`` (absent or empty: every township). No clerks named: everyone may record.

    The local recording commands and the server's pre-receive hook both ask this rule.
    """
    if not clerks:
        return None
    clerk = next((c for c in clerks if str(c.get("email", "")).lower() == email.lower()), None)
    if clerk is None:
        return Refusal(f"git 身份 {email or '（未设置）'} 不在 zhengdun.yaml 的 clerks 名单中，"
                       "不能在这个工作区记录",
                       "请用名单中的邮箱设置 git 身份（git config user.email 邮箱），"
                       "或请负责配置的同志把你加入 clerks 名单")
    townships = clerk.get("townships") or []
    if not isinstance(townships, Sequence) or isinstance(townships, str) or not townships:
        return None
    name = clerk.get("name") or email
    if township is None:
        return Refusal(f"{name} 只负责 {'、'.join(map(str, townships))}，不能修改工作区配置 "
                       "zhengdun.yaml", "配置由负责全县的同志修改")
    if township not in townships:
        return Refusal(f"{township} 不在 {name} 负责的乡镇（{'、'.join(map(str, townships))}）之内",
                       f"请由负责{township}的同志记录；如果分工有变化，请先修改 zhengdun.yaml "
                       "的 clerks")
    return None
