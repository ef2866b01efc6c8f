"""Concurrency: many zhengdun processes at once on one workspace.

The workspace lock (an OS lock on ``.git/zhengdun.lock``) serialises the changing commands:
twenty ``step`` processes started together on the same problem, or on twenty organizations,
all succeed, each as its own commit, none lost. A command that cannot get the lock in time
says so and changes nothing.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import built_workspace, copy_of
from processes import (
    commit_count,
    finish,
    git,
    ledgers,
    spawn,
    tree_status,
    zhengdun,
)

ORGS = 20
#: Generous: twenty interpreters start at once on a loaded machine; the lock is what is tested.
WAIT = {"ZHENGDUN_LOCK_TIMEOUT": "120"}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twenty villages (cun1 … cun20), each with problem 1."""
    return built_workspace(tmp_path_factory, "concurrency", [
        args for i in range(1, ORGS + 1) for args in (
            ("org", "add", f"第{i}村", "--township", "城关镇", "--kind", "村", "--designated",
             "2026-03-15", "--category", "1", "--slug", f"cun{i}"),
            ("add", f"cun{i}", "村务公开不及时", "--category", "1", "--found", "2026-03-20",
             "--due", "2026-09-30", "--owner", "王五"))])


@pytest.fixture
def root(template: Path, tmp_path: Path) -> Path:
    return copy_of(template, tmp_path)


def start_together(root: Path, commands: list[tuple[str, ...]]) -> list[Any]:
    """Start every command before waiting for any; returns their results in order."""
    processes = [spawn(root, *args, env=WAIT) for args in commands]
    return [finish(p) for p in processes]


def assert_valid_and_clean(root: Path) -> None:
    checked = zhengdun(root, "check")
    assert checked.code == 0 and "全部通过" in checked.out, checked
    assert tree_status(root) == ""


def test_twenty_steps_on_one_problem(root: Path) -> None:
    before = commit_count(root)
    texts = [f"第{i}次整改推进会：研究村务公开栏改造" for i in range(1, 21)]
    results = start_together(root, [("step", "cun1/1", text) for text in texts])
    for result in results:
        assert result.code == 0, result
        assert "已记录 cun1/1 的整改进展（2026-11-21）" in result.out
    assert commit_count(root) == before + 20
    steps = [s.text for s in ledgers(root)["cun1"].problem(1).steps]  # type: ignore[union-attr]
    assert sorted(steps) == sorted(texts)
    # In the file in the order they were committed: each commit appended its own step.
    subjects = git(root, "log", "--reverse", f"-{20}", "--format=%s").splitlines()
    assert [re.sub(r"^step cun1/1: ", "", s) for s in subjects] == steps
    for sha in git(root, "rev-list", "-20", "HEAD").split():
        assert git(root, "show", "--name-only", "--format=", sha).split() == ["ledgers/cun1.yaml"]
    assert_valid_and_clean(root)


def test_twenty_steps_on_twenty_organizations(root: Path) -> None:
    before = commit_count(root)
    before_files = {i: (root / "ledgers" / f"cun{i}.yaml").read_bytes() for i in range(1, 21)}
    results = start_together(root, [("step", f"cun{i}/1", f"第{i}村召开党员大会")
                                    for i in range(1, 21)])
    for result in results:
        assert result.code == 0, result
    assert commit_count(root) == before + 20
    parsed = ledgers(root)
    for i in range(1, 21):
        problem = parsed[f"cun{i}"].problem(1)
        assert problem is not None
        assert [s.text for s in problem.steps] == [f"第{i}村召开党员大会"]
        # Only the lines of the new step were added to each file.
        now = (root / "ledgers" / f"cun{i}.yaml").read_bytes()
        assert now.startswith(before_files[i])
        assert now[len(before_files[i]):].decode() == (
            f"    steps:\n      - on: 2026-11-21\n        text: 第{i}村召开党员大会\n")
    touched = [git(root, "show", "--name-only", "--format=", sha).split()
               for sha in git(root, "rev-list", "-20", "HEAD").split()]
    assert sorted(t[0] for t in touched) == sorted(f"ledgers/cun{i}.yaml" for i in range(1, 21))
    assert all(len(t) == 1 for t in touched)
    assert_valid_and_clean(root)


def held_by_another(lock: Path) -> bool:
    """Whether some process holds the workspace lock (tried without waiting)."""
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a lock this test may have got
    return False


def stopped_holding_the_lock(root: Path, args: tuple[str, ...]) -> subprocess.Popen[bytes]:
    """A zhengdun process frozen (SIGSTOP) while it holds the workspace lock."""
    lock = root / ".git" / "zhengdun.lock"
    for _ in range(5):
        holder = spawn(root, *args)
        mine = str(holder.pid).encode()
        while holder.poll() is None:
            if lock.exists() and lock.read_bytes().strip() == mine:
                os.kill(holder.pid, signal.SIGSTOP)
                if held_by_another(lock):
                    return holder
                os.kill(holder.pid, signal.SIGCONT)  # it had finished already: try again
                break
            time.sleep(0.0005)
        if finish(holder).code == 0:  # it recorded its step before it could be caught
            git(root, "reset", "-q", "--hard", "HEAD~1")
    raise AssertionError("could not catch a zhengdun process holding the lock")


def test_command_that_cannot_get_the_lock_says_so_and_changes_nothing(root: Path) -> None:
    """Another zhengdun holds the lock (stopped mid-command, as a slow network drive or a
    suspended terminal would): the second waits ZHENGDUN_LOCK_TIMEOUT=0.5 s, then refuses."""
    holder = stopped_holding_the_lock(root, ("step", "cun1/1", "先开始的命令"))
    try:
        files = {p.name: p.read_bytes() for p in (root / "ledgers").iterdir()}
        head = git(root, "rev-parse", "HEAD")
        status = tree_status(root)
        started = time.monotonic()
        refused = zhengdun(root, "step", "cun2/1", "后来的命令",
                           env={"ZHENGDUN_LOCK_TIMEOUT": "0.5"})
        waited = time.monotonic() - started
        refused.assert_clean_refusal("另一个 zhengdun 命令正在修改这个台账，等待 0.5 秒后仍未结束",
                                     "请等它结束后重试")
        assert refused.out == ""
        assert waited >= 0.5
        assert {p.name: p.read_bytes() for p in (root / "ledgers").iterdir()} == files
        assert git(root, "rev-parse", "HEAD") == head
        assert tree_status(root) == status
    finally:
        os.kill(holder.pid, signal.SIGCONT)
    assert finish(holder).code == 0
    again = zhengdun(root, "step", "cun2/1", "后来的命令", env={"ZHENGDUN_LOCK_TIMEOUT": "0.5"})
    assert again.code == 0, again
    steps = {slug: [s.text for p in led.problems for s in p.steps]
             for slug, led in ledgers(root).items() if slug in ("cun1", "cun2")}
    assert steps == {"cun1": ["先开始的命令"], "cun2": ["后来的命令"]}
    assert_valid_and_clean(root)
