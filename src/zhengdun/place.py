"""The workspace folder without its models: where it is, its lock, its evidence paths.

Kept free of pydantic so that the hot paths (``quick``) can find the workspace, take its lock
and check an evidence path without paying for the models. ``workspace.Workspace`` builds on it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zhengdun.errors import LockTimeout, NotAWorkspace, UserError

if TYPE_CHECKING:
    from zhengdun.rules import Refusal

CONFIG_NAME = "zhengdun.yaml"
LEDGERS = "ledgers"
TEMPLATES = "templates"
EVIDENCE = "evidence"
LOCK_TIMEOUT_ENV = "ZHENGDUN_LOCK_TIMEOUT"
SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
#: Names Windows keeps for devices, with any extension: ``ledgers/con.yaml`` cannot be checked
#: out or opened there, and a workspace is shared through git with clerks on Windows.
_RESERVED = re.compile(r"(?:con|prn|aux|nul|com[1-9]|lpt[1-9])")


def reserved_slug(slug: str) -> bool:
    """Whether ``slug`` names a Windows device (CON, PRN, AUX, NUL, COM1–9, LPT1–9)."""
    return _RESERVED.fullmatch(slug.lower()) is not None


def _inside_git(rel: str) -> bool:
    """Whether a workspace-relative path lies in git's own folder (case-insensitive file
    systems read ``.GIT`` as ``.git``)."""
    return rel.split("/", 1)[0].lower() == ".git"


def find_root(start: Path | None = None) -> Path:
    """The folder of the workspace containing ``start``, without reading its config (so
    ``check`` can report a broken one)."""
    here = (start or Path.cwd()).resolve()
    if start is not None and not here.exists():
        raise NotAWorkspace(f"文件夹 {start} 不存在", "请检查 -C 后面的路径")
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise NotAWorkspace(f"{here} 不在任何台账工作区内（向上找不到 {CONFIG_NAME}）",
                        "请进入台账工作区再运行，或用 -C 指定工作区；"
                        "还没有工作区的，用 zhengdun init 目录名 新建一个")


@contextmanager
def lock(root: Path) -> Iterator[None]:
    """Serialise changing commands with an OS lock on ``.git/zhengdun.lock``.

    The kernel releases the lock when its holder dies, so a killed command never leaves a
    stale lock behind: the next command simply gets it.
    """
    from zhengdun.history import git_dir, preflight

    gdir = git_dir(root)
    if gdir is None:
        # Not a git repository: nothing can be recorded. Say so now, before a lock file
        # is left behind among the clerk's files.
        preflight(root)
    path = (gdir if gdir is not None else root) / "zhengdun.lock"
    timeout = float(os.environ.get(LOCK_TIMEOUT_ENV, "30"))
    refusal = LockTimeout(f"另一个 zhengdun 命令正在修改这个台账，等待 {timeout:g} 秒后仍未结束",
                          "请等它结束后重试；如果没有别的命令在运行，重试即可"
                          "（锁会在持有它的程序结束时自动释放）")
    if os.name != "posix":  # pragma: no cover - Windows
        from filelock import FileLock, Timeout

        file_lock = FileLock(str(path), timeout=timeout)
        try:
            file_lock.acquire()
        except Timeout:
            raise refusal from None
        try:
            yield
        finally:
            file_lock.release()
        return
    import fcntl
    import time

    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise UserError(f"无法建立工作区锁文件 {path}：{exc.strerror}",
                        "请检查工作区的 .git 文件夹是否可写") from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise refusal from None
                time.sleep(0.02)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


_IN_GIT = "佐证材料 {item} 在 .git 文件夹中，那是 git 自己的文件"
#: The longest file name (one path component) Linux and most file systems allow, in bytes.
NAME_MAX = 255


def _impossible_name(item: str) -> str | None:
    """Why ``item`` cannot name a file on any disk (a NUL, a name over 255 bytes), else None.

    The operating system refuses such a path with an error instead of "not found", so it is
    named before the path is looked at.
    """
    if "\0" in item:
        shown = item.replace("\0", "\\0")
        return f"佐证材料路径 {shown} 中有空字符（\\0），不可能是文件名"
    for part in item.split("/"):
        size = len(part.encode("utf-8", "surrogateescape"))
        if size > NAME_MAX:
            return (f"佐证材料路径中的文件名 {part[:40]}…有 {size} 字节，"
                    f"超过了文件名最长 {NAME_MAX} 字节的限制，不可能是文件名")
    return None


def evidence_problem(root: Path, item: str) -> str | None:
    """Why an evidence path written in a file is not acceptable (None when it is)."""
    impossible = _impossible_name(item)
    if impossible is not None:
        return impossible
    candidate = Path(item)
    if candidate.is_absolute():
        return f"佐证材料路径 {item} 是绝对路径，应写成相对于工作区的路径，例如 evidence/照片.jpg"
    try:
        resolved = (root / candidate).resolve()
        if not resolved.is_relative_to(root.resolve()):
            return f"佐证材料路径 {item} 指向工作区之外"
        if _inside_git(resolved.relative_to(root.resolve()).as_posix()):
            return _IN_GIT.format(item=item)
        if not resolved.is_file():
            return f"佐证材料 {item} 不存在"
    except OSError as exc:  # e.g. a whole path over PATH_MAX
        return f"无法读取佐证材料 {item}：{exc.strerror}"
    return None


def evidence_digests(root: Path, rels: list[str]) -> dict[str, str]:
    """The sha256 of each evidence file (workspace-relative paths), recorded beside the
    evidence list when it is attached: the content address ``audit`` checks."""
    import hashlib

    return {rel: hashlib.sha256((root / rel).read_bytes()).hexdigest() for rel in rels}


def evidence_ref(root: Path, typed: str, cwd: Path | None = None) -> str:
    """The workspace-relative path of an evidence file the clerk named on the command line."""
    impossible = _impossible_name(typed)
    if impossible is not None:
        raise UserError(impossible, "请检查 --evidence 后面的路径；文件名太长的，先把文件改成短一些的名字")
    raw = Path(typed)
    base = cwd or Path.cwd()
    try:
        full = (raw if raw.is_absolute() else base / raw).resolve()
        resolved_root = root.resolve()
        if not full.is_relative_to(resolved_root):
            raise UserError(f"佐证材料 {typed} 不在工作区内",
                            f"请先把文件复制到工作区的 {EVIDENCE}/ 文件夹中，再引用它，例如 "
                            f"--evidence {EVIDENCE}/{raw.name}")
        if not full.is_file():
            raise UserError(f"找不到佐证材料 {typed}",
                            "请检查文件名和路径（路径相对于当前文件夹）")
    except OSError as exc:  # e.g. a whole path over PATH_MAX
        raise UserError(f"无法读取佐证材料 {typed}：{exc.strerror}",
                        "请检查 --evidence 后面的路径") from None
    rel = full.relative_to(resolved_root).as_posix()
    if _inside_git(rel):
        raise UserError(_IN_GIT.format(item=typed),
                        f"请把佐证材料放在工作区的 {EVIDENCE}/ 文件夹中，再引用它")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in rel):
        raise UserError(f"佐证材料的文件名 {rel.encode('utf-8', 'surrogateescape')!r} 不是 UTF-8 编码，"
                        "无法写入台账",
                        "请把文件改成中文或英文的正常文件名（例如在文件管理器中重命名）后再引用")
    return rel


def output_problem(target: Path) -> str | None:
    """Why a report must not be written to ``target`` (None: it may): a ledger, the config or
    git's own files would be overwritten by a report, then read or recorded as one."""
    full = target.absolute()
    try:
        full = full.parent.resolve() / full.name
    except OSError:
        return None
    if any(part.lower() == ".git" for part in full.parts):
        return f"{target} 在 .git 文件夹中，那是 git 自己的文件"
    for folder in full.parents:
        if (folder / CONFIG_NAME).is_file():
            rel = full.relative_to(folder)
            if rel.as_posix() == CONFIG_NAME:
                return f"{target} 是工作区的配置文件 {CONFIG_NAME}"
            if rel.parts[0] == LEDGERS:
                return f"{target} 在 {LEDGERS}/ 文件夹中，那里只放台账文件"
            break
    return None


def write_and_commit(root: Path, path: Path, rel: str, old: bytes, new: bytes, message: str,
                     evidence: Sequence[str], untracked: Sequence[str]) -> str:
    """Replace a ledger file and commit it with the evidence files named; returns the commit.

    The one way a recording reaches the disk and the history (the full path and ``quick``):
    the write is atomic and keeps the old version, so that a failed commit puts it back.
    ``evidence``: new or changed evidence files to commit with it (``untracked``: of those,
    the ones git does not know yet).
    """
    from zhengdun import faults, history, interrupts, store

    store.refuse_unreadable_size(new, rel)
    # From the moment the file is replaced, Ctrl-C waits for the commit to decide: the file is
    # put back if git did not commit, kept (and the success reported) if it did.
    interrupts.hold()
    faults.point("before-write")
    kept = store.write_atomic(path, new, rel, keep_old=True)
    faults.point("after-rename")
    try:
        commit = history.commit(root, [rel, *evidence], message, new_paths=untracked)
    except BaseException as failure:
        put_back(path, old, rel, kept, failure)
        raise
    store.discard(kept)
    check_untouched_by_hooks(root, path, rel, new, commit)
    return commit


def check_untouched_by_hooks(root: Path, path: Path, rel: str, written: bytes,
                             commit: str) -> None:
    """After the commit: the file must still hold what was written and checked.

    A pre-commit hook may rewrite the file, and ``git add`` it or not; git commits either way.
    Then the file, git's index or the commit is not what zhengdun checked, and saying "已记录"
    alone would hide it. One read of the file in the usual case; git only when it differs.
    """
    from zhengdun import history

    try:
        now = path.read_bytes()
    except OSError:
        now = None
    if now == written:
        return
    # An index entry left stale by a hook's ``git add`` is put back to HEAD's when the file
    # equals HEAD; what stays is a real difference.
    pending = history.resync_index(root, history.status(root, [rel]))
    if not pending:
        raise UserError(f"已记录到历史中（提交 {commit[:8]}），但 git 钩子在提交时修改了 {rel}，"
                        "并把它改过的内容一并提交了：提交中的不是 zhengdun 检查过的内容",
                        f"请运行 zhengdun check 检查，git show {commit[:8]} 查看这次提交；"
                        f"如果钩子的修改不对，运行 zhengdun undo 撤销这次记录。"
                        "并请检查 .git/hooks/pre-commit 为什么修改台账")
    raise UserError(f"已记录到历史中（提交 {commit[:8]}），但 git 钩子在提交时又修改了 {rel}："
                    "文件中现在有尚未记录的修改，与刚记录的内容不同",
                    f"请运行 git diff HEAD -- {rel} 查看钩子改了什么；要保留，运行 zhengdun check "
                    f"后用 zhengdun commit -m \"说明\" 记录；要放弃，运行 git checkout HEAD -- {rel}。"
                    "并请检查 .git/hooks/pre-commit 为什么修改台账")


def put_back(path: Path, raw: bytes | None, rel: str, kept: Path | None,
             failure: BaseException) -> None:
    """After a failed commit, the file as it was (``raw``; None: it did not exist).

    If even that fails, the clerk must not read "文件未改动": say that the file holds the new,
    unrecorded version, and how to record or discard it once the cause is dealt with.
    """
    from zhengdun import interrupts, store

    interrupts.hold()  # a second Ctrl-C must not cut the putting back in half
    try:
        store.restore(path, raw, rel, kept)
    except UserError as exc:
        why = failure.message if isinstance(failure, UserError) else "命令被中断"
        discard = f"git checkout -- {rel} 放弃" if raw is not None else f"删除 {rel} 放弃"
        raise UserError(f"{why}；而且 {rel} 没能恢复原样（{exc.message}）：文件中已是这次的新内容，"
                        "但尚未记录到历史中",
                        f"请先处理上述问题（例如清理磁盘空间），再运行 zhengdun commit -m \"说明\" "
                        f"记录，或运行 {discard}") from None


def scope_refusal(root: Path, clerks: Sequence[Any], township: str | None) -> Refusal | None:
    """分工 for the git identity in use (:func:`zhengdun.rules.scope_refusal`), asked by every
    recording command on both paths before it writes; ``clerks``: ``zhengdun.yaml``'s list as
    plain data. No ``clerks:`` in the config: nothing to ask, and git is not run."""
    if not clerks:
        return None
    from zhengdun import history, rules

    return rules.scope_refusal(history.identity(root), clerks, township)
