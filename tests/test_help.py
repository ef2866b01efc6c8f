"""Every command and subcommand explains itself in Chinese (STYLE.md: a test asserts every
command has help text), and ``--help`` / ``--version`` work anywhere, without a workspace."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import typer.main

import zhengdun
from conftest import Run
from zhengdun.cli import app

CJK = re.compile("[\u4e00-\u9fff]")


@pytest.fixture
def nowhere(tmp_path: Path) -> Path:
    """An empty folder outside any workspace; it must stay empty."""
    folder = tmp_path / "空文件夹"
    folder.mkdir()
    return folder


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command below ``command`` (itself included), with the words that reach it."""
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from walk(sub, (*path, name))


ROOT = typer.main.get_command(app)
COMMANDS = list(walk(ROOT))
IDS = [" ".join(path) or "zhengdun" for path, _ in COMMANDS]
EXPECTED = {"init", "org add", "org list", "org set", "show", "list", "check", "add", "step",
            "close", "reopen", "visit", "accept", "commit"}


def test_the_contract_commands_are_all_there() -> None:
    assert set(IDS) >= EXPECTED


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_command_has_chinese_help(path: tuple[str, ...], command: Any) -> None:
    assert command.help, f"{' '.join(path)} has no help text"
    assert CJK.search(command.help), command.help
    first = command.help.strip().splitlines()[0]
    assert CJK.search(first), f"the first line of the help is the summary in the list: {first!r}"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_every_parameter_has_chinese_help(path: tuple[str, ...], command: Any) -> None:
    for param in command.params:
        if param.name == "help":
            continue
        text = getattr(param, "help", None)
        assert text and CJK.search(text), f"{' '.join(path)}: {param.name} has no Chinese help"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_exits_zero(nowhere: Path, path: tuple[str, ...], command: Any, flag: str) -> None:
    result: Any = Run(nowhere)(*path, flag)  # no workspace needed
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    summary = command.help.strip().splitlines()[0]
    assert summary[:8] in result.stdout
    assert "选项" in result.stdout  # the panel titles are Chinese
    assert "显示本帮助并退出" in result.stdout
    assert list(nowhere.iterdir()) == []


def test_version(nowhere: Path) -> None:
    result: Any = Run(nowhere)("--version")
    assert result.exit_code == 0
    assert result.stdout == f"zhengdun {zhengdun.__version__}\n"
    assert zhengdun.__version__ == version("zhengdun")
    assert list(nowhere.iterdir()) == []


def test_version_inside_a_workspace_and_before_a_command(run: Run) -> None:
    result: Any = run("--version", "step", "chengdong/1", "进展")
    assert result.exit_code == 0
    assert result.stdout == f"zhengdun {zhengdun.__version__}\n"


def test_bare_command_shows_the_commands(tmp_path: Path) -> None:
    result: Any = Run(tmp_path)()
    assert "Traceback" not in result.output
    assert "命令" in result.output
    for name in ("init", "step", "close", "commit"):
        assert name in result.output


def test_bare_command_has_no_empty_error(tmp_path: Path) -> None:
    result: Any = Run(tmp_path)()
    assert "错误：\n" not in result.stderr


def test_group_without_subcommand_is_chinese(nowhere: Path) -> None:
    # A fresh process: in this one, earlier --help runs have already localized click globally.
    result = subprocess.run([sys.executable, "-m", "zhengdun", "org"], cwd=nowhere,
                            capture_output=True, text=True, env={**os.environ, "COLUMNS": "100"})
    assert "Traceback" not in result.stderr
    assert "村(社区)：登记" in result.stdout
    assert "Show this message and exit" not in result.stdout
    assert "Options" not in result.stdout


def test_help_usage_line_is_chinese(tmp_path: Path) -> None:
    result: Any = Run(tmp_path)("step", "--help")
    assert "Usage:" not in result.stdout
    assert "[OPTIONS]" not in result.stdout


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_help_shows_no_type_noise(nowhere: Path, path: tuple[str, ...], command: Any) -> None:
    """No ``<bool>`` beside a flag, no ``<str>``/``<path>``/``<int>`` beside anything: options
    with a value show their Chinese metavar, flags and arguments nothing."""
    result = Run(nowhere)(*path, "--help")
    assert result.exit_code == 0
    assert not re.search(r"<(bool|str|path|int|float|text)>", result.output), result.output
