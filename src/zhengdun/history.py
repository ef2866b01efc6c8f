"""Talking to git: the only module that runs it.

zhengdun calls the git program itself rather than GitPython: one ``git commit`` costs about
20 ms, while importing GitPython alone costs 87 ms and its index writes are slower still (see
PERF-NOTES). git's own settings and environment (``user.name``, ``GIT_AUTHOR_DATE``, hooks, …)
apply exactly as they would to a ``git commit`` typed by the clerk.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from zhengdun import faults, interrupts
from zhengdun.errors import GitError

TRAILER_ACTION = "Zhengdun-Action"
TRAILER_REF = "Zhengdun-Ref"


#: Variables that point git at another repository, work tree, index or object store than the
#: folder it runs in. A clerk who exported one (for another project, or following a how-to)
#: expects zhengdun to record in the workspace all the same: every git call runs in the
#: workspace (``cwd``) and finds its own ``.git`` there, so these are never passed on.
REPOSITORY_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                        "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
                        "GIT_IMPLICIT_WORK_TREE", "GIT_PREFIX", "GIT_SHALLOW_FILE",
                        "GIT_GRAFT_FILE", "GIT_REPLACE_REF_BASE", "GIT_NO_REPLACE_OBJECTS")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for name in REPOSITORY_VARIABLES:
        env.pop(name, None)
    env["LC_ALL"] = "C"  # git's messages in English, so they can be recognised and reworded
    env.pop("LANGUAGE", None)
    env["GIT_TERMINAL_PROMPT"] = "0"
    # No opportunistic index writes (git status refreshing the index): on a full disk or
    # under a file size limit such a write makes git status die, and it contends for
    # index.lock with the clerk's own git. Commits still write the index as they must.
    env["GIT_OPTIONAL_LOCKS"] = "0"
    return env


def run(root: Path, *args: str, input: str | None = None, check: bool = True,
        committing: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``git -C root ARGS``; a missing git program becomes a clear message.

    A git killed by Ctrl-C raises ``KeyboardInterrupt``, except for ``git commit`` itself
    (``committing``), after which only HEAD tells whether the record exists.
    """
    command = ["git", "-c", "core.quotePath=false", *args]
    try:
        # restore_signals=False: git inherits Python's SIG_IGN for SIGXFSZ, so a file size
        # limit makes its write fail (EFBIG: reported, lock files rolled back) instead of
        # killing it and leaving .git/index.lock behind.
        result = subprocess.run(command, cwd=root, input=input, capture_output=True,
                                text=True, encoding="utf-8", errors="replace", env=_env(),
                                restore_signals=False)
    except FileNotFoundError:
        raise GitError("找不到 git 程序，zhengdun 需要用 git 保存修改记录",
                       "请先安装 git（例如 apt install git），并确认 git 命令在 PATH 中") from None
    if result.returncode == -signal.SIGINT and not committing:
        # Ctrl-C typed at the terminal reaches git and zhengdun alike: it is this command's,
        # even while zhengdun holds it (no commit has been made yet: the caller puts back).
        interrupts.note()
        raise KeyboardInterrupt
    if check and result.returncode != 0:
        raise GitError(f"git 执行失败：{_first_lines(result.stderr or result.stdout)}",
                       "请在工作区中运行 git status 查看详情")
    return result


def _first_lines(text: str, count: int = 6) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[:count]) if lines else "（git 没有给出原因）"


def git_dir(root: Path) -> Path | None:
    """The repository's git folder, read from ``.git`` without running git."""
    dot = root / ".git"
    if dot.is_dir():
        return dot
    if dot.is_file():
        content = dot.read_text(encoding="utf-8", errors="replace").strip()
        if content.startswith("gitdir:"):
            target = Path(content[len("gitdir:"):].strip())
            return target if target.is_absolute() else (root / target).resolve()
    return None


def init(root: Path) -> None:
    """``git init`` with ``main`` as the first branch unless git is told otherwise."""
    configured = run(root, "config", "--get", "init.defaultBranch", check=False).stdout.strip()
    args = ["init", "-q"] if configured else ["-c", "init.defaultBranch=main", "init", "-q"]
    run(root, *args)


#: What git flushes to the disk before it reports a write done (git >= 2.36, ``core.fsync``):
#: its objects, its refs (the branch, so HEAD never names a commit the disk lost) and its index.
FSYNC = "objects,reference,index"


def ask_for_fsync(root: Path) -> None:
    """Have git fsync what a commit writes, so that a power cut after a command reported
    success cannot lose the commit (by default git leaves that to the operating system)."""
    run(root, "config", "core.fsync", FSYNC)


def preflight(root: Path, *, undoing: bool = False) -> None:
    """Refuse to record while git is in the middle of something or not on a branch.

    ``undoing``: the caller is ``undo``, which may finish a revert of HEAD that an earlier
    ``undo`` began and could not end (see :func:`revert_in_progress`).
    """
    gdir = git_dir(root)
    if gdir is None:
        raise GitError(f"{root} 不是 git 仓库，zhengdun 无法保存修改记录",
                       "台账工作区必须是 git 仓库：可运行 git init 后再运行 zhengdun commit -m "
                       "\"建立台账\"，或用 zhengdun init 新建工作区")
    try:
        content = (gdir / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        content = "ref:"
    # First: while git's lock files stand (another git at work, or one killed mid-commit), git
    # can do nothing, not even the aborts named below.
    locks = ["index.lock", "HEAD.lock", "REVERT_HEAD.lock", "packed-refs.lock"]
    if content.startswith("ref: refs/"):
        locks.append(f"{content[5:]}.lock")  # the branch a commit moves
    for lock in locks:
        if (gdir / lock).exists():
            raise GitError(f"另一个 git 程序正在使用这个仓库（存在 .git/{lock}）",
                           f"请等它结束后重试；如果确认没有 git 在运行，删除 .git/{lock} 后重试")
    busy = unfinished(root)
    if busy is not None:
        conflicted = conflicted_paths(root)
        if conflicted:
            raise GitError(f"{busy.doing}，{'、'.join(conflicted)} 的合并冲突还没有解决，"
                           "现在不能记录新的修改", conflict_hint(root, conflicted))
        raise GitError(f"{busy.doing}，现在不能记录新的修改",
                       f"请先{busy.finish} 完成，或运行 {busy.abort} 放弃")
    reverting = revert_in_progress(root)
    if reverting is not None and not (undoing and reverting == head_commit(root)):
        raise GitError("git 正在拣选或撤销提交（cherry-pick / revert）中，现在不能记录新的修改",
                       "如果是 zhengdun undo 被中断，运行 zhengdun undo --yes 完成这次撤销；"
                       "否则请先完成或放弃该操作（git revert --continue 或 git revert --abort）")
    if not content.startswith("ref:"):
        raise GitError("git 当前不在任何分支上（分离 HEAD 状态），新记录可能丢失",
                       "请先切回分支，例如运行 git switch main")


@dataclass(frozen=True)
class Unfinished:
    """A git operation begun and not ended (a merge, a rebase, a cherry-pick), in words that
    work: what git is doing, how to finish it once the conflicts are resolved, how to abort."""

    kind: str  # "merge" | "rebase" | "cherry-pick"
    doing: str
    finish: str
    abort: str


_UNFINISHED = {
    "rebase": Unfinished("rebase", "git 正在变基（rebase）中",
                         "运行 git rebase --continue", "git rebase --abort"),
    "merge": Unfinished("merge", "git 正在合并（merge）中",
                        "运行 git commit --no-edit", "git merge --abort"),
    "cherry-pick": Unfinished("cherry-pick", "git 正在拣选或撤销提交（cherry-pick / revert）中",
                              "运行 git cherry-pick --continue（撤销时 git revert --continue）",
                              "git cherry-pick --abort 或 git revert --abort"),
}


def unfinished(root: Path) -> Unfinished | None:
    """The merge, rebase or cherry-pick in progress in the workspace, read from git's folder.

    The one place that tells them apart: ``preflight`` (every recording command), ``check``
    and the merge driver (which side of a rebase is the clerk's own) all ask it.
    """
    gdir = git_dir(root)
    if gdir is None:
        return None
    if (gdir / "rebase-merge").exists() or (gdir / "rebase-apply").exists():
        return _UNFINISHED["rebase"]
    if (gdir / "MERGE_HEAD").exists():
        return _UNFINISHED["merge"]
    if (gdir / "CHERRY_PICK_HEAD").exists():
        return _UNFINISHED["cherry-pick"]
    return None


def conflicted_paths(root: Path) -> list[str]:
    """Files git holds as unmerged (a conflict not yet resolved with ``git add``)."""
    out = run(root, "diff", "--name-only", "--diff-filter=U", "-z", check=False).stdout
    return sorted(p for p in out.split("\0") if p)


#: What a merge driver runs within when git shows no sign of one yet (git writes MERGE_HEAD
#: only once its merge drivers have run).
MERGING = _UNFINISHED["merge"]


def conflict_hint(root: Path, names: Sequence[str], busy: Unfinished | None = None) -> str:
    """What to do about conflict markers in ``names``: words that work in the state git is in
    (``git checkout -- FILE`` is refused on an unmerged path; ``git commit`` does not end a
    rebase; without a merge in progress the file is simply recorded again)."""
    shown = " ".join(names)
    return (f"用编辑器打开 {shown}，每处冲突在 <<<<<<< 与 ======= 之间、======= 与 >>>>>>> 之间"
            "保留应当保留的行（两边都对的，两边都留），删去这三种标记行，运行 zhengdun check 确认；"
            f"然后{settle_hint(root, names, busy)}")


def settle_hint(root: Path, names: Sequence[str], busy: Unfinished | None = None) -> str:
    """How a file put right after a conflict is recorded: ``git add`` and the command that
    finishes the merge or rebase in progress, or (none) ``zhengdun commit``."""
    busy = busy or unfinished(root)
    if busy is None:
        return "运行 zhengdun commit -m \"解决合并冲突\" 记录"
    return (f"运行 git add {' '.join(names)}，再{busy.finish} 完成"
            f"（或运行 {busy.abort} 放弃，回到开始之前）")


def revert_in_progress(root: Path) -> str | None:
    """The commit a revert in progress takes back (``REVERT_HEAD``), or None.

    ``undo`` writes REVERT_HEAD before it changes a file and git's commit removes it, so a
    killed ``undo`` is seen here. A REVERT_HEAD whose undo HEAD already records (the kill came
    after the commit, before git's clean-up) is finished: it is removed and None returned.
    """
    gdir = git_dir(root)
    if gdir is None:
        return None
    try:
        reverting = (gdir / "REVERT_HEAD").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError:
        return "?"
    if reverting and reverting != head_commit(root):
        last = run(root, "log", "-1", "--format=%B", check=False).stdout
        if f"Zhengdun-Undoes: {reverting}" in last.splitlines():
            run(root, "update-ref", "--no-deref", "-d", "REVERT_HEAD", check=False)
            return None
    return reverting or "?"


@dataclass(frozen=True)
class PathStatus:
    """git's view of one path: tracked or not, and whether it differs from HEAD."""

    path: str
    code: str  # two-letter porcelain code, e.g. " M", "??", "A "

    @property
    def untracked(self) -> bool:
        return self.code == "??"


def status(root: Path, paths: Sequence[str] = ()) -> list[PathStatus]:
    """Changed or untracked files (optionally limited to ``paths``), from ``git status``.

    Without rename detection: a ``git mv`` shows as the old path deleted and the new one
    added, so that a commit of the new path never leaves the deletion behind.
    """
    args = ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"]
    if paths:
        args += ["--", *paths]
    out = run(root, *args).stdout
    entries: list[PathStatus] = []
    parts = out.split("\0")
    i = 0
    while i < len(parts):
        entry = parts[i]
        i += 1
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        if code[0] in "RC":
            i += 1  # the rename's source path follows
        entries.append(PathStatus(path, code))
    return entries


def message(action: str, ref: str, summary: str, extra_refs: Sequence[str] = (),
            trailer_refs: Sequence[str] | None = None) -> str:
    """A commit message: ``<action> <ref>: <summary>`` and the zhengdun trailers.

    One ``Zhengdun-Ref`` trailer for ``ref`` and each of ``extra_refs``, or for each of
    ``trailer_refs`` when the subject names several organizations at once.
    """
    flat = " ".join(summary.split())
    flat = "".join(ch if ch.isprintable() else " " for ch in flat)
    if len(flat) > 72:
        flat = flat[:71] + "…"
    lines = [f"{action} {ref}: {flat}" if flat else f"{action} {ref}", ""]
    lines.append(f"{TRAILER_ACTION}: {action}")
    for one in trailer_refs if trailer_refs is not None else [ref, *extra_refs]:
        lines.append(f"{TRAILER_REF}: {one}")
    return "\n".join(lines) + "\n"


def commit(root: Path, paths: Sequence[str], text: str, new_paths: Sequence[str] = ()) -> str:
    """Commit exactly ``paths`` with message ``text``; returns the new commit id.

    On failure the index is as it was before and a :class:`GitError` says why (or
    ``KeyboardInterrupt`` when Ctrl-C stopped git before it committed); the caller restores the
    files themselves. Once git has moved HEAD the commit stands, even if git was interrupted
    afterwards (a slow ``post-commit`` hook): see :mod:`zhengdun.interrupts`.
    """
    try:
        if new_paths:
            added = run(root, "add", "--", *new_paths, check=False)
            if added.returncode != 0:
                raise _commit_error(root, added.stderr)
        faults.point("before-commit")
        made = _run_commit(root, ["--", *paths], text, paths)
    except BaseException:
        # (Ctrl-C stays held: the caller puts the files back undisturbed; the boundary
        # releases it.)
        _unstage_uncommitted(root, new_paths)  # leave no half-added file
        raise
    faults.point("after-commit")
    return made


def _run_commit(root: Path, args: Sequence[str], text: str, paths: Sequence[str]) -> str:
    """``git commit ARGS`` with Ctrl-C held; the new commit id once HEAD holds it.

    git's exit code is not the test: killed by a Ctrl-C typed at the terminal (it shares the
    process group) while a ``post-commit`` hook runs, git exits by the signal after it moved
    HEAD. What counts is whether HEAD is now a new commit on top of the one before.
    """
    before = _head_if_any(root)
    interrupts.hold()
    if interrupts.received():  # Ctrl-C before git was asked to commit: stop here
        raise KeyboardInterrupt
    result = run(root, "commit", "-q", "--cleanup=whitespace", "-F", "-", *args,
                 input=text, check=False, committing=True)
    if result.returncode == 0:
        interrupts.shield()
        return head_commit(root)
    made = _landed(root, before)
    if made is not None:
        interrupts.shield()
        # git died after it moved HEAD, perhaps before it wrote its index: the files already
        # equal HEAD, so their index entries are put back to it (best effort).
        with contextlib.suppress(Exception):
            run(root, "reset", "-q", "--", *paths, check=False)
        return made
    if interrupts.received() or result.returncode < 0:
        raise KeyboardInterrupt
    raise _commit_error(root, result.stderr + result.stdout)


def _head_if_any(root: Path) -> str | None:
    """HEAD's commit id, or None in a repository without commits."""
    gdir = git_dir(root)
    if gdir is not None:
        with contextlib.suppress(OSError):
            head = (gdir / "HEAD").read_text(encoding="utf-8").strip()
            if head.startswith("ref: ") and (gdir / head[5:]).is_file():
                return head_commit(root)
    found = run(root, "rev-parse", "-q", "--verify", "HEAD", check=False).stdout.strip()
    return found or None


def _landed(root: Path, before: str | None) -> str | None:
    """The commit git made on top of ``before``, if HEAD is now one (else None)."""
    found = run(root, "rev-list", "--parents", "-n", "1", "HEAD", check=False)
    ids = found.stdout.split()
    if found.returncode != 0 or not ids or ids[0] == before:
        return None
    parents = ids[1:]
    if parents == ([before] if before is not None else []):
        return ids[0]
    return None


def _unstage_uncommitted(root: Path, new_paths: Sequence[str]) -> None:
    """Take ``new_paths`` out of the index again, unless a commit already took them in."""
    if not new_paths:
        return
    with contextlib.suppress(BaseException):  # best effort, even under a second Ctrl-C
        out = run(root, "diff", "--cached", "--name-only", "-z", "--", *new_paths,
                  check=False).stdout
        staged = [p for p in out.split("\0") if p]
        if staged:
            run(root, "rm", "-q", "--cached", "--ignore-unmatch", "--", *staged, check=False)


def head_commit(root: Path) -> str:
    """The id of HEAD, read from the ref files (a git process costs more than the answer)."""
    gdir = git_dir(root)
    if gdir is not None:
        try:
            head = (gdir / "HEAD").read_text(encoding="utf-8").strip()
            if head.startswith("ref: "):
                ref = head[5:]
                loose = gdir / ref
                if loose.is_file():
                    value = loose.read_text(encoding="utf-8").strip()
                    if len(value) == 40:
                        return value
            elif len(head) == 40:
                return head
        except OSError:
            pass
    return run(root, "rev-parse", "HEAD").stdout.strip()


def _commit_error(root: Path, stderr: str) -> GitError:
    text = stderr or ""
    if ("Please tell me who you are" in text or "Author identity unknown" in text
            or "empty ident" in text or "unable to auto-detect email" in text):
        return GitError("git 不知道记录人是谁（没有设置 user.name 和 user.email），本次修改未保存",
                        "请先设置记录人，例如：\n"
                        "  git config --global user.name \"张三\"\n"
                        "  git config --global user.email \"zhangsan@example.com\"\n"
                        "然后重新运行刚才的命令")
    # Before index.lock: "Unable to create '.git/index.lock': No space left on device". git
    # does not always name the cause ("couldn't write '.git/REVERT_HEAD.lock'"): a failure
    # with (almost) no space left is put down to the full disk.
    if ("No space left" in text or "Disk quota exceeded" in text
            or ("File exists" not in text and _almost_no_space(root))):
        return GitError("磁盘空间不足，git 无法保存，本次修改未保存", "请清理磁盘空间后重试")
    if "File too large" in text:
        return GitError("文件大小超过系统限制，git 无法保存，本次修改未保存",
                        "可能是磁盘配额或系统对文件大小的限制（ulimit -f）；"
                        "请清理磁盘空间或请管理员放宽限制后重试")
    locked = re.search(r"Unable to create '([^']+\.lock)': File exists", text)
    if locked or "index.lock" in text:
        name = _shown(root, locked[1]) if locked else ".git/index.lock"
        return GitError(f"另一个 git 程序正在使用这个仓库（{name} 被占用），本次修改未保存",
                        f"请等它结束后重新运行刚才的命令；如果确认没有 git 在运行，删除 {name} 后重试")
    # commit.gpgsign with no usable key (gpg, or gpg.format ssh without one)
    if any(sign in text for sign in ("failed to sign", "gpg failed", "cannot run gpg",
                                     "user.signingkey")):
        return GitError("git 设置了提交时签名（commit.gpgsign），但签名没有成功，本次修改未保存："
                        f"\n{_first_lines(text)}",
                        "请确认签名密钥可用（git config user.signingkey 指定的密钥已导入，gpg "
                        "能解锁它）；不需要签名的，运行 git config commit.gpgsign false 关闭，"
                        "然后重新运行刚才的命令")
    gdir = git_dir(root)
    if gdir is not None and any((gdir / "hooks" / hook).exists()
                                for hook in ("pre-commit", "commit-msg", "prepare-commit-msg")):
        return GitError(f"git 钩子拒绝了这次提交，本次修改未保存：\n{_first_lines(text)}",
                        "请按钩子的提示处理后重新运行刚才的命令")
    return GitError(f"git 提交失败，本次修改未保存：\n{_first_lines(text)}",
                    "请在工作区中运行 git status 查看详情")


def _shown(root: Path, path: str) -> str:
    """A path git printed, relative to the workspace when it is inside it."""
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return path


def _almost_no_space(root: Path) -> bool:
    """Whether the workspace's file system has less than 1 MB free."""
    try:
        usage = os.statvfs(root)
    except (OSError, AttributeError):  # pragma: no cover - no statvfs (Windows)
        return False
    return usage.f_bavail * usage.f_frsize < 1024 * 1024


# --------------------------------------------------------------------------- reading history

ZERO = "0" * 40


def resolve_revision(root: Path, text: str) -> str | None:
    """The commit a revision names (``HEAD~3``, a branch, an id), or None."""
    result = run(root, "rev-parse", "-q", "--verify", "--end-of-options", f"{text}^{{commit}}",
                 check=False)
    return result.stdout.strip() or None if result.returncode == 0 else None


def commit_before(root: Path, moment: str) -> str | None:
    """The last commit on HEAD made at or before ``moment`` (an ISO time with its zone)."""
    result = run(root, "rev-list", "-1", f"--before={moment}", "HEAD", check=False)
    return result.stdout.strip() or None


def tree_files(root: Path, rev: str, prefix: str) -> dict[str, str]:
    """Files under ``prefix`` at ``rev``: path → blob id."""
    out = run(root, "ls-tree", "-r", "-z", "--full-tree", rev, "--", prefix).stdout
    files = {}
    for entry in out.split("\0"):
        if not entry:
            continue
        meta, path = entry.split("\t", 1)
        _mode, kind, blob = meta.split()
        if kind == "blob":
            files[path] = blob
    return files


def read_blobs(root: Path, blobs: Sequence[str]) -> dict[str, bytes]:
    """The contents of many blobs through one ``git cat-file --batch`` process."""
    wanted = list(dict.fromkeys(b for b in blobs if b and b != ZERO))
    if not wanted:
        return {}
    try:
        result = subprocess.run(["git", "cat-file", "--batch"], cwd=root, env=_env(),
                                input=("\n".join(wanted) + "\n").encode(), capture_output=True,
                                check=False)
    except FileNotFoundError:
        raise GitError("找不到 git 程序", "请先安装 git") from None
    data = result.stdout
    out: dict[str, bytes] = {}
    pos = 0
    for blob in wanted:
        end = data.index(b"\n", pos)
        header = data[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[1] == b"missing":
            raise GitError(f"git 中找不到对象 {blob}", "仓库可能不完整，请运行 git fsck 检查")
        size = int(header[2])
        out[blob] = data[pos:pos + size]
        pos += size + 1
    return out


@dataclass(frozen=True)
class FileChange:
    """One file changed by a commit: its blob before and after (``ZERO`` when absent)."""

    path: str
    old: str
    new: str
    status: str


def changed_files(root: Path, old: str, new: str, prefix: str) -> list[FileChange]:
    """Files under ``prefix`` that differ between two commits (``git diff-tree``)."""
    out = run(root, "diff-tree", "-r", "-z", "--no-renames", "--raw", "--no-abbrev",
              old, new, "--", prefix).stdout
    return _raw_entries(out.split("\0"))


def _raw_entries(parts: list[str]) -> list[FileChange]:
    changes = []
    i = 0
    while i < len(parts):
        meta = parts[i].lstrip("\n")
        if not meta.startswith(":"):
            i += 1
            continue
        fields = meta[1:].split()
        path = parts[i + 1] if i + 1 < len(parts) else ""
        changes.append(FileChange(path, fields[2], fields[3], fields[4][:1]))
        i += 2
    return changes


@dataclass(frozen=True)
class Commit:
    """A commit as the history commands need it."""

    id: str
    parents: tuple[str, ...]
    author: str
    email: str
    authored: str  # ISO 8601 with zone
    committed: str
    message: str
    files: tuple[FileChange, ...]

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]

    def trailer(self, key: str) -> list[str]:
        """Values of a trailer such as ``Zhengdun-Action``."""
        prefix = f"{key}:"
        return [line[len(prefix):].strip() for line in self.message.splitlines()
                if line.startswith(prefix)]

    @property
    def action(self) -> str | None:
        values = self.trailer(TRAILER_ACTION)
        return values[0] if values else None


def _log_args(paths: Sequence[str], since: str | None, max_count: int | None,
              rev: str) -> list[str]:
    fmt = "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cI%x1f%B%x1f"
    args = ["log", "-z", "--raw", "--no-abbrev", "--no-renames", f"--format={fmt}"]
    if since:
        args.append(f"--since={since}")
    if max_count:
        args.append(f"-{max_count}")
    return [*args, rev, "--", *paths]


#: ``git log`` processes started ahead by :func:`prefetch_log`, by (root, arguments).
_PREFETCHED: dict[tuple[str, tuple[str, ...]], subprocess.Popen[bytes]] = {}


def prefetch_log(root: Path, paths: Sequence[str]) -> None:
    """Start the ``git log`` that :func:`log` will ask for, so that git reads the history
    while Python loads the models (both take about as long); :func:`log` takes its output."""
    args = _log_args(paths, None, None, "HEAD")
    with contextlib.suppress(OSError):
        _PREFETCHED[(str(root), tuple(args))] = subprocess.Popen(
            ["git", "-c", "core.quotePath=false", *args], cwd=root, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=_env(), restore_signals=False)


def _prefetched(root: Path, args: list[str]) -> subprocess.CompletedProcess[str] | None:
    process = _PREFETCHED.pop((str(root), tuple(args)), None)
    if process is None:
        return None
    out, err = process.communicate()
    return subprocess.CompletedProcess(process.args, process.returncode,
                                       out.decode("utf-8", "replace"),
                                       err.decode("utf-8", "replace"))


def log(root: Path, paths: Sequence[str] = (), since: str | None = None,
        max_count: int | None = None, rev: str = "HEAD") -> list[Commit]:
    """Commits touching ``paths`` (newest first), with the files each changed."""
    args = _log_args(paths, since, max_count, rev)
    result = _prefetched(root, args) or run(root, *args, check=False)
    if result.returncode != 0:
        if "does not have any commits" in result.stderr or "bad revision" in result.stderr:
            return []
        raise GitError(f"读取 git 历史失败：{_first_lines(result.stderr)}")
    commits = []
    for record in result.stdout.split("\x1e")[1:]:
        fields = record.split("\x1f")
        if len(fields) < 8:
            continue
        sha, parents, author, email, authored, committed, message, rest = fields[:8]
        files = _raw_entries(rest.split("\0"))
        commits.append(Commit(sha, tuple(parents.split()), author, email, authored, committed,
                              message.strip("\n"), tuple(files)))
    return commits


def begin_revert(root: Path, commit_id: str) -> None:
    """Mark a revert of ``commit_id`` as in progress (``REVERT_HEAD``), before any file changes.

    From here until the revert's commit, ``git status`` says "You are currently reverting",
    :func:`preflight` refuses other commands, and ``undo`` can finish what was begun.
    """
    marked = run(root, "update-ref", "--no-deref", "REVERT_HEAD", commit_id, check=False)
    if marked.returncode != 0:
        raise _commit_error(root, marked.stderr)


def commit_revert(root: Path, paths: Sequence[str], text: str) -> str:
    """Stage ``paths`` as they now are on disk and commit them as the revert begun by
    :func:`begin_revert`; returns the new commit. On failure the revert stays in progress:
    the caller puts back the files, then ends it (:func:`end_revert`)."""
    present = [p for p in paths if (root / p).exists()]
    absent = [p for p in paths if p not in present]
    if present:
        _stage(root, "add", "--", *present)
    if absent:  # --ignore-unmatch: an interrupted undo may have staged the removal already
        _stage(root, "rm", "-q", "--cached", "--ignore-unmatch", "--", *absent)
    faults.point("before-commit")
    _run_commit(root, [], text, paths)
    # git's commit ends the revert itself; make sure, as nothing else would.
    run(root, "update-ref", "--no-deref", "-d", "REVERT_HEAD", check=False)
    faults.point("after-commit")
    return head_commit(root)


def _stage(root: Path, *args: str) -> None:
    staged = run(root, *args, check=False)
    if staged.returncode != 0:
        raise _commit_error(root, staged.stderr)


def end_revert(root: Path, paths: Sequence[str]) -> None:
    """Give up a revert: the index entries of ``paths`` back to HEAD, REVERT_HEAD removed."""
    with contextlib.suppress(BaseException):  # best effort, even under a second Ctrl-C
        run(root, "reset", "-q", "--", *paths, check=False)
        run(root, "update-ref", "--no-deref", "-d", "REVERT_HEAD", check=False)


def resync_index(root: Path, entries: Sequence[PathStatus]) -> list[PathStatus]:
    """Drop from ``entries`` the files that equal HEAD and differ only in git's index.

    A ``git commit`` killed after it moved HEAD but before it wrote its index leaves the old
    index behind (with ``.git/index.lock``): the file is the recorded one, yet ``git status``
    shows it changed. Those index entries are put back to HEAD; nothing recorded changes.
    """
    staged = [e.path for e in entries if e.code[0] not in " ?"]
    if not staged:
        return list(entries)
    compared = run(root, "diff", "--name-only", "--no-renames", "-z", "HEAD", "--", *staged,
                   check=False)
    if compared.returncode != 0:  # no HEAD yet (git init, then zhengdun commit): nothing to heal
        return list(entries)
    differ = compared.stdout.split("\0")
    same = [p for p in staged if p not in differ]
    if same:
        run(root, "reset", "-q", "--", *same)
    return [e for e in entries if e.path not in same]


# --------------------------------------------------------------------------- housekeeping


@dataclass(frozen=True)
class Storage:
    """How git keeps the repository: loose objects, packs, and the commit-graph."""

    loose: int  # objects stored one file each
    packs: int
    commit_graph: bool  # a commit-graph file exists
    changed_paths: bool  # ... with changed-path Bloom filters (fast ``git log -- file``)


def storage(root: Path) -> Storage:
    """Read from ``git count-objects -v`` and the commit-graph files themselves."""
    counts: dict[str, int] = {}
    for line in run(root, "count-objects", "-v").stdout.splitlines():
        key, _, value = line.partition(":")
        with contextlib.suppress(ValueError):
            counts[key.strip()] = int(value.strip())
    graphs: list[Path] = []
    gdir = git_dir(root)
    if gdir is not None:
        info = gdir / "objects" / "info"
        graphs = [info / "commit-graph"] if (info / "commit-graph").is_file() else []
        chain = info / "commit-graphs"
        if chain.is_dir():
            graphs += sorted(chain.glob("*.graph"))
    return Storage(counts.get("count", 0), counts.get("packs", 0), bool(graphs),
                   bool(graphs) and all(_has_bloom(g) for g in graphs))


def _has_bloom(graph: Path) -> bool:
    """Whether a commit-graph file holds changed-path Bloom filters (its BIDX chunk)."""
    try:
        with graph.open("rb") as handle:
            head = handle.read(8)
            if head[:4] != b"CGPH":
                return False
            chunks = head[6]
            table = handle.read(12 * (chunks + 1))
    except OSError:
        return False
    return any(table[i:i + 4] == b"BIDX" for i in range(0, len(table), 12))


def commit_count(root: Path) -> int:
    """How many commits HEAD has behind it (0 in a repository without commits)."""
    out = run(root, "rev-list", "--count", "HEAD", check=False)
    return int(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else 0


#: What ``zhengdun maintain`` asks git to do, in order: (what it is, for the clerk; git args).
HOUSEKEEPING: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("整理引用", ("pack-refs", "--all")),
    ("重新打包对象", ("repack", "-a", "-d", "-f", "-q")),
    ("清除无用对象", ("prune",)),
    ("建立提交图（含变更路径）", ("commit-graph", "write", "--reachable", "--changed-paths")),
)


def housekeep(root: Path, args: Sequence[str]) -> None:
    """One step of :data:`HOUSEKEEPING`; a failure says what git said."""
    result = run(root, *args, check=False)
    if result.returncode != 0:
        raise GitError(f"git {args[0]} 失败：{_first_lines(result.stderr or result.stdout)}",
                       "历史记录没有改动；请处理上述问题后重新运行 zhengdun maintain")


# --------------------------------------------------------------------------- audit

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def each_commit(root: Path, since: str | None = None) -> Iterator[Commit]:
    """Every commit reachable from HEAD, oldest first (parents before children), with the files
    it changed against its first parent; merges come with no files (ask
    :func:`changed_between` for each side). Read as a stream: memory does not grow with the
    history."""
    fmt = "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cI%x1f%B%x1f"
    args = ["git", "-c", "core.quotePath=false", "log", "-z", "--raw", "--no-abbrev",
            "--no-renames", "--reverse", "--topo-order", f"--format={fmt}"]
    if since:
        args.append(f"--since={since}")
    args += ["HEAD", "--"]
    try:
        process = subprocess.Popen(args, cwd=root, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, env=_env(), restore_signals=False)
    except FileNotFoundError:
        raise GitError("找不到 git 程序", "请先安装 git") from None
    assert process.stdout is not None
    pending = b""
    try:
        while chunk := process.stdout.read(1 << 16):
            *records, pending = (pending + chunk).split(b"\x1e")
            for record in records:
                commit = _commit_record(record.decode("utf-8", "replace"))
                if commit is not None:
                    yield commit
        last = _commit_record(pending.decode("utf-8", "replace"))
        if last is not None:
            yield last
    finally:
        process.stdout.close()
        process.wait()


def _commit_record(record: str) -> Commit | None:
    fields = record.split("\x1f")
    if len(fields) < 8:
        return None
    sha, parents, author, email, authored, committed, message, rest = fields[:8]
    return Commit(sha, tuple(parents.split()), author, email, authored, committed,
                  message.strip("\n"), tuple(_raw_entries(rest.split("\0"))))


def changed_between(root: Path, old: str, new: str) -> list[FileChange]:
    """Every file that differs between two commits (``old`` may be :data:`EMPTY_TREE`)."""
    out = run(root, "diff-tree", "-r", "-z", "--no-renames", "--raw", "--no-abbrev",
              old, new).stdout
    return _raw_entries(out.split("\0"))


class BlobReader:
    """One ``git cat-file --batch`` process kept open: blobs one at a time, none kept."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait()

    def read(self, blob: str) -> bytes | None:
        """The blob's bytes, or None when the repository does not have it."""
        if not blob or blob == ZERO:
            return None
        if self.process is None:
            self.process = subprocess.Popen(["git", "cat-file", "--batch"], cwd=self.root,
                                            env=_env(), stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, restore_signals=False)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(blob.encode() + b"\n")
        self.process.stdin.flush()
        header = self.process.stdout.readline().split()
        if len(header) < 3 or header[1] == b"missing":
            return None
        size = int(header[2])
        data = self.process.stdout.read(size + 1)
        return data[:size]


def first_parent_line(root: Path, rev: str = "HEAD") -> list[tuple[str, int]]:
    """The first-parent line of ``rev``, oldest first: (commit, committer time in seconds)."""
    out = run(root, "log", "--first-parent", "--reverse", "--format=%H %ct", rev, "--",
              check=False)
    if out.returncode != 0:
        return []
    line = []
    for entry in out.stdout.splitlines():
        sha, _, stamp = entry.partition(" ")
        if stamp.strip().lstrip("-").isdigit():
            line.append((sha, int(stamp)))
    return line


def shallow_commits(root: Path) -> set[str]:
    """The commits whose parents this clone does not have (``.git/shallow``); empty when the
    history is complete."""
    gdir = git_dir(root)
    if gdir is None:
        return set()
    try:
        return set((gdir / "shallow").read_text(encoding="utf-8").split())
    except OSError:
        return set()


def partial_clone(root: Path) -> bool:
    """Whether objects may be missing on purpose (a ``--filter`` clone)."""
    out = run(root, "config", "--get-regexp", r"^(extensions\.partialclone|remote\..*\.promisor)$",
              check=False).stdout
    return any(line.split()[-1:] != ["false"] for line in out.splitlines() if line.strip())


@dataclass(frozen=True)
class Move:
    """One entry of HEAD's reflog: HEAD moved from ``old`` to ``new``."""

    old: str
    new: str
    who: str
    when: int  # seconds
    what: str  # git's reason, e.g. "reset: moving to HEAD~1"


def head_moves(root: Path) -> list[Move]:
    """HEAD's reflog (``.git/logs/HEAD``), oldest first; empty when there is none."""
    gdir = git_dir(root)
    if gdir is None:
        return []
    try:
        text = (gdir / "logs" / "HEAD").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    moves = []
    for line in text.splitlines():
        head, _, what = line.partition("\t")
        match = re.fullmatch(r"([0-9a-f]{40}) ([0-9a-f]{40}) (.*?) (-?\d+) [-+]\d{4}", head)
        if match:
            moves.append(Move(match[1], match[2], match[3], int(match[4]), what))
    return moves


def reachable(root: Path, rev: str = "HEAD") -> set[str]:
    """Every commit reachable from ``rev``."""
    out = run(root, "rev-list", rev, "--", check=False)
    return set(out.stdout.split()) if out.returncode == 0 else set()


def dropped(root: Path, old: str, rev: str = "HEAD") -> list[Commit]:
    """Commits reachable from ``old`` and not from ``rev`` whose change ``rev`` does not hold
    under another id (a rebase's picks are not dropped), newest first."""
    out = run(root, "rev-list", "--cherry-pick", "--left-only", "--no-merges",
              f"{old}...{rev}", "--", check=False)
    if out.returncode != 0:
        return []
    found = []
    for sha in out.stdout.split():
        found += log(root, max_count=1, rev=sha)
    return found


def published_not_in(root: Path, rev: str = "HEAD") -> set[str]:
    """Commits that a remote-tracking branch holds, or held at some time (its reflog), and
    ``rev`` does not contain: what this clone has seen published that is not here."""
    refs = run(root, "for-each-ref", "--format=%(refname)", "refs/remotes", check=False)
    tips: set[str] = set()
    for ref in refs.stdout.split() if refs.returncode == 0 else []:
        seen = run(root, "log", "-g", "--format=%H", ref, "--", check=False)
        current = run(root, "rev-parse", "-q", "--verify", f"{ref}^{{commit}}", check=False)
        tips.update(seen.stdout.split() if seen.returncode == 0 else [])
        tips.update(current.stdout.split() if current.returncode == 0 else [])
    if not tips:
        return set()
    out = run(root, "rev-list", "--ignore-missing", "--stdin", "--",
              input="".join(f"{tip}\n" for tip in sorted(tips)) + f"^{rev}\n", check=False)
    return set(out.stdout.split()) if out.returncode == 0 else set()


def upstream(root: Path) -> str | None:
    """The branch's upstream (``@{upstream}``) as a commit, or None when it has none."""
    out = run(root, "rev-parse", "-q", "--verify", "@{upstream}^{commit}", check=False)
    return out.stdout.strip() or None if out.returncode == 0 else None


def missing_from(root: Path, rev: str, base: str = "HEAD") -> list[str]:
    """Commits of ``rev`` that ``base`` does not contain, newest first."""
    out = run(root, "rev-list", rev, "--not", base, "--", check=False)
    return out.stdout.split() if out.returncode == 0 else []


def contains(root: Path, ancestor: str, rev: str = "HEAD") -> bool:
    """Whether ``ancestor`` is in the history of ``rev``."""
    return run(root, "merge-base", "--is-ancestor", ancestor, rev, check=False).returncode == 0


def signature(root: Path, commit: str) -> str:
    """git's verdict on a commit's signature (``%G?``): G good, B bad, N none, U/X/Y/R/E …"""
    return run(root, "log", "-1", "--format=%G?", commit, "--", check=False).stdout.strip() or "N"


def merge_file(root: Path, ours: Path, base: Path, theirs: Path, *,
               show: bool = False) -> tuple[int, bytes]:
    """git's own line-by-line merge of three files (``git merge-file``): (0 when it merged
    cleanly, else 1; the text). Written into ``ours``, or with ``show`` only returned."""
    command = ["git", "merge-file", "-L", "本机", "-L", "共同的上一版", "-L", "对方",
               *(["-p"] if show else []), str(ours), str(base), str(theirs)]
    try:
        result = subprocess.run(command, cwd=root, env=_env(), capture_output=True,
                                check=False, restore_signals=False)
    except FileNotFoundError:
        raise GitError("找不到 git 程序", "请先安装 git") from None
    if result.returncode < 0:
        raise GitError("git merge-file 失败："
                       f"{_first_lines(result.stderr.decode('utf-8', 'replace'))}")
    return (0 if result.returncode == 0 else 1), result.stdout


def commits_with_trailer(root: Path, key: str, value: str) -> list[tuple[str, str]]:
    """(commit id, commit date ``YYYY-MM-DD``) of every commit whose message has the trailer
    line ``key: value``, newest first (``import`` finds a file it already recorded)."""
    result = run(root, "log", "--fixed-strings", f"--grep={key}: {value}", "--format=%H %cs",
                 check=False)
    if result.returncode != 0:
        return []
    return [(parts[0], parts[1]) for line in result.stdout.splitlines()
            if len(parts := line.split()) == 2]


def identity(root: Path) -> str:
    """The e-mail of the git identity a commit made now would carry as its author (git's own
    settings and ``GIT_AUTHOR_EMAIL``, as ``git commit`` reads them); "" when none is set."""
    result = run(root, "var", "GIT_AUTHOR_IDENT", check=False)
    found = re.search(r"<([^>]*)>", result.stdout)
    return found.group(1) if result.returncode == 0 and found else ""


def configure_pull(root: Path) -> None:
    """What plain ``git pull`` needs to do what ``zhengdun sync`` does: put the clerk's
    unpublished commits on top of the server's (``pull.rebase``), instead of stopping with
    "Need to specify how to reconcile divergent branches"."""
    run(root, "config", "pull.rebase", "true")


def in_hook(*args: str, stdin: bytes | None = None) -> bytes:
    """Run git from a server hook: in the repository git runs the hook in, and with the
    environment git gave it (``GIT_DIR``, and during a push the quarantine's object folder
    that holds the new commits), which :func:`run` deliberately drops."""
    env = {**os.environ, "LC_ALL": "C"}
    try:
        result = subprocess.run(["git", "-c", "core.quotePath=false", *args], input=stdin,
                                capture_output=True, env=env, check=False)
    except FileNotFoundError:
        raise GitError("服务器上找不到 git 程序") from None
    if result.returncode != 0:
        raise GitError(f"git 执行失败：{_first_lines(result.stderr.decode('utf-8', 'replace'))}")
    return result.stdout
