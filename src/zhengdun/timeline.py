"""The history of the ledgers, read from git: diff between two points, the life of an
organization or a problem, the audit of the history itself, undo, and reading the ledgers as
they stood at a date (``--at``).

Commit dates say when something was recorded; the ``on`` dates inside the files say when it
happened. A date given on the command line means the ledgers as committed at the end of that
day in the workspace timezone.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from zhengdun import faults, history, interrupts, store
from zhengdun.changes import Change, is_due_edit, ledger_changes
from zhengdun.clock import typed_date
from zhengdun.errors import UserError
from zhengdun.ledger import Receipt
from zhengdun.model import Config, Ledger
from zhengdun.place import CONFIG_NAME, EVIDENCE, LEDGERS, TEMPLATES
from zhengdun.workspace import Workspace, parse_ref, resolve_org

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
GIT_FIRST_YEAR, GIT_LAST_YEAR = 1970, 2099  # the years git's date parser reads


@dataclass(frozen=True)
class Point:
    """A point in the history: a commit, and how the clerk named it."""

    commit: str
    label: str
    day: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {"commit": self.commit, "label": self.label,
                "date": self.day.isoformat() if self.day else None}


def resolve_point(ws: Workspace, text: str) -> Point:
    """A date (end of that day, workspace timezone) or a git revision, as a commit."""
    wanted = text.strip()
    if _DATE.fullmatch(typed_date(wanted)):
        wanted = typed_date(wanted)
        try:
            day = date.fromisoformat(wanted)
        except ValueError:
            raise UserError(f"日期 {wanted} 不存在", "请核对月份和天数") from None
        if day.year <= GIT_FIRST_YEAR:
            raise UserError(f"日期 {day} 超出了历史能覆盖的范围：git 记录的提交时间从 1970 年开始，"
                            "这么早的台账不会在历史中",
                            "请写 1971 年以后的日期；运行 git log --reverse 查看最早的记录")
        zone = ZoneInfo(ws.config.timezone)
        # git reads no time after 2099 (it then matches nothing), and no commit is dated
        # later: the ledgers at the end of such a day are the ledgers at the end of 2099.
        end = datetime.combine(min(day, date(GIT_LAST_YEAR, 12, 31)), time(23, 59, 59), zone)
        commit = history.commit_before(ws.root, end.isoformat())
        if commit is None:
            raise UserError(f"{day} 当天结束时还没有任何记录",
                            "请换一个更晚的日期；运行 git log --reverse 查看最早的记录")
        return Point(commit, f"{day} 日终", day)
    commit = history.resolve_revision(ws.root, wanted)
    if commit is None:
        raise UserError(f"“{wanted}”既不是日期（YYYY-MM-DD），也不是 git 中的提交",
                        "可以写日期如 2026-09-30，或提交如 HEAD~5、提交编号")
    return Point(commit, wanted)


def at(ws: Workspace, text: str | None) -> Workspace:
    """The workspace as committed at ``text`` (``--at``); itself when ``text`` is None."""
    if text is None:
        return ws
    point = resolve_point(ws, text)
    config = ws.config
    raw = history.read_blobs(ws.root, [history.tree_files(ws.root, point.commit, CONFIG_NAME)
                                       .get(CONFIG_NAME, "")]).values()
    for blob in raw:
        text_, _bom, _nl = store.decode(blob, CONFIG_NAME)
        # An old config that no longer validates: today's catalog still names things.
        with contextlib.suppress(ValidationError):
            config = Config.model_validate(store.parse(text_).data)
    # "The board as it stood that day": deadlines are judged on that day, not today.
    day = point.day
    if day is None:
        stamp = history.log(ws.root, max_count=1, rev=point.commit)[0].committed
        day = _local_day(stamp, ZoneInfo(config.timezone))
    return replace(ws, config=config, revision=point.commit, fixed_today=day)


# --------------------------------------------------------------------------- reading blobs


def _ledger_from(raw: bytes | None, name: str) -> Ledger | None:
    if raw is None:
        return None
    try:
        text, _bom, _nl = store.decode(raw, name)
        return Ledger.model_validate(store.parse(text).data)
    except (UserError, ValidationError):
        return None


class _Cache:
    """Small derived data keyed by blob id (which never changes), kept in ``.git/``."""

    def __init__(self, root: Path) -> None:
        gdir = history.git_dir(root)
        self.path = (gdir / "zhengdun-cache" / "summary.json") if gdir else None
        self.data: dict[str, list[int]] = {}
        self.dirty = False
        if self.path is not None and self.path.is_file():
            try:
                loaded = json.loads(self.path.read_text(encoding="utf-8"))
                if isinstance(loaded, dict):
                    self.data = loaded
            except (OSError, ValueError):
                self.data = {}

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        try:
            self.path.parent.mkdir(exist_ok=True)
            store.write_atomic(self.path, json.dumps(self.data).encode())
        except (OSError, UserError):
            pass  # a cache that cannot be written is only a slower next run


def _counts(ledger: Ledger | None) -> list[int]:
    if ledger is None:
        return [0, 0, 0]
    return [len(ledger.problems), sum(1 for p in ledger.problems if p.is_closed_on()),
            1]


# --------------------------------------------------------------------------- diff


def diff(ws: Workspace, from_text: str, to_text: str | None = None) -> dict[str, Any]:
    """What changed in the ledgers between two points (TO defaults to now: HEAD)."""
    start = resolve_point(ws, from_text)
    end = resolve_point(ws, to_text) if to_text else Point(history.head_commit(ws.root), "现在")
    files = [f for f in history.changed_files(ws.root, start.commit, end.commit, LEDGERS)
             if f.path.endswith(".yaml")]
    blobs = history.read_blobs(ws.root, [b for f in files for b in (f.old, f.new)])
    groups: dict[str, dict[str, Any]] = {}
    all_changes: list[Change] = []
    for change in files:
        slug = change.path[len(LEDGERS) + 1:-5]
        old = _ledger_from(blobs.get(change.old), change.path)
        new = _ledger_from(blobs.get(change.new), change.path)
        found = ledger_changes(slug, old, new)
        if not found:
            continue
        all_changes += found
        current = new or old
        assert current is not None
        groups[slug] = {"org": slug, "name": current.name, "township": current.township,
                        "changes": [c.to_json() for c in found]}
    summary = _summary(ws, start.commit, end.commit, files, blobs)
    # Organizations whose ledger changed, as listed: a file touched without changing the
    # ledger (a comment, a reflow) is not a change of the organization.
    summary["changed_organizations"] = len(groups)
    organizations = sorted(groups.values(), key=lambda g: (g["township"], g["name"]))
    counts: dict[str, int] = {}
    for c in all_changes:
        counts[c.kind] = counts.get(c.kind, 0) + 1
    return {"from": start.to_json(), "to": end.to_json(), "organizations": organizations,
            "counts": counts, "summary": summary}


def _summary(ws: Workspace, start: str, end: str, changed: list[history.FileChange],
             blobs: dict[str, bytes]) -> dict[str, Any]:
    """Closed and 销号率 before → after. Unchanged files count the same on both sides, so only
    their per-blob counts are needed; those come from a cache keyed by blob id."""
    cache = _Cache(ws.root)
    before_files = history.tree_files(ws.root, start, LEDGERS)
    missing = [b for p, b in before_files.items() if p.endswith(".yaml") and b not in cache.data]
    missing += [f.new for f in changed if f.new != history.ZERO and f.new not in cache.data]
    if missing:
        extra = history.read_blobs(ws.root, [b for b in missing if b not in blobs])
        for blob in missing:
            raw = blobs.get(blob, extra.get(blob))
            cache.data[blob] = _counts(_ledger_from(raw, blob))
            cache.dirty = True
    cache.save()
    before = [0, 0, 0]
    for path, blob in before_files.items():
        if path.endswith(".yaml"):
            before = [a + b for a, b in zip(before, cache.data[blob], strict=True)]
    after = list(before)
    for f in changed:
        if f.old != history.ZERO:
            after = [a - b for a, b in zip(after, cache.data[f.old], strict=True)]
        if f.new != history.ZERO:
            after = [a + b for a, b in zip(after, cache.data[f.new], strict=True)]

    def rate(counts: list[int]) -> float | None:
        return round(counts[1] * 100 / counts[0], 1) if counts[0] else None

    return {"organizations_before": before[2], "organizations_after": after[2],
            "problems_before": before[0], "problems_after": after[0],
            "closed_before": before[1], "closed_after": after[1],
            "rate_before": rate(before), "rate_after": rate(after)}


# --------------------------------------------------------------------------- log


def _local_day(stamp: str, zone: ZoneInfo) -> date:
    return datetime.fromisoformat(stamp).astimezone(zone).date()


def local_time(stamp: str, zone: str | ZoneInfo) -> str:
    """A commit's time as the clerk reads it: in the workspace timezone, to the minute."""
    where = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return datetime.fromisoformat(stamp).astimezone(where).strftime("%Y-%m-%d %H:%M")


def late_entry(change: Change, recorded: date, limit: int) -> int:
    """补录: how many days after its event date ``change`` was recorded, when that is more than
    ``limit`` (the workspace's ``backfill_days``); 0 otherwise. ``log`` and ``audit`` both ask."""
    if change.event_date is None or change.kind == "org_added" or not (
            change.kind.endswith("_added") or change.kind in ("closed", "reopened")):
        return 0
    late = (recorded - change.event_date).days
    return late if late > limit else 0


def _versions(ws: Workspace, commits: list[history.Commit], path: str,
              ) -> dict[str, Ledger | None]:
    blobs = [b for c in commits for f in c.files if f.path == path for b in (f.old, f.new)]
    raw = history.read_blobs(ws.root, blobs)
    return {blob: _ledger_from(content, path) for blob, content in raw.items()}


def org_log(ws: Workspace, target: str) -> dict[str, Any]:
    """The life of an organization (``ORG``) or a problem (``ORG/N``), oldest first."""
    problem: int | None = None
    if "/" in target:
        org_text, problem = parse_ref(target)
        slug = resolve_org(ws, org_text)
    else:
        slug = resolve_org(ws, target)
    path = f"{LEDGERS}/{slug}.yaml"
    commits = list(reversed(history.log(ws.root, [path])))
    versions = _versions(ws, commits, path)
    zone = ZoneInfo(ws.config.timezone)
    entries = []
    for commit in commits:
        file = next((f for f in commit.files if f.path == path), None)
        if file is None:
            continue
        old = versions.get(file.old)
        new = versions.get(file.new)
        changes = ledger_changes(slug, old, new)
        if problem is not None:
            changes = [c for c in changes if c.problem == problem]
            if not changes:
                continue
        recorded = _local_day(commit.authored, zone)
        lines = []
        for change in changes:
            item = change.to_json()
            item["backfill_days"] = late_entry(change, recorded, ws.config.backfill_days)
            lines.append(item)
        entries.append({
            "commit": commit.id, "recorded": commit.authored, "recorded_day": recorded.isoformat(),
            "recorded_local": local_time(commit.authored, zone),
            "author": commit.author, "email": commit.email, "subject": commit.subject,
            "action": commit.action, "by_zhengdun": commit.action is not None,
            "changes": lines,
            "note": None if changes or old is None or new is None else "文件有改动，台账内容未变",
        })
    if problem is not None and not entries:
        raise UserError(f"历史中没有 {slug}/{problem} 的记录",
                        f"运行 zhengdun show {slug} 查看现有问题编号")
    return {"target": f"{slug}/{problem}" if problem is not None else slug, "org": slug,
            "problem": problem, "entries": entries}


# --------------------------------------------------------------------------- audit


@dataclass(frozen=True)
class AuditFinding:
    """Something about the history itself that an inspector should see."""

    kind: str
    serious: bool
    message: str
    ref: str
    commit: str | None = None
    recorded: str | None = None
    author: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "serious": self.serious, "message": self.message,
                "ref": self.ref, "commit": self.commit, "recorded": self.recorded,
                "author": self.author}


AUDIT_LABELS = {
    "removed": "记录被删除",
    "altered": "销号等记录事后被改动",
    "outside": "未经 zhengdun 的修改",
    "backfill": "补录",
    "no_evidence": "销号无佐证材料",
    "no_verifier": "销号未写明验收人",
    "closure_before_step": "销号早于整改进展",
    "unreadable": "无法读取的版本",
    "due_edited": "整改时限被手工修改",
}


def audit(ws: Workspace, since: date | None = None,
          backfill_days: int | None = None) -> dict[str, Any]:
    """Findings about the history: lost or rewritten records, edits outside zhengdun,
    backfills, and closures without evidence or verifier. ``serious`` ones fail the audit."""
    zone = ZoneInfo(ws.config.timezone)
    limit = ws.config.backfill_days if backfill_days is None else backfill_days
    since_text = (datetime.combine(since, time(0, 0), zone).isoformat() if since else None)
    commits = list(reversed(history.log(ws.root, [LEDGERS], since=since_text)))
    paths = [f for c in commits for f in c.files if f.path.endswith(".yaml")]
    raw = history.read_blobs(ws.root, [b for f in paths for b in (f.old, f.new)])
    parsed: dict[str, Ledger | None] = {}
    # The last readable version of each file seen in the scan: a version that cannot be read
    # must not hide what the next one removed.
    readable: dict[str, Ledger] = {}
    findings: list[AuditFinding] = []
    by_id = {c.id: c for c in commits}
    for commit in commits:
        recorded = _local_day(commit.authored, zone)
        undo = commit.action == "undo" and _takes_back(ws.root, commit, by_id)
        base = {"commit": commit.id, "recorded": commit.authored, "author": commit.author}
        files = [f for f in commit.files if f.path.endswith(".yaml")
                 and f.path.startswith(f"{LEDGERS}/")]
        if not files:
            continue
        if commit.action is None:
            changed = "、".join(f.path for f in files)
            findings.append(AuditFinding(
                "outside", True, f"提交“{commit.subject}”修改了 {changed}，但不是经 zhengdun 记录的"
                "（没有 Zhengdun-Action），修改内容未经检查", changed, **base))
        for file in files:
            slug = file.path[len(LEDGERS) + 1:-5]
            for blob in (file.old, file.new):
                if blob not in parsed and blob != history.ZERO:
                    parsed[blob] = _ledger_from(raw.get(blob), file.path)
            old = parsed.get(file.old) if file.old != history.ZERO else None
            new = parsed.get(file.new) if file.new != history.ZERO else None
            if file.new != history.ZERO and new is None:
                findings.append(AuditFinding("unreadable", True,
                                             f"{file.path} 在此提交中的版本无法读取（格式错误）",
                                             slug, **base))
                continue
            if file.old != history.ZERO and old is None:
                # That version was reported as unreadable when it was committed; compare with
                # the last readable one instead.
                old = readable.get(file.path)
                if old is None:
                    if new is not None:
                        readable[file.path] = new
                    continue
            if new is None:
                readable.pop(file.path, None)
            else:
                readable[file.path] = new
            for change in ledger_changes(slug, old, new):
                if change.serious and not undo:
                    kind = "altered" if change.kind.endswith("_altered") else "removed"
                    findings.append(AuditFinding(kind, True, change.describe(), change.ref,
                                                 **base))
                elif is_due_edit(change) and not undo:
                    # zhengdun's own commands never touch ``due`` (延期 is a record of its own)
                    findings.append(AuditFinding(
                        "due_edited", True,
                        f"{change.describe()}：整改时限被直接改动，而不是经批准延期"
                        f"（zhengdun extend），原时限下的逾期因此不再显示", change.ref, **base))
                elif late := late_entry(change, recorded, limit):
                    findings.append(AuditFinding(
                        "backfill", False,
                        f"{change.describe()}：{recorded} 才记录，晚于事项日期 {late} 天",
                        change.ref, **base))
    findings += _closure_quality(ws)
    findings.sort(key=lambda f: (not f.serious, f.recorded or "", f.ref))
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.kind] = counts.get(finding.kind, 0) + 1
    return {"since": since.isoformat() if since else None, "commits": len(commits),
            "backfill_days": limit, "serious": sum(1 for f in findings if f.serious),
            "counts": counts, "findings": [f.to_json() for f in findings]}


def _takes_back(root: Path, commit: history.Commit, by_id: dict[str, history.Commit]) -> bool:
    """Whether an ``undo`` commit really puts back the ledgers of the commit it names: a
    ``Zhengdun-Action: undo`` typed by hand must not excuse a removal."""
    undoes = commit.trailer("Zhengdun-Undoes")
    if len(undoes) != 1:
        return False
    undone = by_id.get(undoes[0])
    if undone is None:  # before the scanned range (--since)
        found = history.log(root, [LEDGERS], max_count=1, rev=undoes[0])
        undone = found[0] if found and found[0].id == undoes[0] else None
    if undone is None:
        return False
    return ({f.path: (f.old, f.new) for f in commit.files}
            == {f.path: (f.new, f.old) for f in undone.files})


def _closure_quality(ws: Workspace) -> list[AuditFinding]:
    # Each ledger on its own: one that cannot be read is already an "unreadable" finding and
    # must not stop the audit.
    files = {path: blob for path, blob in
             history.tree_files(ws.root, history.head_commit(ws.root), LEDGERS).items()
             if path.endswith(".yaml") and path.count("/") == 1}
    raw = history.read_blobs(ws.root, list(files.values()))
    out = []
    for path, blob in sorted(files.items()):
        slug = path[len(LEDGERS) + 1:-5]
        ledger = _ledger_from(raw.get(blob), path)
        if ledger is None:
            continue
        for problem in ledger.problems:
            ref = f"{slug}/{problem.id}"
            for closure in problem.closures:
                if not closure.evidence:
                    out.append(AuditFinding("no_evidence", False,
                                            f"{ref} 于 {closure.on} 销号，没有佐证材料", ref))
                if not closure.verified_by:
                    out.append(AuditFinding("no_verifier", False,
                                            f"{ref} 于 {closure.on} 销号，未写明验收人", ref))
                steps = [s.on for s in problem.steps if s.on > closure.on]
                later_reopen = closure.reopened is not None
                if steps and not later_reopen:
                    out.append(AuditFinding("closure_before_step", False,
                                            f"{ref} 于 {closure.on} 销号，但有日期更晚的整改进展"
                                            f"（{max(steps)}）", ref))
    return out


# --------------------------------------------------------------------------- undo


@dataclass(frozen=True)
class UndoPlan:
    """What ``undo`` would take back."""

    commit: history.Commit
    changes: list[Change]
    blobs: dict[str, bytes] = field(default_factory=dict)  # the commit's file versions
    resuming: bool = False  # an earlier undo of this commit was interrupted
    zone: str = "Asia/Shanghai"  # the workspace's, for the time shown

    def describe(self) -> str:
        lines = [f"将撤销：{self.commit.subject}",
                 f"  记录于 {local_time(self.commit.authored, self.zone)}，"
                 f"记录人 {self.commit.author}"]
        if self.resuming:
            lines.append("  （上一次撤销这条记录时被中断，这次接着完成）")
        lines += [f"  - {c.describe()}" for c in self.changes]
        return "\n".join(lines)


def plan_undo(ws: Workspace) -> UndoPlan:
    """The last commit, if zhengdun may take it back; otherwise a clear refusal."""
    history.preflight(ws.root, undoing=True)
    last = history.log(ws.root, max_count=1)
    if not last:
        raise UserError("还没有任何记录可以撤销")
    commit = last[0]
    if commit.action is None:
        raise UserError(f"最近一次提交“{commit.subject}”不是 zhengdun 命令做的，不能用 undo 撤销",
                        "请用 git 自行处理（例如 git revert HEAD），zhengdun 只撤销它自己的记录")
    if commit.action == "init":
        raise UserError("最近一次提交是建立工作区，不能撤销")
    if len(commit.parents) != 1:
        raise UserError("最近一次提交是合并提交，不能用 undo 撤销", "请用 git 自行处理")
    files = [f for f in commit.files]
    raw = history.read_blobs(ws.root, [b for f in files for b in (f.old, f.new)])
    resuming = history.revert_in_progress(ws.root) == commit.id
    if ws.ledgers_dir.is_symlink():  # git sees every ledger deleted
        raise store.linked_folder(ws.ledgers_dir)
    pending = [p for p in history.resync_index(ws.root, history.status(ws.root))
               if not (p.untracked and not _part_of_the_record(p.path))]
    if pending and not (resuming and _half_undone(ws.root, files, raw, pending)):
        raise _unrecorded_before_undo(pending)
    changes: list[Change] = []
    for file in files:
        if file.path.startswith(f"{LEDGERS}/") and file.path.endswith(".yaml"):
            slug = file.path[len(LEDGERS) + 1:-5]
            changes += ledger_changes(slug, _ledger_from(raw.get(file.old), file.path),
                                      _ledger_from(raw.get(file.new), file.path))
    return UndoPlan(commit, changes, raw, resuming, ws.config.timezone)


def _part_of_the_record(path: str) -> bool:
    """Whether a file belongs to what zhengdun records; a bulletin written with ``-o`` into the
    workspace, or any other stray file, does not, and must not block ``undo``."""
    return path == CONFIG_NAME or path.split("/", 1)[0] in (LEDGERS, TEMPLATES, EVIDENCE)


def _unrecorded_before_undo(pending: list[history.PathStatus]) -> UserError:
    """The refusal of ``undo`` over unrecorded changes, naming each file and its way out."""
    shown = pending[:10]
    lines = [f"  {p.path}（{'新文件' if p.untracked else '已修改'}）" for p in shown]
    if len(pending) > len(shown):
        lines.append(f"  ……共 {len(pending)} 个文件")
    hint = (f"请先处理这些文件：{LEDGERS}/、{EVIDENCE}/ 和 {CONFIG_NAME} 中要保留的修改运行 "
            "zhengdun commit -m \"说明\" 记录，其他文件（如 templates/ 中的模板）用 git add 文件 "
            "和 git commit -m \"说明\" 记录；不要的修改用 git checkout -- 文件 放弃")
    if any(p.untracked for p in pending):
        hint += "，不要的新文件直接删除"
    return UserError("工作区中有尚未记录的修改，不能撤销：\n" + "\n".join(lines),
                     hint + "；然后重新运行 zhengdun undo")


def _half_undone(root: Path, files: list[history.FileChange], raw: dict[str, bytes],
                 pending: list[history.PathStatus]) -> bool:
    """Whether the only changes are an interrupted undo's: every changed file is the commit's
    version or the version before it, byte for byte (so finishing the undo loses nothing)."""
    by_path = {f.path: f for f in files}
    for entry in pending:
        file = by_path.get(entry.path)
        if file is None:
            return False
        path = root / entry.path
        now = path.read_bytes() if path.is_file() else None
        if now not in (raw.get(file.old), raw.get(file.new)):
            return False
    return True


def undo(ws: Workspace, confirm: Callable[[UndoPlan], bool]) -> Receipt | None:
    """撤销: take back the last zhengdun command as a new commit; None when not confirmed."""
    with ws.lock():
        plan = plan_undo(ws)
        if not confirm(plan):
            return None
        refs = plan.commit.trailer(history.TRAILER_REF) or ["workspace"]
        text = history.message("undo", refs[0], f"撤销 {plan.commit.subject}", refs[1:])
        text += f"Zhengdun-Undoes: {plan.commit.id}\n"
        commit = _take_back(ws.root, plan, text)
    return Receipt("undo", refs[0], commit, f"已撤销：{plan.commit.subject}",
                   {"undone": plan.commit.id})


def _take_back(root: Path, plan: UndoPlan, text: str) -> str:
    """Put back every file of the planned commit as it was before it, and commit that.

    Like ``git revert HEAD``, but each file is replaced atomically (git's checkout rewrites
    files in place) and REVERT_HEAD is set before the first file changes: a kill at any moment
    leaves the old files, or a revert in progress that ``zhengdun undo`` finishes.
    """
    files = plan.commit.files
    paths = [f.path for f in files]
    interrupts.hold()  # as in place.write_and_commit: the commit decides
    faults.point("before-write")
    history.begin_revert(root, plan.commit.id)
    kept: dict[str, Path | None] = {}
    try:
        for file in files:
            kept[file.path] = _put(root, file.path, plan.blobs.get(file.old))
        faults.point("after-rename")
        commit = history.commit_revert(root, paths, text)
    except BaseException as failure:
        try:
            for file in files:
                if file.path in kept:
                    store.restore(root / file.path, plan.blobs.get(file.new), file.path,
                                  kept[file.path])
        except UserError as exc:
            # Some files are the old version, some the new: the revert stays in progress, so
            # that ``undo`` can finish it (preflight names it), rather than claim nothing changed.
            why = failure.message if isinstance(failure, UserError) else "命令被中断"
            raise UserError(f"{why}；而且文件没能恢复原样（{exc.message}），撤销只做了一半",
                            "请先处理上述问题（例如清理磁盘空间），再运行 zhengdun undo --yes "
                            "完成这次撤销") from None
        history.end_revert(root, paths)
        raise
    for path in kept.values():
        store.discard(path)
    return commit


def _put(root: Path, rel: str, content: bytes | None) -> Path | None:
    """One file of the workspace as ``content`` (None: absent), replaced atomically; returns
    the replaced version kept by :func:`store.write_atomic`, if any."""
    path = root / rel
    store.sweep_temps(path)  # what an interrupted undo (or command) left of this file
    if content is None:
        return store.remove_keeping(path, rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.read_bytes() == content:
        return None
    return store.write_atomic(path, content, rel, keep_old=True)
