"""同步: several clerks share one workspace through an ordinary git server (``zhengdun sync``).

What sync does with the clerk's records that the server has not seen yet: it **rebases** them
onto the server's branch, then pushes. Published history is never rewritten: the server's
commits stay exactly as they are, and only the clerk's own, never-published commits are
replayed on top of them (they get new commit ids and a new committer date, the moment they
join the shared line; the author date keeps when the clerk recorded them). The history stays
one line, so ``log``, ``diff`` and ``undo`` read it as they read a single clerk's. Plain
``git pull`` is configured to do the same (``pull.rebase``, see :func:`configure`).

A push the server turns down because another clerk published first (the branch moved
meanwhile) is expected when many sync at once: fetch, rebase and push again, a bounded number
of times. A push the server's hook rejects (:mod:`zhengdun.server_hook`) is reported with the
hook's own words; nothing local is lost either way (the records stay committed locally, on
top of what the server has).

GitPython does the remote side (fetch and push, with its progress parser), imported only here
and only when ``sync`` runs; everything else runs the git program as the rest of zhengdun does.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zhengdun import history, place
from zhengdun.errors import UserError

if TYPE_CHECKING:
    from git import Remote, Repo

#: (stage, objects done, objects in all or None): what a progress bar shows.
Progress = Callable[[str, int, int | None], None]

#: How many times a push that lost the race to another clerk's is tried again.
ATTEMPTS = 30

STAGES = {"COUNTING": "清点", "COMPRESSING": "压缩", "WRITING": "上传", "RECEIVING": "下载",
          "RESOLVING": "整理", "FINDING_SOURCES": "查找", "CHECKING_OUT": "检出"}


@dataclass
class Synced:
    """What one ``sync`` did."""

    remote: str
    branch: str
    received: int = 0  # commits brought from the server
    sent: int = 0  # the clerk's commits now published
    retries: int = 0  # pushes tried again after another clerk published first

    def said(self) -> str:
        """The line the clerk reads."""
        if not self.received and not self.sent:
            return f"已是最新：本地台账与服务器（{self.remote}/{self.branch}）一致，没有需要同步的记录"
        parts = []
        if self.received:
            parts.append(f"取回其他同志的 {self.received} 次记录")
        if self.sent:
            parts.append(f"发布本地的 {self.sent} 次记录")
        return f"已同步（{self.remote}/{self.branch}）：{'，'.join(parts)}"


def configure(root: Path) -> None:
    """The repository settings a shared workspace needs, for ``sync`` and for plain git alike:
    ``git pull`` rebases; the ledger merge driver is registered (and re-registered, so a moved
    program is found again);
    commits are signed with the clerk's SSH key when ``zhengdun.yaml`` names one."""
    from zhengdun.merging import register_merge_driver

    history.configure_pull(root)
    register_merge_driver(root)
    _configure_signing(root)


def _configure_signing(root: Path) -> None:
    """``gpg.format=ssh`` and ``commit.gpgsign`` for a clerk whose key ``zhengdun.yaml`` names;
    the private key itself is the clerk's (``user.signingkey``), never in the workspace."""
    from zhengdun import store

    # plain data, not the models: a sync with nothing to do stays light (check judges the file)
    data = store.read(root / place.CONFIG_NAME, place.CONFIG_NAME).parse().data
    clerks = [c for c in (data.get("clerks") if isinstance(data, dict) else None) or []
              if isinstance(c, dict) and c.get("signing_key")]
    if not clerks:
        return
    email = history.identity(root).lower()
    clerk = next((c for c in clerks if str(c.get("email", "")).lower() == email), None)
    if clerk is None:
        return
    history.run(root, "config", "gpg.format", "ssh")
    history.run(root, "config", "commit.gpgsign", "true")
    key = history.run(root, "config", "--get", "user.signingkey", check=False).stdout.strip()
    if not key:
        raise UserError(f"zhengdun.yaml 要求 {clerk.get('name') or email} 的提交用 SSH 密钥签名，但 git 还不知道用哪把"
                        "私钥签名，本次未同步",
                        "请运行 git config user.signingkey ~/.ssh/id_ed25519（换成与 zhengdun.yaml "
                        "中公钥配对的私钥文件）后重新运行 zhengdun sync")


def sync(root: Path, progress: Progress | None = None, attempts: int = ATTEMPTS) -> Synced:
    """Fetch, put the clerk's unpublished commits on top of the server's, push."""
    import logging

    import git

    # GitPython logs a rejected push's lines as a warning; the clerk reads them in our message
    logging.getLogger("git").addHandler(logging.NullHandler())
    with place.lock(root):
        history.preflight(root)
        _refuse_hand_edits(root)
        configure(root)
        repo = git.Repo(root)
        try:
            repo.git.update_environment(LC_ALL="C", LANGUAGE="C", GIT_TERMINAL_PROMPT="0")
            remote = _remote(repo)
            branch = repo.active_branch.name
            done = Synced(remote.name, branch)
            upstream = f"refs/remotes/{remote.name}/{branch}"
            for attempt in range(attempts):
                _fetch(remote, progress)
                done.received += _integrate(repo, upstream)
                _configure_signing(root)  # the server's zhengdun.yaml may have named a key
                ahead = _count(repo, f"{upstream}..HEAD" if _exists(repo, upstream) else "HEAD")
                if not ahead:
                    return done
                if _push(remote, branch, progress):
                    done.sent = ahead
                    return done
                done.retries += 1
                time.sleep(random.uniform(0.05, 0.2) * min(attempt + 1, 5))
        finally:
            repo.close()
    raise UserError(f"服务器上的台账一直在更新，试了 {attempts} 次仍未能发布本地记录",
                    "本地记录都还在；请稍后重新运行 zhengdun sync")


def _refuse_hand_edits(root: Path) -> None:
    pending = [s.path for s in history.status(root, [place.CONFIG_NAME, place.LEDGERS])]
    if pending:
        raise UserError(f"有未记录的手工修改（{'、'.join(pending[:5])}），现在同步会把它们卷进去",
                        "请先运行 zhengdun commit -m \"说明\" 记录，或用 git checkout -- 文件 "
                        "放弃修改，再运行 zhengdun sync")


def _remote(repo: Repo) -> Remote:
    tracking = repo.active_branch.tracking_branch()
    names = [r.name for r in repo.remotes]
    if tracking is not None and tracking.remote_name in names:
        return repo.remote(tracking.remote_name)
    if "origin" in names:
        return repo.remote("origin")
    if len(names) == 1:
        return repo.remote(names[0])
    if not names:
        raise UserError("这个工作区还没有设置服务器（git 远程仓库），无从同步",
                        "请运行 git remote add origin 服务器地址（例如 "
                        "git@git.example.gov.cn:zuzhibu/taizhang.git）后重新运行 zhengdun sync；"
                        "或用 git clone 服务器地址 取得共用的工作区")
    raise UserError(f"工作区有多个远程仓库（{'、'.join(names)}），不知道和哪个同步",
                    "请把要同步的那个命名为 origin（git remote rename 名称 origin）")


def _fetch(remote: Remote, progress: Progress | None) -> None:
    from git import GitCommandError

    relay = _relay(progress)
    try:
        remote.fetch(progress=relay)
    except GitCommandError as exc:  # git's reason went to the progress parser's error lines
        raise _unreachable(remote, _said_by_git(relay, exc)) from None


def _integrate(repo: Repo, upstream: str) -> int:
    """Bring the server's commits in: fast-forward, or rebase the unpublished ones on top."""
    from git import GitCommandError

    if not _exists(repo, upstream):
        return 0  # a new, empty server: nothing to bring in
    behind = _count(repo, f"HEAD..{upstream}")
    if not behind:
        return 0
    if not _count(repo, f"{upstream}..HEAD"):
        repo.git.merge("--ff-only", "-q", upstream)
        return behind
    try:
        repo.git.rebase("-q", upstream)
    except GitCommandError as exc:
        conflicted = repo.git.diff("--name-only", "--diff-filter=U").split()
        with contextlib.suppress(GitCommandError):
            repo.git.rebase("--abort")
        if not conflicted:
            raise UserError(f"把本地记录接到服务器的记录之后时失败：{_first(str(exc.stderr))}",
                            "本地记录都还在（已恢复到同步前的样子）；请运行 git status 查看") from None
        raise UserError(f"本地记录与其他同志已发布的记录在 {'、'.join(conflicted)} 中冲突，无法自动合并，"
                        "本次未同步", "本地记录都还在（已恢复到同步前的样子）；请与负责该村(社区)的同志"
                        "商定后，由一方修改，再运行 zhengdun sync") from None
    return behind


def _push(remote: Remote, branch: str, progress: Progress | None) -> bool:
    """Push; False when another clerk published first (fetch and try again)."""
    from git import GitCommandError, PushInfo

    relay = _relay(progress)
    try:
        results = remote.push(f"HEAD:refs/heads/{branch}", progress=relay, set_upstream=True)
    except GitCommandError as exc:
        raise _unreachable(remote, _said_by_git(relay, exc)) from None
    told = _remote_lines(relay)
    for info in results:
        if info.flags & PushInfo.REJECTED:
            return False  # not a fast-forward: the server moved since the fetch
        if info.flags & (PushInfo.REMOTE_REJECTED | PushInfo.REMOTE_FAILURE | PushInfo.ERROR):
            if "hook declined" not in info.summary:
                return False  # e.g. "failed to update ref": another push won the ref's lock
            said = "\n".join(f"  {line}" for line in told) or "  （服务器没有说明原因）"
            raise UserError(f"服务器拒绝了这次同步，本地的记录没有发布。服务器的说明：\n{said}",
                            "本地记录都还在；请按服务器的说明处理后重新运行 zhengdun sync")
    if not results:
        raise UserError("推送到服务器失败（git 没有报告结果）", "本地记录都还在；请稍后重试")
    return True


def _unreachable(remote: Remote, stderr: str) -> UserError:
    url = next(iter(remote.urls), remote.name)
    text = stderr.lower()
    nothing_lost = "本地记录都还在，没有任何改动"
    if any(s in text for s in ("does not appear to be a git repository", "repository not found",
                               "not exported", "no such file", "not found")):
        return UserError(f"服务器上没有这个台账仓库：{url}",
                         f"{nothing_lost}；请核对地址（git remote -v 查看，git remote set-url "
                         "origin 正确地址 修改）")
    if any(s in text for s in ("authentication failed", "permission denied", "could not read "
                               "username", "terminal prompts disabled", "403", "401",
                               "access denied", "publickey")):
        return UserError(f"服务器 {url} 拒绝了身份验证（用户名、密码或 SSH 密钥不对），无法同步",
                         f"{nothing_lost}；请确认 git 能登录这个服务器（例如 git fetch 能成功），"
                         "再运行 zhengdun sync")
    return UserError(f"连不上服务器 {url}，无法同步：{_first(stderr)}",
                     f"{nothing_lost}；请检查网络和服务器地址（git remote -v），网络恢复后重新运行 "
                     "zhengdun sync")


def _said_by_git(relay: Any, exc: Exception) -> str:
    """Everything git wrote on stderr: GitPython's progress parser keeps it in its lines."""
    return "\n".join([*relay.error_lines, *relay.other_lines, str(getattr(exc, "stderr", ""))])


def _first(stderr: str) -> str:
    """git's own reason (``fatal: …``, with its continuation line), out of what it wrote."""
    lines = [line.strip().removeprefix("stderr: '").rstrip("'").strip()
             for line in stderr.splitlines()]
    lines = [line for line in lines if line]
    for index, line in enumerate(lines):
        for mark in ("fatal:", "error:"):
            if mark in line:
                reason = line[line.index(mark):]
                if reason.endswith(":") and index + 1 < len(lines):
                    reason += " " + lines[index + 1]
                return reason
    return lines[0] if lines else "（git 没有给出原因）"


def _exists(repo: Repo, ref: str) -> bool:
    try:
        repo.git.rev_parse("--verify", "-q", ref)
    except Exception:
        return False
    return True


def _count(repo: Repo, spec: str) -> int:
    return int(repo.git.rev_list("--count", spec) or 0)


def _relay(progress: Progress | None) -> Any:
    """GitPython's progress parser, handing each stage on to ``progress``."""
    from git import RemoteProgress

    class Relay(RemoteProgress):
        def update(self, op_code: int, cur_count: str | float, max_count: str | float | None = None,
                   message: str = "") -> None:
            if progress is None:
                return
            stage = next((words for name, words in STAGES.items()
                          if op_code & getattr(RemoteProgress, name)), "传输")
            progress(stage, int(float(cur_count or 0)),
                     int(float(max_count)) if max_count else None)

    return Relay()


def _remote_lines(relay: Any) -> list[str]:
    """What the server's hook said (git relays it as ``remote: …``)."""
    lines = []
    for line in [*relay.other_lines, *relay.error_lines]:
        if line.startswith("remote:"):
            text = line[len("remote:"):].strip()
            if text and not text.startswith(("Resolving", "Counting", "Compressing")):
                lines.append(text)
    return lines
