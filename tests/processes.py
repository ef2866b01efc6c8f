"""The real ``zhengdun`` program as a process, for the reliability tests.

The reliability tests kill commands, race them and starve them of disk, so they run the
installed console script (the venv's ``zhengdun``) with ``subprocess``, never the Typer app in
this process. The environment is pinned exactly like ``conftest.GIT_ENV``: a fixed "today", a
fixed git identity, no user or system git config.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import GIT_ENV
from zhengdun import store
from zhengdun.model import Ledger

#: The console script installed next to the interpreter running the tests.
ZHENGDUN = Path(sys.executable).with_name("zhengdun")
CJK = re.compile("[\u4e00-\u9fff]")


def environment(**extra: str) -> dict[str, str]:
    """The pinned environment for a zhengdun process, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("ZHENGDUN_FAULT", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}
    env.update(GIT_ENV)
    env["LANG"] = env["LC_ALL"] = "C.UTF-8"
    env.update(extra)
    return env


@dataclass
class Done:
    """A finished zhengdun process: its exit code (negative: killed by that signal) and output."""

    code: int
    out: str
    err: str
    seconds: float = 0.0

    def assert_clean_refusal(self, *fragments: str) -> None:
        """Exit 1, a Chinese message on stderr naming every fragment, no traceback."""
        assert self.code == 1, (self.code, self.out, self.err)
        self.assert_no_traceback()
        assert CJK.search(self.err), self.err
        for fragment in fragments:
            assert fragment in self.err, (fragment, self.err)

    def assert_no_traceback(self) -> None:
        assert "Traceback" not in self.out + self.err, self.err


def zhengdun(root: Path, *args: str, fault: str | None = None,
             env: Mapping[str, str] | None = None, timeout: float = 120,
             preexec_fn: Callable[[], Any] | None = None) -> Done:
    """Run ``zhengdun ARGS`` in ``root`` and wait for it."""
    full = environment(**(env or {}))
    if fault is not None:
        full["ZHENGDUN_FAULT"] = fault
    start = time.monotonic()
    result = subprocess.run([str(ZHENGDUN), *args], cwd=root, env=full, capture_output=True,
                            timeout=timeout, preexec_fn=preexec_fn, check=False)
    return Done(result.returncode, result.stdout.decode("utf-8", "replace"),
                result.stderr.decode("utf-8", "replace"), time.monotonic() - start)


def spawn(root: Path, *args: str, fault: str | None = None,
          env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start ``zhengdun ARGS`` in a session of its own (so its git children can be found)."""
    full = environment(**(env or {}))
    if fault is not None:
        full["ZHENGDUN_FAULT"] = fault
    return subprocess.Popen([str(ZHENGDUN), *args], cwd=root, env=full,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def finish(process: subprocess.Popen[bytes], timeout: float = 120) -> Done:
    """Wait for a spawned process and collect its output."""
    out, err = process.communicate(timeout=timeout)
    return Done(process.returncode, out.decode("utf-8", "replace"),
                err.decode("utf-8", "replace"))


def wait_until_locked(root: Path, process: subprocess.Popen[bytes]) -> None:
    """Wait until ``process`` holds the workspace lock (its pid in ``.git/zhengdun.lock``), or
    has ended: the moment it starts writing and committing."""
    lock = root / ".git" / "zhengdun.lock"
    mine = str(process.pid).encode()
    while process.poll() is None:
        try:
            if lock.read_bytes().strip() == mine:
                return
        except OSError:
            pass
        time.sleep(0.0005)

def session_members(session: int) -> list[int]:
    """Processes still alive in a session (a killed zhengdun's orphaned git, for instance)."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # Fields after the command name (which may hold spaces and parentheses).
        fields = stat[stat.rindex(b")") + 2:].split()
        if fields[0] != b"Z" and int(fields[3]) == session:
            members.append(int(entry.name))
    return members


def wait_for_session(session: int, timeout: float = 60) -> None:
    """Wait until every process of ``session`` has ended (orphans finish their work)."""
    deadline = time.monotonic() + timeout
    while session_members(session):
        if time.monotonic() > deadline:
            os.killpg(session, signal.SIGKILL)
            raise AssertionError(f"processes of session {session} still running")
        time.sleep(0.005)


def git(root: Path, *args: str, check: bool = True) -> str:
    """Run git in ``root`` (pinned environment) and return its output."""
    result = subprocess.run(["git", *args], cwd=root, env=environment(), capture_output=True,
                            text=True, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def tree_status(root: Path) -> str:
    """``git status --porcelain`` with untracked files: empty when the workspace is clean.
    (Without refreshing the index: that write fails on a full disk.)"""
    return git(root, "--no-optional-locks", "status", "--porcelain", "--untracked-files=all")


def ledgers(root: Path) -> dict[str, Ledger]:
    """Every ledger of the workspace, parsed and validated: slug → model."""
    out = {}
    for path in store.iter_ledger_paths(root / "ledgers"):
        out[path.stem] = Ledger.model_validate(store.load_data(path))
    return out


Event = tuple[Any, ...]


def events(root: Path) -> set[Event]:
    """Everything recorded in the ledgers, as one set of facts.

    A lost or altered record shows as a missing fact; nothing else matters to the clerk.
    """
    found: set[Event] = set()
    for slug, ledger in ledgers(root).items():
        found.add(("org", slug, ledger.name, ledger.township))
        for problem in ledger.problems:
            found.add(("problem", slug, problem.id, problem.title, problem.owner))
            for i, step in enumerate(problem.steps):
                found.add(("step", slug, problem.id, i, step.on, step.text))
            for i, closure in enumerate(problem.closures):
                found.add(("closure", slug, problem.id, i, closure.on, closure.result))
                if closure.reopened is not None:
                    found.add(("reopened", slug, problem.id, i, closure.reopened.on,
                               closure.reopened.reason))
        for i, visit in enumerate(ledger.visits):
            found.add(("visit", slug, i, visit.on, visit.kind, visit.text))
        for i, acceptance in enumerate(ledger.acceptances):
            found.add(("acceptance", slug, i, acceptance.on, acceptance.grade, acceptance.by))
    return found


def commit_count(root: Path) -> int:
    """How many commits HEAD has."""
    return int(git(root, "rev-list", "--count", "HEAD"))


def file_bytes(path: Path) -> bytes | None:
    """A file's bytes, or None when it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
