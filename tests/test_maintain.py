"""``zhengdun maintain`` and the hint ``check`` gives for it, on real git repositories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import Run, git
from zhengdun import housekeeping


@pytest.fixture
def busy(chengdong: Run, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """A workspace with a dozen recordings, judged by low limits so that it needs upkeep."""
    for i in range(12):
        result = chengdong("step", "chengdong/1", f"第{i + 1}次整改推进会", "--on", "2026-04-01")
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    monkeypatch.setattr(housekeeping, "LOOSE_LIMIT", 20)
    monkeypatch.setattr(housekeeping, "COMMITS_FOR_GRAPH", 10)
    return chengdong


def loose(root: Path) -> int:
    counts = dict(line.split(": ") for line in git(root, "count-objects", "-v").splitlines())
    return int(counts["count"])


def test_check_suggests_maintain_and_maintain_does_it(busy: Run, workspace: Path) -> None:
    """check names the reasons; maintain packs, writes a commit-graph with changed paths,
    keeps every commit; afterwards check is quiet about it."""
    before_head = git(workspace, "rev-parse", "HEAD")
    before_log = git(workspace, "log", "--format=%H %s", "--", "ledgers/chengdong.yaml")
    assert loose(workspace) >= 20

    hinted = busy("check")
    assert hinted.exit_code == 0  # a hint, not an error  # type: ignore[attr-defined]
    assert "提示：仓库需要整理（" in hinted.output  # type: ignore[attr-defined]
    assert "个松散对象" in hinted.output and "没有提交图" in hinted.output  # type: ignore[attr-defined]
    assert "运行 zhengdun maintain" in hinted.output  # type: ignore[attr-defined]
    as_json = json.loads(busy("check", "--json").output)  # type: ignore[attr-defined]
    assert any("松散对象" in r for r in as_json["maintenance"])

    done = busy("maintain")
    assert done.exit_code == 0, done.output  # type: ignore[attr-defined]
    assert "仓库整理完成" in done.output and "历史记录未改动" in done.output  # type: ignore[attr-defined]
    assert "提交图：无 → 已建立（含变更路径）" in done.output  # type: ignore[attr-defined]
    for step, (label, _args) in enumerate(housekeeping.history.HOUSEKEEPING, start=1):
        assert f"[{step}/5] {label}……" in done.output  # type: ignore[attr-defined]

    assert loose(workspace) == 0
    graph = workspace / ".git" / "objects" / "info" / "commit-graph"
    assert graph.is_file()
    assert housekeeping.history.storage(workspace).changed_paths
    assert git(workspace, "rev-parse", "HEAD") == before_head
    assert git(workspace, "log", "--format=%H %s", "--", "ledgers/chengdong.yaml") == before_log
    subprocess.run(["git", "fsck", "--strict"], cwd=workspace, check=True, capture_output=True)
    assert git(workspace, "status", "--porcelain") == ""

    quiet = busy("check")
    assert quiet.exit_code == 0  # type: ignore[attr-defined]
    assert "仓库需要整理" not in quiet.output  # type: ignore[attr-defined]
    assert json.loads(busy("check", "--json").output)["maintenance"] == []  # type: ignore[attr-defined]


def test_a_small_fresh_workspace_needs_no_upkeep(chengdong: Run) -> None:
    result = chengdong("check")
    assert "仓库需要整理" not in result.output  # type: ignore[attr-defined]


def test_maintain_removes_only_cache_entries_that_can_no_longer_be_used(
        busy: Run, workspace: Path) -> None:
    assert busy("check").exit_code == 0  # leaves the current verdicts  # type: ignore[attr-defined]
    base = workspace / ".git" / "zhengdun-cache"
    current = [d for d in base.glob("valid-*") if d.is_dir()]
    assert len(current) == 1 and any(current[0].iterdir())
    stale = base / "valid-0000000000"
    stale.mkdir()
    (stale / ("ab" * 20)).write_text("2026-01-01", encoding="ascii")
    old = base / "results" / "aa" / "old"
    new = base / "results" / "bb" / "new"
    for path in (old, new):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"x")
    long_ago = time.time() - 40 * 86400
    os.utime(old, (long_ago, long_ago))

    done = busy("maintain")
    assert done.exit_code == 0, done.output  # type: ignore[attr-defined]
    assert "清除过期缓存：2 项" in done.output  # type: ignore[attr-defined]
    assert not stale.exists() and not old.exists()
    assert new.exists() and current[0].is_dir() and any(current[0].iterdir())


def test_maintain_refuses_while_git_is_busy(busy: Run, workspace: Path) -> None:
    """A lock file of another git: nothing is done, the message says what to do."""
    lock = workspace / ".git" / "index.lock"
    lock.write_text("", encoding="utf-8")
    count = loose(workspace)
    result = busy("maintain")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "另一个 git 程序正在使用这个仓库（存在 .git/index.lock）" in result.output  # type: ignore[attr-defined]
    assert loose(workspace) == count


def test_a_failing_git_step_is_reported(busy: Run, workspace: Path) -> None:
    """git refuses to write the commit-graph (a stale lock of its own): clear message, exit 1."""
    (workspace / ".git" / "objects" / "info").mkdir(parents=True, exist_ok=True)
    (workspace / ".git" / "objects" / "info" / "commit-graph.lock").write_text("")
    head = git(workspace, "rev-parse", "HEAD")
    result = busy("maintain")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "错误：git commit-graph 失败：" in result.output  # type: ignore[attr-defined]
    assert "commit-graph.lock" in result.output  # type: ignore[attr-defined]
    assert "历史记录没有改动" in result.output  # type: ignore[attr-defined]
    assert git(workspace, "rev-parse", "HEAD") == head


def test_maintain_outside_a_git_repository(tmp_path: Path) -> None:
    folder = tmp_path / "台账"
    folder.mkdir()
    (folder / "zhengdun.yaml").write_text("schema_version: 1\n", encoding="utf-8")
    result = Run(folder)("maintain")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "不是 git 仓库" in result.output  # type: ignore[attr-defined]


def test_maintain_through_the_program(busy: Run, workspace: Path) -> None:
    """The installed entry point: piped output gets plain progress lines on stderr."""
    env: dict[str, Any] = dict(os.environ)
    result = subprocess.run([sys.executable, "-m", "zhengdun", "maintain"], cwd=workspace,
                            capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert "[1/5] 整理引用……" in result.stderr
    assert result.stdout.startswith("仓库整理完成")
