"""Ctrl-C (SIGINT) at every stage of every recording command, to the process and to its group.

The rule (docs/reliability.md): once git has committed, the command has succeeded: it keeps the
file, prints its receipt and exits 0 (saying that the interrupt came too late to matter). Before
that, it stops with "已中断。", exit 130, and leaves the file, git's index and the history as they
were. Nothing in between, and never a traceback.
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
from pathlib import Path

import pytest

import test_reliability_crash as crash
from processes import (
    ZHENGDUN,
    Done,
    commit_count,
    environment,
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
from test_reliability_crash import (
    COMMAND,
    Model,
    changed_file,
    git_version,
    in_process,
    next_step,
    recover,
)
from zhengdun.boundary import INTERRUPTED, LATE_INTERRUPT

#: the crash tests' workspace (城东社区 with one open and one closed problem), built once
base_workspace = crash.template

HOOK = """#!/bin/sh
if [ -n "$ZHENGDUN_TEST_{name}" ]; then
    : > "$ZHENGDUN_TEST_{name}"
    sleep "${{ZHENGDUN_TEST_{name}_SLEEP:-2}}"
fi
exit 0
"""


def install_hook(root: Path, hook: str) -> None:
    """A git hook that, when the test asks for it, marks that it runs and then waits."""
    path = root / ".git" / "hooks" / hook
    path.write_text(HOOK.format(name=hook.upper().replace("-", "_")), encoding="utf-8")
    path.chmod(0o755)


def wait_for(marker: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert process.poll() is None, finish(process)
        assert time.monotonic() < deadline, "the hook never ran"
        time.sleep(0.005)


def interrupt(process: subprocess.Popen[bytes], group: bool) -> None:
    try:
        if group:
            os.killpg(process.pid, signal.SIGINT)  # as a terminal sends it
        else:
            os.kill(process.pid, signal.SIGINT)
    except ProcessLookupError:
        pass


RECORDING = ["add", "step", "close", "reopen", "accept", "org-add", "commit", "undo"]


@pytest.mark.parametrize("group", [False, True], ids=["process", "group"])
@pytest.mark.parametrize("path", ["quick", "full"])
@pytest.mark.parametrize("command", RECORDING)
def test_ctrl_c_after_git_committed_keeps_the_record(base_workspace: Path, tmp_path: Path,
                                                     command: str, path: str,
                                                     group: bool) -> None:
    """The issue's case: a ``post-commit`` hook that waits, Ctrl-C while it waits. HEAD already
    holds the record; the file must keep it and the command must report its success."""
    root = tmp_path / "ws"
    shutil.copytree(base_workspace, root, symlinks=True)
    spec = COMMAND[command]
    if spec.prepare is not None:
        spec.prepare(root)
    head = git(root, "rev-parse", "HEAD").strip()
    install_hook(root, "post-commit")
    marker = tmp_path / "post-commit-runs"
    process = spawn(root, *spec.args, env={"ZHENGDUN_TEST_POST_COMMIT": str(marker),
                                           "ZHENGDUN_QUICK": "on" if path == "quick" else "off"})
    wait_for(marker, process)
    interrupt(process, group)
    done = finish(process)
    wait_for_session(process.pid)
    assert done.code == 0, done
    done.assert_no_traceback()
    assert LATE_INTERRUPT in done.err, done
    assert "提交" in done.out or "已" in done.out, done
    assert git(root, "rev-parse", "HEAD~1").strip() == head
    assert tree_status(root) == "", tree_status(root)
    assert git_version(root, spec.target) == file_bytes(root / spec.target)
    checked = zhengdun(root, "check")
    assert checked.code == 0 and "全部通过" in checked.out, checked


@pytest.mark.parametrize("group", [False, True], ids=["process", "group"])
@pytest.mark.parametrize("command", ["step", "org-add", "commit", "undo"])
def test_ctrl_c_while_git_has_not_committed_changes_nothing(base_workspace: Path, tmp_path: Path,
                                                            command: str, group: bool) -> None:
    """Ctrl-C while a ``pre-commit`` hook runs: git has not committed. Alone, the process waits
    for git (which finishes: the record stands and is reported); with its group, git dies and
    nothing is recorded: "已中断。", exit 130, everything as before."""
    root = tmp_path / "ws"
    shutil.copytree(base_workspace, root, symlinks=True)
    spec = COMMAND[command]
    if spec.prepare is not None:
        spec.prepare(root)
    before = file_bytes(root / spec.target)
    head = git(root, "rev-parse", "HEAD").strip()
    status = tree_status(root)
    install_hook(root, "pre-commit")
    marker = tmp_path / "pre-commit-runs"
    process = spawn(root, *spec.args, env={"ZHENGDUN_TEST_PRE_COMMIT": str(marker),
                                           "ZHENGDUN_TEST_PRE_COMMIT_SLEEP": "1"})
    wait_for(marker, process)
    interrupt(process, group)
    done = finish(process)
    wait_for_session(process.pid)
    done.assert_no_traceback()
    if group:
        assert done.code == 130 and INTERRUPTED in done.err, done
        assert git(root, "rev-parse", "HEAD").strip() == head
        assert file_bytes(root / spec.target) == before
        assert tree_status(root) == status
        assert not (root / ".git" / "REVERT_HEAD").exists()
    else:
        assert done.code == 0 and LATE_INTERRUPT in done.err, done
        assert git(root, "rev-parse", "HEAD~1").strip() == head
        assert tree_status(root) == ""


def assert_before_zhengdun_ran(done: Done) -> None:
    """A traceback only from Python's own start-up: its frames are Python's, the script's
    import line and the package's first lines (before its handler is set), never a module of
    zhengdun that had begun its work."""
    frames = re.findall(r'File "([^"]+)"', done.err)
    ours = [f for f in frames if "/zhengdun/" in f and not f.endswith("/zhengdun/__init__.py")]
    assert not ours, done.err
    assert done.code in (1, -signal.SIGINT), done


def test_ctrl_c_while_the_program_loads(base_workspace: Path, tmp_path: Path) -> None:
    """Ctrl-C in the first moments (20 of 20 printed a traceback at 30 ms): "已中断。", 130.

    Before Python has run any of zhengdun's code (its own start-up, a few ms) only Python can
    answer; such runs are told apart by their traceback holding no frame of zhengdun, and the
    workspace must be untouched either way."""
    root = tmp_path / "ws"
    shutil.copytree(base_workspace, root, symlinks=True)
    head = git(root, "rev-parse", "HEAD").strip()
    outcomes: Counter[str] = Counter()
    rng = random.Random(15)
    recorded = 0
    for i in range(40):
        args = ("step", "chengdong/1", f"进展{i}") if i % 2 else ("board",)
        process = subprocess.Popen([str(ZHENGDUN), *args], cwd=root, env=environment(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   start_new_session=True)
        time.sleep(rng.uniform(0.0, 0.12))
        interrupt(process, group=bool(i % 4 < 2))
        done = finish(process)
        wait_for_session(process.pid)
        if "Traceback" in done.err:
            assert_before_zhengdun_ran(done)
            outcomes["before zhengdun ran"] += 1
        elif done.code == 0:
            outcomes["finished"] += 1
        elif done.code == -signal.SIGINT:
            assert done.err == "", done
            outcomes["killed before Python's handler"] += 1
        else:
            assert done.code == 130 and INTERRUPTED in done.err, done
            outcomes["已中断"] += 1
        if args[0] == "step":
            recorded += done.code == 0
            assert tree_status(root) == ""
    assert outcomes["已中断"] >= 20, outcomes
    # Every step that was recorded said so, and no other was.
    assert commit_count(root) - int(git(root, "rev-list", "--count", head)) == recorded


SIGINTS = int(os.environ.get("ZHENGDUN_STRESS_SIGINTS", "200"))


def interrupt_at_random(root: Path, args: tuple[str, ...], rng: random.Random,
                        ) -> tuple[str, Done]:
    """Start the command and send SIGINT after a random delay: from its start (30–300 ms), or
    from the moment it holds the workspace lock (0–80 ms, while it writes and commits), with a
    ``post-commit`` hook that waits a moment one time in three (the window after HEAD moved).
    Half to the process alone (its git goes on), half to its group (git is interrupted too)."""
    slow = rng.random() < 0.33
    env = {"ZHENGDUN_TEST_POST_COMMIT": os.devnull,
           "ZHENGDUN_TEST_POST_COMMIT_SLEEP": "0.1"} if slow else {}
    if rng.random() < 0.5:
        env["ZHENGDUN_QUICK"] = "off"
    process = spawn(root, *args, env=env)
    if rng.random() < 0.3:
        how = "start"
        time.sleep(rng.uniform(0.03, 0.3))
    else:
        how = "locked"
        wait_until_locked(root, process)
        time.sleep(rng.uniform(0, 0.12 if slow else 0.08))
    group = rng.random() < 0.5
    interrupt(process, group)
    done = finish(process)
    wait_for_session(process.pid)
    return f"{how}-{'group' if group else 'alone'}{'-slow' if slow else ''}", done


def test_stress_interrupts_lose_nothing_and_report_every_success(base_workspace: Path,
                                                                  tmp_path: Path) -> None:
    """At least 200 Ctrl-C over every recording command: every command either recorded (exit 0,
    its receipt printed, one commit, clean tree) or cleanly absent (exit 130 "已中断。", the
    file, index and history as before); at the end check and audit are clean."""
    seed = int(os.environ.get("ZHENGDUN_STRESS_SEED", "20261202"))
    rng = random.Random(seed)
    root = tmp_path / "ws"
    twin = tmp_path / "twin"
    shutil.copytree(base_workspace, root, symlinks=True)
    shutil.copytree(base_workspace, twin, symlinks=True)
    install_hook(root, "post-commit")
    model = Model(events(root))
    commits = commit_count(root)
    tally: Counter[str] = Counter()
    for sent in range(1, SIGINTS + 1):
        step = next_step(model, rng)
        if step.prepare is not None:
            step.prepare(root)
            step.prepare(twin)
        twin_head = git(twin, "rev-parse", "HEAD").strip()
        result = in_process(twin, *step.args)
        assert result.exit_code == 0, (step.args, result.output)
        target = step.target or changed_file(twin)
        old, new = file_bytes(root / target), file_bytes(twin / target)
        if step.kind == "commit":
            old = git_version(root, target)
        status = tree_status(root)

        how, done = interrupt_at_random(root, step.args, rng)
        context = (sent, step.args, how, done)
        if "Traceback" in done.err:  # only Python's own start-up may answer with one
            assert_before_zhengdun_ran(done)
            tally["interrupted while Python started"] += 1
            done = Done(130, done.out, INTERRUPTED, done.seconds)
        assert done.code in (0, 130, -signal.SIGINT), context
        if done.code == 0:
            took = True
            tally[f"{how}:recorded{'-late' if LATE_INTERRUPT in done.err else ''}"] += 1
            assert file_bytes(root / target) == new, context
            assert tree_status(root) == "", context
        else:
            took = False
            tally[f"{how}:absent"] += 1
            if done.code == 130:
                assert INTERRUPTED in done.err, context
            assert commit_count(root) == commits, context
            assert not (root / ".git" / "REVERT_HEAD").exists(), context
            if [p for p in (root / ".git").rglob("*.lock") if p.name != "zhengdun.lock"]:
                # git interrupted between creating a lock file and registering it for removal
                # (a window inside git itself): the next command names the lock and the way
                # out, as after a kill; nothing was recorded.
                tally["git left a lock"] += 1
                assert recover(root)[0].endswith(".lock"), context
            if step.kind == "commit":  # the clerk's hand edit is still there, unrecorded
                assert file_bytes(root / target) == new and tree_status(root) == status, context
                assert recover(root) == ["commit"]
                took = True
            else:
                assert file_bytes(root / target) == old, context
                assert tree_status(root) == status == "", context
        if took:
            model.apply(step.added, step.removed)
            commits += 1
        else:
            git(twin, "reset", "-q", "--hard", twin_head)
        assert commit_count(root) == commits, context
        assert events(root) == model.events, context

    print(f"seed {seed}: {SIGINTS} interrupts; "
          + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))
    # Both outcomes happened, and some interrupts came after git had committed.
    assert any(k.endswith(":absent") for k in tally), tally
    assert any(k.endswith(":recorded-late") for k in tally), tally
    checked = zhengdun(root, "check")
    assert checked.code == 0 and "全部通过" in checked.out, checked
    audit = zhengdun(root, "audit", "--json")
    assert audit.code == 0 and '"serious": 0' in audit.out, audit
