"""Renamed ledgers, names two organizations share, and git's environment, through the real
program.

A ledger renamed with ``git mv`` or a plain ``mv`` is recorded by ``zhengdun commit -m`` in one
commit (old file gone, new file there, tree clean) that ``undo`` takes back; ``org set --name``
refuses a name another organization has, as ``org add`` and ``commit`` do; an exported
``GIT_DIR`` / ``GIT_WORK_TREE`` / ``GIT_INDEX_FILE`` never sends a record to another repository.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import (
    CHENGDONG_ADD,
    CHENGDONG_PROBLEM,
    CHENGDONG_STEP,
    built_workspace,
    copy_of,
)
from processes import commit_count, git, tree_status, zhengdun


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """城东社区 (chengdong/1, one step) and 西关村 (xiguan/1)."""
    return built_workspace(tmp_path_factory, "renames", [
        CHENGDONG_ADD,
        ("org", "add", "西关村", "--township", "城关镇", "--kind", "村", "--designated",
         "2026-03-15", "--category", "10", "--slug", "xiguan"),
        CHENGDONG_PROBLEM, CHENGDONG_STEP,
        ("add", "西关村", "村务公开不及时", "--category", "10", "--found", "2026-03-10",
         "--due", "2026-06-30", "--owner", "赵六")])


@pytest.fixture
def root(template: Path, tmp_path: Path) -> Path:
    return copy_of(template, tmp_path)


def head_files(root: Path) -> list[str]:
    return git(root, "ls-tree", "-r", "--name-only", "HEAD", "ledgers/").split()


# --------------------------------------------------------------------------- git's environment


@pytest.fixture
def other(tmp_path: Path) -> Path:
    """Another real repository, with one commit and a staged file of its own."""
    repo = tmp_path / "另一个仓库"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "readme.txt").write_text("别的项目\n", encoding="utf-8")
    git(repo, "add", "readme.txt")
    git(repo, "commit", "-q", "-m", "other project")
    (repo / "notes.txt").write_text("暂存的文件\n", encoding="utf-8")
    git(repo, "add", "notes.txt")
    return repo


def repository_state(repo: Path) -> tuple[str, bytes, str]:
    """HEAD, the index's bytes and the status of a repository."""
    return (git(repo, "rev-parse", "HEAD"), (repo / ".git" / "index").read_bytes(),
            tree_status(repo))


@pytest.mark.parametrize("quick", ["on", "off"])
def test_exported_git_dir_does_not_send_records_elsewhere(root: Path, other: Path,
                                                          quick: str) -> None:
    before = repository_state(other)
    commits = commit_count(root)
    env = {"GIT_DIR": str(other / ".git"), "GIT_WORK_TREE": str(other),
           "GIT_INDEX_FILE": str(other / ".git" / "index")}
    if quick == "off":
        env["ZHENGDUN_QUICK"] = "off"
    done = zhengdun(root, "step", "chengdong/1", "居民代表再次协商", "--on", "2026-04-10", env=env)
    assert done.code == 0, done.err
    assert git(root, "log", "-1", "--format=%s") == "step chengdong/1: 居民代表再次协商\n"
    assert git(root, "rev-parse", "--short=8", "HEAD").strip() in done.out
    with (root / "ledgers" / "xiguan.yaml").open("a", encoding="utf-8") as handle:
        handle.write("# 手工补注\n")
    done = zhengdun(root, "commit", "-m", "补注", env=env)
    assert done.code == 0, done.err
    assert git(root, "log", "-1", "--format=%s") == "commit xiguan: 补注\n"
    assert git(root, "show", "--name-only", "--format=", "HEAD").split() == ["ledgers/xiguan.yaml"]
    assert git(root, "rev-parse", "--short=8", "HEAD").strip() in done.out
    done = zhengdun(root, "undo", "--yes", env=env)
    assert done.code == 0, done.err
    assert commit_count(root) == commits + 3
    assert tree_status(root) == ""
    assert repository_state(other) == before


# --------------------------------------------------------------------------- names


def snapshot(root: Path) -> tuple[str, bytes, str, dict[str, bytes]]:
    """HEAD, git's index, the status and every ledger's bytes."""
    files = {p.name: p.read_bytes() for p in sorted((root / "ledgers").iterdir())}
    return (git(root, "rev-parse", "HEAD"), (root / ".git" / "index").read_bytes(),
            tree_status(root), files)


def test_org_set_refuses_a_name_another_organization_has(root: Path) -> None:
    before = snapshot(root)
    done = zhengdun(root, "org", "set", "xiguan", "--name", "城东社区")
    done.assert_clean_refusal("城东社区 已经登记过了（chengdong）", "zhengdun show chengdong")
    assert snapshot(root) == before
    # org add on a registered name designates it again (schema v2): in the same round, refused.
    added = zhengdun(root, "org", "add", "城东社区", "--township", "城关镇", "--kind", "社区",
                     "--designated", "2026-03-15", "--category", "10")
    added.assert_clean_refusal("城东社区 已在批次 2026 认定过：同一批次只能认定一次",
                               "再次认定请用新的批次（--round）")
    assert snapshot(root) == before
    # And commit's: the same name written by hand.
    path = root / "ledgers" / "xiguan.yaml"
    path.write_text(path.read_text("utf-8").replace("name: 西关村\n", "name: 城东社区\n"), "utf-8")
    edited = snapshot(root)
    zhengdun(root, "commit", "-m", "改名").assert_clean_refusal(
        "ledgers/xiguan.yaml:1:1: 错误：名称“城东社区”与 ledgers/chengdong.yaml 重复")
    assert snapshot(root) == edited
    # Its own name again, or a free one, is no clash.
    path.write_bytes(before[3]["xiguan.yaml"])
    zhengdun(root, "org", "set", "xiguan", "--name", "西关村").assert_clean_refusal("与原来相同")
    done = zhengdun(root, "org", "set", "xiguan", "--name", "西关新村")
    assert done.code == 0, done.err
    assert git(root, "log", "-1", "--format=%s") == "org-set xiguan: 名称\n"
    assert tree_status(root) == ""


# --------------------------------------------------------------------------- renamed ledgers


def board_at_head(root: Path) -> list[str]:
    done = zhengdun(root, "board", "--at", "HEAD", "--json")
    assert done.code == 0, done.err
    return sorted(org["slug"] for org in json.loads(done.out)["organizations"])


@pytest.mark.parametrize("how", ["git-mv", "mv", "mv-and-git-add"])
def test_renamed_ledger_is_one_clean_commit_that_undo_takes_back(root: Path, how: str) -> None:
    old, new = root / "ledgers" / "xiguan.yaml", root / "ledgers" / "xg.yaml"
    content = old.read_bytes()
    commits = commit_count(root)
    if how == "git-mv":
        git(root, "mv", "ledgers/xiguan.yaml", "ledgers/xg.yaml")
    else:
        old.rename(new)
        if how == "mv-and-git-add":
            git(root, "add", "-A", "ledgers")
    checked = zhengdun(root, "check")
    assert checked.code == 0, checked.err
    assert "其中 ledgers/xiguan.yaml 改名为 ledgers/xg.yaml" in checked.out
    assert "确认内容无误后运行 zhengdun commit -m" in checked.out
    assert "台账文件被删除" not in checked.out
    done = zhengdun(root, "commit", "-m", "西关村改简称")
    assert done.code == 0, done.err
    assert commit_count(root) == commits + 1
    assert tree_status(root) == ""
    assert head_files(root) == ["ledgers/.gitkeep", "ledgers/chengdong.yaml", "ledgers/xg.yaml"]
    assert git(root, "show", "--no-renames", "--name-status", "--format=", "HEAD").split() == [
        "A", "ledgers/xg.yaml", "D", "ledgers/xiguan.yaml"]
    assert board_at_head(root) == ["chengdong", "xg"]
    assert new.read_bytes() == content
    checked = zhengdun(root, "check")
    assert checked.code == 0 and "尚未记录" not in checked.out, checked.out
    undone = zhengdun(root, "undo", "--yes")
    assert undone.code == 0, undone.err
    assert head_files(root) == ["ledgers/.gitkeep", "ledgers/chengdong.yaml",
                                "ledgers/xiguan.yaml"]
    assert board_at_head(root) == ["chengdong", "xiguan"]
    assert old.read_bytes() == content and not new.exists()
    assert tree_status(root) == ""
    # Renamed again, the new slug is usable at once, on the quick path and on the full one.
    old.rename(new)
    assert zhengdun(root, "commit", "-m", "西关村改简称").code == 0
    for quick in ("on", "off"):
        step = zhengdun(root, "step", "xg/1", f"公开栏更新（{quick}）", "--on", "2026-04-05",
                        env={"ZHENGDUN_QUICK": quick})
        assert step.code == 0, step.err
        assert git(root, "show", "--name-only", "--format=", "HEAD").split() == [
            "ledgers/xg.yaml"]
    assert tree_status(root) == ""


@pytest.mark.parametrize("how", ["rm", "git-rm", "renamed-and-renamed"])
def test_deleted_ledger_without_its_rename_is_refused_and_check_says_so(root: Path,
                                                                        how: str) -> None:
    old, new = root / "ledgers" / "xiguan.yaml", root / "ledgers" / "xg.yaml"
    if how == "rm":
        old.unlink()
    elif how == "git-rm":
        git(root, "rm", "-q", "ledgers/xiguan.yaml")
    else:  # a new slug and a new name at once: nothing says it is the same organization
        git(root, "mv", "ledgers/xiguan.yaml", "ledgers/xg.yaml")
        new.write_text(new.read_text("utf-8").replace("name: 西关村\n", "name: 西关新村\n"),
                       "utf-8")
    before = snapshot(root)
    checked = zhengdun(root, "check")
    assert checked.code == 0, checked.err
    assert "确认内容无误后运行 zhengdun commit -m" not in checked.out
    assert "注意：台账文件被删除：ledgers/xiguan.yaml。台账记录不能删除" in checked.out
    assert "git checkout HEAD -- ledgers/xiguan.yaml 恢复" in checked.out
    zhengdun(root, "commit", "-m", "删掉").assert_clean_refusal(
        "台账文件被删除：ledgers/xiguan.yaml。台账记录不能删除",
        "请运行 git checkout HEAD -- ledgers/xiguan.yaml 恢复", "名称（name）要与原文件相同")
    assert snapshot(root) == before
    # The way out it names works whether the deletion is staged or not.
    git(root, "checkout", "HEAD", "--", "ledgers/xiguan.yaml")
    if how == "renamed-and-renamed":
        git(root, "rm", "-q", "-f", "ledgers/xg.yaml")
    assert tree_status(root) == ""


def test_half_committed_rename_of_an_older_zhengdun_is_finished_by_commit(root: Path) -> None:
    # What an older zhengdun commit left of a git mv: the new file committed alone, HEAD
    # holding both files, the deletion of the old one still staged.
    git(root, "mv", "ledgers/xiguan.yaml", "ledgers/xg.yaml")
    git(root, "commit", "-q", "-m", "commit xg: 改简称", "--", "ledgers/xg.yaml")
    assert head_files(root) == ["ledgers/.gitkeep", "ledgers/chengdong.yaml",
                                "ledgers/xg.yaml", "ledgers/xiguan.yaml"]
    checked = zhengdun(root, "check")
    assert "其中 ledgers/xiguan.yaml 改名为 ledgers/xg.yaml" in checked.out, checked.out
    assert "确认内容无误后运行 zhengdun commit -m" in checked.out
    commits = commit_count(root)
    done = zhengdun(root, "commit", "-m", "补记删除旧文件")
    assert done.code == 0, done.err
    assert commit_count(root) == commits + 1
    assert head_files(root) == ["ledgers/.gitkeep", "ledgers/chengdong.yaml", "ledgers/xg.yaml"]
    assert board_at_head(root) == ["chengdong", "xg"]
    assert tree_status(root) == ""
    undone = zhengdun(root, "undo", "--yes")
    assert undone.code == 0, undone.err
    assert "ledgers/xiguan.yaml" in head_files(root)
    assert tree_status(root) == ""
