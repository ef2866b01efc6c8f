"""``zhengdun undo``: take back the last zhengdun command with a new commit.

Every kind of recording command is undone byte for byte; the history keeps both the command
and its undo; refusals leave everything as it was.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import Dated, build_scripted, copy_scripted, git
from zhengdun.cli import app

CHENGDONG = "ledgers/chengdong.yaml"
NOW = "2026-10-20T10:00:00+08:00"


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (old, text)
    path.write_text(text.replace(old, new), encoding="utf-8")


def script(d: Dated) -> None:
    d("2026-09-05T10:00:00+08:00", "org", "add", "城东社区", "--township", "城关镇",
      "--kind", "社区", "--designated", "2026-09-01", "--category", "10")
    d("2026-09-10T10:00:00+08:00", "add", "城东社区", "小区停车位不足", "--category", "10",
      "--found", "2026-09-10", "--due", "2026-10-31", "--owner", "王五")
    d("2026-09-11T10:00:00+08:00", "add", "城东社区", "活动场所被占用", "--category", "9",
      "--found", "2026-09-11", "--due", "2026-10-31", "--owner", "赵六")
    d("2026-09-20T10:00:00+08:00", "close", "chengdong/2", "--result", "活动室已腾退",
      "--on", "2026-09-20", "--verified-by", "城关镇党委")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scripted county, built once; tests work on copies."""
    return build_scripted(tmp_path_factory, "history-undo", script)


@pytest.fixture
def county(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dated:
    return copy_scripted(built, tmp_path, monkeypatch, now=NOW)


def invoke(root: Path, *args: str, input: str | None = None) -> Any:
    """The CLI in ``root`` with something typed on stdin."""
    old = Path.cwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)
    finally:
        os.chdir(old)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the workspace (outside .git), as bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def count(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD"))


def trailers(root: Path, rev: str = "HEAD") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in git(root, "log", "-1", "--format=%(trailers:only,unfold)", rev).splitlines():
        if ": " in line:
            key, value = line.split(": ", 1)
            out.setdefault(key, []).append(value)
    return out


def audit_is_clean(d: Dated) -> None:
    result = d.run("audit", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["serious"] == 0
    assert not [f for f in data["findings"] if f["serious"]]


def hand_edit(d: Dated) -> None:
    replace_in(d.root / CHENGDONG, "owner: 王五", "owner: 钱七")
    d(NOW, "commit", "-m", "更正责任人")


COMMANDS: dict[str, tuple[str, ...]] = {
    "org-add": ("org", "add", "西岭村", "--township", "柳河乡", "--kind", "村",
                "--designated", "2026-09-01", "--category", "4", "--slug", "xiling"),
    "org-set": ("org", "set", "城东社区", "--county-leader", "张三", "--paired-unit", "县住建局"),
    "add": ("add", "城东社区", "道路破损", "--category", "9", "--found", "2026-10-18",
            "--due", "2026-12-31", "--owner", "孙七"),
    "step": ("step", "chengdong/1", "召开居民议事会", "--on", "2026-10-19"),
    "close": ("close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-10-20",
              "--verified-by", "城关镇党委"),
    "reopen": ("reopen", "chengdong/2", "--reason", "活动室又被占用", "--on", "2026-10-20"),
    "visit": ("visit", "城东社区", "--kind", "督查", "--by", "县委组织部", "进度偏慢",
              "--on", "2026-10-20"),
    "accept": ("accept", "城东社区", "--grade", "基本合格", "--by", "县委组织部",
               "--on", "2026-10-20", "--score", "80"),
}


@pytest.mark.parametrize("action", [*COMMANDS, "commit"])
def test_undo_restores_the_ledgers_byte_for_byte(county: Dated, action: str) -> None:
    root = county.root
    before = snapshot(root)
    before_tree = git(root, "rev-parse", "HEAD^{tree}").strip()
    commits = count(root)
    if action == "commit":
        hand_edit(county)
    else:
        county(NOW, *COMMANDS[action])
    done = head(root)
    assert trailers(root)["Zhengdun-Action"] == [action]
    assert snapshot(root) != before

    result = county.run("undo", "--yes")
    assert result.exit_code == 0, result.output
    subject = git(root, "log", "-1", "--format=%s", done).strip()
    assert f"将撤销：{subject}" in result.stdout
    assert f"已撤销：{subject}" in result.stdout

    # Exactly one new commit, that takes the command back.
    assert count(root) == commits + 2
    assert git(root, "rev-parse", "HEAD~1").strip() == done
    assert git(root, "rev-parse", "HEAD^{tree}").strip() == before_tree
    assert snapshot(root) == before
    if action == "org-add":
        assert not (root / "ledgers" / "xiling.yaml").exists()
    found = trailers(root)
    assert found["Zhengdun-Action"] == ["undo"]
    assert found["Zhengdun-Undoes"] == [done]
    assert found["Zhengdun-Ref"] == trailers(root, done)["Zhengdun-Ref"]
    message = git(root, "log", "-1", "--format=%s").strip()
    assert message.startswith("undo ")
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    audit_is_clean(county)


def test_undo_of_a_step_with_new_evidence_takes_the_file_back(county: Dated) -> None:
    root = county.root
    before_tree = git(root, "rev-parse", "HEAD^{tree}").strip()
    (root / "evidence" / "议事会.jpg").write_bytes(b"\xff\xd8\xff photo")
    county(NOW, "step", "chengdong/1", "召开居民议事会", "--on", "2026-10-19",
           "--evidence", "evidence/议事会.jpg")
    assert "evidence/议事会.jpg" in git(root, "-c", "core.quotePath=false", "ls-files")
    assert county.run("undo", "--yes").exit_code == 0
    assert git(root, "rev-parse", "HEAD^{tree}").strip() == before_tree
    assert "evidence/议事会.jpg" not in git(root, "-c", "core.quotePath=false", "ls-files")
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    audit_is_clean(county)


def test_undo_twice_undoes_the_undo(county: Dated) -> None:
    root = county.root
    county(NOW, *COMMANDS["close"])
    closed = snapshot(root)
    closed_tree = git(root, "rev-parse", "HEAD^{tree}").strip()
    assert county.run("undo", "--yes").exit_code == 0
    first_undo = head(root)
    assert "closures" not in (root / CHENGDONG).read_text(encoding="utf-8").split(
        "id: 2")[0]
    result = county.run("undo", "--yes")
    assert result.exit_code == 0, result.output
    assert snapshot(root) == closed
    assert git(root, "rev-parse", "HEAD^{tree}").strip() == closed_tree
    assert trailers(root)["Zhengdun-Action"] == ["undo"]
    assert trailers(root)["Zhengdun-Undoes"] == [first_undo]
    assert git(root, "status", "--porcelain") == ""
    shown = json.loads(county.run("show", "城东社区", "--json").stdout)
    assert "新增停车位120个" in json.dumps(shown, ensure_ascii=False)
    audit_is_clean(county)


def test_each_undo_takes_back_only_the_last_command(county: Dated) -> None:
    root = county.root
    county(NOW, *COMMANDS["step"])
    after_step = snapshot(root)
    county(NOW, *COMMANDS["visit"])
    assert county.run("undo", "--yes").exit_code == 0
    assert snapshot(root) == after_step
    # The last commit is now an undo: undoing again brings the visit back, not the step.
    assert county.run("undo", "--yes").exit_code == 0
    assert "进度偏慢" in (root / CHENGDONG).read_text(encoding="utf-8")
    assert "召开居民议事会" in (root / CHENGDONG).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- refusals


def unchanged(d: Dated, result: Any, before: dict[str, bytes], commit: str, *needles: str,
              code: int = 1) -> None:
    assert result.exit_code == code, result.output
    for needle in needles:
        assert needle in result.output
    assert head(d.root) == commit
    assert snapshot(d.root) == before


def test_refuses_a_commit_made_with_plain_git(county: Dated) -> None:
    replace_in(county.root / CHENGDONG, "owner: 王五", "owner: 钱七")
    git(county.root, "commit", "-qam", "改责任人")
    before, commit = snapshot(county.root), head(county.root)
    result = county.run("undo", "--yes")
    unchanged(county, result, before, commit, "最近一次提交“改责任人”不是 zhengdun 命令做的",
              "git revert")
    assert result.stdout == ""


def test_refuses_to_undo_init(dated: Dated) -> None:
    before, commit = snapshot(dated.root), head(dated.root)
    result = dated.run("undo", "--yes")
    unchanged(dated, result, before, commit, "建立工作区")
    assert count(dated.root) == 1


def test_refuses_with_uncommitted_edits(county: Dated) -> None:
    county(NOW, *COMMANDS["visit"])
    replace_in(county.root / CHENGDONG, "owner: 王五", "owner: 钱七")
    before, commit = snapshot(county.root), head(county.root)
    result = county.run("undo", "--yes")
    unchanged(county, result, before, commit, "未记录的修改", "zhengdun commit")
    assert "owner: 钱七" in (county.root / CHENGDONG).read_text(encoding="utf-8")


def test_refuses_without_a_terminal_and_without_yes(county: Dated,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZHENGDUN_ASSUME_TTY", raising=False)
    county(NOW, *COMMANDS["visit"])
    before, commit = snapshot(county.root), head(county.root)
    result = invoke(county.root, "undo", input="y\n")
    unchanged(county, result, before, commit, "--yes")
    assert "不是在终端中运行" in result.stderr


def test_answering_no_changes_nothing(county: Dated, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHENGDUN_ASSUME_TTY", "1")
    county(NOW, *COMMANDS["visit"])
    before, commit = snapshot(county.root), head(county.root)
    result = invoke(county.root, "undo", input="n\n")
    unchanged(county, result, before, commit, "未撤销", code=0)
    assert "将撤销：visit chengdong: 督查 县委组织部" in result.stdout
    assert "  - 督查调度 chengdong（2026-10-20）：督查 县委组织部：进度偏慢" in result.stdout
    assert "确认撤销？" in result.stdout
    assert git(county.root, "status", "--porcelain") == ""
    # Just pressing Enter is "no" too.
    result = invoke(county.root, "undo", input="\n")
    unchanged(county, result, before, commit, "未撤销", code=0)


def test_answering_yes_at_the_prompt_undoes(county: Dated,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHENGDUN_ASSUME_TTY", "1")
    before = snapshot(county.root)
    county(NOW, *COMMANDS["visit"])
    done = head(county.root)
    result = invoke(county.root, "undo", input="y\n")
    assert result.exit_code == 0, result.output
    assert "已撤销：visit chengdong: 督查 县委组织部" in result.stdout
    assert snapshot(county.root) == before
    assert trailers(county.root)["Zhengdun-Undoes"] == [done]
