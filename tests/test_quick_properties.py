"""Random close/step/add sequences give the same answers and the same history on the quick
path as on the full CLI: the rules quick writes out again for plain data never accept what
the models refuse, never refuse what they accept, and write the same bytes.

Each example runs one random sequence twice, in two copies of one workspace with real git and
pinned commit dates: once as the entry point does (``quick.run``, and the Typer CLI when it
declines) and once through the Typer CLI alone. After every command: same exit code, stdout
and stderr; at the end: same commit ids and files.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import Run, git, pinned_env_outside_a_test
from zhengdun import quick
from zhengdun.cli import app

TOKENS = ["整改", "村务公开", "，", "：", "“", "”", "😀", "no", "on", "~", "null", "010",
          "- x", "#x", "&a", "*a", "{a: 1}", "[a]", "a: b", "a #b", '"q"', "'q'", " ", "\t",
          "\n", "\u2028", "2026-04-02", "|", ">", "%", "@", "\\", "--", "-", "\r\n", ""]
TEXT = st.lists(st.sampled_from(TOKENS), min_size=0, max_size=4).map("".join)
DAY = st.dates(min_value=date(2026, 3, 1), max_value=date(2026, 12, 31)).map(date.isoformat)
REF = st.sampled_from(["chengdong/1", "chengdong/2", "chengdong/3", "chengdong/9"])
OPTIONAL_DAY = st.one_of(st.none(), DAY)

CLOSE = st.tuples(REF, TEXT, OPTIONAL_DAY, st.one_of(st.none(), TEXT)).map(
    lambda t: ["close", t[0], "--result", t[1]] + (["--on", t[2]] if t[2] else [])
    + (["--verified-by", t[3]] if t[3] is not None else []))
STEP = st.tuples(REF, TEXT, OPTIONAL_DAY).map(
    lambda t: ["step", t[0], t[1]] + (["--on", t[2]] if t[2] else []))
ADD = st.tuples(TEXT, st.sampled_from(["10", "1", "99"]), DAY, TEXT, OPTIONAL_DAY,
                st.sampled_from([None, "群众反映", "道听途说"]), st.lists(TEXT, max_size=2),
                st.booleans()).map(
    lambda t: ["add", "chengdong", t[0], "--category", t[1], "--due", t[2], "--owner", t[3]]
    + (["--found", t[4]] if t[4] else []) + (["--source", t[5]] if t[5] else [])
    + [w for m in t[6] for w in ("--measure", m)] + (["--json"] if t[7] else []))
COMMANDS = st.lists(st.one_of(CLOSE, STEP, ADD), min_size=1, max_size=6)

DATES = {"GIT_AUTHOR_DATE": "2026-11-21T10:00:00+08:00",
         "GIT_COMMITTER_DATE": "2026-11-21T10:00:00+08:00"}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """城东社区 with two problems (one with steps), made through the CLI (so with verdicts)."""
    folder = tmp_path_factory.mktemp("quick-props")
    with pinned_env_outside_a_test(folder / "home"):
        root = folder / "示范县台账"
        assert Run(folder)("init", str(root), "--county", "示范县", "--issuer",
                           "中共示范县委组织部").exit_code == 0  # type: ignore[attr-defined]
        run = Run(root)
        for args in [("org", "add", "城东社区", "--township", "城关镇", "--kind", "社区",
                      "--designated", "2026-03-15", "--category", "10"),
                     ("add", "城东社区", "小区停车位不足", "--category", "10", "--found",
                      "2026-03-20", "--due", "2026-06-30", "--owner", "王五"),
                     ("step", "chengdong/1", "召开居民议事会", "--on", "2026-04-02"),
                     ("add", "城东社区", "党员活动室漏雨", "--category", "9", "--found",
                      "2026-05-01", "--due", "2026-09-30", "--owner", "李四"),
                     ("check",)]:
            result = run(*args)
            assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
        yield root


def _full(root: Path, args: list[str]) -> tuple[int, str, str]:
    old = Path.cwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(app, args, catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def _as_the_program(root: Path, args: list[str]) -> tuple[int, str, str, bool]:
    """What ``zhengdun.quick:main`` does: quick.run, or the CLI when it declines."""
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = quick.run(args)
    except quick.Decline:
        return (*_full(root, args), False)
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue(), True


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(commands=COMMANDS)
def test_quick_and_full_paths_agree(base: Path, commands: list[list[str]],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in DATES.items():
        monkeypatch.setenv(key, value)
    with tempfile.TemporaryDirectory(prefix="zhengdun-quick-") as tmp:
        fast, full = Path(tmp) / "a" / base.name, Path(tmp) / "b" / base.name
        shutil.copytree(base, fast, symlinks=True)
        shutil.copytree(base, full, symlinks=True)
        taken: list[Any] = []
        for args in commands:
            code, out, err, was_quick = _as_the_program(fast, args)
            assert (code, out, err) == _full(full, args), args
            taken.append(was_quick)
        assert git(fast, "rev-parse", "HEAD") == git(full, "rev-parse", "HEAD")
        assert _files(fast) == _files(full)
        assert git(fast, "status", "--porcelain") == ""


def test_the_comparison_sees_the_quick_path(base: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness above really runs quick: a plain step, close and add are answered by it."""
    for key, value in DATES.items():
        monkeypatch.setenv(key, value)
    fast, full = tmp_path / "a" / base.name, tmp_path / "b" / base.name
    shutil.copytree(base, fast, symlinks=True)
    shutil.copytree(base, full, symlinks=True)
    for args in (["step", "chengdong/2", "采购防水材料", "--on", "2026-06-01"],
                 ["close", "chengdong/2", "--result", "屋顶修缮完毕", "--on", "2026-06-10"],
                 ["add", "chengdong", "路灯不亮", "--category", "10", "--due", "2026-12-31",
                  "--owner", "张三"]):
        code, out, err, was_quick = _as_the_program(fast, args)
        assert was_quick and code == 0, (args, err)
        assert (code, out, err) == _full(full, args)
    assert git(fast, "rev-parse", "HEAD") == git(full, "rev-parse", "HEAD")
