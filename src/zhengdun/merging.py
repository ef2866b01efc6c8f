"""合并: two versions of a ledger merged as data, record by record (git's merge driver).

git merges text line by line: two clerks who each add a visit to the same village, or a
problem, conflict although nothing they recorded contradicts the other. Registered as the merge
driver of ``ledgers/*.yaml`` (:func:`register_merge_driver`, from ``init`` and ``sync``), git
hands this module the common ancestor and the two versions, and the ledger is merged as data:

- lists of records (steps, closures, visits, acceptances, and any list of mappings another
  schema adds) keep every record of both sides, new ones placed in date order (``on:``;
  equal dates: the ancestor's, then ours, then theirs); a record added on both sides alike
  is kept once;
- problems are matched by their ``id``; a problem added on both sides under the same number
  keeps it on the published side and the clerk's unpublished one takes the next free number;
- any other field changed on one side takes that change; changed on both sides to different
  values it is a true conflict, marked in the file with git's markers and explained.

Which side is published: in a merge (``git pull``, ``git merge``) "ours" is the clerk's branch
and "theirs" what was fetched; in a rebase (``git pull --rebase``) git replays the clerk's
commits onto the fetched ones, so "ours" is the published history and "theirs" the clerk's
commit being replayed. :func:`zhengdun.history.unfinished` tells the two apart.

The result is written onto "ours" by the same splicer the recording commands use, so the
clerk's comments and layout on that side stay byte for byte; records from the other side come
in zhengdun's own layout.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from zhengdun import history, store
from zhengdun.errors import UserError

#: The attribute line and the driver's name in the repository config.
ATTRIBUTE = "ledgers/*.yaml merge=zhengdun"
DRIVER = "zhengdun"

_ABSENT: Any = object()  # a key or record one version does not have


def driver_command() -> str:
    """The command git runs for a ledger: this very program, so that it works from a venv."""
    return f"{shlex.quote(sys.executable)} -m zhengdun merge-driver %O %A %B %P"


def register_merge_driver(root: Path) -> None:
    """Make git merge ``ledgers/*.yaml`` with :func:`merge_files`.

    Writes the line ``ledgers/*.yaml merge=zhengdun`` into ``.gitattributes`` (kept if there;
    the caller commits the file) and ``merge.zhengdun.name`` / ``merge.zhengdun.driver`` into
    the repository's own config (``.git/config``: config is never shared by a clone, which is
    why ``init`` and ``sync`` both call this).
    """
    attributes = root / ".gitattributes"
    try:
        text = attributes.read_text(encoding="utf-8") if attributes.exists() else ""
    except (OSError, UnicodeDecodeError):
        raise UserError("无法读取工作区的 .gitattributes（不是 UTF-8 编码的文字，或没有读取权限），"
                        "没有登记台账的合并方式",
                        "请用编辑器把它另存为 UTF-8，或检查它的权限，然后重试") from None
    if ATTRIBUTE not in text.splitlines():
        if text and not text.endswith("\n"):
            text += "\n"
        text += ("# 台账按记录合并（zhengdun merge-driver）：两位同志各自记录的内容都保留\n"
                 f"{ATTRIBUTE}\n")
        store.write_atomic(attributes, text.encode("utf-8"), ".gitattributes")
    history.run(root, "config", f"merge.{DRIVER}.name", "zhengdun 台账按记录合并")
    history.run(root, "config", f"merge.{DRIVER}.driver", driver_command())


# --------------------------------------------------------------------------- the merge


@dataclass(frozen=True)
class Conflict:
    """The same field changed to different values on the two sides."""

    path: store.DataPath  # the mapping holding the field, in the merged data
    key: str
    ours: Any
    theirs: Any


@dataclass
class Merged:
    """The merged data, the edits that turn "ours" into it, and what the clerk is told."""

    data: Any
    edits: list[store.Edit] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    renumbered: list[tuple[int, int]] = field(default_factory=list)  # (was, now)
    rewrite: bool = False  # a field was deleted: the splicer cannot say it, the file is rewritten


def _canon(value: Any) -> str:
    """A value in one line, for the clerk (a list or mapping in a conflict message)."""
    return json.dumps(value, ensure_ascii=False, default=str)


def _day(item: Any) -> str | None:
    """The date a record is ordered by (its ``on:``), as text (ISO dates sort as text)."""
    if isinstance(item, dict):
        on = item.get("on")
        return str(on) if on is not None else None
    return None


def _ident(item: Any) -> int | None:
    if isinstance(item, dict) and type(item.get("id")) is int:
        return int(item["id"])
    return None


class _Merge:
    def __init__(self, unpublished: str) -> None:
        self.unpublished = unpublished  # "ours" or "theirs"
        self.out = Merged(None)

    # ---- values

    def entry(self, path: store.DataPath, key: str, base: Any, ours: Any, theirs: Any) -> Any:
        """The merged value of ``key`` of the mapping at ``path`` (``path`` in ours' places).

        Removed on one side and changed on the other, the changed one stands: a ledger never
        loses a record to a merge.
        """
        if ours == theirs or theirs == base:
            return ours
        if theirs is _ABSENT:
            return ours
        if ours is _ABSENT:
            self.out.edits.append(store.Set(path, key, _written(theirs)))
            return theirs
        if isinstance(ours, dict) and isinstance(theirs, dict) and (
                base is _ABSENT or isinstance(base, dict)):
            return self.mapping((*path, key), {} if base is _ABSENT else base, ours, theirs)
        if isinstance(ours, list) and isinstance(theirs, list) and (
                base is _ABSENT or isinstance(base, list)):
            return self.sequence(path, key, [] if base is _ABSENT else base, ours, theirs)
        if ours == base:
            self.out.edits.append(store.Set(path, key, _written(theirs)))
            return theirs
        self.out.conflicts.append(Conflict(path, key, ours, theirs))
        return ours

    def mapping(self, path: store.DataPath, base: dict[Any, Any], ours: dict[Any, Any],
                theirs: dict[Any, Any]) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key in [*ours, *(k for k in theirs if k not in ours)]:
            value = self.entry(path, key, base.get(key, _ABSENT), ours.get(key, _ABSENT),
                               theirs.get(key, _ABSENT))
            if value is not _ABSENT:
                out[key] = value
            elif key in ours:
                self.out.rewrite = True
        return out

    # ---- lists

    def sequence(self, path: store.DataPath, key: str, base: list[Any], ours: list[Any],
                 theirs: list[Any]) -> list[Any]:
        items = [*base, *ours, *theirs]
        if items and all(_ident(item) is not None for item in items):
            return self.numbered(path, key, base, ours, theirs)
        return self.records(path, key, base, ours, theirs)

    def numbered(self, path: store.DataPath, key: str, base: list[Any], ours: list[Any],
                 theirs: list[Any]) -> list[Any]:
        """Problems: matched by ``id``; a number both sides added for different problems
        stays with the published one."""
        by_base = {_ident(p): p for p in base}
        by_theirs = {_ident(p): p for p in theirs}
        taken = {_ident(p) for p in [*base, *ours, *theirs]}
        merged: list[Any] = []
        incoming: list[Any] = []  # theirs' problems new to ours, in theirs' order
        for index, problem in enumerate(ours):
            number = _ident(problem)
            there = by_theirs.get(number, _ABSENT)
            if number in by_base:
                if there is _ABSENT:  # removed there (by hand): kept unless untouched here
                    if problem == by_base[number]:
                        self.out.rewrite = True
                        continue
                    merged.append(problem)
                    continue
                merged.append(self.mapping((*path, key, index), by_base[number], problem, there))
            elif there is _ABSENT or there == problem:
                merged.append(problem)  # new here only, or the same problem on both sides
            elif self.unpublished == "ours":
                new = max(n for n in taken if n is not None) + 1
                taken.add(new)
                self.out.renumbered.append((number, new))  # type: ignore[arg-type]
                self.out.edits.append(store.Set((*path, key, index), "id", new))
                merged.append({**problem, "id": new})
                incoming.append(there)
            else:
                merged.append(problem)
                new = max(n for n in taken if n is not None) + 1
                taken.add(new)
                self.out.renumbered.append((number, new))  # type: ignore[arg-type]
                incoming.append({**there, "id": new})
        held = {_ident(p) for p in merged} | {_ident(p) for p in incoming}
        for problem in theirs:
            number = _ident(problem)
            if number not in by_base and number not in held:
                incoming.append(problem)
        incoming = [p for p in incoming if _ident(p) not in by_base]
        return self.insert(path, key, merged, incoming, _ident)

    def records(self, path: store.DataPath, key: str, base: list[Any], ours: list[Any],
                theirs: list[Any]) -> list[Any]:
        """Any other list: the records of both sides, each once, new ones in date order."""
        ours_of = _align(base, ours)
        theirs_of = _align(base, theirs)
        origin_of = {o: b for b, o in ours_of.items()}
        merged: list[Any] = []
        incoming: list[Any] = []
        for index, item in enumerate(ours):
            origin = origin_of.get(index)
            if origin is None:
                merged.append(item)  # new here
                continue
            there = theirs[theirs_of[origin]] if origin in theirs_of else _ABSENT
            was = base[origin]
            if there is _ABSENT:
                if item == was:
                    self.out.rewrite = True  # removed there, untouched here
                    continue
                merged.append(item)
            elif isinstance(item, dict) and isinstance(there, dict) and isinstance(was, dict):
                merged.append(self.mapping((*path, key, index), was, item, there))
            elif there == was or item == there:
                merged.append(item)
            elif item == was:
                self.out.rewrite = True  # no edit names a plain list item: written anew
                merged.append(there)
            else:  # a plain item changed both ways: both versions kept
                merged.append(item)
                incoming.append(there)
        for origin, index in theirs_of.items():
            if origin not in ours_of and theirs[index] != base[origin]:
                incoming.append(theirs[index])  # removed here, changed there: it stands
        mine = [item for i, item in enumerate(ours) if i not in origin_of]
        matched = set(theirs_of.values())
        for i, item in enumerate(theirs):
            if i in matched:
                continue
            twin = next((m for m in mine if m == item), None)
            if twin is not None:
                mine.remove(twin)  # the same record made on both sides: kept once
                continue
            incoming.append(item)
        return self.insert(path, key, merged, incoming, _day)

    def insert(self, path: store.DataPath, key: str, merged: list[Any], incoming: list[Any],
               order: Any) -> list[Any]:
        """Put ``incoming`` into ``merged`` (ours' items), each after the last item that comes
        no later by ``order``; one edit for each place in ours' list that receives items."""
        if not incoming:
            return merged
        result: list[tuple[int | None, Any]] = list(enumerate(merged))
        for item in incoming:
            at = len(result)
            mine = order(item)
            if mine is not None:
                at = 0
                for position in range(len(result) - 1, -1, -1):
                    other = order(result[position][1])
                    if other is None or other <= mine:
                        at = position + 1
                        break
            result.insert(at, (None, item))
        full = [_written(item) for _, item in result]
        waiting: list[Any] = []
        edits: list[store.Edit] = []
        for owner, item in [*result, (len(merged), None)]:
            if owner is None:
                waiting.append(_written(item))
            elif waiting:
                edits.append(store.Insert(path, key, owner, tuple(waiting), full))
                waiting = []
        # the last place first: each edit's index counts ours' items, which the ones before
        # it have not moved yet
        self.out.edits += reversed(edits)
        return [item for _, item in result]


def _align(base: list[Any], side: list[Any]) -> dict[int, int]:
    """Which item of ``side`` each item of ``base`` became (absent: removed there).

    Equal items match in order (difflib); of the others, a base item and a side item at the
    same place match when they share a field (a closure that was later reopened).
    """
    def key(item: Any) -> str:
        return json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)

    matcher = SequenceMatcher(None, [key(b) for b in base], [key(s) for s in side],
                              autojunk=False)
    out: dict[int, int] = {}
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.update({i1 + k: j1 + k for k in range(i2 - i1)})
        elif tag == "replace":
            free = list(range(j1, j2))
            for i in range(i1, i2):
                match = next((j for j in free if _akin(base[i], side[j])), None)
                if match is not None:
                    out[i] = match
                    free = [j for j in free if j > match]
    return out


def _akin(old: Any, new: Any) -> bool:
    """Whether ``new`` is ``old`` with fields changed or added (not another record)."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return False
    shared = [k for k in old if k in new and old[k] == new[k]]
    return bool(shared) and (_day(old) is None or _day(old) == _day(new))


def _written(value: Any) -> Any:
    """Parsed data as the splicer should write it: an ISO date as a date, not quoted text."""
    from datetime import date

    if isinstance(value, dict):
        return {k: _written(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_written(v) for v in value]
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def merge_data(base: Any, ours: Any, theirs: Any, unpublished: str = "ours") -> Merged:
    """Three-way merge of three parsed ledgers; ``unpublished``: the side whose new problem
    numbers may change ("ours" in a merge, "theirs" in a rebase)."""
    merger = _Merge(unpublished)
    if not all(isinstance(v, dict) for v in (ours, theirs)):
        merger.out.data = ours
        if ours != theirs:
            merger.out.conflicts.append(Conflict((), "", ours, theirs))
        return merger.out
    merger.out.data = merger.mapping((), base if isinstance(base, dict) else {}, ours, theirs)
    return merger.out


# --------------------------------------------------------------------------- the driver

def _where(slug: str, data: Any, conflict: Conflict) -> str:
    """The conflict as the clerk refers to it: 村(社区)/编号 and the field (the models' names
    for fields, imported only when there is a conflict to tell)."""
    from zhengdun.model import label

    path = conflict.path
    ref = slug
    rest: store.DataPath = path
    if len(path) >= 2 and path[0] == "problems" and isinstance(path[1], int):
        with contextlib.suppress(KeyError, IndexError, TypeError):
            ref = f"{slug}/{data['problems'][path[1]]['id']}"
        rest = path[2:]
    return f"{ref} 的{label((*rest, conflict.key))}（{conflict.key}）"


def _new_errors(root: Path, shown: str, merged: Any, sides: Sequence[Any]) -> list[str]:
    """What ``check`` would find wrong with the merge and with neither side: two records
    that each stood alone and do not stand together (both sides closed the same problem; a
    合格 acceptance on one side, a problem found before it on the other)."""
    from pydantic import ValidationError

    from zhengdun.model import Ledger, label, ledger_findings
    from zhengdun.workspace import Workspace, load_config

    try:
        ws = Workspace(root, load_config(root))
    except UserError:
        return []  # no readable config (it may be merging too): check will tell

    def errors(data: Any) -> set[tuple[str, str]]:
        try:
            ledger = Ledger.model_validate(data)
        except ValidationError:
            return {("", "格式不对")}
        return {(label(f.path), f.message) for f in ledger_findings(
            ledger, ws.config, ws.today(), ws.evidence_problem) if f.severity == "error"}

    found = errors(merged)
    if not found:
        return []  # the usual case: the sides need no second look
    # placed by where they are: a side's finding may read differently once merged ("21号" and
    # "21号、22号"), and is not the merge's doing
    before = {where for side in sides for where, _ in errors(side)}
    return [f"{where}：{message}" if where else message
            for where, message in sorted(found) if where not in before]


def _shown(value: Any) -> str:
    if value is None or value is _ABSENT:
        return "（没有这一项）"
    if isinstance(value, dict | list):
        return _canon(value)
    return str(value)


@dataclass
class DriverResult:
    """What :func:`merge_files` did: the exit code for git and the lines for stderr."""

    code: int
    said: list[str]


def merge_files(root: Path, base: Path, ours: Path, theirs: Path, shown: str) -> DriverResult:
    """git's merge driver for one ledger: writes the merge onto ``ours``.

    0: merged. 1: a true conflict, left in ``ours`` with git's markers on the fields in
    question, each explained in ``said``; or files that cannot be read as data, merged line
    by line by git instead (``git merge-file``).
    """
    busy = history.unfinished(root) or history.MERGING
    unpublished = "theirs" if busy.kind == "rebase" else "ours"
    slug = Path(shown).stem
    try:
        docs = [store.read(p, shown) for p in (base, ours, theirs)]
        parsed = [d.parse(keep=i == 1).data for i, d in enumerate(docs)]
    except UserError:
        return DriverResult(history.merge_file(root, ours, base, theirs)[0], [
            f"{shown}：有一个版本不是可以读取的台账，已由 git 逐行合并"])
    merged = merge_data(parsed[0], parsed[1], parsed[2], unpublished)
    labels = ("已发布的记录", "本机尚未发布的记录")
    if unpublished == "ours":
        labels = labels[::-1]
    text = _text(docs[1], merged)
    if not merged.conflicts and _comments_only_there(docs):
        # Their comments too, where git's line merge gives the same data: the splice keeps
        # only ours' (in a rebase, the published side's, not the clerk's).
        code, lines = history.merge_file(root, ours, base, theirs, show=True)
        with contextlib.suppress(UserError, UnicodeDecodeError):
            if code == 0 and store.parse(lines.decode("utf-8")).data == merged.data:
                text = lines.decode("utf-8")
    said = [f"{slug}/{was} 已改为 {slug}/{now}：另一位同志已先记录 {slug}/{was}"
            for was, now in merged.renumbered]
    if merged.conflicts:
        text = store.mark_conflicts(text, [(c.path, c.key, _written(c.theirs))
                                           for c in merged.conflicts
                                           if c.key], labels)
        said.append(f"{shown} 有 {len(merged.conflicts)} 处两边改得不一样，需要决定保留哪一个：")
        said += [f"  {_where(slug, merged.data, c)}：{labels[0]}为“{_shown(c.ours)}”，"
                 f"{labels[1]}为“{_shown(c.theirs)}”" for c in merged.conflicts]
        said.append(history.conflict_hint(root, [shown], busy))
    # Only a merge that combined both sides' changes can make a ledger that neither side was
    broken = [] if merged.conflicts or merged.data in (parsed[1], parsed[2]) else \
        _new_errors(root, shown, merged.data, parsed[1:])
    if broken:
        said.append(f"{shown} 两边的记录各自没有问题，合在一起却通不过 zhengdun check，"
                    "需要决定怎样记录：")
        said += [f"  {slug}：{line}" for line in broken]
        said.append(f"合并的结果已写入 {shown}（两边的记录都在）：用编辑器改正后运行 zhengdun check "
                    f"确认；然后{history.settle_hint(root, [shown], busy)}")
    ours.write_bytes(docs[1].encode(text))  # git's own temporary file, read back at once
    return DriverResult(1 if merged.conflicts or broken else 0, said)


def _comments_only_there(docs: Sequence[store.Document]) -> bool:
    """Whether "theirs" has comment lines that neither the ancestor nor "ours" has."""
    base, ours, theirs = (d.text for d in docs)
    if "#" not in theirs or theirs == base:
        return False
    known = set(base.splitlines()) | set(ours.splitlines())
    return any("#" in line and line not in known for line in theirs.splitlines())


def _text(ours: store.Document, merged: Merged) -> str:
    """The merged ledger's text: ours' text with the edits spliced in."""

    def same(data: Any) -> bool:
        return bool(data == merged.data)

    if not merged.edits and not merged.rewrite:
        return ours.text
    if not merged.rewrite:
        try:
            return store.apply_edits(ours, merged.edits, same)
        except UserError:
            pass
    return store.rewrite(ours, _written(merged.data), same)


def run_driver(args: Sequence[str]) -> int:
    """``zhengdun merge-driver BASE OURS THEIRS PATH``, as git runs it (in the work tree)."""
    base, ours, theirs, shown = args
    root = Path.cwd()
    result = merge_files(root, Path(base), Path(ours), Path(theirs), shown)
    if result.said:
        sys.stderr.write("\n".join(result.said) + "\n")
    return result.code
