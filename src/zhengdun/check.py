"""``zhengdun check``: validate every file of the workspace and report all findings at once."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from zhengdun import history, store
from zhengdun.cache import Verdicts, blob_id, save_evidence_index
from zhengdun.changes import is_due_edit, ledger_changes
from zhengdun.errors import UserError
from zhengdun.housekeeping import reasons
from zhengdun.model import (
    Config,
    Finding,
    Ledger,
    evidence_refs,
    latest_date,
    ledger_findings,
    seed_findings,
)
from zhengdun.place import CONFIG_NAME, LEDGERS, reserved_slug
from zhengdun.wording import duplicate_name, is_blank, name_holder, name_problem
from zhengdun.workspace import (
    Located,
    Workspace,
    deleted_ledgers_refusal,
    locate,
    renamed_ledgers,
    validate,
)


@dataclass
class CheckReport:
    """All findings of one run, plus how many files were read."""

    files: int = 0
    organizations: int = 0
    problems: int = 0
    findings: list[Located] = field(default_factory=list)
    uncommitted: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # file → organization name
    new_files: list[str] = field(default_factory=list)  # uncommitted files git never recorded
    renamed: dict[str, str] = field(default_factory=dict)  # deleted ledger → its new file
    lost: str | None = None  # deleted ledgers no rename explains: commit's refusal, in words
    blocked: str | None = None  # why git would refuse the next recording, and what to do
    maintenance: list[str] = field(default_factory=list)  # why ``zhengdun maintain`` would help
    #: a merge, rebase or cherry-pick is in progress: the uncommitted files are git's to finish
    #: (``blocked`` says how), not the clerk's to record or to discard with ``git checkout --``
    unfinished: bool = False

    @property
    def errors(self) -> list[Located]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors


def check_workspace(root: Path) -> CheckReport:
    """Read and validate ``zhengdun.yaml`` and every ledger; never stops at the first error."""
    report = CheckReport()
    config_doc = None
    config: Config | None = None
    try:
        config_doc = store.read(root / CONFIG_NAME, CONFIG_NAME)
        config, found = validate(config_doc, Config, CONFIG_NAME)
        report.findings += found
    except store.YamlError as exc:
        report.findings.append(Located(CONFIG_NAME, exc.line, exc.column, exc.message, exc.hint))
    except UserError as exc:
        report.findings.append(Located(CONFIG_NAME, None, None, exc.message, exc.hint))
    report.files += 1
    ws = Workspace(root, config) if config is not None else None
    verdicts = Verdicts(root, config_doc.raw) if ws is not None and config_doc is not None else None
    names: dict[str, str | None] = {}  # file → organization name, of the files read so far
    evidence: dict[str, list[str]] = {}  # what the findings of each ledger text depend on
    ledgers_dir = root / LEDGERS
    read: dict[str, tuple[store.Document, Ledger]] = {}  # the ledgers that could be read
    for path in store.iter_ledger_paths(ledgers_dir):
        display = path.relative_to(root).as_posix()
        report.files += 1
        try:
            doc = store.read(path, display)
        except store.YamlError as exc:
            report.findings.append(Located(display, exc.line, exc.column, exc.message, exc.hint))
            continue
        except UserError as exc:
            report.findings.append(Located(display, None, None, exc.message, exc.hint))
            continue
        ledger, found = validate(doc, Ledger, display)
        report.findings += found
        if ledger is not None:
            read[display] = (doc, ledger)
        blob = blob_id(doc.raw)
        if ledger is None or ws is None:
            evidence[blob] = []  # no rule ran: no evidence was looked at
        if ledger is None:
            continue
        report.organizations += 1
        report.problems += len(ledger.problems)
        holder = name_holder(names, ledger.name)
        if holder is not None:
            report.findings.append(Located(display, 1, 1, *duplicate_name(ledger.name, holder)))
        names[display] = ledger.name
        report.names[display] = ledger.name
        if reserved_slug(path.stem):
            report.findings.append(Located(display, None, None,
                                           f"文件名 {path.stem} 是 Windows 的保留名称，"
                                           "这个台账在 Windows 电脑上无法检出或打开",
                                           f"请改名，例如 git mv {display} "
                                           f"{LEDGERS}/{path.stem}-1.yaml，再运行 zhengdun commit"))
        if ws is not None:
            rules = ledger_findings(ledger, ws.config, ws.today(), ws.evidence_problem)
            rules += wording_findings(ledger) + seed_findings(ledger)
            report.findings += locate(doc, display, rules)
            evidence[blob] = evidence_refs(ledger)
            if verdicts is not None and not any(f.severity == "error" for f in found) \
                    and not any(f.severity == "error" for f in rules):
                verdicts.remember(blob, latest_date(ledger))
    save_evidence_index(root, evidence)
    for path in sorted(ledgers_dir.iterdir()) if ledgers_dir.is_dir() else []:
        if path.is_file() and path.suffix in (".yml", ".YAML", ".Yaml"):
            report.findings.append(Located(path.relative_to(root).as_posix(), None, None,
                                           "台账文件的扩展名应为 .yaml，此文件不会被读取",
                                           f"请改名为 {path.stem}.yaml", "warning"))
    if history.git_dir(root) is None:
        # Without a history nothing is recorded: "全部通过" would vouch for what was never kept.
        report.findings.append(Located(".git", None, None,
                                       f"{root} 不是 git 仓库：台账没有历史，不能确认它们已经记录",
                                       "台账工作区必须是 git 仓库：运行 git init 后再运行 "
                                       "zhengdun commit -m \"建立台账\"，或用 zhengdun init "
                                       "新建工作区"))
    else:
        try:
            pending = history.status(root, [CONFIG_NAME, LEDGERS])
        except UserError as exc:
            pending = []
            report.findings.append(Located(".git", None, None,
                                           f"读不了 git 中的历史，不能确认台账已经记录：{exc.message}",
                                           exc.hint))
        report.uncommitted = [s.path for s in pending]
        edited = [s.path for s in pending if s.path in read and not s.untracked
                  and s.code[0] != "A" and "D" not in s.code]
        if edited:
            with contextlib.suppress(UserError):
                report.findings += due_edits(root, edited, read)
        report.new_files = [s.path for s in pending if s.untracked or s.code[0] == "A"]
        with contextlib.suppress(UserError):
            report.renamed = renamed_ledgers(root, pending)
        lost = [s.path for s in pending if "D" in s.code and s.path.startswith(f"{LEDGERS}/")
                and s.path not in report.renamed]
        if lost:
            report.lost = str(deleted_ledgers_refusal(lost))
        report.unfinished = history.unfinished(root) is not None
        try:
            history.preflight(root)
        except UserError as exc:
            report.blocked = str(exc)
        with contextlib.suppress(UserError):
            report.maintenance = reasons(root)
    return report


def due_edits(root: Path, edited: list[str],
              read: dict[str, tuple[store.Document, Ledger]]) -> list[Located]:
    """A problem's 整改时限 changed by hand since the last commit (the cheap half of what
    ``audit`` reports for every commit): a reminder that 延期 is ``zhengdun extend``."""
    blobs = history.tree_files(root, history.head_commit(root), LEDGERS)
    raw = history.read_blobs(root, [blobs[p] for p in edited if p in blobs])
    out: list[Located] = []
    for rel in edited:
        committed = raw.get(blobs.get(rel, ""))
        if committed is None:
            continue
        try:
            text, _bom, _nl = store.decode(committed, rel)
            old = Ledger.model_validate(store.parse(text).data)
        except (UserError, ValidationError):
            continue
        doc, new = read[rel]
        found = [Finding(("problems", new.problem_index(c.problem), "due"),
                         f"{c.describe()}：整改时限被手工修改，记录后将是审计发现的问题",
                         f"延期请用 zhengdun extend {c.ref} --to 日期 --reason 理由 --approved-by 批准人；"
                         f"改回原时限可运行 git checkout -- {rel}", "warning")
                 for c in ledger_changes(Path(rel).stem, old, new)
                 if is_due_edit(c) and c.problem is not None]
        out += locate(doc, rel, found)
    return out


def judge(root: Path, config_doc: store.Document, doc: store.Document) -> bool:
    """Check one ledger as ``check`` does, and leave its verdict when it passes.

    For the quick path, on a ledger text that has no verdict yet: cheaper than handing the
    command to the full CLI, and the verdict serves every later record on the file.
    """
    config, found = validate(config_doc, Config, CONFIG_NAME)
    if config is None or any(f.severity == "error" for f in found):
        return False
    display = doc.path.relative_to(root).as_posix()
    ledger, found = validate(doc, Ledger, display)
    if ledger is None or any(f.severity == "error" for f in found):
        return False
    ws = Workspace(root, config)
    if any(f.severity == "error"
           for f in [*ledger_findings(ledger, config, ws.today(), ws.evidence_problem),
                     *wording_findings(ledger)]):
        return False
    Verdicts(root, config_doc.raw).remember(blob_id(doc.raw), latest_date(ledger))
    return True


def wording_findings(ledger: Ledger) -> list[Finding]:
    """Names that would be taken for other names, and texts a reader would see as empty.

    The model takes any non-empty string; these are the rules of :mod:`zhengdun.wording` that
    the commands apply to what is typed, applied here to what was written into the file by hand.
    """
    out: list[Finding] = []
    hint = "请删去前后的空格和看不见的字符（可以整行删除后重新输入）"

    def name(path: tuple[str | int, ...], value: str) -> None:
        problem = name_problem(value)
        if problem is not None:
            out.append(Finding(path, f"{problem}，会被当作另一个名称", hint))

    def text(path: tuple[str | int, ...], value: str | None) -> None:
        if value is not None and is_blank(value):
            out.append(Finding(path, "只有空格或看不见的字符，等于没有填写", "请填写内容"))

    name(("name",), ledger.name)
    name(("township",), ledger.township)
    for pi, problem in enumerate(ledger.problems):
        base = ("problems", pi)
        text((*base, "title"), problem.title)
        name((*base, "owner"), problem.owner)
        for si, step in enumerate(problem.steps):
            text((*base, "steps", si, "text"), step.text)
        for ci, closure in enumerate(problem.closures):
            text((*base, "closures", ci, "result"), closure.result)
    return out
