"""``zhengdun migrate``: rewrite a workspace of the first format (schema_version 1) as the
second (2: campaign rounds, 批次), in one commit, every recorded event and comment kept.

A v1 ledger holds one designation (``designated_on``, ``categories``, ``responsibility`` at
the top); v2 keeps a list of designations, one per round, and tags every problem, visit and
acceptance with its round. Migrating puts the v1 designation, with its forces, as the first
round's, and tags everything with that round; the config gets ``rounds:`` naming it.

:func:`upgrade_ledger` is the one statement of that change. It works on plain data (the
history readers see old commits through it, so ``diff`` across the migration shows nothing
lost) and on ruamel.yaml's round-trip document (the files are rewritten with their comments).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from zhengdun import history, interrupts, place, store
from zhengdun.errors import UserError
from zhengdun.model import SCHEMA_VERSION, Config, Ledger
from zhengdun.place import CONFIG_NAME, LEDGERS

#: The keys of a v1 ledger that make up its one designation, in the order v2 writes them.
_DESIGNATION_KEYS = {"designated_on": "on", "categories": "categories",
                     "responsibility": "responsibility"}


def _insert(mapping: MutableMapping[str, Any], position: int, key: str, value: Any) -> None:
    """Put ``key`` at ``position`` among the keys (a ruamel map has ``insert``; a dict is
    rebuilt in the same order)."""
    insert = getattr(mapping, "insert", None)
    if insert is not None:
        insert(position, key, value)
        return
    items = list(mapping.items())
    items.insert(position, (key, value))
    mapping.clear()
    mapping.update(items)


def _move_comment(source: Any, key: str, target: Any, new_key: str) -> None:
    """A comment written on ``key``'s line goes with it (ruamel keeps comments by key)."""
    source_ca = getattr(source, "ca", None)
    target_ca = getattr(target, "ca", None)
    if source_ca is not None and target_ca is not None and key in source_ca.items:
        target_ca.items[new_key] = source_ca.items.pop(key)


def upgrade_ledger(data: MutableMapping[str, Any], round_name: str,
                   make_map: Callable[[], MutableMapping[str, Any]] = dict,
                   make_list: Callable[[list[Any]], Any] = list,
                   text: Callable[[str], Any] = str) -> None:
    """v1 → v2 of one ledger, in place: its designation becomes round ``round_name``'s, and
    every problem, visit and acceptance is tagged with that round. Nothing else changes."""
    keys = list(data)
    position = min((keys.index(k) for k in _DESIGNATION_KEYS if k in data), default=len(keys))
    designation = make_map()
    designation["round"] = text(round_name)
    for old, new in _DESIGNATION_KEYS.items():
        if old in data:
            designation[new] = data[old]
            _move_comment(data, old, designation, new)
            del data[old]
    _insert(data, position, "designations", make_list([designation]))
    data["schema_version"] = SCHEMA_VERSION
    for problem in data.get("problems") or []:
        if isinstance(problem, MutableMapping) and "round" not in problem:
            _insert(problem, 1 if next(iter(problem), None) == "id" else 0,
                    "round", text(round_name))
    for key in ("visits", "acceptances"):
        for item in data.get(key) or []:
            if isinstance(item, MutableMapping) and "round" not in item:
                _insert(item, 0, "round", text(round_name))


def upgrade_config(data: MutableMapping[str, Any], rounds: list[dict[str, Any]],
                   make_map: Callable[[], MutableMapping[str, Any]] = dict,
                   make_list: Callable[[list[Any]], Any] = list,
                   text: Callable[[str], Any] = str) -> None:
    """v1 → v2 of ``zhengdun.yaml``, in place: ``rounds:`` after the timezone (or the 文号
    prefix), the version 2."""
    data["schema_version"] = SCHEMA_VERSION
    keys = list(data)
    after = next((k for k in ("timezone", "doc_prefix", "issuer", "county") if k in data), None)
    items = []
    for item in rounds:
        entry = make_map()
        for key, value in item.items():
            entry[key] = text(value) if isinstance(value, str) else value
        items.append(entry)
    _insert(data, keys.index(after) + 1 if after else len(keys), "rounds", make_list(items))


def first_round_name(ledgers: list[Any]) -> str:
    """The round a v1 workspace's designations become: the year of the earliest one (a v1
    workspace holds one campaign)."""
    days = [_day(d.get("designated_on")) for d in ledgers if isinstance(d, dict)]
    known = [d for d in days if d is not None]
    return str(min(known).year) if known else str(date.today().year)


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def readable_old_ledger(data: Any) -> Any:
    """A ledger's data as the current model reads it: a v1 file upgraded in memory (its round
    named by the year of its designation, as :func:`first_round_name` names it)."""
    if isinstance(data, dict) and data.get("schema_version") == 1:
        upgrade_ledger(data, first_round_name([data]))
    return data


# --------------------------------------------------------------------------- the command


@dataclass
class FileChange:
    """One file migrate rewrites: its text before and after."""

    rel: str
    before: str
    after: str
    raw: bytes
    doc: store.Document

    def diff(self) -> list[str]:
        """The change as unified-diff lines."""
        return list(difflib.unified_diff(self.before.splitlines(), self.after.splitlines(),
                                         f"a/{self.rel}", f"b/{self.rel}", lineterm="", n=1))


@dataclass
class Migration:
    """What migrate did (or would do): the files, the round, the commit."""

    round: str | None
    files: list[FileChange] = field(default_factory=list)
    commit: str | None = None
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {"dry_run": self.dry_run, "round": self.round, "commit": self.commit,
                "files": [{"file": f.rel, "diff": f.diff()} for f in self.files]}


def _ruamel_upgrade(fn: Callable[..., None], *args: Any,
                    ) -> Callable[[Any, store.RoundTrip], None]:
    def change(document: Any, build: store.RoundTrip) -> None:
        fn(document, *args, make_map=build.new_map, make_list=build.new_list, text=build.quoted)

    return change


def plan(root: Path, round_name: str | None = None) -> Migration:
    """Every v1 file of the workspace at ``root`` and its v2 text, checked: the new file reads
    as v2 and holds exactly what the old one held (every event, in order)."""
    config_doc = store.read(root / CONFIG_NAME, CONFIG_NAME)
    config_data = config_doc.parse().data
    if not isinstance(config_data, dict):
        raise UserError(f"{CONFIG_NAME} 的内容格式不对，无法迁移", "请先修正配置文件")
    ledger_docs = [(p, store.read(p, f"{LEDGERS}/{p.name}"))
                   for p in store.iter_ledger_paths(root / LEDGERS)]
    old_ledgers = [(p, d, d.parse().data) for p, d in ledger_docs]
    v1 = [(p, d, data) for p, d, data in old_ledgers
          if isinstance(data, dict) and data.get("schema_version") == 1]
    config_v1 = config_data.get("schema_version") == 1
    if round_name is None:
        rounds = config_data.get("rounds") if not config_v1 else None
        if isinstance(rounds, list) and rounds and isinstance(rounds[0], dict):
            round_name = str(rounds[0].get("name"))
        else:
            round_name = first_round_name([data for _, _, data in v1])
    elif not round_name.strip():
        raise UserError("批次名称不能为空", "例如 --round 2026")
    migration = Migration(round_name)
    if config_v1:
        start = min((d for _, _, data in v1 if (d := _day(data.get("designated_on")))),
                    default=None)
        year = start.year if start is not None else date.today().year
        rounds_data = [{"name": round_name, "start": date(year, 1, 1)}]
        after = store.round_trip(config_doc.text, _ruamel_upgrade(upgrade_config, rounds_data))
        try:
            Config.model_validate(store.parse(after).data)
        except ValidationError as exc:
            raise UserError(f"{CONFIG_NAME} 迁移后无法读取：{exc.errors()[0]['msg']}",
                            "请先修正配置文件的错误，再运行 zhengdun migrate") from None
        migration.files.append(FileChange(CONFIG_NAME, config_doc.text, after, config_doc.raw,
                                          config_doc))
    elif config_data.get("schema_version") == 2 and round_name not in [
            str(r.get("name")) for r in config_data.get("rounds") or [] if isinstance(r, dict)]:
        raise UserError(f"批次“{round_name}”不在 {CONFIG_NAME} 的整顿批次中",
                        "请写配置中已有的批次，或先把它写入 rounds")
    for path, doc, data in v1:
        rel = f"{LEDGERS}/{path.name}"
        after = store.round_trip(doc.text, _ruamel_upgrade(upgrade_ledger, round_name))
        expected = dict(data)
        upgrade_ledger(expected, round_name)
        try:
            same = Ledger.model_validate(store.parse(after).data) == \
                Ledger.model_validate(expected)
        except ValidationError as exc:
            raise UserError(f"{rel} 有格式错误，无法迁移：{exc.errors()[0]['msg']}",
                            f"请先修正 {rel}（对照 docs/ledger-format.md 的第1版格式），"
                            "再运行 zhengdun migrate") from None
        if not same:  # pragma: no cover - safety: the round trip must not lose a record
            raise UserError(f"内部错误：{rel} 迁移后的内容与原文件不一致，未迁移")
        migration.files.append(FileChange(rel, doc.text, after, doc.raw, doc))
    return migration


def migrate(directory: Path | None, dry_run: bool = False,
            round_name: str | None = None) -> Migration:
    """迁移: rewrite every v1 file as v2 in one commit (``dry_run``: only say what changes)."""
    root = place.find_root(directory)
    with place.lock(root):
        history.preflight(root)
        dirty = [s.path for s in history.status(root, [CONFIG_NAME, LEDGERS])]
        if dirty:
            raise UserError(f"工作区有未记录的修改：{'、'.join(dirty[:10])}，迁移前需要先处理",
                            "请用 git commit 记录这些修改，或用 git checkout -- 文件 放弃，"
                            "再运行 zhengdun migrate")
        migration = plan(root, round_name)
        migration.dry_run = dry_run
        if dry_run or not migration.files:
            return migration
        interrupts.hold()
        written: list[FileChange] = []
        try:
            for change in migration.files:
                store.write_atomic(root / change.rel, change.doc.encode(change.after), change.rel)
                written.append(change)
            summary = f"台账格式升级到第{SCHEMA_VERSION}版（整顿批次 {migration.round}）"
            migration.commit = history.commit(root, [f.rel for f in migration.files],
                                              history.message("migrate", "workspace", summary))
        except BaseException:
            for change in written:
                store.restore(root / change.rel, change.raw, change.rel)
            raise
    return migration
