"""The workspace: finding it, its config, its ledger files, and turning text into models.

Everything that reads a file into a model goes through :func:`validate_ledger` or
:func:`load_config`, which turn parse errors and pydantic's ``ValidationError`` into
:class:`Located` findings that point at the YAML line.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from zhengdun import cache, clock, place, store
from zhengdun.errors import DataError, UserError
from zhengdun.model import FIELD_LABELS, Config, Finding, Ledger, label
from zhengdun.place import CONFIG_NAME, LEDGERS, SLUG_RE, find_root

M = TypeVar("M", Ledger, Config)


@dataclass(frozen=True)
class Located:
    """A finding placed in a file: ``path:line:col: message``, with the line's text."""

    file: str
    line: int | None
    column: int | None
    message: str
    hint: str | None = None
    severity: str = "error"
    excerpt: str | None = None

    def where(self) -> str:
        """``file:line:col`` (as much as is known)."""
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.column or 1}"

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {"file": self.file, "line": self.line, "column": self.column,
                "severity": self.severity, "message": self.message, "hint": self.hint}


@dataclass
class Workspace:
    """A zhengdun workspace: a git repository with ``zhengdun.yaml`` at its root."""

    root: Path
    config: Config
    fixed_today: date | None = None  # replaying history (demo) judges "today" by the event
    revision: str | None = None  # read the ledgers as committed here (``--at``), not the files
    config_raw: bytes | None = None  # the bytes of zhengdun.yaml, when read from the folder

    @property
    def ledgers_dir(self) -> Path:
        return self.root / LEDGERS

    def ledger_path(self, slug: str) -> Path:
        """``ledgers/<slug>.yaml``."""
        return self.ledgers_dir / f"{slug}.yaml"

    def rel(self, path: Path) -> str:
        """A path relative to the workspace, with forward slashes (as git and files show it)."""
        return path.relative_to(self.root).as_posix()

    def today(self) -> date:
        """Today in the workspace timezone."""
        if self.fixed_today is not None:
            return self.fixed_today
        return clock.today(self.config.timezone)

    def slugs(self) -> list[str]:
        """Every organization's slug, in name order."""
        if self.revision is not None:
            return sorted(self._committed())
        return [p.stem for p in store.iter_ledger_paths(self.ledgers_dir)]

    def _committed(self) -> dict[str, str]:
        """slug → blob id of every ledger at ``revision``."""
        from zhengdun.history import tree_files

        assert self.revision is not None
        files = tree_files(self.root, self.revision, LEDGERS)
        return {path[len(LEDGERS) + 1:-5]: blob for path, blob in files.items()
                if path.endswith(".yaml") and path.count("/") == 1
                and not path.rsplit("/", 1)[1].startswith(".")}

    def documents(self, slugs: list[str] | None = None) -> list[tuple[str, store.Document]]:
        """The ledger files (all, or these slugs) as documents, from disk or from ``revision``."""
        if self.revision is None:
            paths = ([self.ledger_path(s) for s in slugs] if slugs is not None
                     else list(store.iter_ledger_paths(self.ledgers_dir)))
            return [(p.stem, store.read(p, self.rel(p))) for p in paths]
        from zhengdun.history import read_blobs

        committed = self._committed()
        wanted = slugs if slugs is not None else sorted(committed)
        blobs = read_blobs(self.root, [committed[s] for s in wanted if s in committed])
        out = []
        for slug in wanted:
            if slug not in committed:
                raise UserError(f"{self.revision[:8]} 时还没有 {LEDGERS}/{slug}.yaml")
            path = self.ledger_path(slug)
            text, bom, newline = store.decode(blobs[committed[slug]], self.rel(path))
            out.append((slug, store.Document(path, blobs[committed[slug]], text, bom, newline)))
        return out

    def lock(self) -> AbstractContextManager[None]:
        """The workspace lock (see :func:`zhengdun.place.lock`)."""
        return place.lock(self.root)

    def evidence_problem(self, item: str) -> str | None:
        """Why an evidence path written in a file is not acceptable (None when it is)."""
        return place.evidence_problem(self.root, item)

    def evidence_ref(self, typed: str, cwd: Path | None = None) -> str:
        """The workspace-relative path of an evidence file the clerk named on the command line."""
        return place.evidence_ref(self.root, typed, cwd)


def find(start: Path | None = None) -> Workspace:
    """The workspace containing ``start`` (default: the current folder), found like git does."""
    root = find_root(start)
    doc = store.read(root / CONFIG_NAME, CONFIG_NAME)
    return Workspace(root, _config(doc), config_raw=doc.raw)


def load_config(root: Path) -> Config:
    """Read and validate ``zhengdun.yaml``."""
    return _config(store.read(root / CONFIG_NAME, CONFIG_NAME))


def _config(doc: store.Document) -> Config:
    model, findings = validate(doc, Config, CONFIG_NAME)
    if model is None:
        raise DataError(f"配置文件 {CONFIG_NAME} 有错误", findings,
                        "请修正后再运行；zhengdun check 会列出全部问题")
    return model


# --------------------------------------------------------------------------- validation

_MESSAGES = {
    "string_type": "应为文字，现为 {input!r}",
    "int_type": "应为整数，现为 {input!r}",
    "int_parsing": "应为整数，现为 {input!r}",
    "int_from_float": "应为整数，现为 {input!r}",
    "float_type": "应为数字，现为 {input!r}",
    "float_parsing": "应为数字，现为 {input!r}",
    "list_type": "应为列表（每项一行，以“- ”开头）",
    "dict_type": "应为“键: 值”形式的内容",
    "model_type": "应为“键: 值”形式的内容",
    "model_attributes_type": "应为“键: 值”形式的内容",
}


def _pydantic_message(error: Any) -> tuple[str, str | None]:
    kind = error["type"]
    loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    value = error.get("input")
    hint: str | None = None
    if kind == "missing":
        key = loc[-1]
        return f"缺少“{FIELD_LABELS.get(str(key), key)}”（{key}）", None
    if kind == "extra_forbidden":
        return f"未知的键“{loc[-1]}”", "请检查拼写；台账文件的键见 docs/ledger-format.md"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", "、")
        if loc and loc[-1] == "schema_version":
            return (f"格式版本应为 {expected}，现为 {value!r}",
                    "此文件可能由更新版本的 zhengdun 写成，请升级 zhengdun")
        return f"应为 {expected} 之一，现为 {value!r}", None
    if kind == "code_spelling":
        spelling = ctx.get("spelling", "")
        return (str(error.get("msg", "")),
                f"请加引号，写成 \"{spelling}\"；如果本来就是 {ctx.get('number', '')}，直接写数字")
    if kind in ("too_short", "string_too_short"):
        if isinstance(value, list):
            return "至少要有一项", None
        return "不能为空", None
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = next(iter(ctx.values()), "")
        words = {"greater_than": "应大于", "greater_than_equal": "应不小于",
                 "less_than": "应小于", "less_than_equal": "应不大于"}[kind]
        return f"{words} {bound}，现为 {value!r}", None
    if kind in _MESSAGES:
        if kind == "string_type" and value is not None:
            hint = "如果这里本来就是文字（例如 010、no、on、1:20），请给它加上双引号"
        return _MESSAGES[kind].format(input=value), hint
    text = str(error.get("msg", ""))
    text = text.removeprefix("Value error, ")
    return text, hint


def _excerpt(text: str, line: int | None) -> str | None:
    if line is None:
        return None
    lines = text.splitlines()
    if 1 <= line <= len(lines):
        return lines[line - 1]
    return None


def _place(parsed: store.Parsed | None, path: tuple[Any, ...], key: bool = False,
           ) -> tuple[int | None, int | None]:
    if parsed is None:
        return None, None
    table = parsed.key_marks if key else parsed.marks
    probe = tuple(path)
    while probe:
        if probe in table:
            line, column = table[probe]
            return line + 1, column + 1
        if probe in parsed.marks:
            line, column = parsed.marks[probe]
            return line + 1, column + 1
        probe = probe[:-1]
    if () in parsed.marks:
        return 1, 1
    return None, None


def locate(doc: store.Document, display: str, findings: list[Finding],
           parsed: store.Parsed | None = None) -> list[Located]:
    """Place model findings (data paths) on the file's lines."""
    if not findings:
        return []  # nothing to place: no second parse for marks
    if parsed is None or not parsed.marks:
        try:
            parsed = doc.parse(marks=True)
        except store.YamlError:
            parsed = None
    out = []
    for finding in findings:
        line, column = _place(parsed, finding.path)
        where = label(finding.path)
        message = f"{where}：{finding.message}" if where else finding.message
        out.append(Located(display, line, column, message, finding.hint, finding.severity,
                           _excerpt(doc.text, line)))
    return out


def validate(doc: store.Document, model: type[M], display: str, keep: bool = False,
             committed: bool = False) -> tuple[M | None, list[Located]]:
    """Parse and validate a file; on failure return every finding, placed on its line.

    ``keep``: the document remembers its parse, for the edit that follows. ``committed``: a
    ledger as an earlier commit holds it (``--at``): one of the first format from before
    ``zhengdun migrate`` is read as migrate rewrote it, not refused.
    """
    try:
        parsed = doc.parse(keep=keep)
    except store.YamlError as exc:
        return None, [Located(display, exc.line, exc.column, exc.message, exc.hint, "error",
                              _excerpt(doc.text, exc.line))]
    if isinstance(parsed.data, dict):
        from zhengdun.rules import old_schema_refusal

        old = old_schema_refusal(parsed.data.get("schema_version"), display)
        if old is not None and committed and model is Ledger:
            from zhengdun.migrate import readable_old_ledger

            readable_old_ledger(parsed.data)
        elif old is not None:
            raise UserError(old.message, old.hint)
    if not isinstance(parsed.data, dict):
        return None, [Located(display, 1, 1, "文件内容应为“键: 值”形式的台账，现在是空的或格式不对",
                              "请参照 docs/ledger-format.md 或用 zhengdun org add 新建")]
    try:
        return model.model_validate(parsed.data), []
    except ValidationError as exc:
        marked = doc.parse(marks=True)
        found = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            message, hint = _pydantic_message(error)
            where = label(loc) if error["type"] not in ("missing",) else label(loc[:-1])
            text = f"{where}：{message}" if where else message
            line, column = _place(marked, loc, key=error["type"] == "extra_forbidden")
            found.append(Located(display, line, column, text, hint, "error",
                                 _excerpt(doc.text, line)))
        return None, found


@dataclass
class LoadedLedger:
    """A ledger file as read: the document (for editing) and the validated model."""

    slug: str
    doc: store.Document
    ledger: Ledger


def load_ledger(ws: Workspace, slug: str) -> LoadedLedger:
    """Read and validate one ledger; a broken file is refused with its findings."""
    path = ws.ledger_path(slug)
    display = ws.rel(path)
    doc = ws.documents([slug])[0][1] if ws.revision is not None else store.read(path, display)
    ledger, findings = validate(doc, Ledger, display, keep=True,
                                committed=ws.revision is not None)
    if ledger is None:
        raise DataError(f"{display} 有格式错误，无法读取", findings,
                        f"请修正后再运行（zhengdun check 会列出全部问题），"
                        f"或运行 git checkout -- {display} 恢复到上次记录的状态")
    return LoadedLedger(slug, doc, ledger)


def load_all(ws: Workspace) -> list[LoadedLedger]:
    """Every ledger, validated; any broken file stops the report with all findings."""
    loaded: list[LoadedLedger] = []
    broken: list[Located] = []
    if ws.revision is not None:
        documents = ws.documents()
    else:
        documents = []
        for path in store.iter_ledger_paths(ws.ledgers_dir):
            try:
                documents.append((path.stem, store.read(path, ws.rel(path))))
            except store.YamlError as exc:
                broken.append(Located(ws.rel(path), exc.line, exc.column, exc.message, exc.hint))
    models = cache.models_folder(ws.root)
    for slug, doc in documents:
        blob = cache.blob_id(doc.raw) if models is not None else ""
        kept = cache.get_model(models, blob)
        if isinstance(kept, Ledger):
            loaded.append(LoadedLedger(slug, doc, kept))
            continue
        display = ws.rel(doc.path)
        ledger, findings = validate(doc, Ledger, display, committed=ws.revision is not None)
        if ledger is None:
            broken += findings
        else:
            cache.put_model(models, blob, ledger)
            loaded.append(LoadedLedger(slug, doc, ledger))
    if broken:
        raise DataError("有台账文件格式错误，统计结果会不准确，已停止", broken,
                        "请先运行 zhengdun check 并修正这些文件")
    return loaded


# --------------------------------------------------------------------------- references


def resolve_org(ws: Workspace, text: str) -> str:
    """The slug an ORG reference means: a slug, a Chinese name, or a unique prefix of either."""
    wanted = text.strip()
    if not wanted:
        raise UserError("没有指定村(社区)", "请写村(社区)名称或其拼音简称，例如 城东社区 或 chengdong")
    if ws.revision is not None:
        return _resolve_in(ws, wanted, [(s, str(d.parse().data.get("name", "")))
                                        for s, d in ws.documents()])
    if SLUG_RE.fullmatch(wanted) and ws.ledger_path(wanted).is_file():
        return wanted
    entries = []
    for path in store.iter_ledger_paths(ws.ledgers_dir):
        name = store.peek_top_scalar(path, "name")
        if name is None:
            try:
                data = store.load_data(path)
                name = str(data.get("name", "")) if isinstance(data, dict) else ""
            except UserError:
                name = ""
        entries.append((path.stem, name))
    return _resolve_in(ws, wanted, entries)


def _resolve_in(ws: Workspace, wanted: str, entries: list[tuple[str, str]]) -> str:
    if any(slug == wanted for slug, _ in entries):
        return wanted
    from zhengdun.wording import name_key

    # Compared as names are (wording.name_key): a hand-written "name:  城东社区" or one with a
    # zero-width space pasted in is still found as 城东社区.
    key = name_key(wanted)
    exact = [slug for slug, name in entries if name_key(name) == key]
    if len(exact) == 1:
        return exact[0]
    matches = exact or [slug for slug, name in entries
                        if slug.startswith(wanted) or (name and name_key(name).startswith(key))]
    if len(matches) == 1:
        return matches[0]
    names = dict(entries)
    if not matches:
        known = "、".join(f"{names[s] or s}（{s}）" for s, _ in entries[:30])
        more = "等" if len(entries) > 30 else ""
        raise UserError(f"找不到村(社区)“{wanted}”",
                        f"现有：{known}{more}。运行 zhengdun org list 查看全部" if entries
                        else "工作区中还没有村(社区)，请先用 zhengdun org add 登记")
    listed = "、".join(f"{names[s] or s}（{s}）" for s in matches[:30])
    raise UserError(f"“{wanted}”可以指多个村(社区)：{listed}",
                    "请写得更完整一些，或直接用括号中的拼音简称")


_REF_RE = re.compile(r"(?P<org>.+)/(?P<number>\d+)")


def parse_ref(text: str) -> tuple[str, int]:
    """Split ``ORG/N`` into its parts."""
    match = _REF_RE.fullmatch(text.strip())
    if not match:
        raise UserError(f"问题编号“{text}”写法不对",
                        "应写成 村(社区)/编号，例如 chengdong/3 或 城东社区/3")
    return match["org"], int(match["number"])


# --------------------------------------------------------------------------- slugs

_SUFFIXES = ("社区居民委员会", "村民委员会", "社区居委会", "居委会", "村委会", "社区", "嘎查", "村")


def slug_for(name: str, taken: set[str]) -> str:
    """A short ASCII file name from the Chinese name: 城东社区 → chengdong."""
    from pypinyin import lazy_pinyin

    core = name
    for suffix in _SUFFIXES:
        if core.endswith(suffix) and len(core) > len(suffix):
            core = core[: -len(suffix)]
            break
    spelled = "".join(lazy_pinyin(core)).lower()
    base = re.sub(r"[^a-z0-9]+", "", spelled)[:40] or "org"
    if base[0] == "-":
        base = "org" + base
    slug, n = base, 2
    while slug in taken or place.reserved_slug(slug):
        slug = f"{base}-{n}"
        n += 1
    return slug


def renamed_ledgers(root: Path, entries: list[Any]) -> dict[str, str]:
    """Deleted ledger file → the new ledger file that carries its organization on.

    ``entries`` are git's view of the changed files (``history.status``). A ledger file may
    not be deleted (nothing recorded is lost), but renamed it may be, to give an organization
    another slug (``git mv`` or a plain ``mv``): a deleted ledger and a file git has not
    recorded yet whose ``name:`` is the one the deleted file had at HEAD are one rename, and
    ``check`` and ``commit`` treat them as one. So is a deleted ledger that another ledger
    file holds byte for byte: what an older zhengdun left of a ``git mv`` it committed only half
    of (HEAD holding both files, the deletion staged); recording the deletion loses nothing.
    """
    import contextlib

    from zhengdun import history

    def is_ledger(path: str) -> bool:
        return path.startswith(f"{LEDGERS}/") and path.endswith(".yaml") and path.count("/") == 1

    deleted = [e.path for e in entries if "D" in e.code and is_ledger(e.path)]
    added = [e.path for e in entries if (e.untracked or e.code[0] == "A")
             and is_ledger(e.path) and (root / e.path).is_file()]
    if not deleted:
        return {}
    committed: dict[str, str] = {}
    for path in deleted:
        committed.update(history.tree_files(root, "HEAD", path))
    blobs = history.read_blobs(root, list(committed.values()))
    new_names: dict[str, str] = {}
    for path in added:
        with _unreadable_skipped():
            name = store.load_data(root / path).get("name")
            if isinstance(name, str):
                new_names.setdefault(name, path)
    out: dict[str, str] = {}
    for path in deleted:
        with _unreadable_skipped():
            data = store.parse(blobs[committed[path]].decode("utf-8-sig")).data
            new = new_names.get(data.get("name"))
            if new is not None and new not in out.values():
                out[path] = new
    left = [p for p in deleted if p not in out and p in committed]
    if left:
        sizes = {len(blobs[committed[p]]) for p in left}
        on_disk: dict[bytes, str] = {}
        for file in store.iter_ledger_paths(root / LEDGERS):
            # Only plain files of a size that can match: never through a symlink, never a
            # pipe, never a huge file read just to compare it.
            with contextlib.suppress(OSError):
                if not file.is_symlink() and file.is_file() and file.stat().st_size in sizes:
                    on_disk.setdefault(file.read_bytes(), f"{LEDGERS}/{file.name}")
        for path in left:
            copy = on_disk.get(blobs[committed[path]])
            if copy is not None and copy != path:
                out[path] = copy
    return out


def _unreadable_skipped() -> AbstractContextManager[None]:
    """A file that cannot be read (or is not a mapping) pairs with nothing: check and commit
    report it on their own."""
    import contextlib

    return contextlib.suppress(UserError, UnicodeDecodeError, KeyError, AttributeError,
                               TypeError)


def deleted_ledgers_refusal(lost: list[str]) -> UserError:
    """Why ``commit`` will not record deleted ledgers that no rename explains, and the way out
    (``git checkout HEAD --`` brings a file back whether its deletion is staged or not)."""
    files = " ".join(lost)
    return UserError(f"台账文件被删除：{'、'.join(lost)}。台账记录不能删除",
                     f"请运行 git checkout HEAD -- {files} 恢复；如果是给村(社区)改简称（文件改名），"
                     "新文件中的名称（name）要与原文件相同，再运行 zhengdun commit -m \"说明\" "
                     "把改名一起记录")


# --------------------------------------------------------------------------- rounds (批次)


def reading_round(ws: Workspace, asked: str | None, day: date) -> str | None:
    """The round a reading command works on: the one asked for (``--round``), else the one in
    effect on ``day`` (the config's last round begun by then); None when the config names no
    rounds (then each organization's current round)."""
    if asked is None:
        return ws.config.round_on(day)
    known = ws.config.round_names()
    if asked not in known:
        raise UserError(f"批次“{asked}”不在配置的整顿批次中",
                        f"配置中的批次：{'、'.join(known)}" if known
                        else f"{CONFIG_NAME} 中还没有写整顿批次（rounds）")
    return asked


def in_round(items: list[LoadedLedger], round_name: str | None) -> list[LoadedLedger]:
    """The organizations designated in ``round_name``, each as that round saw it (its
    designation, problems, visits and acceptances of that round only). An organization not
    designated in the round is not under rectification in it: converted in an earlier round,
    it is not counted as weak again."""
    if round_name is None:
        return [LoadedLedger(i.slug, i.doc, i.ledger.in_round(i.ledger.round)) for i in items]
    return [LoadedLedger(i.slug, i.doc, i.ledger.in_round(round_name)) for i in items
            if round_name in i.ledger.rounds()]
