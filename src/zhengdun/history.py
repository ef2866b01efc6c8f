"""Talking to git: the only module that runs it.

zhengdun calls the git program itself rather than GitPython: one ``git commit`` costs about
20 ms, while importing GitPython alone costs 87 ms and its index writes are slower still (see
PERF-NOTES). git's own settings and environment (``user.name``, ``GIT_AUTHOR_DATE``, hooks, …)
apply exactly as they would to a ``git commit`` typed by the clerk.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from zhengdun.errors import GitError

TRAILER_ACTION = "Zhengdun-Action"
TRAILER_REF = "Zhengdun-Ref"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["LC_ALL"] = "C"  # git's messages in English, so they can be recognised and reworded
    env.pop("LANGUAGE", None)
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def run(root: Path, *args: str, input: str | None = None, check: bool = True,
        ) -> subprocess.CompletedProcess[str]:
    """Run ``git -C root ARGS``; a missing git program becomes a clear message."""
    command = ["git", "-c", "core.quotePath=false", *args]
    try:
        result = subprocess.run(command, cwd=root, input=input, capture_output=True,
                                text=True, encoding="utf-8", errors="replace", env=_env())
    except FileNotFoundError:
        raise GitError("找不到 git 程序，zhengdun 需要用 git 保存修改记录",
                       "请先安装 git（例如 apt install git），并确认 git 命令在 PATH 中") from None
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


def preflight(root: Path) -> None:
    """Refuse to record while git is in the middle of something or not on a branch."""
    gdir = git_dir(root)
    if gdir is None:
        raise GitError(f"{root} 不是 git 仓库，zhengdun 无法保存修改记录",
                       "台账工作区必须是 git 仓库：可运行 git init 后再运行 zhengdun commit -m "
                       "\"建立台账\"，或用 zhengdun init 新建工作区")
    if (gdir / "MERGE_HEAD").exists():
        raise GitError("git 正在合并（merge）中，现在不能记录新的修改",
                       "请先完成合并（解决冲突后 git commit），或运行 git merge --abort 放弃合并")
    if (gdir / "rebase-merge").exists() or (gdir / "rebase-apply").exists():
        raise GitError("git 正在变基（rebase）中，现在不能记录新的修改",
                       "请先运行 git rebase --continue 完成，或 git rebase --abort 放弃")
    if (gdir / "CHERRY_PICK_HEAD").exists() or (gdir / "REVERT_HEAD").exists():
        raise GitError("git 正在拣选或撤销提交（cherry-pick / revert）中，现在不能记录新的修改",
                       "请先完成或放弃该操作（git cherry-pick --abort 或 git revert --abort）")
    head = gdir / "HEAD"
    try:
        content = head.read_text(encoding="utf-8").strip()
    except OSError:
        content = "ref:"
    if not content.startswith("ref:"):
        raise GitError("git 当前不在任何分支上（分离 HEAD 状态），新记录可能丢失",
                       "请先切回分支，例如运行 git switch main")
    if (gdir / "index.lock").exists():
        raise GitError("另一个 git 程序正在使用这个仓库（存在 .git/index.lock）",
                       "请等它结束后重试；如果确认没有 git 在运行，删除 .git/index.lock 后重试")


@dataclass(frozen=True)
class PathStatus:
    """git's view of one path: tracked or not, and whether it differs from HEAD."""

    path: str
    code: str  # two-letter porcelain code, e.g. " M", "??", "A "

    @property
    def untracked(self) -> bool:
        return self.code == "??"


def status(root: Path, paths: Sequence[str] = ()) -> list[PathStatus]:
    """Changed or untracked files (optionally limited to ``paths``), from ``git status``."""
    args = ["status", "--porcelain=v1", "-z", "--untracked-files=all"]
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


def message(action: str, ref: str, summary: str, extra_refs: Sequence[str] = ()) -> str:
    """A commit message: ``<action> <ref>: <summary>`` and the zhengdun trailers."""
    flat = " ".join(summary.split())
    flat = "".join(ch if ch.isprintable() else " " for ch in flat)
    if len(flat) > 72:
        flat = flat[:71] + "…"
    lines = [f"{action} {ref}: {flat}" if flat else f"{action} {ref}", ""]
    lines.append(f"{TRAILER_ACTION}: {action}")
    for one in [ref, *extra_refs]:
        lines.append(f"{TRAILER_REF}: {one}")
    return "\n".join(lines) + "\n"


def commit(root: Path, paths: Sequence[str], text: str, new_paths: Sequence[str] = ()) -> str:
    """Commit exactly ``paths`` with message ``text``; returns the new commit id.

    On failure the index is put back for those paths and a :class:`GitError` says why; the
    caller restores the files themselves.
    """
    if new_paths:
        added = run(root, "add", "--", *new_paths, check=False)
        if added.returncode != 0:
            raise _commit_error(root, added.stderr)
    result = run(root, "commit", "-q", "--cleanup=whitespace", "-F", "-", "--", *paths,
                 input=text, check=False)
    if result.returncode != 0:
        if new_paths:
            run(root, "rm", "-q", "--cached", "--ignore-unmatch", "--", *new_paths, check=False)
        run(root, "reset", "-q", "--", *paths, check=False)
        raise _commit_error(root, result.stderr + result.stdout)
    return head_commit(root)


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
    if "index.lock" in text:
        return GitError("另一个 git 程序正在使用这个仓库（.git/index.lock 被占用），本次修改未保存",
                        "请等它结束后重新运行刚才的命令；如果确认没有 git 在运行，删除 "
                        ".git/index.lock 后重试")
    gdir = git_dir(root)
    if gdir is not None and any((gdir / "hooks" / hook).exists()
                                for hook in ("pre-commit", "commit-msg", "prepare-commit-msg")):
        return GitError(f"git 钩子拒绝了这次提交，本次修改未保存：\n{_first_lines(text)}",
                        "请按钩子的提示处理后重新运行刚才的命令")
    if "No space left" in text:
        return GitError("磁盘空间不足，git 无法保存，本次修改未保存", "请清理磁盘空间后重试")
    return GitError(f"git 提交失败，本次修改未保存：\n{_first_lines(text)}",
                    "请在工作区中运行 git status 查看详情")


def has_commits(root: Path) -> bool:
    """Whether the repository has a first commit."""
    return run(root, "rev-parse", "-q", "--verify", "HEAD", check=False).returncode == 0
