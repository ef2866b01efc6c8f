"""Shell completion: the scripts Typer installs, and what a Tab offers (the real program, as the
shell runs it on every Tab)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from processes import ZHENGDUN, environment


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("completion")
    subprocess.run([str(ZHENGDUN), "demo", str(folder / "演示县")], env=environment(),
                   check=True, capture_output=True)
    return folder / "演示县"


def tab(root: Path, words: str) -> list[str]:
    """What bash completion offers for the last of ``words``."""
    parts = words.split(" ")
    result = subprocess.run([str(ZHENGDUN)], cwd=root, capture_output=True, text=True,
                            env=environment(_ZHENGDUN_COMPLETE="complete_bash",
                                            COMP_WORDS=words, COMP_CWORD=str(len(parts) - 1)),
                            check=True)
    return result.stdout.split()


def test_help_offers_completion(county: Path) -> None:
    shown = subprocess.run([str(ZHENGDUN), "--help"], cwd=county, capture_output=True,
                           text=True, env=environment(), check=True).stdout
    assert "--install-completion" in shown and "--show-completion" in shown


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_completion_script_is_shown(county: Path, shell: str) -> None:
    script = subprocess.run([str(ZHENGDUN), "--show-completion", shell], cwd=county,
                            capture_output=True, text=True, env=environment(), check=True).stdout
    assert "_ZHENGDUN_COMPLETE" in script


def test_tab_completes_commands_organizations_and_problems(county: Path) -> None:
    assert "close" in tab(county, "zhengdun clo")
    assert tab(county, "zhengdun show ma") == ["majiaping"]
    assert tab(county, "zhengdun step ch") == ["chengdong/"]
    assert tab(county, "zhengdun close chengdong/") == [f"chengdong/{n}" for n in range(1, 6)]
    assert tab(county, "zhengdun log hougou/3") == ["hougou/3"]
    assert tab(county, "zhengdun step nowhere/") == []
    assert "--result" in tab(county, "zhengdun close chengdong/1 --re")


def test_tab_outside_a_workspace_offers_nothing_and_says_nothing(tmp_path: Path) -> None:
    assert tab(tmp_path, "zhengdun show ch") == []
