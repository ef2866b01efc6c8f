"""``zhengdun audit``: can the history be trusted?

Read as someone hiding a record would work: every commit reachable from HEAD is audited,
merges included (each merge against each of its parents); an undo must take back exactly its
parent's change; backfill is judged on the committer date and an author date far from it is a
finding of its own; committer dates going backwards on the first-parent line are named; changes
of ``zhengdun.yaml`` and of evidence files are findings; HEAD's reflog names the commits a
reset, amend or rebase dropped (and how to get them back); the upstream names published commits
missing here; a shallow clone is named; issued bulletins (``--witness``) are checked against
the history they came from.

The history is read as a stream (one ``git log`` and one ``git cat-file`` process), keeping
only the latest versions of each file: memory does not grow with the history.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from zhengdun import cache, history, store
from zhengdun.changes import Change, is_due_edit, ledger_changes
from zhengdun.errors import UserError
from zhengdun.model import Ledger
from zhengdun.place import CONFIG_NAME, EVIDENCE, LEDGERS
from zhengdun.timeline import late_entry, ledger_from, out_of_order
from zhengdun.workspace import Workspace

LABELS = {
    "removed": "记录被删除",
    "altered": "销号等记录事后被改动",
    "outside": "未经 zhengdun 的修改",
    "merge": "合并提交改动了记录",
    "undo": "撤销与被撤销的提交不符",
    "dates": "作者时间与提交时间不符",
    "clock": "提交时间倒退",
    "config": "配置被修改",
    "loosened": "配置被放宽",
    "evidence": "佐证材料被改动或删除",
    "rewritten": "历史被改写（提交被丢弃）",
    "remote": "远程已发布的提交不在本地历史中",
    "behind": "本地历史落后于远程",
    "shallow": "历史不完整",
    "signature": "签名无效或缺失",
    "witness": "印发文件与历史不符",
    "backfill": "补录",
    "no_evidence": "销号无佐证材料",
    "no_verifier": "销号未写明验收人",
    "closure_before_step": "销号早于整改进展",
    "unreadable": "无法读取的版本",
    "due_edited": "整改时限被手工修改",
}

#: Configuration keys whose change makes the audit's rules looser: +1 when a larger value is
#: looser (more days before a late entry is a 补录), -1 when a smaller one is (a pass line).
LOOSER = {"backfill_days": 1, "pass_score": -1}

#: Text findings of one kind without a commit, shown as one line when there are more than this.
GROUP_OVER = 3

FETCH_ALL = "git fetch --unshallow"


@dataclass(frozen=True, slots=True)
class Finding:
    """Something about the history that an inspector should see."""

    kind: str
    serious: bool
    message: str
    ref: str
    commit: str | None = None
    recorded: str | None = None  # the committer date: when it entered the history
    author: str | None = None
    authored: str | None = None
    before: Any = None
    after: Any = None
    how: str | None = None  # what to do about it

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": LABELS.get(self.kind, self.kind),
                "serious": self.serious, "severity": "严重" if self.serious else "提示",
                "message": self.message, "ref": self.ref, "commit": self.commit,
                "recorded": self.recorded, "authored": self.authored, "author": self.author,
                "before": self.before, "after": self.after, "how": self.how}


def _at(commit: history.Commit) -> dict[str, Any]:
    return {"commit": commit.id, "recorded": commit.committed, "author": commit.author,
            "authored": commit.authored}


def _day(stamp: str, zone: ZoneInfo) -> date:
    return datetime.fromisoformat(stamp).astimezone(zone).date()


def _slug(path: str) -> str | None:
    if path.startswith(f"{LEDGERS}/") and path.endswith(".yaml") and path.count("/") == 1:
        return path[len(LEDGERS) + 1:-5]
    return None


class _Versions:
    """Parsed ledger versions by blob id, the latest few only."""

    def __init__(self, blobs: history.BlobReader, size: int = 512) -> None:
        self.blobs = blobs
        self.size = size
        self.kept: OrderedDict[str, Ledger | None] = OrderedDict()
        self.raw: dict[str, bytes] = {}

    def prefetch(self, root: Path, wanted: list[str]) -> None:
        """Read ahead the blobs a batch of commits needs, in one ``git cat-file`` call."""
        missing = [b for b in wanted if b != history.ZERO and b not in self.kept]
        try:
            self.raw = history.read_blobs(root, missing)
        except UserError:  # a missing object: read one by one, as each is needed
            self.raw = {}

    def get(self, blob: str, path: str) -> Ledger | None:
        if blob == history.ZERO:
            return None
        if blob in self.kept:
            self.kept.move_to_end(blob)
            return self.kept[blob]
        raw = self.raw.get(blob)
        ledger = ledger_from(raw if raw is not None else self.blobs.read(blob), path)
        self.kept[blob] = ledger
        if len(self.kept) > self.size:
            self.kept.popitem(last=False)
        return ledger


# --------------------------------------------------------------------------- the audit


def audit(ws: Workspace, since: date | None = None, backfill_days: int | None = None,
          witnesses: Iterable[Path] = ()) -> dict[str, Any]:
    """Every finding about the history, and the verdict on each witness file."""
    zone = ZoneInfo(ws.config.timezone)
    limit = ws.config.backfill_days if backfill_days is None else backfill_days
    start = datetime.combine(since, time(0, 0), zone) if since else None
    findings: list[Finding] = []
    shallow = history.shallow_commits(ws.root)
    with history.BlobReader(ws.root) as blobs:
        refs, addressed = _present(ws, blobs, findings)
        walked = _walk(ws, blobs, start, limit, refs, findings)
        rewritten = _rewrites(ws.root, start, zone, _Versions(blobs))
    # A file whose change a commit already shows is named there, with the commit.
    shown = {f.before for f in findings if f.kind == "evidence" and f.commit is not None}
    findings += [f for path, f in addressed if path not in shown]
    findings += rewritten
    findings += _remote(ws.root)
    if shallow:
        findings.append(Finding(
            "shallow", True, f"本地历史不完整（浅克隆）：{len(shallow)} 个提交之前的历史没有取回，"
            f"只审查了取回的 {walked} 次台账提交，更早的删除和改动无从查起", "（工作区）",
            commit=sorted(shallow)[0], how=f"运行 {FETCH_ALL} 取回全部历史后重新审查"))
    checked = [witness(ws, Path(p)) for p in witnesses]
    for verdict in checked:
        findings += verdict.pop("findings")
    findings.sort(key=lambda f: (not f.serious, f.recorded or "", f.ref, f.kind))
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.kind] = counts.get(finding.kind, 0) + 1
    serious = sum(1 for f in findings if f.serious)
    return {"since": since.isoformat() if since else None, "commits": walked,
            "backfill_days": limit, "shallow": bool(shallow), "serious": serious,
            "hints": len(findings) - serious, "counts": counts,
            "findings": [f.to_json() for f in findings], "witnesses": checked}


def _present(ws: Workspace, blobs: history.BlobReader, findings: list[Finding],
             ) -> tuple[dict[str, list[str]], list[tuple[str, Finding]]]:
    """The ledgers at HEAD: closure quality (into ``findings``); returns evidence path → the
    records it supports, and each evidence file that differs from its recorded sha256."""
    addressed: list[tuple[str, Finding]] = []
    head = history.head_commit(ws.root)
    files = history.tree_files(ws.root, head, LEDGERS)
    evidence = history.tree_files(ws.root, head, EVIDENCE)
    refs: dict[str, list[str]] = {}
    for path, blob in sorted(files.items()):
        slug = _slug(path)
        if slug is None:
            continue
        ledger = ledger_from(blobs.read(blob), path)
        if ledger is None:
            continue
        for record, what, items, digests in _evidence_of(slug, ledger):
            for item in items:
                refs.setdefault(item, []).append(f"{record}（{what}）")
            for item, digest in digests.items():
                now = blobs.read(evidence[item]) if item in evidence else None
                if now is None:
                    addressed.append((item, Finding(
                        "evidence", True, f"{record} 的佐证材料 {item}（{what}）已不在历史中",
                        record, before=digest, after=None,
                        how="从备份或 git log -- 文件 找回原件并提交，或说明情况")))
                elif hashlib.sha256(now).hexdigest() != digest:
                    addressed.append((item, Finding(
                        "evidence", True, f"{record} 的佐证材料 {item}（{what}）内容与记录时不同",
                        record, before=digest, after=hashlib.sha256(now).hexdigest(),
                        how=f"运行 git log -- {item} 查看是谁替换的")))
        findings += _closure_quality(slug, ledger)
    return refs, addressed


def _evidence_of(slug: str, ledger: Ledger,
                 ) -> Iterable[tuple[str, str, list[str], dict[str, str]]]:
    for problem in ledger.problems:
        ref = f"{slug}/{problem.id}"
        for step in problem.steps:
            yield ref, f"{step.on} 整改进展", step.evidence, step.evidence_sha256
        for closure in problem.closures:
            yield ref, f"{closure.on} 销号", closure.evidence, closure.evidence_sha256
    for visit in ledger.visits:
        yield slug, f"{visit.on} {visit.kind}", visit.evidence, visit.evidence_sha256


def _closure_quality(slug: str, ledger: Ledger) -> list[Finding]:
    out = []
    for problem in ledger.problems:
        ref = f"{slug}/{problem.id}"
        for closure in problem.closures:
            if not closure.evidence:
                out.append(Finding("no_evidence", False,
                                   f"{ref} 于 {closure.on} 销号，没有佐证材料", ref))
            if not closure.verified_by:
                out.append(Finding("no_verifier", False,
                                   f"{ref} 于 {closure.on} 销号，未写明验收人", ref))
            steps = [s.on for s in problem.steps if s.on > closure.on]
            if steps and closure.reopened is None:
                out.append(Finding("closure_before_step", False,
                                   f"{ref} 于 {closure.on} 销号，但有日期更晚的整改进展"
                                   f"（{max(steps)}）", ref))
    return out


# --------------------------------------------------------------------------- the commits


def _walk(ws: Workspace, blobs: history.BlobReader, start: datetime | None, limit: int,
          refs: dict[str, list[str]], findings: list[Finding]) -> int:
    """Audit every commit since ``start``; returns how many touched the ledgers. A commit's
    findings from its ledger versions are kept (:class:`cache.AuditResults`): a later run
    parses only the new commits."""
    line = history.first_parent_line(ws.root)
    late = {line[i][0]: line[i - 1] for i in out_of_order([t for _c, t in line]) if i > 0}
    versions = _Versions(blobs)
    readable: dict[str, str] = {}  # the blob of the last readable version of each file
    remembered = cache.AuditResults(ws.root, f"{limit}:{ws.config.timezone}")
    walked = 0
    batch: list[history.Commit] = []
    for commit in history.each_commit(ws.root, start.isoformat() if start else None):
        batch.append(commit)
        if len(batch) >= BATCH:
            walked += _walk_batch(ws, batch, versions, readable, remembered, late, limit, refs,
                                  findings)
            batch = []
    walked += _walk_batch(ws, batch, versions, readable, remembered, late, limit, refs, findings)
    remembered.save()
    return walked


#: Commits whose ledger versions are read from git in one go.
BATCH = 256


def _walk_batch(ws: Workspace, batch: list[history.Commit], versions: _Versions,
                readable: dict[str, str], remembered: cache.AuditResults,
                late: dict[str, tuple[str, int]], limit: int, refs: dict[str, list[str]],
                findings: list[Finding]) -> int:
    zone = ZoneInfo(ws.config.timezone)
    versions.prefetch(ws.root, [b for c in batch if remembered.get(c.id) is None
                                for f in c.files if _slug(f.path) is not None
                                for b in (f.old, f.new)])
    walked = 0
    signing = signing_required(ws)
    for commit in batch:
        _clocks(commit, late, limit, findings)
        verdict = signature_verdict(ws.root, commit.id, signing)
        if verdict in ("unsigned", "bad"):
            findings.append(Finding(
                "signature", True, f"提交“{commit.subject}”{'没有签名' if verdict == 'unsigned' else '的签名无效或不是已登记记录人的'}",
                (commit.trailer(history.TRAILER_REF) or ["（工作区）"])[0], **_at(commit),
                how=f"运行 git log --show-signature -1 {commit.id[:8]} 查看"))
        if len(commit.parents) > 1:
            walked += _merge(ws, commit, versions, refs, findings)
            continue
        files = commit.files
        ledgers = [f for f in files if _slug(f.path) is not None]
        undo = commit.action == "undo" and _undo(ws.root, commit, findings)
        walked += any(f.path.startswith(f"{LEDGERS}/") for f in files)
        if ledgers and commit.action is None:
            changed = "、".join(f.path for f in ledgers)
            findings.append(Finding(
                "outside", True, f"提交“{commit.subject}”修改了 {changed}，但不是经 zhengdun "
                "记录的（没有 Zhengdun-Action），修改内容未经检查", changed, **_at(commit)))
        known = remembered.get(commit.id)
        if known is not None:
            findings += [Finding(*row) for row in known]  # type: ignore[arg-type]
        elif ledgers:
            recorded = _day(commit.committed, zone)
            found: list[Finding] = []
            clean = True
            for file in ledgers:
                clean = _ledger_file(commit, file, versions, readable, undo, recorded, limit,
                                     found) and clean
            if clean:  # every version readable: the same answer on every run
                remembered.put(commit.id, [_row(f) for f in found])
            findings += found
        for file in files:
            if file.path == CONFIG_NAME and not undo:
                findings += _config(versions.blobs, commit, file)
            elif file.path.startswith(f"{EVIDENCE}/") and file.old != history.ZERO and not undo:
                findings.append(_evidence_changed(commit, file, refs))
    return walked


def _row(finding: Finding) -> tuple[object, ...]:
    return (finding.kind, finding.serious, finding.message, finding.ref, finding.commit,
            finding.recorded, finding.author, finding.authored, finding.before, finding.after,
            finding.how)


def _ledger_file(commit: history.Commit, file: history.FileChange, versions: _Versions,
                 readable: dict[str, str], undo: bool, recorded: date, limit: int,
                 findings: list[Finding]) -> bool:
    """The findings of one ledger file in one commit; False when a version was unreadable
    (the answer then depends on the versions read before it)."""
    slug = _slug(file.path)
    assert slug is not None
    old = versions.get(file.old, file.path)
    new = versions.get(file.new, file.path)
    if file.new != history.ZERO and new is None:
        findings.append(Finding("unreadable", True,
                                f"{file.path} 在此提交中的版本无法读取（格式错误）", slug,
                                **_at(commit)))
        return False
    clean = True
    if file.old != history.ZERO and old is None:
        # reported as unreadable when it was committed: compare with the last readable one
        clean = False
        last = readable.get(file.path)
        old = versions.get(last, file.path) if last is not None else None
        if old is None:
            if new is not None:
                readable[file.path] = file.new
            return False
    if new is None:
        readable.pop(file.path, None)
    else:
        readable[file.path] = file.new
    for change in ledger_changes(slug, old, new):
        if change.serious and not undo:
            kind = "altered" if change.kind.endswith("_altered") else "removed"
            findings.append(Finding(kind, True, change.describe(), change.ref, **_at(commit),
                                    before=_plain(change.before), after=_plain(change.after)))
        elif is_due_edit(change) and not undo:
            # zhengdun's own commands never touch ``due`` (延期 is a record of its own)
            findings.append(Finding(
                "due_edited", True,
                f"{change.describe()}：整改时限被直接改动，而不是经批准延期（zhengdun extend），"
                "原时限下的逾期因此不再显示", change.ref, **_at(commit),
                before=_plain(change.before), after=_plain(change.after)))
        elif days := late_entry(change, recorded, limit):
            findings.append(Finding(
                "backfill", False,
                f"{change.describe()}：{recorded} 才记录，晚于事项日期 {days} 天",
                change.ref, **_at(commit), before=_plain(change.event_date),
                after=recorded.isoformat()))
    return clean


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _clocks(commit: history.Commit, late: dict[str, tuple[str, int]], limit: int,
            findings: list[Finding]) -> None:
    """Two clocks: an author date far from the committer date (a backfill hidden behind
    ``GIT_AUTHOR_DATE``, or a rewrite), and a committer date out of order on the first-parent
    line (a machine whose clock was wrong)."""
    authored = datetime.fromisoformat(commit.authored)
    committed = datetime.fromisoformat(commit.committed)
    ref = (commit.trailer(history.TRAILER_REF) or ["（工作区）"])[0]
    if abs(committed - authored) > timedelta(days=max(limit, 1)):
        findings.append(Finding(
            "dates", True, f"提交“{commit.subject}”的作者时间 {commit.authored[:16]} 与提交时间 "
            f"{commit.committed[:16]} 相差 {abs((committed - authored).days)} 天：记录时间以提交"
            "时间为准（作者时间可以随手设定）", ref, **_at(commit), before=commit.authored,
            after=commit.committed))
    if commit.id in late:
        parent, stamp = late[commit.id]
        before = datetime.fromtimestamp(stamp, committed.tzinfo).isoformat()
        findings.append(Finding(
            "clock", True, f"提交“{commit.subject}”的提交时间 {commit.committed[:16]} 与前后的"
            f"记录顺序不符（前一条记录 {parent[:8]} 记于 {before[:16]}），这台电脑的时钟可能有误；"
            "diff、log 按它之前最近一条记录的时间计算", ref, **_at(commit), before=before,
            after=commit.committed, how="请核对该电脑的系统时间"))


def _undo(root: Path, commit: history.Commit, findings: list[Finding]) -> bool:
    """Whether an ``undo`` commit takes back exactly its parent's change; a finding if not."""
    undoes = commit.trailer("Zhengdun-Undoes")
    parent = commit.parents[0] if len(commit.parents) == 1 else None
    problem = None
    if len(undoes) != 1 or parent is None:
        problem = "没有写明（或写了多个）被撤销的提交"
    elif undoes[0] != parent:
        problem = f"声称撤销 {undoes[0][:8]}，但它的上一条提交是 {parent[:8]}（zhengdun 只撤销上一条）"
    else:
        found = history.log(root, max_count=1, rev=parent)
        undone = found[0] if found else None
        if undone is None or undone.action is None or len(undone.parents) > 1:
            problem = f"被撤销的 {parent[:8]} 不是 zhengdun 的记录"
        elif ({f.path: (f.old, f.new) for f in commit.files}
              != {f.path: (f.new, f.old) for f in undone.files}):
            problem = f"改动不是 {parent[:8]}“{undone.subject}”的逆操作"
    if problem is None:
        return True
    ref = (commit.trailer(history.TRAILER_REF) or ["（工作区）"])[0]
    findings.append(Finding("undo", True, f"撤销提交“{commit.subject}”{problem}", ref,
                            **_at(commit), how=f"运行 git show {commit.id[:8]} 查看改动"))
    return False


def _merge(ws: Workspace, commit: history.Commit, versions: _Versions,
           refs: dict[str, list[str]], findings: list[Finding]) -> int:
    """A merge against each parent: records dropped from a side, and changes that neither side
    made (the resolution's own), are serious. Returns 1 when it touched the ledgers."""
    sides = [history.changed_between(ws.root, parent, commit.id) for parent in commit.parents]
    paths = sorted({f.path for side in sides for f in side})
    touched = 0
    for path in paths:
        entries = [next((f for f in side if f.path == path), None) for side in sides]
        slug = _slug(path)
        touched |= path.startswith(f"{LEDGERS}/")
        if slug is not None:
            _merged_ledger(ws, commit, slug, path, entries, versions, findings)
        elif all(e is not None for e in entries):  # differs from every side: the resolution's
            first = entries[0]
            assert first is not None
            if path == CONFIG_NAME:
                findings += _config(versions.blobs, commit, first, merged=True)
            elif path.startswith(f"{EVIDENCE}/") and all(
                    e is not None and e.old != history.ZERO for e in entries):
                findings.append(_evidence_changed(commit, first, refs))
    return touched


def _merged_ledger(ws: Workspace, commit: history.Commit, slug: str, path: str,
                   entries: list[history.FileChange | None], versions: _Versions,
                   findings: list[Finding]) -> None:
    new_blob = next(e.new for e in entries if e is not None)
    merged = versions.get(new_blob, path)
    if new_blob != history.ZERO and merged is None:
        findings.append(Finding("unreadable", True, f"{path} 在合并提交中的版本无法读取（格式错误）",
                                slug, **_at(commit)))
        return
    per_side: list[list[Change]] = []
    sides = [versions.get(e.old, path) if e is not None else merged for e in entries]
    for number, entry in enumerate(entries, start=1):
        if entry is None:
            per_side.append([])
            continue
        side = sides[number - 1]
        if number == 1 and side is not None and merged is not None:
            side = _renumbered(side, sides[1:], merged)
        changes = ledger_changes(slug, side, merged) if side is not None or merged else []
        per_side.append(changes)
        parent = commit.parents[number - 1]
        for change in changes:
            if change.serious:
                findings.append(Finding(
                    "merge", True, f"合并提交丢弃了第 {number} 个父提交 {parent[:8]} 中的记录："
                    f"{change.describe()}", change.ref, **_at(commit),
                    before=_plain(change.before), after=_plain(change.after),
                    how=f"运行 git show {parent[:8]}:{path} 查看合并前的台账"))
    if all(e is not None for e in entries):
        keys = [{_key(c) for c in side if not c.serious and c.kind != "stage_changed"}
                for side in per_side]
        own = set.intersection(*keys) if keys else set()
        for change in per_side[0]:
            if _key(change) in own:
                findings.append(Finding(
                    "merge", True, f"合并时加入了双方都没有的内容：{change.describe()}", change.ref,
                    **_at(commit), before=_plain(change.before), after=_plain(change.after),
                    how=f"运行 git show {commit.id[:8]} 查看合并的改动"))


def _renumbered(side: Ledger, others: list[Ledger | None], merged: Ledger) -> Ledger:
    """The first parent's ledger with the numbers the merge driver gave its problems
    (:mod:`zhengdun.merging`): a number both sides gave to different new problems stays with
    the other parent's (the published one, in ``git pull``), and the clerk's own problem, not
    yet published, takes a number neither parent had. Any other change of number stands."""
    def what(problem: Any) -> tuple[str, date]:
        return problem.title, problem.found_on

    now = {p.id: p for p in merged.problems}
    held = {p.id for ledger in (side, *others) if ledger is not None for p in ledger.problems}
    moved: dict[int, int] = {}
    for problem in side.problems:
        there = now.get(problem.id)
        if there is None or what(there) == what(problem) or not any(
                other is not None and any(p.id == problem.id and what(p) == what(there)
                                          for p in other.problems) for other in others):
            continue
        free = next((p.id for p in merged.problems if p.id not in held
                     and p.id not in moved.values() and what(p) == what(problem)), None)
        if free is not None:
            moved[problem.id] = free
    if not moved:
        return side
    return side.model_copy(update={"problems": [
        p.model_copy(update={"id": moved.get(p.id, p.id)}) for p in side.problems]})


def _key(change: Change) -> str:
    return repr((change.kind, change.ref, change.field, change.text, change.after))


def _config_data(blobs: history.BlobReader, blob: str) -> dict[str, Any]:
    raw = blobs.read(blob)
    if raw is None:
        return {}
    try:
        text, _bom, _nl = store.decode(raw, CONFIG_NAME)
        data = store.parse(text).data
    except UserError:
        return {}
    return data if isinstance(data, dict) else {}


def _config(blobs: history.BlobReader, commit: history.Commit, file: history.FileChange,
            merged: bool = False) -> list[Finding]:
    """Keys of ``zhengdun.yaml`` changed outside zhengdun (a hint; loosening is serious), and
    loosening through ``zhengdun commit`` (a hint)."""
    if file.old == history.ZERO:
        return []  # the workspace being made
    old, new = _config_data(blobs, file.old), _config_data(blobs, file.new)
    outside = commit.action is None or merged
    out = []
    for key in sorted(set(old) | set(new), key=str):
        if old.get(key) == new.get(key):
            continue
        before, after = old.get(key), new.get(key)
        looser = _looser(str(key), before, after)
        if not outside and not looser:
            continue
        how = "合并时" if merged else ("未经 zhengdun " if commit.action is None else "")
        what = f"{how}修改了配置 {key}：{_show(before)} → {_show(after)}"
        if looser:
            what += "，审查规则因此放宽"
        out.append(Finding("loosened" if looser else "config", looser and outside, what,
                           CONFIG_NAME, **_at(commit), before=_plain(before),
                           after=_plain(after),
                           how=f"运行 git show {commit.id[:8]} 查看；不应放宽的，改回后用 zhengdun "
                           "commit 记录" if looser else None))
    return out


def _looser(key: str, before: Any, after: Any) -> bool:
    direction = LOOSER.get(key)
    if direction is None:
        return False
    defaults = {"backfill_days": 7}
    old = before if before is not None else defaults.get(key)
    new = after if after is not None else defaults.get(key)
    if new is None:
        return True  # a pass line removed
    if not isinstance(new, int | float) or not isinstance(old, int | float):
        return old != new
    return (new - old) * direction > 0


def _show(value: Any) -> str:
    return "（无）" if value is None else str(value)


def _evidence_changed(commit: history.Commit, file: history.FileChange,
                      refs: dict[str, list[str]]) -> Finding:
    gone = file.new == history.ZERO
    supports = refs.get(file.path, [])
    whose = f"，它是 {'、'.join(supports)} 的佐证材料" if supports else ""
    ref = supports[0].split("（", 1)[0] if supports else file.path
    return Finding(
        "evidence", bool(supports) or not gone,
        f"提交“{commit.subject}”{'删除' if gone else '替换'}了 {file.path}{whose}", ref,
        **_at(commit), before=file.path, after=None if gone else file.path,
        how=f"原件仍可找回：git show {commit.id[:8]}~1:{file.path} > 文件")


# --------------------------------------------------------------------------- outside the walk


def _rewrites(root: Path, start: datetime | None, zone: ZoneInfo,
              versions: _Versions) -> list[Finding]:
    """HEAD's reflog: a move to a commit that does not contain the previous one (reset, amend,
    rebase) names every commit it dropped, with the way to get it back.

    A never-published commit that the history holds replayed (what ``git pull --rebase`` and
    ``zhengdun sync`` do) is not dropped: git's ``--cherry-pick`` sees most of those, and
    :func:`_replayed` the rest, whose text changed with the records around them or whose new
    problem the merge driver renumbered."""
    moves = [m for m in history.head_moves(root)
             if m.old != history.ZERO and m.old != m.new and not m.what.startswith("checkout:")
             and (start is None or m.when >= start.timestamp())]
    if not moves:
        return []
    here = history.reachable(root)
    seen: set[str] = set()
    published: set[str] | None = None
    out = []
    for move in moves:
        if move.old in here:
            continue
        when = datetime.fromtimestamp(move.when, zone).isoformat()
        replays: list[history.Commit] | None = None
        for lost in history.dropped(root, move.old):
            if lost.id in seen or lost.id in here:
                continue
            seen.add(lost.id)
            record = lost.action is not None or any(
                f.path == CONFIG_NAME or f.path.startswith((f"{LEDGERS}/", f"{EVIDENCE}/"))
                for f in lost.files)
            if record:
                if published is None:
                    published = history.published_not_in(root)
                if replays is None:
                    replays = history.log(root, rev=f"{move.old}..HEAD")
                if lost.id not in published and _replayed(lost, replays, versions):
                    continue
            ref = (lost.trailer(history.TRAILER_REF) or ["（工作区）"])[0]
            out.append(Finding(
                "rewritten", record, f"提交“{lost.subject}”已不在历史中：{when[:16]} HEAD 被"
                f"“{move.what}”从 {move.old[:8]} 移到 {move.new[:8]}", ref, commit=lost.id,
                recorded=lost.committed, author=lost.author, authored=lost.authored,
                before=move.old, after=move.new,
                how=f"它仍可找回：git branch 找回-{lost.id[:8]} {lost.id}，再 git merge "
                f"找回-{lost.id[:8]}"))
    return out


def _replayed(lost: history.Commit, candidates: list[history.Commit],
              versions: _Versions) -> bool:
    """Whether one of ``candidates`` is ``lost`` replayed: the same author, author date and
    message, and the same records made (:func:`_recorded`)."""
    made: list[str] | None = None
    for commit in candidates:
        if (commit.author, commit.email, commit.authored, commit.message) != (
                lost.author, lost.email, lost.authored, lost.message):
            continue
        if made is None:
            made = _recorded(lost, versions)
            if made is None:
                return False
        if _recorded(commit, versions) == made:
            return True
    return False


def _recorded(commit: history.Commit, versions: _Versions) -> list[str] | None:
    """What a commit changed, problems named by what they are (title and date found) rather
    than by number: a problem the merge driver renumbered in a replay is the same record.
    Other files by their content. None when a ledger version cannot be read."""
    out = []
    for file in commit.files:
        slug = _slug(file.path)
        if slug is None:
            out.append(repr(("file", file.path, file.new)))
            continue
        old, new = versions.get(file.old, file.path), versions.get(file.new, file.path)
        if (old is None and file.old != history.ZERO) or (
                new is None and file.new != history.ZERO):
            return None
        names = {p.id: (p.title, p.found_on) for ledger in (old, new) if ledger is not None
                 for p in ledger.problems}
        out += [repr((c.kind, slug, names.get(c.problem) if c.problem is not None else None,
                      c.field, c.before, c.after, c.event_date, c.text))
                for c in ledger_changes(slug, old, new)]
    return sorted(out)


def _remote(root: Path) -> list[Finding]:
    """Published commits (``@{upstream}``) missing from the local history."""
    upstream = history.upstream(root)
    if upstream is None:
        return []
    missing = history.missing_from(root, upstream)
    if not missing:
        return []
    if history.contains(root, "HEAD", upstream):
        return [Finding("behind", False, f"远程已有 {len(missing)} 次提交尚未并入本地历史",
                        "（工作区）", commit=missing[0],
                        how="运行 zhengdun sync（或 git pull）后重新审查")]
    out = []
    for sha in missing:
        found = history.log(root, max_count=1, rev=sha)
        if not found:
            continue
        lost = found[0]
        out.append(Finding(
            "remote", True, f"远程已发布的提交“{lost.subject}”不在本地历史中",
            (lost.trailer(history.TRAILER_REF) or ["（工作区）"])[0], **_at(lost),
            how="若只是尚未同步，运行 zhengdun sync 后重新审查；若是本地回退或改写，"
            "运行 git merge @{upstream} 找回"))
    return out


Verdict = Literal["good", "unsigned", "bad"]


def signing_required(ws: Workspace) -> bool:
    """Whether the workspace requires signed commits: it names its clerks (``clerks:``, the
    sync issue's configuration)."""
    return bool(getattr(ws.config, "clerks", None))


def signature_verdict(root: Path, commit: str, required: bool) -> Verdict | None:
    """A commit's signature: signed by a known clerk, unsigned, or bad; None (no finding) when
    the workspace does not require signed commits. (The clerks' keys and the requirement come
    with the sync issue's ``clerks:`` configuration.)"""
    if not required:
        return None
    code = history.signature(root, commit)
    if code == "G":
        return "good"
    return "unsigned" if code == "N" else "bad"


# --------------------------------------------------------------------------- witnesses


@dataclass(frozen=True)
class Witness:
    """What an issued document says of its source: the ledger commit and its numbers."""

    commit: str
    month: str
    numbers: dict[str, int]


WITNESS_MARK = re.compile(r"<!--\s*zhengdun 台账版本\s+(.*?)\s*-->", re.S)


def read_markdown_witness(path: Path) -> Witness:
    """The mark a Markdown bulletin carries (see the shipped ``bulletin.md.j2``)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UserError(f"无法读取 {path}：{exc.strerror}", "请核对文件路径") from None
    match = WITNESS_MARK.search(text)
    if match is None:
        raise UserError(f"{path} 中没有台账版本标记，不能作为印证",
                        "zhengdun 生成的通报末尾有一行 <!-- zhengdun 台账版本 commit=… -->；"
                        "请用 zhengdun bulletin 生成的文件")
    fields = dict(part.split("=", 1) for part in match[1].split() if "=" in part)
    numbers = {k: int(v) for k, v in fields.items() if v.isdigit()}
    if not re.fullmatch(r"[0-9a-f]{40}", fields.get("commit", "")) or "month" not in fields:
        raise UserError(f"{path} 的台账版本标记不完整（缺少 commit 或 month）",
                        "请用 zhengdun bulletin 重新生成")
    return Witness(fields["commit"], fields["month"], numbers)


def read_docx_witness(path: Path) -> Witness:
    """Seam for the office issue: the commit and numbers a .docx bulletin records."""
    raise UserError(f"{path.name}：暂不支持用 Word 文件印证", "请用 Markdown 通报（.md）")


def read_xlsx_witness(path: Path) -> Witness:
    """Seam for the office issue: the commit and numbers an .xlsx export records."""
    raise UserError(f"{path.name}：暂不支持用 Excel 文件印证", "请用 Markdown 通报（.md）")


READERS = {".md": read_markdown_witness, ".docx": read_docx_witness,
           ".xlsx": read_xlsx_witness}


def witness(ws: Workspace, path: Path) -> dict[str, Any]:
    """Whether the commit an issued document records is in the history, and the ledgers at
    that commit still give the numbers it printed."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise UserError(f"{path.name}：不认识的文件类型，不能作为印证",
                        "可用的：zhengdun bulletin 生成的 .md 文件")
    seen = reader(path)
    name = str(path)
    out: dict[str, Any] = {"file": name, "commit": seen.commit, "month": seen.month,
                           "verified": False, "findings": []}
    if history.resolve_revision(ws.root, seen.commit) is None or not history.contains(
            ws.root, seen.commit):
        out["findings"].append(Finding(
            "witness", True, f"印发的 {path.name}（{seen.month}）记录的台账版本 {seen.commit[:8]} "
            "不在历史中：它出自的记录已被删除或改写", name, commit=seen.commit,
            how="运行 zhengdun audit 查看被改写的提交；找回后重新审查"))
        return out
    from zhengdun.reports import Month, bulletin_context
    from zhengdun.timeline import at

    then = at(ws, seen.commit)
    numbers = bulletin_context(then, Month.parse(seen.month))["totals"]
    for key, printed in sorted(seen.numbers.items()):
        now = numbers.get(key)
        if now != printed:
            out["findings"].append(Finding(
                "witness", True, f"印发的 {path.name}（{seen.month}）中 {key} 为 {printed}，按台账版本 "
                f"{seen.commit[:8]} 计算为 {_show(now)}", name, commit=seen.commit,
                before=printed, after=now, how="核对印发件是否被改动，或当时是否用了未记录的修改"))
    out["verified"] = not out["findings"]
    return out


# --------------------------------------------------------------------------- cli helper


def checked_witnesses(paths: Iterable[str]) -> list[Path]:
    """``--witness`` files, each one that exists."""
    out = []
    for text in paths:
        path = Path(text)
        if not path.is_file():
            raise UserError(f"找不到印证文件 {text}", "请核对文件路径")
        out.append(path)
    return out

