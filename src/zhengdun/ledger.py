"""Ledger operations: every command that records something, as one function each.

Each operation takes the workspace lock, refuses to write over the clerk's uncommitted hand
edits, validates the change against the rules, splices it into the file (see ``store``),
writes atomically and makes exactly one commit holding only the files it changed. If the commit
fails, the file is put back, so the ledgers and the history never disagree.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from zhengdun import faults, history, interrupts, rules, store
from zhengdun.errors import DataError, UserError
from zhengdun.model import (
    CENTRAL_CATEGORIES,
    CHAIN,
    DEFAULT_SOURCES,
    FIELD_LABELS,
    GRADES,
    KINDS,
    SCHEMA_VERSION,
    VISIT_KINDS,
    Acceptance,
    Closure,
    Config,
    Designation,
    Endorsement,
    Ledger,
    Measure,
    Problem,
    Reopening,
    Responsibility,
    Step,
    Visit,
    latest_date,
    ledger_findings,
)
from zhengdun.place import (
    CONFIG_NAME,
    EVIDENCE,
    LEDGERS,
    SLUG_RE,
    TEMPLATES,
    check_untouched_by_hooks,
    evidence_digests,
    put_back,
    reserved_slug,
    scope_refusal,
    write_and_commit,
)
from zhengdun.wording import duplicate_name, is_blank, name_holder, typed_name
from zhengdun.workspace import (
    LoadedLedger,
    Located,
    Workspace,
    deleted_ledgers_refusal,
    load_ledger,
    locate,
    parse_ref,
    renamed_ledgers,
    resolve_org,
    slug_for,
    validate,
)


@dataclass
class Receipt:
    """What a changing command did: the commit it made and what to tell the clerk."""

    action: str
    ref: str
    commit: str
    said: str
    data: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- init


GITIGNORE = """\
# zhengdun: derived data and temporary files, never part of the ledger
.zhengdun/
.zhengdun.lock
.*.tmp
~$*
.DS_Store
Thumbs.db
"""

CONFIG_HEADER = """\
# zhengdun 台账工作区配置。可以手工修改，改后运行 zhengdun commit -m "说明" 记录。
# categories 是软弱涣散类型目录（代码: 名称），可增加本地类型；sources 是问题来源目录。
"""


def init_workspace(folder: Path, county: str, issuer: str, doc_prefix: str | None,
                   timezone: str = "Asia/Shanghai", config_text: str | None = None) -> Receipt:
    """Create a workspace: config, folders, a git repository, and the first commit.

    ``config_text`` replaces the generated ``zhengdun.yaml`` (the demo ships its own).
    """
    folder = folder.resolve()
    if (folder / CONFIG_NAME).exists():
        raise UserError(f"{folder} 已经是台账工作区（已有 {CONFIG_NAME}）",
                        "不需要重复初始化；直接在其中运行 zhengdun org add 登记村(社区)")
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder} 是一个文件，不能作为工作区")
    if folder.is_dir() and any(p.name != ".git" for p in folder.iterdir()):
        raise UserError(f"文件夹 {folder} 不是空的",
                        "请指定一个新的或空的文件夹，例如 zhengdun init 示范县台账")
    _nonempty(county, "县名")
    _nonempty(issuer, "发文机关")
    if doc_prefix is not None:
        _nonempty(doc_prefix, "文号代字")
    prefix = doc_prefix or _default_prefix(county)
    data = {"schema_version": SCHEMA_VERSION, "county": county, "issuer": issuer,
            "doc_prefix": prefix, "timezone": timezone, "categories": dict(CENTRAL_CATEGORIES),
            "sources": list(DEFAULT_SOURCES), "rounds": [_first_round()]}
    try:
        Config.model_validate(data)
    except ValidationError as exc:
        raise UserError(f"配置无效：{exc.errors()[0]['msg']}") from None
    created = not folder.exists()
    _make_folder(folder)
    fresh_repo = history.git_dir(folder) is None
    try:
        if fresh_repo:
            history.init(folder)
        history.ask_for_fsync(folder)
        history.configure_pull(folder)
        for name in (LEDGERS, TEMPLATES, EVIDENCE):
            (folder / name).mkdir(exist_ok=True)
            (folder / name / ".gitkeep").write_bytes(b"")
        (folder / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
        text = config_text if config_text is not None else store.dump(data, CONFIG_HEADER)
        store.write_atomic(folder / CONFIG_NAME, text.encode())
        from zhengdun.merging import register_merge_driver

        register_merge_driver(folder)  # ledgers merge by record (docs/sync.md)
        paths = [CONFIG_NAME, ".gitignore", ".gitattributes",
                 *(f"{n}/.gitkeep" for n in (LEDGERS, TEMPLATES, EVIDENCE))]
        message = history.message("init", "workspace", f"{county}软弱涣散基层党组织整顿台账")
        commit = history.commit(folder, paths, message, new_paths=paths)
    except UserError:
        _undo_init(folder, created, fresh_repo)
        raise
    except OSError as exc:
        _undo_init(folder, created, fresh_repo)
        raise UserError(f"无法在 {folder} 中建立工作区：{_why_not_written(exc, folder)}",
                        "请换一个可以写入的文件夹重试") from None
    return Receipt("init", "workspace", commit,
                   f"已建立{county}台账工作区：{folder}", {"root": str(folder)})


def _first_round() -> dict[str, Any]:
    """A new workspace's one round (批次): this year's, from its first day."""
    from zhengdun import clock

    year = clock.today().year  # (the timezone is checked after: a year is a year)
    return {"name": str(year), "start": date(year, 1, 1)}


def _why_not_written(exc: OSError, folder: Path) -> str:
    """The reason the operating system gave, in the clerk's words."""
    import errno

    if exc.errno == errno.ENOTDIR:
        for parent in (folder, *folder.parents):
            if parent.exists() and not parent.is_dir():
                return f"路径中的 {parent} 是一个文件，不是文件夹"
        return "路径中有一段是文件，不是文件夹"
    if exc.errno == errno.EROFS:
        return "它所在的磁盘（文件系统）是只读的"
    if exc.errno == errno.EPERM:
        return "系统不允许在这里写入（上级文件夹可能被设为不可修改，如 chattr +i）"
    if exc.errno == errno.EACCES:
        return "没有权限写入上级文件夹"
    if exc.errno == errno.ENOENT:
        return "上级文件夹不存在，而且无法建立（这里可能是 /proc 这样的系统文件夹）"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "磁盘空间不足"
    return exc.strerror or str(exc)


def _make_folder(folder: Path) -> None:
    """``mkdir -p folder``; if that fails, the parents it made are removed again and the
    clerk is told why in Chinese (a path through a file, a read-only or immutable parent,
    a folder like /proc where nothing can be made)."""
    missing = []
    for parent in (folder, *folder.parents):
        if parent.is_dir():
            break
        missing.append(parent)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        for made in missing:  # deepest first: leave the disk as it was
            with contextlib.suppress(OSError):
                made.rmdir()
        raise UserError(f"无法建立文件夹 {folder}：{_why_not_written(exc, folder)}",
                        "请换一个可以写入的位置重试（例如自己的主目录下）") from None


def _undo_init(folder: Path, created: bool, fresh_repo: bool) -> None:
    import shutil

    if created:
        shutil.rmtree(folder, ignore_errors=True)
        return
    # suppress: on a read-only disk even removing a file that is not there fails (EROFS),
    # and the clerk must hear the first failure, not this one
    for name in (CONFIG_NAME, ".gitignore", ".gitattributes"):
        with contextlib.suppress(OSError):
            (folder / name).unlink(missing_ok=True)
    for name in (LEDGERS, TEMPLATES, EVIDENCE):
        with contextlib.suppress(OSError):
            (folder / name / ".gitkeep").unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            (folder / name).rmdir()
    if fresh_repo:
        shutil.rmtree(folder / ".git", ignore_errors=True)


def _default_prefix(county: str) -> str:
    core = county.removesuffix("县").removesuffix("市").removesuffix("区") or county
    return f"{core[:1]}组通"


# --------------------------------------------------------------------------- recording


def _dirty_refusal(ws: Workspace, rel: str, code: str) -> UserError:
    if code == "??":
        return UserError(f"{rel} 是新文件，还没有记录到历史中，zhengdun 不会在它上面继续记录",
                         "如果这个文件是手工建立的，请先检查并运行 zhengdun commit -m \"说明\" 记录；"
                         "如果不需要，删除它")
    if code[0] == "A":  # added to git's index, never committed: org add killed before its commit
        return UserError(f"{rel} 是新文件，还没有记录到历史中（或上一条命令在写入后被中断），"
                         "zhengdun 不会在它上面继续记录",
                         f"请先运行 zhengdun check 查看，再运行 zhengdun commit -m \"说明\" 记录；"
                         f"如果不需要，运行 git rm -f {rel} 删除它")
    return UserError(f"{rel} 有未记录的手工修改（或上一条命令在写入后被中断），zhengdun 不会覆盖它们",
                     f"请先运行 zhengdun check 查看，再运行 zhengdun commit -m \"说明\" 记录这些修改，"
                     f"或运行 git checkout -- {rel} 放弃这些修改，然后重新运行刚才的命令")


def _rule_check(ws: Workspace, loaded: LoadedLedger, new: Ledger) -> None:
    findings = [f for f in ledger_findings(new, ws.config, ws.today(), ws.evidence_problem)
                if f.severity == "error"]
    if findings:
        located = locate(loaded.doc, ws.rel(loaded.doc.path), findings)
        raise DataError(f"这样记录后，{ws.rel(loaded.doc.path)} 将不符合台账规则，本次未记录",
                        located, "如果是文件中原有的问题，请先运行 zhengdun check 查看并修正")


def _record(ws: Workspace, slug: str, action: str, ref: str | Callable[[Ledger], str],
            summary: str, change: Callable[[Ledger], tuple[Ledger, list[store.Edit]]],
            evidence: Sequence[str] = ()) -> tuple[str, Ledger]:
    """Apply one change to one ledger and commit it; returns (commit id, new ledger).

    ``ref`` may be computed from the new ledger (``add`` learns its number only then).
    """
    path = ws.ledger_path(slug)
    rel = ws.rel(path)
    with ws.lock():
        history.preflight(ws.root)
        if ws.ledgers_dir.is_symlink():  # git sees every ledger deleted: "未记录的手工修改"
            raise store.linked_folder(ws.ledgers_dir)
        watched = [rel, CONFIG_NAME, *evidence]
        states = {s.path: s for s in history.resync_index(ws.root,
                                                          history.status(ws.root, watched))}
        if rel in states:
            raise _dirty_refusal(ws, rel, states[rel].code)
        if CONFIG_NAME in states:
            raise UserError(f"{CONFIG_NAME} 有未记录的手工修改，按未经记录的配置记账会对不上",
                            f"请先运行 zhengdun commit -m \"说明\" 记录配置的修改，"
                            f"或运行 git checkout -- {CONFIG_NAME} 放弃修改")
        loaded = load_ledger(ws, slug)
        new, edits = change(loaded.ledger)
        for township in dict.fromkeys((loaded.ledger.township, new.township)):
            _refuse(_out_of_scope(ws, township))
        _rule_check(ws, loaded, new)

        def accept(data: Any) -> bool:
            try:
                return Ledger.model_validate(data) == new
            except ValidationError:
                return False

        text = store.apply_edits(loaded.doc, edits, accept)
        written = loaded.doc.encode(text)
        new_evidence = [p for p in evidence if p in states]
        commit = write_and_commit(
            ws.root, path, rel, loaded.doc.raw, written,
            history.message(action, ref if isinstance(ref, str) else ref(new), summary),
            new_evidence, [p for p in new_evidence if states[p].untracked])
        if ws.config_raw is not None:  # what was just checked need not be checked again
            from zhengdun.cache import Verdicts, blob_id

            Verdicts(ws.root, ws.config_raw).remember(blob_id(written), latest_date(new))
    return commit, new


def _problem_ref(ws: Workspace, ref: str) -> tuple[str, int]:
    org, number = parse_ref(ref)
    return resolve_org(ws, org), number


def _find_problem(ledger: Ledger, slug: str, number: int) -> tuple[int, Problem]:
    problem = ledger.problem(number)
    if problem is None:
        known = "、".join(str(p.id) for p in ledger.problems) or "（还没有登记问题）"
        raise UserError(f"{ledger.name}（{slug}）没有 {number} 号问题",
                        f"现有问题编号：{known}。运行 zhengdun show {slug} 查看问题清单")
    return ledger.problem_index(number), problem


def _out_of_scope(ws: Workspace, township: str | None) -> rules.Refusal | None:
    """分工: the git identity in use may record for ``township`` (None: the config)."""
    return scope_refusal(ws.root, [c.model_dump() for c in ws.config.clerks], township)


def _recorded_clerks(ws: Workspace) -> list[Any]:
    """``clerks:`` of ``zhengdun.yaml`` as committed (HEAD), while the file has hand edits."""
    shown = history.run(ws.root, "show", f"HEAD:{CONFIG_NAME}", check=False)
    try:
        data = store.parse(shown.stdout).data if shown.returncode == 0 else None
    except UserError:
        data = None
    clerks = data.get("clerks") if isinstance(data, dict) else None
    return clerks if isinstance(clerks, list) else []


def _refuse(refusal: rules.Refusal | None) -> None:
    """Raise a precondition's refusal (:mod:`zhengdun.rules`) as the clerk's error."""
    if refusal is not None:
        raise UserError(refusal.message, refusal.hint)


def _check_day(ws: Workspace, day: date, what: str) -> None:
    _refuse(rules.not_in_future(day, ws.today(), what))


def _check_category(ws: Workspace, code: str) -> None:
    if code not in ws.config.categories:
        listed = "；".join(f"{c} {n}" for c, n in ws.config.categories.items())
        raise UserError(f"类型“{code}”不在类型目录中",
                        f"可用的类型代码：{listed}。需要本地类型的，在 {CONFIG_NAME} 的 "
                        f"categories 中增加")


def _evidence(ws: Workspace, items: Sequence[str]) -> list[str]:
    return [ws.evidence_ref(item) for item in items]


def _nonempty(value: str, what: str) -> str:
    if is_blank(value):
        raise UserError(f"{what}不能为空")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise UserError(f"{what}中含有无法保存的字符（不完整的 Unicode 编码）",
                        "请检查终端的字符编码是否为 UTF-8")
    return value


# --------------------------------------------------------------------------- organizations


def org_add(ws: Workspace, name: str, township: str | None, kind: str | None,
            designated: date, categories: Sequence[str], slug: str | None = None,
            round_name: str | None = None,
            chain: dict[str, tuple[date, str | None]] | None = None) -> Receipt:
    """认定: register an organization under rectification (one new ledger file), or designate
    an organization already registered again in a new round (批次), leaving earlier rounds as
    they are.

    ``round_name``: the round (default: the one in effect on ``designated``); ``chain``: the
    认定 steps given (``proposed``/``preliminary``/``approved`` → date and 文号).
    """
    name = typed_name(name)
    _nonempty(name, "村(社区)名称")
    if township is not None:
        township = typed_name(township)
        _nonempty(township, "所属乡镇")
    if kind is not None and kind not in KINDS:
        raise UserError(f"类别“{kind}”不对，应为 村 或 社区")
    if not categories:
        raise UserError("至少要指定一个软弱涣散类型（--category）",
                        "例如 --category 10；可以写多次")
    for code in categories:
        _check_category(ws, code)
    _check_day(ws, designated, "认定日期")
    steps = _designation_chain(ws, chain or {})
    round_name = round_name if round_name is not None else ws.config.round_on(designated)
    holder = name_holder(ledger_names(ws), name)
    if holder is not None:
        return _designate_again(ws, holder, township, kind, designated, categories, slug,
                                round_name, steps)
    _refuse(rules.designation_refusal(name, round_name, ws.config.round_names(), [],
                                      designated, None))
    assert round_name is not None
    if township is None or kind is None:
        raise UserError(f"{name} 是新登记的村(社区)，需要写明所属乡镇和类别",
                        "例如 --township 城关镇 --kind 社区")
    taken = set(ws.slugs())
    if slug is not None:
        if not SLUG_RE.fullmatch(slug):
            raise UserError(f"简称“{slug}”不可用：只能用小写字母、数字和“-”，以字母或数字开头，"
                            "不超过64个字符", "例如 --slug chengdong")
        if reserved_slug(slug):
            raise UserError(f"简称“{slug}”不可用：{slug} 是 Windows 的保留名称（设备名），"
                            f"{LEDGERS}/{slug}.yaml 在 Windows 电脑上无法检出或打开",
                            f"请换一个，例如 --slug {slug}-cun")
        if slug in taken:
            raise UserError(f"简称 {slug} 已被占用", "请换一个，例如在后面加上乡镇拼音")
    else:
        slug = slug_for(name, taken)
    designation = Designation(round=round_name, on=designated,
                              categories=list(dict.fromkeys(categories)), **steps)
    ledger = Ledger(schema_version=SCHEMA_VERSION, name=name, kind=kind, township=township,
                    designations=[designation])
    path = ws.ledger_path(slug)
    rel = ws.rel(path)
    text = store.dump(ledger.to_data())
    if Ledger.model_validate(store.parse(text).data) != ledger:  # pragma: no cover - safety
        raise UserError("内部错误：新台账文件无法正确写出，未记录")
    with ws.lock():
        history.preflight(ws.root)
        _refuse(_out_of_scope(ws, township))
        if path.exists() or path.is_symlink():
            raise UserError(f"{rel} 已经存在", "请用 --slug 指定另一个简称")
        ws.ledgers_dir.mkdir(exist_ok=True)
        interrupts.hold()  # as in place.write_and_commit: the commit decides
        faults.point("before-write")
        store.write_atomic(path, text.encode(), rel)
        faults.point("after-rename")
        try:
            commit = history.commit(ws.root, [rel], history.message("org-add", slug, name),
                                    new_paths=[rel])
        except BaseException as failure:
            put_back(path, None, rel, None, failure)
            raise
        check_untouched_by_hooks(ws.root, path, rel, text.encode(), commit)
    return Receipt("org-add", slug, commit,
                   f"已登记 {name}（简称 {slug}，文件 {rel}）",
                   {"slug": slug, "file": rel, "round": round_name})


def _designation_chain(ws: Workspace, chain: dict[str, tuple[date, str | None]],
                       ) -> dict[str, Endorsement]:
    """The 认定 steps typed on the command line, checked (no date in the future, no empty 文号)."""
    out: dict[str, Endorsement] = {}
    for key in CHAIN:
        if key not in chain:
            continue
        day, doc = chain[key]
        _check_day(ws, day, f"{FIELD_LABELS[key]}日期")
        if doc is not None:
            _nonempty(doc, "文号")
        out[key] = Endorsement(on=day, doc=doc)
    return out


def _designate_again(ws: Workspace, slug: str, township: str | None, kind: str | None,
                     designated: date, categories: Sequence[str], wanted_slug: str | None,
                     round_name: str | None, steps: dict[str, Endorsement]) -> Receipt:
    """再次认定: one more designation at the end of ``designations``; nothing earlier changes."""
    if wanted_slug is not None and wanted_slug != slug:
        raise UserError(f"该村(社区)已经登记过（简称 {slug}），再次认定不能换简称",
                        f"去掉 --slug，或写 --slug {slug}")

    def change(ledger: Ledger) -> tuple[Ledger, list[store.Edit]]:
        for given, recorded, what in ((township, ledger.township, "所属乡镇"),
                                      (kind, ledger.kind, "类别")):
            if given is not None and given != recorded:
                raise UserError(f"{ledger.name} 已登记的{what}是 {recorded}，与 {given} 不同",
                                f"再次认定时{what}应与台账一致，可以不写；要更正{what}，"
                                f"请用 zhengdun org set {slug}")
        _refuse(rules.designation_refusal(ledger.name, round_name, ws.config.round_names(),
                                          ledger.rounds(), designated, ledger.designated_on))
        assert round_name is not None
        item = Designation(round=round_name, on=designated,
                           categories=list(dict.fromkeys(categories)), **steps)
        new = ledger.model_copy(update={"designations": [*ledger.designations, item]})
        return new, [store.Append((), "designations", item.to_data(),
                                  [d.to_data() for d in new.designations])]

    commit, new = _record(ws, slug, "org-add", slug, f"{round_name} 批次再次认定", change)
    return Receipt("org-add", slug, commit,
                   f"已在批次 {round_name} 再次认定 {new.name}（简称 {slug}，第 "
                   f"{len(new.designations)} 次认定；以往批次的记录不变）",
                   {"slug": slug, "file": ws.rel(ws.ledger_path(slug)), "round": round_name})


def ledger_names(ws: Workspace) -> dict[str, str | None]:
    """slug → ``name:`` of every ledger on disk, in slug order (None: unreadable)."""
    return {slug: _ledger_name(ws.ledger_path(slug)) for slug in ws.slugs()}


def _refuse_taken_name(ws: Workspace, name: str, besides: str | None = None) -> None:
    holder = name_holder(ledger_names(ws), name, besides)
    if holder is not None:
        raise UserError(f"{name} 已经登记过了（{holder}）",
                        f"每个村(社区)的名称不能与其他村(社区)相同；运行 zhengdun show {holder} "
                        "查看它的台账")


def _ledger_name(path: Path) -> str | None:
    """The ``name:`` of a ledger file, cheaply when the line is plain (None if unreadable)."""
    name = store.peek_top_scalar(path, "name")
    if name is None:  # quoted, commented or unusual: read the file properly
        try:
            data = store.load_data(path)
        except UserError:
            return None
        name = str(data["name"]) if isinstance(data, dict) and "name" in data else None
    return name


RESPONSIBILITY_FIELDS = ("county_leader", "township_lead", "branch_secretary", "first_secretary",
                         "work_team")


def org_set(ws: Workspace, org: str, changes: dict[str, Any]) -> Receipt:
    """Change an organization's fields and 责任清单 (only the given ones)."""
    slug = resolve_org(ws, org)
    changes = {k: v for k, v in changes.items() if v is not None}
    changes.update({k: typed_name(v) for k, v in changes.items()
                    if k in ("name", "township") and isinstance(v, str)})
    if not changes:
        raise UserError("没有指定要修改的内容",
                        "例如 zhengdun org set 城东社区 --first-secretary 赵六；"
                        "运行 zhengdun org set --help 查看可改的项目")
    for key, value in changes.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                _nonempty(item, _LABELS.get(key, key))
    if "kind" in changes and changes["kind"] not in KINDS:
        raise UserError(f"类别“{changes['kind']}”不对，应为 村 或 社区")
    for code in changes.get("categories", []):
        _check_category(ws, code)
    if "designated_on" in changes:
        _check_day(ws, changes["designated_on"], "认定日期")
    if "first_secretary_since" in changes:
        _check_day(ws, changes["first_secretary_since"], "第一书记驻村起始日期")

    def change(ledger: Ledger) -> tuple[Ledger, list[store.Edit]]:
        if "name" in changes:  # under the lock: no other command can take the name meanwhile
            _refuse_taken_name(ws, changes["name"], besides=slug)
        top = {k: v for k, v in changes.items() if k in ("name", "township", "kind")}
        # The current round's designation only: earlier rounds are history (``org add`` on
        # an organization already registered designates it again).
        last = len(ledger.designations) - 1
        current = ledger.current
        own = {("on" if k == "designated_on" else k): v for k, v in changes.items()
               if k in ("designated_on", "categories")}
        duty = {k: v for k, v in changes.items() if k in Responsibility.model_fields}
        updated_duty = current.responsibility.model_copy(update=duty)
        _refuse(rules.service_refusal(updated_duty.first_secretary_since,
                                      updated_duty.first_secretary_until))
        updated = current.model_copy(update={**own, "responsibility": updated_duty})
        designations = [*ledger.designations[:last], updated]
        new = ledger.model_copy(update={**top, "designations": designations})
        edits: list[store.Edit] = [store.Set((), k, v) for k, v in top.items()]
        edits += [store.Set(("designations", last), k, v) for k, v in own.items()]
        if duty:
            if current.responsibility == Responsibility():
                edits.append(store.Set(("designations", last), "responsibility",
                                       updated_duty.to_data()))
            else:
                edits += [store.Set(("designations", last, "responsibility"), k, v)
                          for k, v in duty.items()]
        validated = Ledger.model_validate(new.to_data())
        if validated == ledger:  # nothing would change, so there is nothing to commit
            raise UserError(f"{ledger.name} 的{said}与原来相同，没有需要记录的修改",
                            "本次未记录；要修改，请写出新的内容")
        return validated, edits

    said = "、".join(f"{_LABELS.get(k, k)}" for k in changes)
    commit, new = _record(ws, slug, "org-set", slug, said, change)
    return Receipt("org-set", slug, commit, f"已更新 {new.name} 的{said}")


_LABELS = {"name": "名称", "township": "所属乡镇", "kind": "类别", "designated_on": "认定日期",
           "categories": "软弱涣散类型", "county_leader": "包联县级领导",
           "township_lead": "包村乡镇领导", "branch_secretary": "党组织书记",
           "first_secretary": "第一书记", "paired_units": "结对帮扶单位",
           "work_team": "驻村工作队", "first_secretary_unit": "第一书记派出单位",
           "first_secretary_since": "第一书记驻村起始日期",
           "first_secretary_until": "第一书记驻村结束日期"}


# --------------------------------------------------------------------------- problems


def add_problem(ws: Workspace, org: str, title: str, category: str, due: date, owner: str,
                source: str | None = None, found: date | None = None,
                measures: Sequence[str | Measure] = ()) -> Receipt:
    """登记问题: add a problem to an organization's 问题清单; returns its ``ORG/N``."""
    slug = resolve_org(ws, org)
    owner = typed_name(owner)
    _nonempty(title, "问题")
    _nonempty(owner, "责任人")
    for measure in measures:
        _nonempty(measure if isinstance(measure, str) else measure.text, "整改措施")
    _check_category(ws, category)
    if source is not None and source not in ws.config.sources:
        raise UserError(f"来源“{source}”不在来源目录中",
                        f"可用的来源：{'、'.join(ws.config.sources)}。需要新来源的，在 "
                        f"{CONFIG_NAME} 的 sources 中增加")
    found_on = found or ws.today()
    _check_day(ws, found_on, "发现日期")
    _refuse(rules.add_refusal(found_on, due, title=title))
    def change(ledger: Ledger) -> tuple[Ledger, list[store.Edit]]:
        problem = Problem(id=ledger.next_problem_id(), round=ledger.round, title=title,
                          category=category,
                          source=source, found_on=found_on, due=due, owner=owner,
                          measures=list(measures))
        new = ledger.model_copy(update={"problems": [*ledger.problems, problem]})
        item = problem.to_data()
        return new, [store.Append((), "problems", item, [p.to_data() for p in new.problems])]

    def added(new: Ledger) -> str:
        return f"{slug}/{new.problems[-1].id}"

    commit, new = _record(ws, slug, "add", added, title, change)
    ref = added(new)
    return Receipt("add", ref, commit, f"已登记问题 {ref}", {"ref": ref})


def record_step(ws: Workspace, ref: str, text: str, on: date | None = None,
                evidence: Sequence[str] = ()) -> Receipt:
    """整改进展: record one rectification step of a problem."""
    slug, number = _problem_ref(ws, ref)
    _nonempty(text, "整改进展")
    day = on or ws.today()
    _check_day(ws, day, "进展日期")
    files = _evidence(ws, evidence)

    def change(ledger: Ledger) -> tuple[Ledger, list[store.Edit]]:
        index, problem = _find_problem(ledger, slug, number)
        _refuse(rules.step_refusal(day, problem.found_on, [s.on for s in problem.steps],
                                   text=text))
        step = Step(on=day, text=text, evidence=files,
                    evidence_sha256=evidence_digests(ws.root, files))
        updated = problem.model_copy(update={"steps": [*problem.steps, step]})
        new = _replace_problem(ledger, index, updated)
        return new, [store.Append(("problems", index), "steps", step.to_data(),
                                  [s.to_data() for s in updated.steps])]

    canonical = f"{slug}/{number}"
    commit, _ = _record(ws, slug, "step", canonical, text, change, files)
    return Receipt("step", canonical, commit, f"已记录 {canonical} 的整改进展（{day}）")


def close_problem(ws: Workspace, ref: str, result: str, on: date | None = None,
                  verified_by: str | None = None, evidence: Sequence[str] = ()) -> Receipt:
    """销号: close a rectified problem, with its result, verifier and evidence."""
    slug, number = _problem_ref(ws, ref)
    if is_blank(result):
        raise UserError("销号必须写明整改结果（--result）",
                        "例如 --result \"新增停车位120个\"")
    _nonempty(result, "整改结果")
    if verified_by is not None:
        _nonempty(verified_by, "验收人")
    day = on or ws.today()
    _check_day(ws, day, "销号日期")
    files = _evidence(ws, evidence)

    def change(ledger: Ledger) -> tuple[Ledger, list[store.Edit]]:
        index, problem = _find_problem(ledger, slug, number)
        last = problem.closures[-1] if problem.closures else None
        _refuse(rules.close_refusal(
            f"{slug}/{number}", day, problem.found_on, [s.on for s in problem.steps],
            problem.closed_on() if problem.state_on() == "closed" else None,
            last.reopened.on if last is not None and last.reopened is not None else None,
            result=result))
        closure = Closure(on=day, result=result, verified_by=verified_by, evidence=files,
                          evidence_sha256=evidence_digests(ws.root, files))
        updated = problem.model_copy(update={"closures": [*problem.closures, closure]})
        new = _replace_problem(ledger, index, updated)
        return new, [store.Append(("problems", index), "closures", closure.to_data(),
                                  [c.to_data() for c in updated.closures])]

    canonical = f"{slug}/{number}"
    commit, _ = _record(ws, slug, "close", canonical, result, change, files)
    return Receipt("close", canonical, commit, f"{canonical} 已销号（{day}）")


def reopen_problem(ws: Workspace, ref: str, reason: str, on: date | None = None) -> Receipt:
    """反弹: a closed problem came back; the earlier closure is kept."""
    slug, number = _problem_ref(ws, ref)
    _nonempty(reason, "反弹原因")
    day = on or ws.today()
    _check_day(ws, day, "反弹日期")

    def change(ledger: Ledger) -> tuple[Ledger, list[store.Edit]]:
        index, problem = _find_problem(ledger, slug, number)
        closed = problem.state_on() == "closed"
        _refuse(rules.reopen_refusal(f"{slug}/{number}", day,
                                     problem.closures[-1].on if closed else None))
        last = problem.closures[-1]
        reopened = Reopening(on=day, reason=reason)
        closures = [*problem.closures[:-1], last.model_copy(update={"reopened": reopened})]
        new = _replace_problem(ledger, index, problem.model_copy(update={"closures": closures}))
        edit = store.Set(("problems", index, "closures", len(closures) - 1), "reopened",
                         reopened.to_data())
        return new, [edit]

    canonical = f"{slug}/{number}"
    commit, _ = _record(ws, slug, "reopen", canonical, reason, change)
    return Receipt("reopen", canonical, commit, f"{canonical} 已重新打开（反弹，{day}）")


def _replace_problem(ledger: Ledger, index: int, problem: Problem) -> Ledger:
    problems = list(ledger.problems)
    problems[index] = problem
    return ledger.model_copy(update={"problems": problems})


# --------------------------------------------------------------------------- visits, acceptance


def record_visit(ws: Workspace, org: str, kind: str, by: str, text: str,
                 on: date | None = None, evidence: Sequence[str] = ()) -> Receipt:
    """督查 / 调度 / 约谈 / 回头看: record a visit to an organization."""
    slug = resolve_org(ws, org)
    _refuse(rules.choice_refusal(kind, VISIT_KINDS, "类别"))
    _nonempty(by, "人员或单位")
    _nonempty(text, "内容")
    day = on or ws.today()
    _check_day(ws, day, "日期")
    files = _evidence(ws, evidence)

    def change(ledger: Ledger) -> tuple[Ledger, list[store.Edit]]:
        visit = Visit(round=ledger.round, on=day, kind=kind, by=by, text=text, evidence=files,
                      evidence_sha256=evidence_digests(ws.root, files))
        new = ledger.model_copy(update={"visits": [*ledger.visits, visit]})
        return new, [store.Append((), "visits", visit.to_data(),
                                  [v.to_data() for v in new.visits])]

    commit, new = _record(ws, slug, "visit", slug, f"{kind} {by}", change, files)
    return Receipt("visit", slug, commit, f"已记录 {new.name} 的{kind}（{day}）")


def _score_text(score: float) -> str:
    """The score as typed: ``:g`` rounds 100.0000001 to "100", which is inside the range."""
    short = f"{score:g}"
    return short if float(short) == score else repr(score)


def record_acceptance(ws: Workspace, org: str, grade: str, by: str, on: date | None = None,
                      score: float | None = None, note: str | None = None,
                      stage: str | None = None, counts: tuple[int, int, int] | None = None,
                      redo_by: date | None = None) -> Receipt:
    """验收: the township's 初验 or the county's 复核 with its grade (a 复核 合格 means 转化);
    ``counts``: the 民主测评 (满意, 基本满意, 不满意); ``redo_by``: 不合格's new deadline."""
    slug = resolve_org(ws, org)
    _refuse(rules.choice_refusal(grade, GRADES, "验收等次"))
    if stage is not None:
        _refuse(rules.choice_refusal(stage, rules.ACCEPTANCE_STAGES, "验收环节"))
    if counts is not None and min(counts) < 0:
        raise UserError("民主测评票数不能为负数", "请核对 --satisfied、--basic、--unsatisfied")
    _nonempty(by, "验收单位")
    if note is not None:
        _nonempty(note, "备注")
    if score is not None and not 0 <= score <= 100:
        raise UserError(f"得分 {_score_text(score)} 不在 0 到 100 之间", "得分应为 0 到 100 之间的数")
    day = on or ws.today()
    _check_day(ws, day, "验收日期")
    standard = ws.config.acceptance
    _refuse(rules.grade_refusal(grade, score, counts, standard.pass_score, standard.basic_score,
                                standard.veto_unsatisfied_share))
    _refuse(rules.redo_refusal(grade, day, redo_by))

    def change(ledger: Ledger) -> tuple[Ledger, list[store.Edit]]:
        still_open = [f"{slug}/{p.id} {p.title}" for p in ledger.problems
                      if p.round == ledger.round and p.exists_on(day)
                      and not p.is_closed_on(day)]
        _refuse(rules.acceptance_refusal(ledger.name, day, ledger.designated_on, grade,
                                         still_open))
        _refuse(rules.review_order_refusal(stage, day, [(a.on, a.stage, a.grade)
                                                        for a in ledger.acceptances
                                                        if a.round == ledger.round]))
        satisfied, basic, unsatisfied = counts if counts is not None else (None, None, None)
        acceptance = Acceptance(round=ledger.round, on=day, by=by, stage=stage, grade=grade,
                                score=score, satisfied=satisfied, basically_satisfied=basic,
                                unsatisfied=unsatisfied, redo_by=redo_by, note=note)
        new = ledger.model_copy(update={"acceptances": [*ledger.acceptances, acceptance]})
        return new, [store.Append((), "acceptances", acceptance.to_data(),
                                  [a.to_data() for a in new.acceptances])]

    said = f"{stage}{grade}" if stage else grade
    commit, new = _record(ws, slug, "accept", slug, said, change)
    return Receipt("accept", slug, commit,
                   f"已记录 {new.name} 的验收：{grade}（{day}）" if stage is None else
                   f"已记录 {new.name} 的{stage}：{grade}（{day}），现为{new.stage_on()}",
                   {"stage": new.stage_on(), "converted": new.converted_on() is not None})


# --------------------------------------------------------------------------- hand edits


#: What a killed writer leaves (see ``store.write_atomic``): never part of the record, even
#: where the workspace's .gitignore does not hide it.
_LEFTOVER = re.compile(r"\..+\.\d+(?:\.old)?\.tmp")


def commit_hand_edits(ws: Workspace, message_text: str) -> Receipt:
    """Validate the clerk's hand edits of ledgers and config, then record them in one commit."""
    if not message_text.strip():
        raise UserError("请用 -m 写明这次修改的说明", "例如 zhengdun commit -m \"更正城东社区1号问题的整改时限\"")
    with ws.lock():
        history.preflight(ws.root)
        if ws.ledgers_dir.is_symlink():  # before git's view of it: "every ledger deleted"
            raise store.linked_folder(ws.ledgers_dir)
        changed = [s for s in history.resync_index(
                       ws.root, history.status(ws.root, [CONFIG_NAME, LEDGERS, EVIDENCE]))
                   if not _LEFTOVER.fullmatch(Path(s.path).name)]
        if not changed:
            raise UserError("没有需要记录的手工修改（台账文件与上次记录相同）")
        deleted = [s.path for s in changed if "D" in s.code and s.path.startswith(f"{LEDGERS}/")]
        renamed = renamed_ledgers(ws.root, changed) if deleted else {}
        lost = [p for p in deleted if p not in renamed]
        if lost:
            raise deleted_ledgers_refusal(lost)
        from zhengdun.workspace import load_config

        findings = []
        refs: list[str] = []
        config_changed = any(s.path == CONFIG_NAME for s in changed)
        config = load_config(ws.root) if config_changed else ws.config
        checked = Workspace(ws.root, config)
        edited = [s.path for s in changed if s.path not in renamed
                  and s.path.startswith(f"{LEDGERS}/") and s.path.endswith(".yaml")]
        for entry in changed:
            ref_name = "config" if entry.path == CONFIG_NAME else (
                Path(entry.path).stem if entry.path in edited or entry.path in renamed else None)
            if ref_name is not None and ref_name not in refs:
                refs.append(ref_name)
        to_check = list(edited)
        if config_changed or any(s.path.startswith(f"{EVIDENCE}/") for s in changed):
            # A new catalog or a removed evidence file can break ledgers nobody edited.
            to_check += [rel for p in store.iter_ledger_paths(ws.ledgers_dir)
                         if (rel := ws.rel(p)) not in to_check]
        for rel in to_check:
            path = ws.root / rel
            doc = store.read(path, rel)
            ledger, found = validate(doc, Ledger, rel)
            if ledger is None:
                findings += found
                continue
            rules = ledger_findings(ledger, config, checked.today(), checked.evidence_problem)
            findings += locate(doc, rel, [f for f in rules if f.severity == "error"])
        names = ledger_names(ws) if edited else {}
        reported: set[str] = set()
        for rel in edited:  # names stay unique (:func:`name_holder`)
            name = names.get(Path(rel).stem)
            holder = name_holder(names, name, besides=Path(rel).stem) if name else None
            if name is None or holder is None or holder in reported:
                continue
            # Reported at the later file of the two, as check does.
            later, earlier = sorted([rel, ws.rel(ws.ledger_path(holder))], reverse=True)
            findings.append(Located(later, 1, 1, *duplicate_name(name, earlier)))
            reported.add(Path(rel).stem)
        if findings:
            raise DataError("手工修改中有错误，未记录", findings, "请修正后重新运行 zhengdun commit")
        # 分工 by the clerks as last recorded, not as this very edit would have them
        clerks = _recorded_clerks(ws) if config_changed else [
            c.model_dump() for c in ws.config.clerks]
        if config_changed:
            _refuse(scope_refusal(ws.root, clerks, None))
        for rel in edited:
            township = store.read(ws.root / rel, rel).parse().data.get("township")
            _refuse(scope_refusal(ws.root, clerks, str(township)))
        paths = [s.path for s in changed]
        ref = ",".join(refs) if refs else "workspace"
        text = history.message("commit", ref, message_text, trailer_refs=refs or ["workspace"])
        commit = history.commit(ws.root, paths, text,
                                new_paths=[s.path for s in changed if s.untracked])
        for rel in edited:  # what a command killed while writing these may have left
            store.sweep_temps(ws.root / rel)
    return Receipt("commit", ref, commit, f"已记录手工修改：{'、'.join(paths)}",
                   {"files": paths})
