"""Round two: messages that misled. Each case is provoked through the real program (the quick
path and, with ``ZHENGDUN_QUICK=off``, the full path) and must say what is really wrong, exit 1
and leave the files, git's index and the history as they were."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import Run, git
from processes import Done, zhengdun

BOTH_PATHS = pytest.mark.parametrize("quick", ["on", "off"])


def snapshot(root: Path) -> dict[str, Any]:
    """Files (outside .git), HEAD, index and status: what a refusal must leave alone."""
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
             if p.is_file() and ".git" not in p.relative_to(root).parts}
    state: dict[str, Any] = {"files": files}
    if (root / ".git").is_dir():
        state["head"] = git(root, "rev-parse", "HEAD")
        state["index"] = git(root, "ls-files", "-s")
        state["status"] = git(root, "status", "--porcelain", "--untracked-files=all")
    return state


def run(root: Path, *args: str, quick: str = "on", **env: str) -> Done:
    return zhengdun(root, *args, env={"ZHENGDUN_QUICK": quick, **env})


def refused(root: Path, *args: str, fragments: list[str], quick: str = "on",
            **env: str) -> Done:
    """Run a command that must be refused with ``fragments``, changing nothing."""
    before = snapshot(root)
    done = run(root, *args, quick=quick, **env)
    done.assert_clean_refusal(*fragments)
    assert snapshot(root) == before
    return done


@pytest.fixture
def root(chengdong: Run) -> Path:
    return chengdong.cwd


LEDGER = "ledgers/chengdong.yaml"


# --------------------------------------------------------------------------- score


@BOTH_PATHS
def test_score_just_above_a_hundred_is_named_as_typed(root: Path, quick: str) -> None:
    done = refused(root, "accept", "城东社区", "--grade", "基本合格", "--by", "县委",
                   "--score", "100.0000001", quick=quick,
                   fragments=["得分 100.0000001 不在 0 到 100 之间"])
    assert "得分 100 不在" not in done.err


# --------------------------------------------------------------------------- YAML layouts


def test_deep_nesting_is_explained_in_chinese(root: Path) -> None:
    (root / "ledgers" / "deep.yaml").write_text("name: " + "[" * 2000 + "]" * 2000 + "\n")
    before = snapshot(root)
    done = run(root, "check")
    assert done.code == 1, done.err
    assert "ledgers/deep.yaml:1:" in done.out
    assert "嵌套的层数太多" in done.out
    assert "exceeded maximum nesting depth" not in done.out + done.err
    assert snapshot(root) == before


@pytest.mark.parametrize(("char", "name"), [("\u2028", "U+2028"), ("\u2029", "U+2029"),
                                             ("\x85", "U+0085")])
def test_invisible_line_break_in_a_title_is_named_with_its_place(root: Path, char: str,
                                                                  name: str) -> None:
    path = root / LEDGER
    text = path.read_text(encoding="utf-8")
    line = text[:text.index("小区停车位")].count("\n") + 1
    path.write_text(text.replace("小区停车位", f"小区{char}停车位"), encoding="utf-8")
    before = snapshot(root)
    done = run(root, "check")
    assert done.code == 1, done.err
    assert f"{LEDGER}:{line}:" in done.out, done.out
    assert f"第 {line} 行第 14 列有一个看不见的字符 {name}" in done.out, done.out
    assert "冒号" not in done.out
    assert snapshot(root) == before
    refused(root, "commit", "-m", "改标题",
            fragments=[f"第 {line} 行第 14 列有一个看不见的字符 {name}"])


def _conflicted_config(root: Path) -> None:
    """A merge of two edits of the county name, left unresolved (as ``git merge`` leaves it)."""
    config = root / "zhengdun.yaml"
    text = config.read_text(encoding="utf-8")
    git(root, "checkout", "-qb", "other")
    config.write_text(text.replace("county: 示范县", "county: 甲县"), encoding="utf-8")
    git(root, "commit", "-qam", "甲")
    git(root, "checkout", "-q", "main")
    config.write_text(text.replace("county: 示范县", "county: 乙县"), encoding="utf-8")
    git(root, "commit", "-qam", "乙")
    merged = subprocess.run(["git", "merge", "other"], cwd=root, capture_output=True, check=False)
    assert merged.returncode != 0
    assert "<<<<<<< HEAD" in config.read_text(encoding="utf-8")


def test_merge_conflict_in_the_config_is_named_as_one(root: Path) -> None:
    _conflicted_config(root)
    line = (root / "zhengdun.yaml").read_text(encoding="utf-8").split("\n").index(
        "<<<<<<< HEAD") + 1
    before = snapshot(root)
    done = run(root, "check")
    assert done.code == 1
    assert f"zhengdun.yaml:{line}:1: 错误：这里是 git 合并冲突留下的标记" in done.out, done.out
    assert "git add zhengdun.yaml，再运行 git commit --no-edit 完成" in done.out
    assert "冒号" not in done.out
    assert snapshot(root) == before
    for quick in ("on", "off"):
        refused(root, "list", quick=quick,
                fragments=["合并冲突", f"zhengdun.yaml:{line}:1", "git add zhengdun.yaml"])


# --------------------------------------------------------------------------- dates


def test_dates_beyond_what_git_reads_are_answered_or_named(root: Path) -> None:
    head = git(root, "rev-parse", "HEAD").strip()
    for late in ("2100-01-01", "2999-12-31"):
        done = run(root, "diff", late, "--json")
        assert done.code == 0, done.err
        assert f'"commit": "{head}"' in done.out
        assert run(root, "list", "--at", late).code == 0
    for early in ("1970-01-01", "1969-12-31", "0001-01-01"):
        for args in (["diff", early], ["list", "--at", early]):
            done = refused(root, *args, fragments=[f"日期 {early} 超出了历史能覆盖的范围",
                                                   "1970 年"])
            assert "还没有任何记录" not in done.err


FULL_WIDTH = "２０２６－１０－０１"


@BOTH_PATHS
def test_full_width_digits_are_the_date_they_spell(root: Path, quick: str) -> None:
    done = run(root, "step", "chengdong/1", "全角日期的进展", "--on", FULL_WIDTH, quick=quick)
    assert done.code == 0, done.err
    assert "（2026-10-01）" in done.out
    assert "- on: 2026-10-01\n        text: 全角日期的进展\n" in (root / LEDGER).read_text()
    done = run(root, "close", "chengdong/1", "--result", "已解决", "--on", "２０２６-１０-０２",
               quick=quick)
    assert done.code == 0, done.err
    assert "on: 2026-10-02" in (root / LEDGER).read_text()
    done = run(root, "add", "城东社区", "路灯不亮", "--category", "10", "--owner", "王五",
               "--due", "２０２６-１２-３１", "--found", "２０２６-１０-０１", quick=quick)
    assert done.code == 0, done.err
    assert "due: 2026-12-31" in (root / LEDGER).read_text()
    for args in (["list", "--as-of", FULL_WIDTH], ["board", "--as-of", FULL_WIDTH],
                 ["diff", "２０９９-１２-３１"], ["list", "--at", "２０９９-１２-３１"],
                 ["bulletin", "--month", "２０２６－１０"], ["audit", "--since", FULL_WIDTH]):
        done = run(root, *args, quick=quick)
        assert done.code == 0, (args, done.err)
        assert "不存在" not in done.err
    refused(root, "step", "chengdong/1", "x", "--on", "２０２６-０２-３０", quick=quick,
            fragments=["日期 2026-02-30 不存在"])


# --------------------------------------------------------------------------- git settings


@pytest.mark.parametrize("fmt", ["openpgp", "ssh"])
@BOTH_PATHS
def test_commit_signing_without_a_key_is_named(root: Path, quick: str, fmt: str) -> None:
    git(root, "config", "commit.gpgsign", "true")
    git(root, "config", "gpg.format", fmt)
    git(root, "config", "gpg.program", str(root / "no-gpg-here"))  # never a clerk's real gpg
    done = refused(root, "step", "chengdong/1", "进展", quick=quick,
                   fragments=["commit.gpgsign", "签名没有成功", "本次修改未保存",
                              "git config commit.gpgsign false"])
    assert "git 提交失败" not in done.err


# --------------------------------------------------------------------------- check without git


def test_check_outside_a_git_repository_does_not_pass(root: Path, tmp_path: Path) -> None:
    bare = tmp_path / "拷贝的台账"
    bare.mkdir()
    for name in ("zhengdun.yaml", "ledgers", "templates"):
        source = root / name
        if source.is_dir():
            shutil.copytree(source, bare / name)
        elif source.exists():
            shutil.copy2(source, bare / name)
    for args in (["check"], ["check", "--json"]):
        before = snapshot(bare)
        done = run(bare, *args)
        assert done.code == 1, done.out
        assert "全部通过" not in done.out
        assert "不是 git 仓库" in done.out
        assert snapshot(bare) == before
    assert '"ok": false' in run(bare, "check", "--json").out


def test_check_with_no_git_program_does_not_pass(root: Path, tmp_path: Path) -> None:
    assert run(root, "check").code == 0  # passes, and leaves its result in the cache
    no_git = tmp_path / "没有git的PATH"
    no_git.mkdir()
    before = snapshot(root)
    done = run(root, "check", PATH=str(no_git))
    assert done.code == 1, done.out
    assert "全部通过" not in done.out
    assert "找不到 git 程序" in done.out
    assert snapshot(root) == before


# --------------------------------------------------------------------------- undo, linked ledgers


def test_a_report_written_into_the_workspace_does_not_block_undo(root: Path) -> None:
    assert run(root, "bulletin", "--month", "2026-11", "-o", "bulletin.md").code == 0
    (root / "笔记.txt").write_text("自己的记录\n", encoding="utf-8")
    head = git(root, "rev-parse", "HEAD").strip()
    done = run(root, "undo", "--yes")
    assert done.code == 0, done.err
    assert git(root, "rev-parse", "HEAD~1").strip() == head
    assert git(root, "-c", "core.quotePath=false", "status", "--porcelain").splitlines() == [
        "?? bulletin.md", "?? 笔记.txt"]


def test_undo_blocked_by_unrecorded_changes_names_each_file(root: Path) -> None:
    (root / "bulletin.md").write_text("通报\n", encoding="utf-8")
    with (root / LEDGER).open("a", encoding="utf-8") as ledger:
        ledger.write("# 手工备注\n")
    (root / "templates" / "我的模板.md.j2").write_text("{{ county }}\n", encoding="utf-8")
    done = refused(root, "undo", "--yes",
                   fragments=["不能撤销", f"{LEDGER}（已修改）", "templates/我的模板.md.j2（新文件）",
                              "zhengdun commit -m", "git add 文件", "git checkout -- 文件",
                              "不要的新文件直接删除"])
    assert "bulletin.md" not in done.err


@BOTH_PATHS
def test_a_linked_ledgers_folder_is_named_not_taken_for_hand_edits(root: Path,
                                                                   quick: str) -> None:
    moved = root.parent / "共享盘台账"
    (root / "ledgers").rename(moved)
    (root / "ledgers").symlink_to(moved)
    for args in (["step", "chengdong/1", "进展"], ["close", "chengdong/1", "--result", "已解决"],
                 ["add", "城东社区", "路灯不亮", "--category", "10", "--owner", "王五",
                  "--due", "2026-12-31"], ["reopen", "chengdong/1", "--reason", "反弹"],
                 ["undo", "--yes"]):
        done = refused(root, *args, quick=quick,
                       fragments=["ledgers/ 是符号链接", "zhengdun 不读取也不写入工作区之外的台账"])
        assert "未记录的手工修改" not in done.err
        assert "尚未记录的修改" not in done.err


# --------------------------------------------------------------------------- demo


def test_a_half_built_demo_is_named_as_one(tmp_path: Path) -> None:
    killed = zhengdun(tmp_path, "demo", "演示县", fault="after-commit")
    assert killed.code < 0  # killed after its first commit: a half-built demo workspace
    folder = tmp_path / "演示县"
    made = int(git(folder, "rev-list", "--count", "HEAD"))
    assert made >= 1
    done = refused(folder.parent, "demo", "演示县",
                   fragments=["演示县 中是一个没有建完的演示工作区", f"只做了 {made} 次",
                              "上一次 zhengdun demo 被中断", "删除文件夹 演示县 后重新运行 zhengdun demo"])
    assert "zhengdun init" not in done.err
    assert "org add" not in done.err


def test_demo_into_a_built_demo_or_a_used_folder_speaks_of_demo(demo_county: Path,
                                                                  root: Path) -> None:
    done = refused(demo_county.parent, "demo", demo_county.name,
                   fragments=["已经有一个建好的演示工作区", f"cd {demo_county.name}"])
    assert "org add" not in done.err
    done = refused(root.parent, "demo", root.name,
                   fragments=["不是空的，zhengdun demo 只在新的或空的文件夹中建立演示工作区"])
    assert "zhengdun init" not in done.err
