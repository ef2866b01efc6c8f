"""The server repository's gatekeeper (``zhengdun server-hook``), run by git as ``pre-receive``.

git runs the hook once per push, before any branch moves, with one ``OLD NEW REF`` line per
branch on stdin; a non-zero exit turns the whole push down, and what the hook writes to stderr
reaches the clerk's terminal as ``remote: …``. The hook refuses, for a branch:

- a push that rewrites published history (not a fast-forward) or deletes the branch;
- a commit by a clerk outside their scope (:func:`zhengdun.rules.scope_refusal`, the rule the
  local commands ask), the clerk being the signer of the commit, or its author where signing
  is optional;
- where ``zhengdun.yaml`` says ``signing: required``: a commit that is unsigned, signed with a
  key the config does not name, or whose signature does not verify (forged, or altered since);
- a branch left with ledgers that fail ``check``.

Who the clerks are and which keys are theirs is read from ``zhengdun.yaml`` as already
published on the branch (as the push found it), so that a push cannot widen its own scope.
"""

from __future__ import annotations

import io
import sys
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zhengdun import history, rules, store
from zhengdun.errors import UserError
from zhengdun.place import CONFIG_NAME, LEDGERS

ZERO = "0" * 40
HOOK_NAME = "pre-receive"
SIGNATURE = {"N": "没有签名", "U": "签名所用的密钥不是 zhengdun.yaml 中任何一位同志的",
             "B": "签名无效（签名与提交内容不符，可能是伪造的或提交被改动过）",
             "E": "签名无法核验", "X": "签名已过期", "Y": "签名密钥已过期", "R": "签名密钥已吊销"}


def install(bare: Path) -> Path:
    """Write ``hooks/pre-receive`` into the server repository ``bare``; returns its path."""
    folder = bare.resolve()
    if not folder.is_dir():
        raise UserError(f"找不到服务器仓库 {bare}", "请写明服务器上台账仓库（git init --bare 建立的）的路径")
    answer = history.run(folder, "rev-parse", "--is-bare-repository", check=False)
    if answer.returncode != 0 or answer.stdout.strip() != "true":
        raise UserError(f"{bare} 不是服务器用的裸仓库（bare repository）",
                        "钩子装在服务器的仓库上：先用 git init --bare 仓库名.git 建立，再运行 "
                        "zhengdun server-hook --install 仓库名.git")
    hook = folder / "hooks" / HOOK_NAME
    hook.parent.mkdir(exist_ok=True)
    hook.write_text("#!/bin/sh\n"
                    "# zhengdun server-hook: 拒绝改写已发布的历史、超出分工、签名不对、检查不通过的推送\n"
                    f"exec '{sys.executable}' -m zhengdun server-hook\n", encoding="utf-8")
    hook.chmod(0o755)
    return hook


@dataclass(frozen=True)
class Update:
    """One line of what git hands the hook: a branch moving from ``old`` to ``new``."""

    old: str
    new: str
    ref: str


def receive(lines: Iterable[str]) -> list[str]:
    """Every reason to turn the push down (empty: accept it)."""
    reasons: list[str] = []
    for line in lines:
        parts = line.split()
        if len(parts) != 3:
            continue
        update = Update(*parts)
        if not update.ref.startswith("refs/heads/"):
            continue  # tags and other refs carry no records
        reasons += _judge(update)
    return reasons


def _judge(update: Update) -> list[str]:
    branch = update.ref.removeprefix("refs/heads/")
    if update.new == ZERO:
        return [f"不能删除分支 {branch}：已发布的台账历史不能删除"]
    if update.old != ZERO and not _is_ancestor(update.old, update.new):
        return [f"这次推送会改写分支 {branch} 上已经发布的历史（强制推送），服务器不接受。"
                "已发布的记录不能改写：请运行 zhengdun sync，它会把本地记录接在服务器的记录之后"]
    config = _config_at(update.old if update.old != ZERO else update.new)
    if config is None:
        return [f"分支 {branch} 上没有 {CONFIG_NAME}，不是台账工作区"]
    clerks = [c for c in config.get("clerks") or [] if isinstance(c, dict)]
    required = config.get("signing") == "required"
    reasons: list[str] = []
    with tempfile.TemporaryDirectory(prefix="zhengdun-hook-") as scratch:
        signers = Path(scratch) / "allowed_signers"
        signers.write_text("".join(f"{c['email']} namespaces=\"git\" {c['signing_key']}\n"
                                   for c in clerks if c.get("signing_key") and c.get("email")),
                           encoding="utf-8")
        for commit in _new_commits(update, signers):
            reasons += _commit_reasons(commit, clerks, required)
        if not reasons:
            reasons += _check_reasons(update.new, Path(scratch) / "tree")
    return reasons


@dataclass(frozen=True)
class Commit:
    """A pushed commit as the hook sees it."""

    id: str
    parent: str | None
    status: str  # git's %G?: G good, U unknown key, B bad, N none, …
    signer: str  # the principal of a good signature (the clerk's e-mail), else ""
    author: str
    subject: str


def _new_commits(update: Update, signers: Path) -> list[Commit]:
    text = history.in_hook("-c", f"gpg.ssh.allowedSignersFile={signers}", "log", "--reverse",
                           "--format=%H%x00%P%x00%G?%x00%GS%x00%ae%x00%s", update.new, "--not",
                           "--all").decode("utf-8", "replace")
    found = []
    for line in text.splitlines():
        commit, parents, status, signer, author, subject = (line.split("\0") + [""] * 6)[:6]
        found.append(Commit(commit, parents.split()[0] if parents else None, status, signer,
                            author, subject))
    return found


def _commit_reasons(commit: Commit, clerks: list[dict[str, Any]], required: bool) -> list[str]:
    short = f"提交 {commit.id[:8]}（{commit.subject}）"
    if commit.status == "B" or (required and commit.status != "G"):
        return [f"{short}：{SIGNATURE.get(commit.status, '签名无法核验')}；"
                "这个工作区要求每次记录都用本人的 SSH 密钥签名" if required else
                f"{short}：{SIGNATURE['B']}"]
    who = commit.signer if commit.status == "G" else commit.author
    reasons = []
    for township in _townships_touched(commit):
        refusal = rules.scope_refusal(who, clerks, township)
        if refusal is not None:
            reasons.append(f"{short}：{refusal.message}")
    return reasons


def _townships_touched(commit: Commit) -> list[str | None]:
    """The townships of the ledgers a commit changes, before and after (None: the config, or
    a ledger nobody can place, which only a clerk for every township may touch)."""
    base = commit.parent or "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's empty tree
    raw = history.in_hook("diff-tree", "-r", "--no-commit-id", "--no-renames", "-z", base,
                          commit.id).decode("utf-8", "replace").split("\0")
    found: list[str | None] = []
    for meta, path in zip(raw[0::2], raw[1::2], strict=False):
        if path == CONFIG_NAME:
            found.append(None)
            continue
        if not (path.startswith(f"{LEDGERS}/") and path.endswith(".yaml")):
            continue
        _, _, old_blob, new_blob, _ = (meta.lstrip(":").split() + [""] * 5)[:5]
        for blob in (old_blob, new_blob):
            if blob and blob != ZERO:
                found.append(_township(history.in_hook("cat-file", "blob", blob)))
    return list(dict.fromkeys(found))


def _township(raw: bytes) -> str | None:
    try:
        data = store.parse(raw.decode("utf-8").lstrip("\ufeff")).data
    except (UserError, UnicodeDecodeError):
        return None
    township = data.get("township") if isinstance(data, dict) else None
    return str(township) if township else None


def _config_at(commit: str) -> dict[str, Any] | None:
    try:
        raw = history.in_hook("cat-file", "blob", f"{commit}:{CONFIG_NAME}")
        data = store.parse(raw.decode("utf-8").lstrip("\ufeff")).data
    except (UserError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _is_ancestor(old: str, new: str) -> bool:
    try:
        history.in_hook("merge-base", "--is-ancestor", old, new)
    except UserError:
        return False
    return True


def _check_reasons(commit: str, folder: Path) -> list[str]:
    """``check`` on the branch as the push would leave it, in a scratch copy of its files."""
    from zhengdun.check import check_workspace

    folder.mkdir()
    archive = history.in_hook("archive", "--format=tar", commit)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    history.init(folder)  # check wants a repository; its history is not what is judged here
    report = check_workspace(folder)
    errors = [f for f in report.findings if getattr(f, "severity", "error") == "error"
              and f.file != ".git"]
    return [f"推送后的台账不能通过检查：{f.where()}：{f.message}" for f in errors[:10]]


def run_hook(stdin: Iterable[str]) -> int:
    """The hook's body: judge the push, say every reason on stderr, exit 1 to refuse it."""
    reasons = receive(stdin)
    if not reasons:
        return 0
    sys.stderr.write("错误：zhengdun 服务器检查未通过，这次推送被拒绝：\n")
    for reason in reasons:
        sys.stderr.write(f"- {reason}\n")
    sys.stderr.write("本地记录不受影响；按上面的说明处理后重新运行 zhengdun sync。\n")
    return 1
