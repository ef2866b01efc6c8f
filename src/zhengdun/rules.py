"""The preconditions of the recording commands, over plain values: each returns the clerk's
refusal (message and hint) or None. Nothing here knows pydantic, YAML or git.

Both front ends ask these same functions: the full path (:mod:`zhengdun.ledger`, on the models)
raises the refusal; the quick path (:mod:`zhengdun.quick`, on the plain data of a ledger with a
verdict) hands any refused command to the full path, which then says it. A new precondition is
written here once and holds on both paths.

So far: the dates and states of ``step``, ``close``, ``reopen``, ``add``, ``visit``,
``accept`` and ``extend``; what makes an organization 已转化 and its stage; the 巩固期's
回头看 rhythm; the seed rules 避重就轻 and 四个一; the scope of each clerk (分工). The one-path
issue moves every other precondition and per-file rule here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta


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


def step_refusal(day: date, found_on: date, steps: Sequence[date],
                 text: str = "") -> Refusal | None:
    """整改进展 ``text`` on ``day`` for a problem found on ``found_on`` with steps on ``steps``."""
    if day < found_on:
        return Refusal(f"进展日期 {day} 早于问题的发现日期 {found_on}", "请核对 --on")
    return step_order_refusal(day, max(steps)) if steps else None


def step_order_refusal(day: date, previous: date, what: str = "进展日期") -> Refusal | None:
    """整改进展 in date order: one on ``day`` after the last one, on ``previous``."""
    if day < previous:
        return Refusal(f"{what} {day} 早于上一条进展（{previous}）",
                       "整改进展按日期先后记录；补录更早的进展请手工编辑后用 zhengdun commit 记录")
    return None


def close_refusal(ref: str, day: date, found_on: date, steps: Sequence[date],
                  closed_on: date | None, reopened_on: date | None,
                  result: str = "") -> Refusal | None:
    """销号 of ``ref`` on ``day`` with 整改结果 ``result``: ``closed_on`` when it stands closed
    now, ``reopened_on`` when its last closure was reopened."""
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


def add_refusal(found_on: date, due: date, title: str = "") -> Refusal | None:
    """登记问题 ``title`` found on ``found_on`` with 整改时限 ``due``."""
    refusal = found_first(due, found_on, "整改时限")
    return Refusal(refusal.message, "请核对 --due 和 --found") if refusal else None


def found_first(day: date, found_on: date, what: str) -> Refusal | None:
    """A date of a problem (``what``: 整改时限, 措施时限, 整改进展日期, 销号日期 …) is not
    before the problem was found (the wording ``check`` uses for a file)."""
    if day < found_on:
        return Refusal(f"{what} {day} 早于发现日期 {found_on}")
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


# --------------------------------------------------------------------------- rounds (批次)


def old_schema_refusal(version: object, file: str) -> Refusal | None:
    """A file of the first format (``schema_version: 1``, one designation, no rounds): every
    command refuses it and names ``zhengdun migrate``, which rewrites it."""
    if version == 1 and not isinstance(version, bool):
        return Refusal(f"{file} 是第1版格式（schema_version: 1），本版 zhengdun 按整顿批次记录，"
                       "使用第2版格式",
                       "请在工作区中先运行 zhengdun migrate --dry-run 查看将做的修改，再运行 "
                       "zhengdun migrate 升级（一次提交，不丢失任何记录和注释）")
    return None


def designation_refusal(name: str, round_name: str | None, known: Sequence[str],
                        designated: Sequence[str], day: date,
                        last_on: date | None) -> Refusal | None:
    """认定 of ``name`` in ``round_name`` on ``day``: the round must be named in the config and
    not designated before (``designated``: its rounds so far; ``last_on``: the date of its
    last designation). Earlier rounds are never changed."""
    if round_name is None or not known:
        return Refusal("配置中还没有整顿批次（rounds），无法确定本次认定属于哪一批",
                       "请在 zhengdun.yaml 中写明 rounds，例如 rounds: [{name: \"2026\", "
                       "start: 2026-01-01}]，再用 zhengdun commit 记录")
    if round_name not in known:
        return Refusal(f"批次“{round_name}”不在配置的整顿批次中（{'、'.join(known)}）",
                       "新批次请先写入 zhengdun.yaml 的 rounds（name、start），"
                       "用 zhengdun commit 记录后再认定")
    if round_name in designated:
        return Refusal(f"{name} 已在批次 {round_name} 认定过：同一批次只能认定一次",
                       "再次认定请用新的批次（--round）；修改本批次的认定信息用 zhengdun org set")
    if last_on is not None and day < last_on:
        return Refusal(f"认定日期 {day} 早于 {name} 上一次的认定日期 {last_on}",
                       "新一批的认定应在上一批之后；请核对 --designated")
    return None


# --------------------------------------------------------------------------- 延期 (extensions)


def extend_refusal(ref: str, day: date, to: date, found_on: date, deadline: date,
                   closed_on: date | None) -> Refusal | None:
    """延期 of ``ref`` approved on ``day`` to ``to``; ``deadline``: the 整改时限 that holds now
    (the original or the last extension), ``closed_on``: when it stands closed."""
    if closed_on is not None:
        return Refusal(f"{ref} 已于 {closed_on} 销号，不需要延期")
    if day < found_on:
        return Refusal(f"延期批准日期 {day} 早于问题的发现日期 {found_on}", "请核对 --on")
    if to <= deadline:
        return Refusal(f"延期后的时限 {to} 不晚于现在的整改时限 {deadline}（延期只能推后时限）",
                       "请核对 --to；时限提前不必延期，按原时限整改即可")
    return None


# --------------------------------------------------------------------------- 验收 (acceptance)

TOWNSHIP_CHECK = "初验"
COUNTY_REVIEW = "复核"
ACCEPTANCE_STAGES = (TOWNSHIP_CHECK, COUNTY_REVIEW)


def is_converted(acceptances: Sequence[tuple[str | None, str]]) -> bool:
    """已转化: the last county review is 合格. ``acceptances``: (stage, grade) in date order;
    one without a stage (as v1 files recorded it) is the county's verdict; a 初验 alone
    converts nothing."""
    reviews = [grade for stage, grade in acceptances if stage != TOWNSHIP_CHECK]
    return bool(reviews) and reviews[-1] == "合格"


def org_stage(acceptances: Sequence[tuple[str | None, str]], relapsed: bool) -> str:
    """整顿中 / 已转化 / 巩固提升 / 重新整顿 / 反弹 from (stage, grade) in date order;
    ``relapsed``: a problem reopened after the conversion stands reopened."""
    reviews = [grade for stage, grade in acceptances if stage != TOWNSHIP_CHECK]
    if not reviews:
        return "整顿中"
    if is_converted(acceptances):
        return "反弹" if relapsed else "已转化"
    return {"基本合格": "巩固提升", "不合格": "重新整顿"}[reviews[-1]]


def review_order_refusal(stage: str | None, day: date,
                         earlier: Sequence[tuple[date, str | None, str]]) -> Refusal | None:
    """先初验、后复核: a 复核 on ``day`` needs a 初验 not graded 不合格, on or before that day
    and after the previous county review. ``earlier``: (on, stage, grade) recorded so far."""
    if stage != COUNTY_REVIEW:
        return None
    last_review = max((on for on, s, _ in earlier if s != TOWNSHIP_CHECK), default=None)
    checks = [grade for on, s, grade in earlier if s == TOWNSHIP_CHECK and on <= day
              and (last_review is None or on > last_review)]
    if not checks or checks[-1] == "不合格":
        return Refusal(f"复核日期 {day} 之前没有乡镇初验（先初验、后复核）"
                       + ("：最近一次初验为不合格" if checks else ""),
                       "请先记录乡镇党委的初验：zhengdun accept 村(社区) --stage 初验 "
                       "--grade 合格 --by 乡镇党委")
    return None


def grade_refusal(grade: str, score: float | None, counts: tuple[int, int, int] | None,
                  pass_score: float | None, basic_score: float | None,
                  veto_share: float) -> Refusal | None:
    """The grade must agree with the 民主测评 veto and the pass line of ``zhengdun.yaml``.
    ``counts``: (满意, 基本满意, 不满意). Without a pass line the score is not weighed."""
    if counts is not None and sum(counts) > 0 and counts[2] / sum(counts) > veto_share:
        if grade != "不合格":
            return Refusal(f"民主测评不满意 {counts[2]} 票，占 {counts[2] * 100 / sum(counts):.1f}%，"
                           f"超过 {veto_share * 100:g}%，按“不满意票否决”规则应为不合格，"
                           f"不能评为{grade}",
                           "请核对测评票数或 --grade；否决比例在 zhengdun.yaml 的 "
                           "acceptance.veto_unsatisfied_share 中设置")
        return None
    if score is None or pass_score is None:
        return None
    expected = ("合格" if score >= pass_score else
                "基本合格" if basic_score is not None and score >= basic_score else
                "不合格" if basic_score is not None else None)
    if expected is None:  # below the pass line, no line for 基本合格: either lower grade
        if grade == "合格":
            return Refusal(f"得分 {score:g} 低于合格分数线 {pass_score:g}，不能评为合格（合格分数线）",
                           "请核对 --score 或 --grade；分数线在 zhengdun.yaml 的 "
                           "acceptance.pass_score 中设置")
        return None
    if grade != expected:
        line = (f"合格分数线 {pass_score:g}" + (f"、基本合格分数线 {basic_score:g}"
                                              if basic_score is not None else ""))
        return Refusal(f"得分 {score:g} 按{line}应为{expected}，与等次“{grade}”不符",
                       "请核对 --score 或 --grade；分数线在 zhengdun.yaml 的 acceptance 中设置")
    return None


def redo_refusal(grade: str, day: date, redo_by: date | None) -> Refusal | None:
    """重新整顿: only a 不合格 sets a new deadline, and it lies after the acceptance."""
    if redo_by is None:
        return None
    if grade != "不合格":
        return Refusal(f"只有验收不合格才需要重新整顿时限（--redo-by），本次等次为{grade}",
                       "请去掉 --redo-by，或核对 --grade")
    if redo_by <= day:
        return Refusal(f"重新整顿时限 {redo_by} 不晚于验收日期 {day}", "请核对 --redo-by")
    return None


# --------------------------------------------------------------------------- 巩固期 (consolidation)


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    following = date(year + (month == 11), (month + 1) % 12 + 1, 1)
    last = (following - timedelta(days=1)).day
    return date(year, month + 1, min(day.day, last))


def review_due(converted_on: date, reviews: Sequence[date], period_months: int,
               review_months: int) -> date | None:
    """回头看: the next one is due ``review_months`` after the last (or after 转化), while
    that falls inside the 巩固期 of ``period_months``; None once the period is covered."""
    start = max([converted_on, *reviews])
    due = add_months(start, review_months)
    if due > add_months(converted_on, period_months):
        return None
    return due


# --------------------------------------------------------------------------- seed rules


def evasive_categories(designated: Sequence[str], found: Sequence[str]) -> list[str]:
    """避重就轻: categories the organization was designated for with no problem of them.
    Judged only once a problem list exists (``found``: the categories of its problems)."""
    if not found:
        return []
    return [code for code in designated if code not in found]


FORCES = (("county_leader", "包联县级领导"), ("township_lead", "包村乡镇领导"),
          ("first_secretary", "第一书记"), ("paired_units", "结对帮扶单位"))


def missing_forces(assigned: dict[str, object]) -> list[str]:
    """四个一: which of the four forces (包联县级领导, 包村乡镇领导, 第一书记, 结对帮扶单位) are
    not assigned; ``assigned``: the 责任清单 as plain data."""
    return [label for key, label in FORCES if not assigned.get(key)]


def forces_incomplete(assigned: dict[str, object]) -> list[str]:
    """四个一 incomplete, as ``check`` warns of it: the forces still missing once the 责任清单
    has been begun (one with nothing in it yet is the board's mark, not a finding: a newly
    designated organization has none)."""
    missing = missing_forces(assigned)
    return missing if len(missing) < len(FORCES) else []


# --------------------------------------------------------------------------- 责任清单


def service_refusal(since: date | None, until: date | None) -> Refusal | None:
    """第一书记's dates of service: the end is not before the start."""
    if since is not None and until is not None and until < since:
        return Refusal(f"第一书记驻村结束日期 {until} 早于起始日期 {since}",
                       "请核对 --first-secretary-since 和 --first-secretary-until")
    return None


# --------------------------------------------------------------------------- 整改通知书 / 督办单


def notice_refusal(number: str, on: date, reply_by: date,
                   issued: set[str] | Sequence[str]) -> Refusal | None:
    """A notice with 文号 ``number`` issued on ``on``, reply due ``reply_by``; ``issued``: the
    文号 already issued to the same organization (a 文号 names one document)."""
    if number in issued:
        return Refusal(f"文号“{number}”已经用过（一个文号只对应一份通知书）",
                       "请核对 --number；回复请用 zhengdun notice reply")
    if reply_by < on:
        return Refusal(f"回复期限 {reply_by} 早于发出日期 {on}", "请核对 --reply-by")
    return None


def reply_refusal(number: str, day: date, issued_on: date,
                  replied_on: date | None) -> Refusal | None:
    """The reply to notice ``number`` on ``day``; ``replied_on``: an earlier reply's day."""
    if replied_on is not None:
        return Refusal(f"{number} 已于 {replied_on} 回复，不能重复记录回复")
    if day < issued_on:
        return Refusal(f"回复日期 {day} 早于通知书发出日期 {issued_on}", "请核对 --on")
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
