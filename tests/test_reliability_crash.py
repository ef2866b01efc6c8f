"""Crash consistency: the changing commands killed with SIGKILL, as real processes.

Every changing command (``org add``, ``add``, ``step``, ``close``, ``reopen``, ``accept``,
``commit``, ``undo --yes``) is run as the installed ``zhengdun`` program and killed at each of
its crash points (``ZHENGDUN_FAULT``, see ``zhengdun.faults``) and at random moments (a SIGKILL
after a random delay, to the program alone — its git child then finishes on its own — or to its
whole process group, git included). After each kill:

- the ledger file is byte for byte the old version or the new one (the new one computed by
  running the same command without a fault in a twin workspace);
- ``zhengdun check`` exits 0 and, when something was written but not committed, names the
  organization, the file, and the commands that finish (``zhengdun commit -m``) or discard
  (``git checkout --``) it;
- the recovery zhengdun names (``zhengdun commit -m``, deleting a stale ``.git/index.lock``,
  ``zhengdun undo --yes``) leaves the workspace clean, ``check`` passing, and every event
  recorded before the crash still there (compared with a model of what was recorded).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import TODAY, Run, pinned_env_outside_a_test
from processes import (
    Done,
    Event,
    commit_count,
    events,
    file_bytes,
    finish,
    git,
    spawn,
    tree_status,
    wait_for_session,
    wait_until_locked,
    zhengdun,
)
from zhengdun import faults

RECOVERY_MESSAGE = "补记中断的记录"
PENDING = "以下文件已写入、但尚未记录到历史中（手工修改，或上一条命令被中断）："
DAY = date.fromisoformat(TODAY)

BASE = [
    ("org", "add", "城东社区", "--township", "城关镇", "--kind", "社区", "--designated",
     "2026-03-15", "--category", "10"),
    ("add", "城东社区", "小区停车位不足，居民反映近两年未解决", "--category", "10", "--source",
     "群众反映", "--found", "2026-03-10", "--due", "2026-06-30", "--owner", "王五"),
    ("step", "chengdong/1", "召开居民议事会", "--on", "2026-04-02"),
    ("add", "chengdong", "党员活动室不达标", "--category", "9", "--found", "2026-03-20",
     "--due", "2026-09-30", "--owner", "李四"),
    ("close", "chengdong/2", "--result", "完成改造", "--on", "2026-05-20",
     "--verified-by", "城关镇党委"),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """城东社区 with chengdong/1 (open, one step) and chengdong/2 (closed); built once."""
    folder = tmp_path_factory.mktemp("crash-base")
    with pinned_env_outside_a_test(folder / "home"):
        root = folder / "示范县台账"
        result: Any = Run(folder)("init", str(root), "--county", "示范县", "--issuer", "组织部")
        assert result.exit_code == 0, result.output
        for args in BASE:
            result = Run(root)(*args)
            assert result.exit_code == 0, result.output
    return root


def in_process(root: Path, *args: str) -> Any:
    """The same command through the Typer app (the twin and the checks: no kill there)."""
    return Run(root)(*args)


def hand_edit(root: Path, note: str = "手工更正") -> None:
    """What a clerk does in an editor: change a value, add a comment."""
    path = root / "ledgers" / "chengdong.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("owner: 王五\n") == 1
    path.write_text(text.replace("owner: 王五\n", f"owner: 王五、赵六  # {note}\n"),
                    encoding="utf-8")


@dataclass(frozen=True)
class Command:
    """A changing command, the file it changes, and the crash points it passes."""

    id: str
    args: tuple[str, ...]
    target: str
    name: str  # the organization, as check names it
    stages: tuple[str, ...] = faults.STAGES
    prepare: Callable[[Path], None] | None = None

    def __str__(self) -> str:
        return self.id


COMMANDS = [
    Command("org-add", ("org", "add", "后沟村", "--township", "城关镇", "--kind", "村",
                        "--designated", "2026-04-01", "--category", "1"),
            "ledgers/hougou.yaml", "后沟村"),
    Command("add", ("add", "城东社区", "村务公开不及时", "--category", "10", "--found",
                    "2026-04-01", "--due", "2026-12-31", "--owner", "李四"),
            "ledgers/chengdong.yaml", "城东社区"),
    Command("step", ("step", "chengdong/1", "召开党员大会，通报整改进度"),
            "ledgers/chengdong.yaml", "城东社区"),
    Command("close", ("close", "chengdong/1", "--result", "新增停车位120个", "--verified-by",
                      "城关镇党委"), "ledgers/chengdong.yaml", "城东社区"),
    Command("reopen", ("reopen", "chengdong/2", "--reason", "回头看发现活动室又被占用"),
            "ledgers/chengdong.yaml", "城东社区"),
    Command("accept", ("accept", "城东社区", "--grade", "基本合格", "--by", "县委组织部"),
            "ledgers/chengdong.yaml", "城东社区"),
    Command("commit", ("commit", "-m", "更正责任人"), "ledgers/chengdong.yaml", "城东社区",
            ("before-commit", "after-commit"), hand_edit),
    Command("undo", ("undo", "--yes"), "ledgers/chengdong.yaml", "城东社区"),
    # Undoing an org add removes its file; a resumed undo finds the removal already staged.
    Command("undo-org-add", ("undo", "--yes"), "ledgers/hougou.yaml", "后沟村",
            ("after-rename", "before-commit"), lambda root: add_hougou(root)),
]


COMMAND = {c.id: c for c in COMMANDS}


def add_hougou(root: Path) -> None:
    """后沟村 registered (the command that ``undo-org-add`` takes back)."""
    result = in_process(root, *COMMAND["org-add"].args)
    assert result.exit_code == 0, result.output


@dataclass
class Scenario:
    """One command about to be killed: a workspace, and what its file was and will be."""

    root: Path
    command: Command
    old: bytes | None
    new: bytes | None
    before: set[Event]
    after: set[Event]
    commits: int

    @property
    def path(self) -> Path:
        return self.root / self.command.target


def scenario(template: Path, tmp_path: Path, command: Command) -> Scenario:
    root = tmp_path / "ws"
    twin = tmp_path / "twin"
    shutil.copytree(template, root, symlinks=True)
    shutil.copytree(template, twin, symlinks=True)
    if command.prepare is not None:
        command.prepare(root)
        command.prepare(twin)
    old = git_version(root, command.target)
    result = in_process(twin, *command.args)
    assert result.exit_code == 0, result.output
    new = file_bytes(twin / command.target)
    assert new != old
    return Scenario(root, command, old, new, events(root), events(twin), commit_count(root))


def git_version(root: Path, rel: str) -> bytes | None:
    """The file as last recorded (None: not in HEAD)."""
    shown = subprocess.run(["git", "show", f"HEAD:{rel}"], cwd=root, capture_output=True)
    return shown.stdout if shown.returncode == 0 else None


def check_output(root: Path) -> str:
    """``zhengdun check``: must exit 0 after any kill; returns what it printed."""
    result = in_process(root, "check")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return str(result.stdout)


def assert_clean(root: Path) -> None:
    """Nothing pending: git status empty, check passing, git not in the middle of anything.

    A killed writer's hidden files (``.NAME.PID.tmp``, ``.NAME.PID.old.tmp``) may remain: git
    ignores them (the status is empty), reads skip them, the next write of that file sweeps
    them. Any left must belong to a process that is gone."""
    assert tree_status(root) == ""
    out = check_output(root)
    assert "全部通过" in out and PENDING not in out, out
    for leftover in (root / "ledgers").glob(".*.tmp"):
        match = re.fullmatch(r"\.[a-z0-9-]+\.yaml\.(\d+)(\.old)?\.tmp", leftover.name)
        assert match, leftover
        with pytest.raises(ProcessLookupError):
            os.kill(int(match[1]), 0)
    gdir = root / ".git"
    assert not (gdir / "index.lock").exists() and not (gdir / "REVERT_HEAD").exists()


def assert_no_leftovers(root: Path) -> None:
    """Nothing hidden left either (after a write of the file swept it)."""
    assert not list((root / "ledgers").glob(".*.tmp"))


# --------------------------------------------------------------------------- every stage


CASES = [pytest.param(c, s, id=f"{c.id}-{s}") for c in COMMANDS for s in c.stages]


@pytest.mark.parametrize(("command", "stage"), CASES)
def test_killed_at_stage(template: Path, tmp_path: Path, command: Command, stage: str) -> None:
    s = scenario(template, tmp_path, command)
    killed = zhengdun(s.root, *command.args, fault=stage)
    assert killed.code == -signal.SIGKILL, killed

    written = stage in ("after-rename", "before-commit", "after-commit")
    if command.id == "commit":
        written = True  # the clerk wrote the file before the command ran
    assert file_bytes(s.path) == (s.new if written else s.old)

    out = check_output(s.root)
    pending = stage in ("after-rename", "before-commit")
    if pending:
        named = f"{command.name}（{command.target}）" if s.new is not None else command.target
        assert f"{PENDING}{named}" in out, out
        assert "zhengdun commit -m" in out and "git checkout --" in out
    else:
        assert "全部通过" in out and PENDING not in out, out

    if command.id.startswith("undo"):
        finish_undo(s, stage)
        return
    if stage == "after-temp":
        temps = list(s.path.parent.glob(f".{s.path.name}.*.tmp"))
        assert len(temps) == 1, temps  # the killed writer's temp file: hidden from git and reads
        assert tree_status(s.root) == ""
    if pending:
        refuse_on_pending(s, stage)
        done = zhengdun(s.root, "commit", "-m", RECOVERY_MESSAGE)
        assert done.code == 0, done
        assert "已记录手工修改" in done.out
        subject = git(s.root, "log", "-1", "--format=%s").strip()
        assert subject.endswith(f": {RECOVERY_MESSAGE}")
    if stage in ("before-write", "after-temp"):
        assert commit_count(s.root) == s.commits
        assert events(s.root) == s.before
        # The command, run again, records (and sweeps the temp file the killed one left).
        again = zhengdun(s.root, *command.args)
        assert again.code == 0, again
    assert file_bytes(s.path) == s.new
    assert commit_count(s.root) == s.commits + 1
    assert events(s.root) == s.after
    assert_clean(s.root)
    assert_leftovers(s, stage)


def assert_leftovers(s: Scenario, stage: str) -> None:
    """Only a kill after the commit leaves the replaced version kept for a failed commit
    (hidden, swept by the next write); every other way out cleans up."""
    left = sorted(p.name for p in s.path.parent.glob(".*.tmp"))
    if stage == "after-commit" and s.command.id not in ("org-add", "commit"):
        assert len(left) == 1 and left[0].endswith(".old.tmp"), left
        again = zhengdun(s.root, "step", "chengdong/1", "清扫之后的进展")
        assert again.code == 0, again
    assert_no_leftovers(s.root)


def refuse_on_pending(s: Scenario, stage: str) -> None:
    """Every later recording on that organization refuses, naming the way out."""
    if s.command.target == "ledgers/hougou.yaml":
        probe = zhengdun(s.root, "add", "后沟村", "活动阵地缺失", "--category", "1", "--found",
                         "2026-04-01", "--due", "2026-12-31", "--owner", "王五")
        if stage == "after-rename":  # not yet added to git
            probe.assert_clean_refusal("ledgers/hougou.yaml 是新文件，还没有记录到历史中",
                                       "zhengdun commit -m")
        else:  # ``git add`` done, commit not: the file is in git's index only
            probe.assert_clean_refusal(
                "ledgers/hougou.yaml 是新文件，还没有记录到历史中（或上一条命令在写入后被中断）",
                "zhengdun commit -m", "git rm -f ledgers/hougou.yaml")
    else:
        probe = zhengdun(s.root, "step", "chengdong/1", "又一次进展")
        probe.assert_clean_refusal(
            "ledgers/chengdong.yaml 有未记录的手工修改（或上一条命令在写入后被中断），zhengdun 不会覆盖它们",
            "zhengdun commit -m", "git checkout -- ledgers/chengdong.yaml")
    assert file_bytes(s.path) == s.new


def finish_undo(s: Scenario, stage: str) -> None:
    """An undo killed after it began its revert is refused elsewhere and finished by undo."""
    began = stage != "before-write"
    assert (s.root / ".git" / "REVERT_HEAD").exists() == (began and stage != "after-commit")
    if began and stage != "after-commit":
        assert "You are currently reverting" in git(s.root, "status")
        probe = zhengdun(s.root, "commit", "-m", RECOVERY_MESSAGE)
        probe.assert_clean_refusal("git 正在拣选或撤销提交（cherry-pick / revert）中",
                                   "如果是 zhengdun undo 被中断，运行 zhengdun undo --yes 完成这次撤销")
        done = zhengdun(s.root, "undo", "--yes")
        assert done.code == 0, done
        assert "上一次撤销这条记录时被中断，这次接着完成" in done.out
    elif stage == "before-write":
        assert commit_count(s.root) == s.commits
        done = zhengdun(s.root, "undo", "--yes")
        assert done.code == 0, done
    assert file_bytes(s.path) == s.new
    assert commit_count(s.root) == s.commits + 1
    assert events(s.root) == s.after
    body = git(s.root, "log", "-1", "--format=%B")
    assert "Zhengdun-Action: undo" in body and "Zhengdun-Undoes: " in body
    audit = zhengdun(s.root, "audit")
    assert audit.code == 0, audit  # the undo is a proper one, not a removal
    assert_clean(s.root)
    assert_leftovers(s, stage)


def test_undo_killed_after_its_revert_can_be_given_up(template: Path, tmp_path: Path) -> None:
    """The other way out of an interrupted undo: ``git revert --abort`` and the file back."""
    s = scenario(template, tmp_path, COMMAND["undo"])
    assert zhengdun(s.root, "undo", "--yes", fault="before-commit").code == -signal.SIGKILL
    assert file_bytes(s.path) == s.new
    git(s.root, "revert", "--abort")
    assert file_bytes(s.path) == s.old
    assert events(s.root) == s.before
    assert commit_count(s.root) == s.commits
    assert_clean(s.root)


def test_stale_lock_of_a_killed_command_is_taken_at_once(template: Path, tmp_path: Path) -> None:
    """A command killed while holding the workspace lock: its lock file stays (with its pid),
    but the kernel released the lock itself, so the next command gets it at the first try."""
    s = scenario(template, tmp_path, COMMAND["step"])
    killed = spawn(s.root, *s.command.args, fault="after-temp")
    done = finish(killed)
    assert done.code == -signal.SIGKILL
    lock = s.root / ".git" / "zhengdun.lock"
    assert lock.read_text().strip() == str(killed.pid)
    with pytest.raises(ProcessLookupError):
        os.kill(killed.pid, 0)
    # A timeout of 0 means: one try, no waiting. It must succeed.
    again = zhengdun(s.root, *s.command.args, env={"ZHENGDUN_LOCK_TIMEOUT": "0"})
    assert again.code == 0, again
    assert lock.read_text().strip() != str(killed.pid)
    assert file_bytes(s.path) == s.new
    assert events(s.root) == s.after
    assert_clean(s.root)


def test_git_killed_after_moving_head_before_writing_its_index(template: Path,
                                                               tmp_path: Path) -> None:
    """``git commit -- file`` killed between updating HEAD and renaming index.lock: HEAD and the
    file hold the new record, git's index the old one. Deleting the lock (as zhengdun says) and
    recording again loses nothing and leaves the workspace clean."""
    s = scenario(template, tmp_path, COMMAND["step"])
    index = s.root / ".git" / "index"
    old_index = index.read_bytes()
    done = zhengdun(s.root, *s.command.args)
    assert done.code == 0, done
    shutil.copy(index, s.root / ".git" / "index.lock")  # the new index, never renamed
    index.write_bytes(old_index)
    assert tree_status(s.root).startswith("MM ledgers/chengdong.yaml")

    probe = zhengdun(s.root, "commit", "-m", RECOVERY_MESSAGE)
    probe.assert_clean_refusal("另一个 git 程序正在使用这个仓库（存在 .git/index.lock）",
                               "如果确认没有 git 在运行，删除 .git/index.lock 后重试")
    (s.root / ".git" / "index.lock").unlink()
    probe = zhengdun(s.root, "commit", "-m", RECOVERY_MESSAGE)
    probe.assert_clean_refusal("没有需要记录的手工修改（台账文件与上次记录相同）")
    assert file_bytes(s.path) == s.new
    assert events(s.root) == s.after
    assert commit_count(s.root) == s.commits + 1
    assert_clean(s.root)
    # And a command on that organization is not blocked by the old index either.
    index.write_bytes(old_index)
    step = zhengdun(s.root, "step", "chengdong/1", "又一次进展")
    assert step.code == 0, step
    assert_clean(s.root)


def test_leftovers_are_never_recorded(template: Path, tmp_path: Path) -> None:
    """Even where .gitignore does not hide them, what a killed writer left is not committed
    by ``zhengdun commit``, and is swept once the file is recorded."""
    s = scenario(template, tmp_path, COMMAND["step"])
    ignore = s.root / ".gitignore"
    ignore.write_text(ignore.read_text().replace(".*.tmp\n", ""))
    git(s.root, "commit", "-q", "-am", "不再忽略临时文件")
    assert zhengdun(s.root, *s.command.args, fault="after-rename").code == -signal.SIGKILL
    assert ".old.tmp" in tree_status(s.root)
    done = zhengdun(s.root, "commit", "-m", RECOVERY_MESSAGE)
    assert done.code == 0, done
    assert git(s.root, "show", "--name-only", "--format=", "HEAD").split() == [s.command.target]
    assert tree_status(s.root) == ""
    assert_no_leftovers(s.root)


@pytest.mark.parametrize("lock", ["HEAD.lock", "refs/heads/main.lock", "REVERT_HEAD.lock",
                                  "packed-refs.lock"])
def test_ref_locks_left_by_a_killed_git_are_named(template: Path, tmp_path: Path,
                                                  lock: str) -> None:
    """git killed while it moved HEAD leaves a lock on the ref (found by the stress run):
    zhengdun names it before git fails on it, and deleting it is the way out."""
    s = scenario(template, tmp_path, COMMAND["step"])
    (s.root / ".git" / lock).write_bytes(b"")
    probe = zhengdun(s.root, *s.command.args)
    probe.assert_clean_refusal(f"另一个 git 程序正在使用这个仓库（存在 .git/{lock}）",
                               f"如果确认没有 git 在运行，删除 .git/{lock} 后重试")
    assert file_bytes(s.path) == s.old
    (s.root / ".git" / lock).unlink()
    assert zhengdun(s.root, *s.command.args).code == 0
    assert events(s.root) == s.after


def test_ref_lock_taken_during_the_commit_is_named(template: Path, tmp_path: Path) -> None:
    """Another git takes the branch's lock while zhengdun commits (here: a hook): the commit
    fails on it, the file is put back, and the message names the lock."""
    s = scenario(template, tmp_path, COMMAND["step"])
    hook = s.root / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\n: > \"$(git rev-parse --git-dir)/refs/heads/main.lock\"\n")
    hook.chmod(0o755)
    probe = zhengdun(s.root, *s.command.args)
    probe.assert_clean_refusal(
        "另一个 git 程序正在使用这个仓库（.git/refs/heads/main.lock 被占用），本次修改未保存",
        "如果确认没有 git 在运行，删除 .git/refs/heads/main.lock 后重试")
    assert file_bytes(s.path) == s.old and tree_status(s.root) == ""
    assert commit_count(s.root) == s.commits


def test_index_lock_is_named_before_an_interrupted_undo(template: Path, tmp_path: Path) -> None:
    """Both left by a killed undo: index.lock comes first (git can do nothing while it stands),
    then the revert in progress."""
    s = scenario(template, tmp_path, COMMAND["undo"])
    assert zhengdun(s.root, "undo", "--yes", fault="after-rename").code == -signal.SIGKILL
    (s.root / ".git" / "index.lock").write_bytes(b"")
    probe = zhengdun(s.root, "step", "chengdong/1", "进展")
    probe.assert_clean_refusal("存在 .git/index.lock")
    assert "revert" not in probe.err


# --------------------------------------------------------------------------- random kills


@dataclass
class Kill:
    """How one kill went: when it came, whom it hit, what the command had done by then."""

    how: str
    done: Done


def kill_at_random(root: Path, args: tuple[str, ...], rng: random.Random) -> Kill:
    """Start the command and SIGKILL it after a random delay: from its start (0–300 ms), or
    from the moment it holds the workspace lock (0–80 ms, about the time it spends writing
    and committing). Half the kills hit the process alone (its git child lives on and finishes),
    half its whole process group (git dies too, mid-write or mid-commit)."""
    process = spawn(root, *args)
    if rng.random() < 0.3:
        how = "start"
        time.sleep(rng.uniform(0, 0.3))
    else:
        how = "locked"
        wait_until_locked(root, process)
        time.sleep(rng.uniform(0, 0.08))
    group = rng.random() < 0.5
    try:
        if group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            os.kill(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    done = finish(process)
    wait_for_session(process.pid)
    return Kill(f"{how}-{'group' if group else 'alone'}", done)


def recover(root: Path) -> list[str]:
    """Do what zhengdun says until nothing is pending; returns the steps taken.

    The probe is ``zhengdun commit -m``: it finishes a write that was not committed, and its
    refusals name what stands in the way (index.lock, an interrupted undo)."""
    steps: list[str] = []
    for _ in range(6):
        result = in_process(root, "commit", "-m", RECOVERY_MESSAGE)
        err = str(result.stderr)
        if result.exit_code == 0:
            steps.append("commit")
            return steps
        assert result.exit_code == 1 and "Traceback" not in err, err
        if "没有需要记录的手工修改" in err:
            return steps
        lock = re.search(r"删除 (\.git/\S+?\.lock) 后重试", err)
        if lock:
            (root / lock[1]).unlink()
            steps.append(Path(lock[1]).name)
        elif "运行 zhengdun undo --yes 完成这次撤销" in err:
            undone = in_process(root, "undo", "--yes")
            assert undone.exit_code == 0, (undone.output, git_state(root))
            steps.append("undo")
        else:
            raise AssertionError(f"no known way out: {err}")
    raise AssertionError(f"still pending after {steps}")


def git_state(root: Path) -> str:
    """What git is in the middle of, for a failure message."""
    gdir = root / ".git"
    found = [f"{p.relative_to(gdir)}={p.read_text().strip()}" for p in
             [gdir / "HEAD", gdir / "REVERT_HEAD", *gdir.rglob("*.lock")] if p.is_file()]
    log = git(root, "log", "-3", "--format=%H %s%n%b", check=False)
    return "\n".join([*found, tree_status(root), log])


class Model:
    """What must be recorded: every event, and what each commit since the start added or
    removed (so an undo knows what it takes back)."""

    def __init__(self, recorded: set[Event]) -> None:
        self.events = set(recorded)
        self.deltas: list[tuple[frozenset[Event], frozenset[Event]]] = []
        self.next_org = 1
        self.notes = 0

    def apply(self, added: set[Event], removed: set[Event]) -> None:
        assert removed <= self.events and not added & self.events
        self.events = (self.events - removed) | added
        self.deltas.append((frozenset(added), frozenset(removed)))

    def orgs(self) -> list[str]:
        return sorted(e[1] for e in self.events if e[0] == "org")

    def problems(self, slug: str) -> list[int]:
        return sorted(e[2] for e in self.events if e[0] == "problem" and e[1] == slug)

    def count(self, kind: str, *key: Any) -> int:
        return sum(1 for e in self.events if e[0] == kind and e[1:1 + len(key)] == key)

    def closed(self, slug: str, number: int) -> bool:
        closures = self.count("closure", slug, number)
        return closures > 0 and not any(
            e[:4] == ("reopened", slug, number, closures - 1) for e in self.events)


@dataclass
class Step:
    """The next command of the stress run and what it records if it takes effect."""

    args: tuple[str, ...]
    target: str
    added: set[Event]
    removed: set[Event]
    prepare: Callable[[Path], None] | None = None
    kind: str = ""


def next_step(model: Model, rng: random.Random) -> Step:
    """A valid command for the current state, with the events it adds and removes."""
    orgs = model.orgs()
    problems = [(slug, n) for slug in orgs for n in model.problems(slug)]
    choices = ["org-add"] * (3 if len(orgs) < 3 else 1) + ["add"] * 2 + ["accept", "commit"]
    if problems:
        choices += ["step"] * 3 + ["close"] * 2
        if any(model.closed(*p) for p in problems):
            choices += ["reopen"] * 2
    if model.deltas:
        choices += ["undo"] * 2
    kind = rng.choice(choices)
    i = model.next_org
    if kind == "org-add":
        model.next_org += 1
        slug, name = f"shidian{i}", f"试点{i}村"
        return Step(("org", "add", name, "--township", "城关镇", "--kind", "村", "--designated",
                     "2026-04-01", "--category", "1", "--slug", slug), f"ledgers/{slug}.yaml",
                    {("org", slug, name, "城关镇")}, set(), kind=kind)
    if kind == "undo":
        added, removed = model.deltas[-1]
        # The file the last commit changed: any event names it; a comment-only commit is found
        # by the caller from git.
        return Step(("undo", "--yes"), "", set(removed), set(added), kind=kind)
    if kind in ("add", "accept", "commit") or not problems:
        slug = rng.choice(orgs) if orgs else "chengdong"
        target = f"ledgers/{slug}.yaml"
        if kind == "accept":
            n = model.count("acceptance", slug)
            return Step(("accept", slug, "--grade", "基本合格", "--by", f"县委组织部{n}"), target,
                        {("acceptance", slug, n, DAY, "基本合格", f"县委组织部{n}")}, set(),
                        kind=kind)
        if kind == "commit":
            model.notes += 1
            note = f"# 手工备注 {model.notes}\n"

            def prepare(root: Path) -> None:
                with (root / target).open("a", encoding="utf-8") as handle:
                    handle.write(note)

            return Step(("commit", "-m", f"手工备注 {model.notes}"), target, set(), set(),
                        prepare, kind=kind)
        number = max(model.problems(slug), default=0) + 1
        title = f"问题{number}：{rng.choice(['村务公开', '活动阵地', '三会一课', 'no', '~'])}"
        return Step(("add", slug, title, "--category", "1", "--found", "2026-04-01", "--due",
                     "2026-12-31", "--owner", "王五"), target,
                    {("problem", slug, number, title, "王五")}, set(), kind="add")
    slug, number = rng.choice(problems)
    target = f"ledgers/{slug}.yaml"
    ref = f"{slug}/{number}"
    if kind == "reopen":
        slug, number = rng.choice([p for p in problems if model.closed(*p)])
        ref, target = f"{slug}/{number}", f"ledgers/{slug}.yaml"
        last = model.count("closure", slug, number) - 1
        reason = f"反弹{len(model.deltas)}"
        return Step(("reopen", ref, "--reason", reason), target,
                    {("reopened", slug, number, last, DAY, reason)}, set(), kind=kind)
    if kind == "close" and not model.closed(slug, number):
        n = model.count("closure", slug, number)
        result = f"整改完成{len(model.deltas)}"
        return Step(("close", ref, "--result", result), target,
                    {("closure", slug, number, n, DAY, result)}, set(), kind=kind)
    n = model.count("step", slug, number)
    text = f"进展{len(model.deltas)}：召开会议"
    return Step(("step", ref, text), target, {("step", slug, number, n, DAY, text)}, set(),
                kind="step")


STRESS_KILLS = int(os.environ.get("ZHENGDUN_STRESS_KILLS", "200"))


def test_stress_kills_lose_nothing(template: Path, tmp_path: Path) -> None:
    """At least 200 kills across all commands (crash points and random moments); after each the
    file is old or new, check passes or names the pending file, the named recovery leaves a
    clean workspace holding every event the model holds; at the end, audit finds nothing."""
    seed = int(os.environ.get("ZHENGDUN_STRESS_SEED", "20261121"))
    rng = random.Random(seed)
    root = tmp_path / "ws"
    twin = tmp_path / "twin"
    shutil.copytree(template, root, symlinks=True)
    shutil.copytree(template, twin, symlinks=True)
    model = Model(events(root))
    commits = commit_count(root)
    tally: Counter[str] = Counter()
    kills = 0
    while kills < STRESS_KILLS:
        step = next_step(model, rng)
        if step.prepare is not None:
            step.prepare(root)
            step.prepare(twin)
        twin_head = git(twin, "rev-parse", "HEAD").strip()
        result = in_process(twin, *step.args)
        assert result.exit_code == 0, (step.args, result.output)
        target = step.target or changed_file(twin)
        old, new = file_bytes(root / target), file_bytes(twin / target)
        assert old != new or step.kind == "commit", step.args
        if step.kind == "commit":
            old = git_version(root, target)

        if rng.random() < 0.35:
            stages = faults.STAGES if step.kind != "commit" else ("before-commit", "after-commit")
            stage = rng.choice(stages)
            done = zhengdun(root, *step.args, fault=stage)
            how = f"stage-{stage}"
        else:
            kill = kill_at_random(root, step.args, rng)
            done, how = kill.done, kill.how
        kills += 1
        assert done.code in (0, -signal.SIGKILL), (step.args, how, done)
        done.assert_no_traceback()

        context = (kills, step.args, how)
        if done.code == 0:
            tally["finished before the kill"] += 1
        for left in ("index.lock", "HEAD.lock", "refs/heads/main.lock", "REVERT_HEAD.lock",
                     "REVERT_HEAD"):
            if (root / ".git" / left).exists():
                tally[f"left {left}"] += 1
        now = file_bytes(root / target)
        assert now in (old, new), context  # never a mix
        out = check_output(root)
        if tree_status(root):
            assert PENDING in out and target in out, (context, out)
        steps = recover(root)
        assert tree_status(root) == "", (context, steps)
        assert not (root / ".git" / "REVERT_HEAD").exists(), (context, steps, git_state(root))
        assert not list((root / ".git").rglob("*HEAD*.lock")), (context, steps, git_state(root))
        final = file_bytes(root / target)
        assert final in (old, new), context
        took = final == new and (step.kind != "commit" or git_version(root, target) == new)
        tally[f"{how}:{'new' if took else 'old'}"] += 1
        tally.update(f"recovery:{s}" for s in steps)
        if took:
            model.apply(step.added, step.removed)
            commits += 1
        else:
            git(twin, "reset", "-q", "--hard", twin_head)
        assert commit_count(root) == commits, (context, steps)
        assert events(root) == model.events, (context, steps)
        assert events(twin) == model.events, context

    print(f"seed {seed}: {kills} kills; " + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))
    # The random kills hit both sides of the write: some commands lost, some recorded.
    for outcome in (":old", ":new"):
        assert any(k.startswith(("start", "locked")) and k.endswith(outcome) for k in tally), tally
    assert_clean(root)
    checked = zhengdun(root, "check")
    assert checked.code == 0 and "全部通过" in checked.out, checked
    audit = zhengdun(root, "audit", "--json")
    assert audit.code == 0, audit
    assert '"serious": 0' in audit.out


def changed_file(root: Path) -> str:
    """The one file HEAD's commit changed (for an undo, whose target the model cannot know)."""
    names = [n for n in git(root, "show", "--name-only", "--format=", "HEAD").splitlines() if n]
    assert len(names) == 1 and re.fullmatch(r"ledgers/[a-z0-9-]+\.yaml", names[0]), names
    return names[0]
