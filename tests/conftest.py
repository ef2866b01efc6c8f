"""Fixtures: real workspaces with real git in temporary folders, a pinned clock and identity."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from zhengdun.cli import app

TODAY = "2026-11-21"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "测试员",
    "GIT_AUTHOR_EMAIL": "clerk@example.com",
    "GIT_COMMITTER_NAME": "测试员",
    "GIT_COMMITTER_EMAIL": "clerk@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "ZHENGDUN_TODAY": TODAY,
    "ZHENGDUN_LOCK_TIMEOUT": "5",
    "ZHENGDUN_QUICK_STRICT": "1",  # a bug of the fast path fails the test, never hides
}


@pytest.fixture(autouse=True)
def pinned_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Every test: a fixed "today", a fixed git identity, no user or system git config."""
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir(exist_ok=True)
    yield


class Run:
    """Invoke the zhengdun CLI in a folder and keep the result."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.runner = CliRunner()

    def __call__(self, *args: str, cwd: Path | None = None) -> object:
        old = Path.cwd()
        os.chdir(cwd or self.cwd)
        try:
            return self.runner.invoke(app, list(args), catch_exceptions=False)
        finally:
            os.chdir(old)


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` and return its output."""
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A fresh workspace (示范县) with its first commit."""
    root = tmp_path / "示范县台账"
    result = Run(tmp_path)("init", str(root), "--county", "示范县", "--issuer", "中共示范县委组织部")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return root


@pytest.fixture
def run(workspace: Path) -> Run:
    """The CLI, run inside the fresh workspace."""
    return Run(workspace)


@pytest.fixture
def chengdong(run: Run) -> Run:
    """A workspace with 城东社区 registered and one problem (chengdong/1) on it."""
    steps = [
        ("org", "add", "城东社区", "--township", "城关镇", "--kind", "社区",
         "--designated", "2026-03-15", "--category", "10"),
        ("add", "城东社区", "小区停车位不足，居民反映近两年未解决", "--category", "10",
         "--source", "群众反映", "--found", "2026-03-10", "--due", "2026-06-30",
         "--owner", "王五", "--measure", "协调物业新增停车位"),
    ]
    for args in steps:
        result = run(*args)
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return run


# --------------------------------------------------------------------------- reports and demo


def pytest_addoption(parser: pytest.Parser) -> None:
    """``pytest --update-golden`` rewrites the files in tests/golden/ from the current output."""
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/ with the current report output")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """Whether this run rewrites the golden files instead of comparing with them."""
    return bool(request.config.getoption("--update-golden"))


@contextmanager
def pinned_env_outside_a_test(home: Path) -> Iterator[None]:
    """The env of ``pinned_env``, for session- or module-scoped fixtures (which run before
    the function-scoped autouse fixture); restored on exit."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in GIT_ENV.items():
            mp.setenv(key, value)
        for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
            mp.delenv(key, raising=False)
        home.mkdir(parents=True, exist_ok=True)
        mp.setenv("HOME", str(home))
        yield


CHENGDONG_ADD = ("org", "add", "城东社区", "--township", "城关镇", "--kind", "社区",
                 "--designated", "2026-03-15", "--category", "10")
CHENGDONG_PROBLEM = ("add", "城东社区", "小区停车位不足", "--category", "10", "--found",
                     "2026-03-10", "--due", "2026-06-30", "--owner", "王五")
CHENGDONG_STEP = ("step", "chengdong/1", "召开居民议事会", "--on", "2026-04-02")


def built_workspace(factory: pytest.TempPathFactory, label: str,
                    commands: Sequence[Sequence[str]]) -> Path:
    """A workspace 示范县台账 made by ``zhengdun init`` and then ``commands`` (each must
    succeed), for a module-scoped ``template`` fixture: built once, copied per test."""
    folder = factory.mktemp(label)
    with pinned_env_outside_a_test(folder / "home"):
        root = folder / "示范县台账"
        result: Any = Run(folder)("init", str(root), "--county", "示范县", "--issuer", "组织部")
        assert result.exit_code == 0, result.output
        run = Run(root)
        for args in commands:
            result = run(*args)
            assert result.exit_code == 0, (args, result.output)
    return root


def copy_of(template: Path, tmp_path: Path) -> Path:
    """A test's own copy of a built workspace (symlinks kept as they are)."""
    target = tmp_path / template.name
    shutil.copytree(template, target, symlinks=True)
    return target


@pytest.fixture(scope="session")
def demo_county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo county built once per session with ``zhengdun demo``. Read it, never change it:
    tests that write copy it first (``demo_copy``)."""
    base = tmp_path_factory.mktemp("demo-county")
    with pinned_env_outside_a_test(base / "home"):
        result = Run(base)("demo", "演示县")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return base / "演示县"


@pytest.fixture
def demo_copy(demo_county: Path, tmp_path: Path) -> Path:
    """A private copy of the demo county (git history included) that a test may change."""

    target = tmp_path / "演示县"
    shutil.copytree(demo_county, target, symlinks=True)
    return target


# --------------------------------------------------------------------------- backdated history


class Dated:
    """A workspace whose history is scripted with chosen commit dates: ``dated(stamp, *args)``
    runs one command as if at ``stamp`` (ISO 8601 with zone; sets ``GIT_AUTHOR_DATE``,
    ``GIT_COMMITTER_DATE`` and "today" = that day in Beijing time) and requires exit 0."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.run = Run(root)
        self.mp = monkeypatch

    def when(self, stamp: str) -> None:
        from datetime import datetime
        from zoneinfo import ZoneInfo

        for key in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
            self.mp.setenv(key, stamp)
        day = datetime.fromisoformat(stamp).astimezone(ZoneInfo("Asia/Shanghai")).date()
        self.mp.setenv("ZHENGDUN_TODAY", day.isoformat())

    def __call__(self, stamp: str, *args: str) -> object:
        self.when(stamp)
        result = self.run(*args)
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
        return result

    @classmethod
    def create(cls, root: Path, monkeypatch: pytest.MonkeyPatch) -> Dated:
        """``zhengdun init`` a workspace (示范县) at ``root``, dated 2026-08-01 09:00 Beijing."""
        helper = cls(root, monkeypatch)
        helper.when("2026-08-01T09:00:00+08:00")
        result = Run(root.parent)("init", str(root), "--county", "示范县",
                                  "--issuer", "中共示范县委组织部")
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
        return helper


def build_scripted(factory: pytest.TempPathFactory, name: str,
                   script: Callable[[Dated], None]) -> Path:
    """A scripted county built once (for a module-scoped fixture); tests work on copies."""
    base = factory.mktemp(name)
    with pinned_env_outside_a_test(base / "home"), pytest.MonkeyPatch.context() as mp:
        county = Dated.create(base / "示范县台账", mp)
        script(county)
    return county.root


def copy_scripted(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                  now: str = "2026-11-21T12:00:00+08:00") -> Dated:
    """A private copy of a county made by :func:`build_scripted`, with the clock at ``now``."""
    root = tmp_path / "示范县台账"
    shutil.copytree(built, root, symlinks=True)
    county = Dated(root, monkeypatch)
    county.when(now)
    return county


@pytest.fixture
def dated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dated:
    """A fresh workspace (示范县) whose first commit is dated 2026-08-01 09:00 Beijing time."""
    return Dated.create(tmp_path / "示范县台账", monkeypatch)
