"""Every changing command through the CLI: what it says, what it writes, and the commit it makes.

Each command must make exactly one commit holding only the files it changed, with the subject
``<action> <ref>: <summary>``, the ``Zhengdun-Action`` / ``Zhengdun-Ref`` trailers, git's own
author and dates, and a clean working tree afterwards (DESIGN.md §4).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import Run, git, pinned_env_outside_a_test
from zhengdun.store import parse

AUTHOR_DATE = "2026-04-02T10:00:00+08:00"


# --------------------------------------------------------------------------- helpers


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def ledger_data(root: Path, slug: str = "chengdong") -> dict[str, Any]:
    data: dict[str, Any] = parse((root / "ledgers" / f"{slug}.yaml").read_text("utf-8")).data
    return data


def committed_files(root: Path, rev: str = "HEAD") -> list[str]:
    out = git(root, "-c", "core.quotePath=false", "show", "--name-only", "--format=", rev)
    return sorted(line for line in out.splitlines() if line)


def trailer(root: Path, key: str, rev: str = "HEAD") -> list[str]:
    out = git(root, "log", "-1", f"--format=%(trailers:key={key},valueonly)", rev)
    return [line for line in out.splitlines() if line]


def ok(result: Any) -> str:
    """The command succeeded, cleanly: return its stdout."""
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert result.stderr == ""
    return str(result.stdout)


def assert_one_commit(root: Path, before: str, *, action: str, ref: str, summary: str,
                      files: list[str], author_date: str | None = None) -> str:
    """Exactly one new commit on top of ``before``, as §4 of the design says; returns its id."""
    assert git(root, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert git(root, "rev-parse", "HEAD~1").strip() == before
    assert committed_files(root) == sorted(files)
    assert git(root, "log", "-1", "--format=%s") == f"{action} {ref}: {summary}\n"
    assert trailer(root, "Zhengdun-Action") == [action]
    assert trailer(root, "Zhengdun-Ref") == ref.split(",")  # one trailer per organization
    author = git(root, "log", "-1", "--format=%an <%ae>").strip()
    assert author == f"{os.environ['GIT_AUTHOR_NAME']} <{os.environ['GIT_AUTHOR_EMAIL']}>"
    if author_date is not None:
        assert git(root, "log", "-1", "--format=%aI").strip() == author_date
    assert git(root, "status", "--porcelain") == ""
    return head(root)


def said(stdout: str, text: str, root: Path) -> None:
    """The command's one-line receipt: what it did and the short commit id."""
    assert stdout == f"{text}（提交 {head(root)[:8]}）\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Where ``workspace`` (and so ``run``) and ``chengdong`` put the workspace."""
    return tmp_path / "示范县台账"


@pytest.fixture(scope="module")
def chengdong_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """conftest's ``chengdong`` workspace, built once for this module."""
    folder = tmp_path_factory.mktemp("chengdong")
    with pinned_env_outside_a_test(folder):
        root = folder / "示范县台账"
        ok(Run(folder)("init", str(root), "--county", "示范县", "--issuer", "中共示范县委组织部"))
        ok(Run(root)("org", "add", "城东社区", "--township", "城关镇", "--kind", "社区",
                     "--designated", "2026-03-15", "--category", "10"))
        ok(Run(root)("add", "城东社区", "小区停车位不足，居民反映近两年未解决", "--category", "10",
                     "--source", "群众反映", "--found", "2026-03-10", "--due", "2026-06-30",
                     "--owner", "王五", "--measure", "协调物业新增停车位"))
    return root


@pytest.fixture
def chengdong(root: Path, chengdong_template: Path) -> Run:
    """The same workspace as conftest's ``chengdong`` (城东社区 and chengdong/1), copied from a
    module-wide build to keep this file fast."""
    shutil.copytree(chengdong_template, root, symlinks=True)
    return Run(root)


@pytest.fixture
def dated(monkeypatch: pytest.MonkeyPatch) -> str:
    """Commits made from here on carry this author date."""
    monkeypatch.setenv("GIT_AUTHOR_DATE", AUTHOR_DATE)
    return AUTHOR_DATE


def org_add(run: Run, name: str, *extra: str, township: str = "城关镇",
            kind: str = "社区") -> Any:
    return run("org", "add", name, "--township", township, "--kind", kind,
               "--designated", "2026-03-15", "--category", "10", *extra)


PROBLEM_1 = {
    "id": 1,
    "round": "2026",
    "title": "小区停车位不足，居民反映近两年未解决",
    "category": "10",
    "source": "群众反映",
    "found_on": "2026-03-10",
    "due": "2026-06-30",
    "owner": "王五",
    "measures": ["协调物业新增停车位"],
}


# --------------------------------------------------------------------------- init


def test_init_creates_workspace_with_one_commit(tmp_path: Path, dated: str) -> None:
    run = Run(tmp_path)
    out = ok(run("init", "新县台账", "--county", "新县", "--issuer", "中共新县县委组织部",
                 "--prefix", "新组通"))
    root = tmp_path / "新县台账"
    assert out == (f"已建立新县台账工作区：{root}（提交 {head(root)[:8]}）\n"
                   "下一步：cd 新县台账，再用 zhengdun org add 登记村(社区)。\n")
    config = parse((root / "zhengdun.yaml").read_text("utf-8")).data
    assert config["schema_version"] == 2
    assert config["rounds"] == [{"name": "2026", "start": "2026-01-01"}]
    assert config["county"] == "新县"
    assert config["issuer"] == "中共新县县委组织部"
    assert config["doc_prefix"] == "新组通"
    assert config["timezone"] == "Asia/Shanghai"
    assert list(config["categories"]) == [str(n) for n in range(1, 11)]
    assert config["categories"]["10"] == "党组织服务意识差、服务能力弱、群众意见大"
    assert "群众反映" in config["sources"]
    for folder in ("ledgers", "templates", "evidence"):
        assert (root / folder).is_dir()
    assert ".zhengdun/" in (root / ".gitignore").read_text("utf-8")
    assert git(root, "rev-list", "--count", "HEAD").strip() == "1"
    assert git(root, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert committed_files(root) == sorted([
        "zhengdun.yaml", ".gitignore", ".gitattributes", "ledgers/.gitkeep",
        "templates/.gitkeep", "evidence/.gitkeep"])
    assert git(root, "log", "-1", "--format=%s") == "init workspace: 新县软弱涣散基层党组织整顿台账\n"
    assert trailer(root, "Zhengdun-Action") == ["init"]
    assert trailer(root, "Zhengdun-Ref") == ["workspace"]
    assert git(root, "log", "-1", "--format=%an <%ae>").strip() == "测试员 <clerk@example.com>"
    assert git(root, "log", "-1", "--format=%aI").strip() == dated
    assert git(root, "status", "--porcelain") == ""


def test_init_default_prefix_from_county(workspace: Path) -> None:
    config = parse((workspace / "zhengdun.yaml").read_text("utf-8")).data
    assert config["doc_prefix"] == "示组通"
    assert config["county"] == "示范县"


def test_init_into_an_empty_git_repository(tmp_path: Path) -> None:
    root = tmp_path / "已有仓库"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    ok(Run(tmp_path)("init", str(root), "--county", "示范县", "--issuer", "中共示范县委组织部"))
    assert git(root, "rev-list", "--count", "HEAD").strip() == "1"
    assert trailer(root, "Zhengdun-Action") == ["init"]
    assert git(root, "status", "--porcelain") == ""


# --------------------------------------------------------------------------- org add


def test_org_add(run: Run, root: Path, dated: str) -> None:
    before = head(root)
    out = ok(run("org", "add", "城东社区", "--township", "城关镇", "--kind", "社区",
                 "--designated", "2026-03-15", "--category", "10", "--category", "7",
                 "--category", "10"))
    said(out, "已登记 城东社区（简称 chengdong，文件 ledgers/chengdong.yaml）", root)
    text = (root / "ledgers" / "chengdong.yaml").read_text("utf-8")
    assert text.startswith(
        "schema_version: 2\n"
        "name: 城东社区\n"
        "kind: 社区\n"
        "township: 城关镇\n"
        "designations:\n"
        '  - round: "2026"\n'
        "    on: 2026-03-15\n"
        "    categories:\n"
        '      - "10"\n'
        '      - "7"\n'
    )
    data = ledger_data(root)
    assert data == {"schema_version": 2, "name": "城东社区", "kind": "社区", "township": "城关镇",
                    "designations": [{"round": "2026", "on": "2026-03-15",
                                      "categories": ["10", "7"]}]}
    assert_one_commit(root, before, action="org-add", ref="chengdong", summary="城东社区",
                      files=["ledgers/chengdong.yaml"], author_date=dated)


def test_org_add_village(run: Run, root: Path) -> None:
    before = head(root)
    out = ok(org_add(run, "丰收村", township="河口乡", kind="村"))
    said(out, "已登记 丰收村（简称 fengshou，文件 ledgers/fengshou.yaml）", root)
    data = ledger_data(root, "fengshou")
    assert (data["kind"], data["township"]) == ("村", "河口乡")
    assert_one_commit(root, before, action="org-add", ref="fengshou", summary="丰收村",
                      files=["ledgers/fengshou.yaml"])


def test_slug_from_pinyin_collision_and_override(run: Run, root: Path) -> None:
    ok(org_add(run, "城东社区"))
    assert (root / "ledgers" / "chengdong.yaml").is_file()
    # Another organization whose name spells the same: the next free number.
    before = head(root)
    out = ok(org_add(run, "城东村", kind="村"))
    said(out, "已登记 城东村（简称 chengdong-2，文件 ledgers/chengdong-2.yaml）", root)
    assert ledger_data(root, "chengdong-2")["name"] == "城东村"
    assert_one_commit(root, before, action="org-add", ref="chengdong-2", summary="城东村",
                      files=["ledgers/chengdong-2.yaml"])
    ok(org_add(run, "成东社区"))
    assert ledger_data(root, "chengdong-3")["name"] == "成东社区"
    # --slug wins over the generated one.
    before = head(root)
    out = ok(org_add(run, "城东街道城东社区", "--slug", "cd-east"))
    said(out, "已登记 城东街道城东社区（简称 cd-east，文件 ledgers/cd-east.yaml）", root)
    assert_one_commit(root, before, action="org-add", ref="cd-east", summary="城东街道城东社区",
                      files=["ledgers/cd-east.yaml"])
    assert sorted(p.name for p in (root / "ledgers").glob("*.yaml")) == [
        "cd-east.yaml", "chengdong-2.yaml", "chengdong-3.yaml", "chengdong.yaml"]


# --------------------------------------------------------------------------- org set


def test_org_set_responsibility_first_time(chengdong: Run, root: Path, dated: str) -> None:
    before = head(root)
    out = ok(chengdong("org", "set", "城东社区", "--county-leader", "张三",
                       "--township-lead", "李四", "--branch-secretary", "王五",
                       "--first-secretary", "赵六", "--paired-unit", "县住建局",
                       "--paired-unit", "县交通局", "--work-team", "县住建局驻村工作队"))
    summary = "包联县级领导、包村乡镇领导、党组织书记、第一书记、结对帮扶单位、驻村工作队"
    said(out, f"已更新 城东社区 的{summary}", root)
    data = ledger_data(root)
    assert data["designations"][-1]["responsibility"] == {
        "county_leader": "张三", "township_lead": "李四", "branch_secretary": "王五",
        "first_secretary": "赵六", "paired_units": ["县住建局", "县交通局"],
        "work_team": "县住建局驻村工作队"}
    assert data["problems"] == [PROBLEM_1]
    assert_one_commit(root, before, action="org-set", ref="chengdong", summary=summary,
                      files=["ledgers/chengdong.yaml"], author_date=dated)


def test_org_set_changes_only_the_given_fields(chengdong: Run, root: Path) -> None:
    ok(chengdong("org", "set", "chengdong", "--county-leader", "张三", "--first-secretary", "赵六"))
    before = head(root)
    out = ok(chengdong("org", "set", "chengdong", "--name", "城东新村", "--township", "城西镇",
                       "--kind", "村", "--designated", "2026-03-20", "--category", "4",
                       "--category", "10", "--first-secretary", "钱七"))
    summary = "名称、所属乡镇、类别、认定日期、软弱涣散类型、第一书记"
    said(out, f"已更新 城东新村 的{summary}", root)
    assert ledger_data(root) == {
        "schema_version": 2, "name": "城东新村", "kind": "村", "township": "城西镇",
        "designations": [{"round": "2026", "on": "2026-03-20", "categories": ["4", "10"],
                          "responsibility": {"county_leader": "张三", "first_secretary": "钱七"}}],
        "problems": [PROBLEM_1]}
    assert_one_commit(root, before, action="org-set", ref="chengdong", summary=summary,
                      files=["ledgers/chengdong.yaml"])
    # The new name is a reference from now on.
    ok(chengdong("org", "set", "城东新村", "--work-team", "县委组织部驻村工作队"))
    assert ledger_data(root)["designations"][0]["responsibility"]["work_team"] == "县委组织部驻村工作队"


# --------------------------------------------------------------------------- add


def test_add_from_fixture(chengdong: Run, root: Path) -> None:
    assert ledger_data(root)["problems"] == [PROBLEM_1]
    assert git(root, "log", "-1", "--format=%s") == (
        "add chengdong/1: 小区停车位不足，居民反映近两年未解决\n")
    assert trailer(root, "Zhengdun-Ref") == ["chengdong/1"]


def test_add_problem(chengdong: Run, root: Path, dated: str) -> None:
    before = head(root)
    out = ok(chengdong("add", "城东社区", "党员活动室面积不足", "--category", "9",
                       "--due", "2026-12-31", "--owner", "李四", "--measure", "协调闲置用房",
                       "--measure", "改造装修"))
    said(out, "已登记问题 chengdong/2", root)
    problems = ledger_data(root)["problems"]
    assert problems[0] == PROBLEM_1
    assert problems[1] == {
        "id": 2, "round": "2026", "title": "党员活动室面积不足", "category": "9",
        "found_on": "2026-11-21",  # today, pinned by ZHENGDUN_TODAY
        "due": "2026-12-31", "owner": "李四", "measures": ["协调闲置用房", "改造装修"]}
    assert_one_commit(root, before, action="add", ref="chengdong/2", summary="党员活动室面积不足",
                      files=["ledgers/chengdong.yaml"], author_date=dated)


def test_add_json(chengdong: Run, root: Path) -> None:
    result = chengdong("add", "chengdong", "两委班子分工不明", "--category", "3",
                       "--found", "2026-04-01", "--due", "2026-05-31", "--owner", "王五",
                       "--json")
    data = json.loads(ok(result))
    assert data["action"] == "add"
    assert data["ref"] == "chengdong/2"
    assert data["commit"] == head(root)
    assert ledger_data(root)["problems"][1]["found_on"] == "2026-04-01"


def test_add_numbers_follow_the_largest(chengdong: Run, root: Path) -> None:
    for title in ("问题二", "问题三"):
        ok(chengdong("add", "chengdong", title, "--category", "10", "--due", "2026-12-31",
                     "--owner", "王五"))
    assert [p["id"] for p in ledger_data(root)["problems"]] == [1, 2, 3]
    assert trailer(root, "Zhengdun-Ref") == ["chengdong/3"]


# --------------------------------------------------------------------------- step


def test_step(chengdong: Run, root: Path, dated: str) -> None:
    before = head(root)
    out = ok(chengdong("step", "chengdong/1", "召开居民议事会，确定改造方案", "--on", "2026-04-02"))
    said(out, "已记录 chengdong/1 的整改进展（2026-04-02）", root)
    assert ledger_data(root)["problems"][0]["steps"] == [
        {"on": "2026-04-02", "text": "召开居民议事会，确定改造方案"}]
    assert_one_commit(root, before, action="step", ref="chengdong/1",
                      summary="召开居民议事会，确定改造方案", files=["ledgers/chengdong.yaml"],
                      author_date=dated)
    # Without --on: today.
    before = head(root)
    out = ok(chengdong("step", "chengdong/1", "完成停车位划线"))
    said(out, "已记录 chengdong/1 的整改进展（2026-11-21）", root)
    assert ledger_data(root)["problems"][0]["steps"][-1] == {"on": "2026-11-21",
                                                            "text": "完成停车位划线"}
    assert_one_commit(root, before, action="step", ref="chengdong/1", summary="完成停车位划线",
                      files=["ledgers/chengdong.yaml"])


@pytest.mark.parametrize("text", ["第一行\n第二行: 有冒号 #号", "yes", "010", "2026-04-02",
                                  "- 开头是短横", "\"引号\"和'单引号'"],
                         ids=["multi-line", "yes", "octal-looking", "date-looking", "dash",
                              "quotes"])
def test_step_text_is_kept_exactly(chengdong: Run, root: Path, text: str) -> None:
    before = head(root)
    ok(chengdong("step", "--on", "2026-04-02", "--", "chengdong/1", text))
    assert ledger_data(root)["problems"][0]["steps"] == [{"on": "2026-04-02", "text": text}]
    assert_one_commit(root, before, action="step", ref="chengdong/1",
                      summary=" ".join(text.split()), files=["ledgers/chengdong.yaml"])
    assert "全部通过" in ok(chengdong("check"))


def test_long_summary_is_cut_in_the_subject(chengdong: Run, root: Path) -> None:
    text = "协调" * 50
    before = head(root)
    ok(chengdong("step", "chengdong/1", text, "--on", "2026-04-02"))
    assert ledger_data(root)["problems"][0]["steps"][0]["text"] == text
    assert_one_commit(root, before, action="step", ref="chengdong/1", summary=text[:71] + "…",
                      files=["ledgers/chengdong.yaml"])


def test_step_edits_only_its_lines_and_keeps_comments(chengdong: Run, root: Path) -> None:
    path = root / "ledgers" / "chengdong.yaml"
    text = path.read_text("utf-8").replace("owner: 王五\n", "owner: 王五  # 社区书记\n")
    text = "# 城东社区台账（手工注释）\n" + text
    path.write_text(text, encoding="utf-8")
    ok(chengdong("commit", "-m", "加注释"))
    ok(chengdong("step", "chengdong/1", "召开居民议事会", "--on", "2026-04-02"))
    after = path.read_text("utf-8")
    assert after.startswith(text)
    assert after[len(text):] == "    steps:\n      - on: 2026-04-02\n        text: 召开居民议事会\n"
    removed = [line for line in git(root, "diff", "HEAD~1", "HEAD").splitlines()
               if line.startswith("-") and not line.startswith("---")]
    assert removed == []


def test_step_with_untracked_evidence_commits_it_too(chengdong: Run, root: Path) -> None:
    evidence = root / "evidence" / "chengdong" / "议事会记录.pdf"
    evidence.parent.mkdir()
    evidence.write_bytes(b"%PDF-1.4 minutes")
    before = head(root)
    ok(chengdong("step", "chengdong/1", "召开居民议事会", "--on", "2026-04-02",
                 "--evidence", "evidence/chengdong/议事会记录.pdf"))
    assert ledger_data(root)["problems"][0]["steps"] == [
        {"on": "2026-04-02", "text": "召开居民议事会",
         "evidence": ["evidence/chengdong/议事会记录.pdf"],
         "evidence_sha256": {"evidence/chengdong/议事会记录.pdf":
                             hashlib.sha256(b"%PDF-1.4 minutes").hexdigest()}}]
    assert_one_commit(root, before, action="step", ref="chengdong/1", summary="召开居民议事会",
                      files=["ledgers/chengdong.yaml", "evidence/chengdong/议事会记录.pdf"])
    assert git(root, "show", "HEAD:evidence/chengdong/议事会记录.pdf") == "%PDF-1.4 minutes"
    # Cited again, already committed and unchanged: only the ledger is in the commit.
    before = head(root)
    ok(chengdong("step", "chengdong/1", "再次引用", "--on", "2026-04-03",
                 "--evidence", "evidence/chengdong/议事会记录.pdf"))
    assert_one_commit(root, before, action="step", ref="chengdong/1", summary="再次引用",
                      files=["ledgers/chengdong.yaml"])


def test_evidence_path_is_relative_to_the_current_folder(chengdong: Run, root: Path) -> None:
    folder = root / "evidence" / "chengdong"
    folder.mkdir()
    (folder / "照片.jpg").write_bytes(b"\xff\xd8\xff")
    before = head(root)
    ok(chengdong("close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-06-20",
                 "--evidence", "照片.jpg", cwd=folder))
    closure = ledger_data(root)["problems"][0]["closures"][0]
    assert closure["evidence"] == ["evidence/chengdong/照片.jpg"]
    assert_one_commit(root, before, action="close", ref="chengdong/1", summary="新增停车位120个",
                      files=["ledgers/chengdong.yaml", "evidence/chengdong/照片.jpg"])


def test_visit_with_evidence(chengdong: Run, root: Path) -> None:
    (root / "evidence" / "督查记录.docx").write_bytes(b"PK\x03\x04")
    before = head(root)
    ok(chengdong("visit", "chengdong", "--kind", "督查", "--by", "县委组织部督查组",
                 "--on", "2026-05-10", "--evidence", "evidence/督查记录.docx", "进度偏慢"))
    assert ledger_data(root)["visits"][0]["evidence"] == ["evidence/督查记录.docx"]
    assert_one_commit(root, before, action="visit", ref="chengdong", summary="督查 县委组织部督查组",
                      files=["ledgers/chengdong.yaml", "evidence/督查记录.docx"])


# --------------------------------------------------------------------------- close, reopen


def test_close(chengdong: Run, root: Path, dated: str) -> None:
    ok(chengdong("step", "chengdong/1", "召开居民议事会", "--on", "2026-04-02"))
    before = head(root)
    out = ok(chengdong("close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-06-20",
                       "--verified-by", "城关镇党委"))
    said(out, "chengdong/1 已销号（2026-06-20）", root)
    assert ledger_data(root)["problems"][0]["closures"] == [
        {"on": "2026-06-20", "result": "新增停车位120个", "verified_by": "城关镇党委"}]
    assert_one_commit(root, before, action="close", ref="chengdong/1", summary="新增停车位120个",
                      files=["ledgers/chengdong.yaml"], author_date=dated)


def test_close_on_the_day_of_the_last_step(chengdong: Run, root: Path) -> None:
    ok(chengdong("step", "chengdong/1", "完工", "--on", "2026-06-20"))
    ok(chengdong("close", "chengdong/1", "--result", "完成", "--on", "2026-06-20"))
    assert ledger_data(root)["problems"][0]["closures"] == [{"on": "2026-06-20", "result": "完成"}]


def test_reopen_keeps_the_closure_and_close_again(chengdong: Run, root: Path,
                                                  dated: str) -> None:
    ok(chengdong("close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-06-20",
                 "--verified-by", "城关镇党委"))
    before = head(root)
    out = ok(chengdong("reopen", "chengdong/1", "--reason", "回头看发现新增车位被占用",
                       "--on", "2026-08-01"))
    said(out, "chengdong/1 已重新打开（反弹，2026-08-01）", root)
    first = {"on": "2026-06-20", "result": "新增停车位120个", "verified_by": "城关镇党委",
             "reopened": {"on": "2026-08-01", "reason": "回头看发现新增车位被占用"}}
    assert ledger_data(root)["problems"][0]["closures"] == [first]
    assert_one_commit(root, before, action="reopen", ref="chengdong/1",
                      summary="回头看发现新增车位被占用", files=["ledgers/chengdong.yaml"],
                      author_date=dated)
    shown = json.loads(ok(chengdong("show", "chengdong", "--json")))
    assert shown["problems"][0]["state"] == "reopened"

    before = head(root)
    out = ok(chengdong("close", "chengdong/1", "--result", "清理占用车位，设专人管理",
                       "--on", "2026-09-15"))
    said(out, "chengdong/1 已销号（2026-09-15）", root)
    assert ledger_data(root)["problems"][0]["closures"] == [
        first, {"on": "2026-09-15", "result": "清理占用车位，设专人管理"}]
    assert_one_commit(root, before, action="close", ref="chengdong/1",
                      summary="清理占用车位，设专人管理", files=["ledgers/chengdong.yaml"])
    shown = json.loads(ok(chengdong("show", "chengdong", "--json")))
    assert shown["problems"][0]["state"] == "closed"
    # As of a day inside the relapse, the problem counted as not closed.
    rows = json.loads(ok(chengdong("list", "--open", "--as-of", "2026-08-15", "--json")))
    assert [row["ref"] for row in rows["problems"]] == ["chengdong/1"]


def test_step_after_reopening_a_problem_closed_without_steps(chengdong: Run, root: Path) -> None:
    ok(chengdong("close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-06-20"))
    ok(chengdong("reopen", "chengdong/1", "--reason", "车位被占用", "--on", "2026-08-01"))
    before = head(root)
    ok(chengdong("step", "chengdong/1", "清理占用车位", "--on", "2026-09-01"))
    assert_one_commit(root, before, action="step", ref="chengdong/1", summary="清理占用车位",
                      files=["ledgers/chengdong.yaml"])


@pytest.mark.parametrize("earlier_step", [
    True,
    False,
], ids=["closed-after-a-step", "closed-without-steps"])
def test_follow_up_step_after_closure(chengdong: Run, root: Path, earlier_step: bool) -> None:
    if earlier_step:
        ok(chengdong("step", "chengdong/1", "召开居民议事会", "--on", "2026-04-02"))
    ok(chengdong("close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-06-20"))
    before = head(root)
    ok(chengdong("step", "chengdong/1", "巩固：每月巡查车位", "--on", "2026-07-01"))
    assert_one_commit(root, before, action="step", ref="chengdong/1", summary="巩固：每月巡查车位",
                      files=["ledgers/chengdong.yaml"])


def test_name_line_with_a_comment_still_resolves(chengdong: Run, root: Path) -> None:
    path = root / "ledgers" / "chengdong.yaml"
    path.write_text(path.read_text("utf-8").replace("name: 城东社区\n",
                                                    "name: 城东社区  # 原城东居委会\n"), "utf-8")
    ok(chengdong("commit", "-m", "加注释"))
    before = head(root)
    ok(chengdong("visit", "城东社区", "--kind", "调度", "--by", "城关镇党委", "调度会"))
    assert_one_commit(root, before, action="visit", ref="chengdong", summary="调度 城关镇党委",
                      files=["ledgers/chengdong.yaml"])
    assert "name: 城东社区  # 原城东居委会\n" in path.read_text("utf-8")


# --------------------------------------------------------------------------- visit, accept


def test_visit(chengdong: Run, root: Path, dated: str) -> None:
    before = head(root)
    out = ok(chengdong("visit", "城东社区", "--kind", "督查", "--by", "县委组织部督查组",
                       "--on", "2026-05-10", "进度偏慢，限期整改"))
    said(out, "已记录 城东社区 的督查（2026-05-10）", root)
    assert ledger_data(root)["visits"] == [
        {"round": "2026", "on": "2026-05-10", "kind": "督查", "by": "县委组织部督查组",
         "text": "进度偏慢，限期整改"}]
    assert_one_commit(root, before, action="visit", ref="chengdong",
                      summary="督查 县委组织部督查组", files=["ledgers/chengdong.yaml"],
                      author_date=dated)


@pytest.mark.parametrize("kind", ["督查", "调度", "约谈", "回头看"])
def test_visit_kinds(chengdong: Run, root: Path, kind: str) -> None:
    before = head(root)
    ok(chengdong("visit", "chengdong", "--kind", kind, "--by", "城关镇党委", "情况说明"))
    assert ledger_data(root)["visits"] == [
        {"round": "2026", "on": "2026-11-21", "kind": kind, "by": "城关镇党委", "text": "情况说明"}]
    assert_one_commit(root, before, action="visit", ref="chengdong", summary=f"{kind} 城关镇党委",
                      files=["ledgers/chengdong.yaml"])


def test_accept(chengdong: Run, root: Path, dated: str) -> None:
    ok(chengdong("close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-06-20"))
    before = head(root)
    out = ok(chengdong("accept", "城东", "--grade", "合格", "--by", "县委组织部",
                       "--on", "2026-10-20", "--score", "92", "--note", "乡镇初验、县委组织部复核"))
    said(out, "已记录 城东社区 的验收：合格（2026-10-20）", root)
    assert ledger_data(root)["acceptances"] == [
        {"round": "2026", "on": "2026-10-20", "by": "县委组织部", "grade": "合格", "score": 92,
         "note": "乡镇初验、县委组织部复核"}]
    assert_one_commit(root, before, action="accept", ref="chengdong", summary="合格",
                      files=["ledgers/chengdong.yaml"], author_date=dated)
    shown = json.loads(ok(chengdong("show", "chengdong", "--json")))
    assert shown["summary"]["stage"] == "已转化"


@pytest.mark.parametrize(("grade", "stage"), [("基本合格", "巩固提升"), ("不合格", "重新整顿")])
def test_accept_lower_grades_with_open_problems(chengdong: Run, root: Path, grade: str,
                                                stage: str) -> None:
    before = head(root)
    ok(chengdong("accept", "chengdong", "--grade", grade, "--by", "城关镇党委",
                 "--score", "68.5"))
    assert ledger_data(root)["acceptances"] == [
        {"round": "2026", "on": "2026-11-21", "by": "城关镇党委", "grade": grade, "score": 68.5}]
    assert_one_commit(root, before, action="accept", ref="chengdong", summary=grade,
                      files=["ledgers/chengdong.yaml"])
    assert json.loads(ok(chengdong("show", "chengdong", "--json")))["summary"]["stage"] == stage


# --------------------------------------------------------------------------- commit


def test_commit_records_hand_edits(chengdong: Run, root: Path, dated: str) -> None:
    path = root / "ledgers" / "chengdong.yaml"
    text = path.read_text("utf-8").replace("due: 2026-06-30", "due: 2026-07-31  # 经批准延期")
    path.write_text(text, encoding="utf-8")
    before = head(root)
    out = ok(chengdong("commit", "-m", "更正城东社区1号问题的整改时限"))
    said(out, "已记录手工修改：ledgers/chengdong.yaml", root)
    assert path.read_text("utf-8") == text
    assert ledger_data(root)["problems"][0]["due"] == "2026-07-31"
    assert_one_commit(root, before, action="commit", ref="chengdong",
                      summary="更正城东社区1号问题的整改时限", files=["ledgers/chengdong.yaml"],
                      author_date=dated)


def test_commit_records_config_and_new_ledger(chengdong: Run, root: Path) -> None:
    config = root / "zhengdun.yaml"
    config.write_text(config.read_text("utf-8").replace(
        'categories:\n', 'categories:\n  "11": 村霸\n', 1), encoding="utf-8")
    before = head(root)
    ok(chengdong("commit", "-m", "增加本地类型 村霸"))
    assert_one_commit(root, before, action="commit", ref="config", summary="增加本地类型 村霸",
                      files=["zhengdun.yaml"])
    ok(chengdong("add", "chengdong", "村霸干扰换届", "--category", "11", "--due", "2026-12-31",
                 "--owner", "王五"))
    assert ledger_data(root)["problems"][1]["category"] == "11"

    (root / "ledgers" / "xigou.yaml").write_text(
        "schema_version: 2\nname: 西沟村\nkind: 村\ntownship: 河口乡\n"
        "designations:\n  - round: \"2026\"\n    on: 2026-03-15\n    categories:\n"
        "      - \"1\"\n", encoding="utf-8")
    before = head(root)
    out = ok(chengdong("commit", "-m", "补录西沟村台账"))
    said(out, "已记录手工修改：ledgers/xigou.yaml", root)
    assert_one_commit(root, before, action="commit", ref="xigou", summary="补录西沟村台账",
                      files=["ledgers/xigou.yaml"])
    ok(chengdong("visit", "西沟村", "--kind", "调度", "--by", "河口乡党委", "调度会"))
    assert ledger_data(root, "xigou")["visits"][0]["kind"] == "调度"


def test_commit_several_files_at_once(chengdong: Run, root: Path) -> None:
    ok(org_add(chengdong, "城西社区"))
    for slug in ("chengdong", "chengxi"):
        path = root / "ledgers" / f"{slug}.yaml"
        path.write_text(path.read_text("utf-8").replace("township: 城关镇", "township: 城关街道"),
                        encoding="utf-8")
    (root / "evidence" / "乡镇更名批复.pdf").write_bytes(b"%PDF")
    before = head(root)
    out = ok(chengdong("commit", "-m", "城关镇改为城关街道"))
    said(out, "已记录手工修改：ledgers/chengdong.yaml、ledgers/chengxi.yaml、evidence/乡镇更名批复.pdf",
         root)
    assert_one_commit(root, before, action="commit", ref="chengdong,chengxi",
                      summary="城关镇改为城关街道",
                      files=["evidence/乡镇更名批复.pdf", "ledgers/chengdong.yaml",
                             "ledgers/chengxi.yaml"])
    assert ledger_data(root, "chengxi")["township"] == "城关街道"


def test_commit_evidence_only(chengdong: Run, root: Path) -> None:
    (root / "evidence" / "补充材料.pdf").write_bytes(b"%PDF")
    before = head(root)
    ok(chengdong("commit", "-m", "补充佐证材料"))
    assert_one_commit(root, before, action="commit", ref="workspace", summary="补充佐证材料",
                      files=["evidence/补充材料.pdf"])


def test_commit_refuses_invalid_hand_edits_with_locations(chengdong: Run, root: Path) -> None:
    path = root / "ledgers" / "chengdong.yaml"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    due = next(i for i, line in enumerate(lines) if line.strip().startswith("due:"))
    kind = next(i for i, line in enumerate(lines) if line.startswith("kind:"))
    lines[due] = lines[due].replace("2026-06-30", "2026-02-30")
    lines[kind] = "kind: 乡\n"
    edited = "".join(lines)
    path.write_text(edited, encoding="utf-8")
    before = head(root)
    result = chengdong("commit", "-m", "改错了")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "手工修改中有错误，未记录" in result.stderr
    column = lines[due].index("2026") + 1
    assert f"ledgers/chengdong.yaml:{due + 1}:{column}" in result.stderr
    assert "日期 2026-02-30 不存在" in result.stderr
    assert f"ledgers/chengdong.yaml:{kind + 1}:7" in result.stderr
    assert head(root) == before
    assert path.read_text("utf-8") == edited
    assert git(root, "status", "--porcelain") == " M ledgers/chengdong.yaml\n"


def test_commit_refuses_rule_violations(chengdong: Run, root: Path) -> None:
    path = root / "ledgers" / "chengdong.yaml"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.strip() == 'category: "10"')
    lines[index] = lines[index].replace('"10"', '"99"')
    edited = "".join(lines)
    path.write_text(edited, encoding="utf-8")
    before = head(root)
    result = chengdong("commit", "-m", "改类型")
    assert result.exit_code == 1
    assert f"ledgers/chengdong.yaml:{index + 1}:" in result.stderr
    assert "类型 99 不在类型目录中" in result.stderr
    assert head(root) == before
    assert path.read_text("utf-8") == edited


# --------------------------------------------------------------------------- references


@pytest.fixture
def two_orgs(chengdong: Run) -> Run:
    ok(org_add(chengdong, "城西社区"))
    ok(chengdong("add", "城西社区", "议事会不开", "--category", "10", "--found", "2026-03-10",
                 "--due", "2026-06-30", "--owner", "孙八"))
    return chengdong


@pytest.mark.parametrize("org", ["chengdong", "城东社区", "城东", "chengd", "城东社"])
def test_problem_ref_resolves(two_orgs: Run, root: Path, org: str) -> None:
    before = head(root)
    out = ok(two_orgs("step", f"{org}/1", "召开议事会", "--on", "2026-04-02"))
    said(out, "已记录 chengdong/1 的整改进展（2026-04-02）", root)
    assert_one_commit(root, before, action="step", ref="chengdong/1", summary="召开议事会",
                      files=["ledgers/chengdong.yaml"])


@pytest.mark.parametrize("org", ["chengxi", "城西社区", "城西", "chengx"])
def test_org_ref_resolves(two_orgs: Run, root: Path, org: str) -> None:
    before = head(root)
    ok(two_orgs("visit", org, "--kind", "调度", "--by", "城关镇党委", "调度会"))
    assert ledger_data(root, "chengxi")["visits"][0]["text"] == "调度会"
    assert "visits" not in ledger_data(root, "chengdong")
    assert_one_commit(root, before, action="visit", ref="chengxi", summary="调度 城关镇党委",
                      files=["ledgers/chengxi.yaml"])


def test_exact_name_wins_over_prefix(chengdong: Run, root: Path) -> None:
    ok(org_add(chengdong, "城东社区二区"))
    ok(chengdong("visit", "城东社区", "--kind", "调度", "--by", "城关镇党委", "调度会"))
    assert trailer(root, "Zhengdun-Ref") == ["chengdong"]


@pytest.mark.parametrize("org", ["城", "cheng"])
def test_ambiguous_prefix_lists_candidates(two_orgs: Run, root: Path, org: str) -> None:
    before = head(root)
    result = two_orgs("step", f"{org}/1", "召开议事会")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"“{org}”可以指多个村(社区)：城东社区（chengdong）、城西社区（chengxi）" in result.stderr
    assert head(root) == before
    assert git(root, "status", "--porcelain") == ""


def test_unknown_name_lists_candidates(two_orgs: Run, root: Path) -> None:
    before = head(root)
    result = two_orgs("visit", "城南社区", "--kind", "调度", "--by", "城关镇党委", "调度会")
    assert result.exit_code == 1
    assert "找不到村(社区)“城南社区”" in result.stderr
    assert "现有：城东社区（chengdong）、城西社区（chengxi）" in result.stderr
    assert head(root) == before


# --------------------------------------------------------------------------- author


def test_author_comes_from_git_environment(chengdong: Run, root: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_AUTHOR_NAME", "城关镇组织委员")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "chengguan@example.com")
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2026-05-01T09:30:00+08:00")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2026-05-03T18:00:00+08:00")
    before = head(root)
    ok(chengdong("step", "chengdong/1", "补录进展", "--on", "2026-04-30"))
    assert_one_commit(root, before, action="step", ref="chengdong/1", summary="补录进展",
                      files=["ledgers/chengdong.yaml"], author_date="2026-05-01T09:30:00+08:00")
    assert git(root, "log", "-1", "--format=%an|%ae|%cn|%cI").strip() == (
        "城关镇组织委员|chengguan@example.com|测试员|2026-05-03T18:00:00+08:00")


# --------------------------------------------------------------------------- the README session


def test_readme_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The session of README.md ("上手：一个社区从认定到销号"), command by command."""
    ok(Run(tmp_path)("init", "示范县台账", "--county", "示范县", "--issuer", "中共示范县委组织部"))
    root = tmp_path / "示范县台账"
    run = Run(root)  # cd 示范县台账
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2026-03-15T09:00:00+08:00")
    ok(run("org", "add", "城东社区", "--township", "城关镇", "--kind", "社区",
           "--designated", "2026-03-15", "--category", "10"))
    ok(run("org", "set", "城东社区", "--county-leader", "张三", "--township-lead", "李四",
           "--first-secretary", "赵六", "--paired-unit", "县住建局"))
    out = ok(run("add", "城东社区", "小区停车位不足，居民反映近两年未解决", "--category", "10",
                 "--source", "群众反映", "--found", "2026-03-10", "--due", "2026-06-30",
                 "--owner", "王五", "--measure", "协调物业新增停车位"))
    said(out, "已登记问题 chengdong/1", root)
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2026-04-02T10:00:00+08:00")
    ok(run("step", "chengdong/1", "召开居民议事会，确定改造方案", "--on", "2026-04-02"))
    monkeypatch.delenv("GIT_AUTHOR_DATE")
    ok(run("close", "chengdong/1", "--result", "新增停车位120个", "--verified-by", "城关镇党委",
           "--on", "2026-06-20"))
    ok(run("reopen", "chengdong/1", "--reason", "回头看发现新增车位被占用", "--on", "2026-08-01"))
    ok(run("visit", "城东社区", "--kind", "督查", "--by", "县委组织部督查组", "--on", "2026-05-10",
           "进度偏慢，限期整改"))

    assert (root / "ledgers" / "chengdong.yaml").read_text("utf-8") == """\
schema_version: 2
name: 城东社区
kind: 社区
township: 城关镇
designations:
  - round: "2026"
    on: 2026-03-15
    categories:
      - "10"
    responsibility:
      county_leader: 张三
      township_lead: 李四
      first_secretary: 赵六
      paired_units:
        - 县住建局
problems:
  - id: 1
    round: "2026"
    title: 小区停车位不足，居民反映近两年未解决
    category: "10"
    source: 群众反映
    found_on: 2026-03-10
    due: 2026-06-30
    owner: 王五
    measures:
      - 协调物业新增停车位
    steps:
      - on: 2026-04-02
        text: 召开居民议事会，确定改造方案
    closures:
      - on: 2026-06-20
        result: 新增停车位120个
        verified_by: 城关镇党委
        reopened:
          on: 2026-08-01
          reason: 回头看发现新增车位被占用
visits:
  - round: "2026"
    on: 2026-05-10
    kind: 督查
    by: 县委组织部督查组
    text: 进度偏慢，限期整改
"""
    assert git(root, "log", "--format=%s").splitlines() == [
        "visit chengdong: 督查 县委组织部督查组",
        "reopen chengdong/1: 回头看发现新增车位被占用",
        "close chengdong/1: 新增停车位120个",
        "step chengdong/1: 召开居民议事会，确定改造方案",
        "add chengdong/1: 小区停车位不足，居民反映近两年未解决",
        "org-set chengdong: 包联县级领导、包村乡镇领导、第一书记、结对帮扶单位",
        "org-add chengdong: 城东社区",
        "init workspace: 示范县软弱涣散基层党组织整顿台账",
    ]
    assert git(root, "log", "--format=%(trailers:key=Zhengdun-Action,valueonly)").split() == [
        "visit", "reopen", "close", "step", "add", "org-set", "org-add", "init"]
    assert git(root, "log", "--format=%(trailers:key=Zhengdun-Ref,valueonly)").split() == [
        "chengdong", "chengdong/1", "chengdong/1", "chengdong/1", "chengdong/1", "chengdong",
        "chengdong", "workspace"]
    # git log --format='%h %ad %an %s' --date=short: who and when, as git took them.
    dated = git(root, "log", "--format=%ad %an %s", "--date=short").splitlines()
    assert dated[3] == "2026-04-02 测试员 step chengdong/1: 召开居民议事会，确定改造方案"
    assert dated[4] == "2026-03-15 测试员 add chengdong/1: 小区停车位不足，居民反映近两年未解决"
    assert dated[6] == "2026-03-15 测试员 org-add chengdong: 城东社区"
    for rev in range(7):
        assert len(committed_files(root, f"HEAD~{rev}")) == 1
    assert git(root, "status", "--porcelain") == ""

    shown = ok(run("show", "城东社区"))
    assert "城东社区（chengdong）" in shown
    assert "责任清单：包联县级领导：张三；包村乡镇领导：李四；第一书记：赵六；结对帮扶单位：县住建局" in shown
    assert "chengdong/1  小区停车位不足，居民反映近两年未解决" in shown
    assert "反弹，逾期 144 天" in shown
    assert "2026-04-02  进展：召开居民议事会，确定改造方案" in shown
    assert "2026-06-20  销号：新增停车位120个（城关镇党委验收）" in shown
    assert "2026-08-01  反弹：回头看发现新增车位被占用" in shown
    assert "县委组织部督查组" in shown

    listed = ok(run("list", "--overdue", "--as-of", "2026-09-01"))
    assert "问题 1 个（按 2026-09-01 判断）" in listed
    row = next(line for line in listed.splitlines() if "chengdong/1" in line)
    assert "城东社区" in row
    assert "反弹" in row
    assert row.rstrip(" │|").endswith("63")  # days overdue on 2026-09-01
    as_json = json.loads(ok(run("list", "--overdue", "--as-of", "2026-09-01", "--json")))
    assert [(p["ref"], p["state"], p["days_overdue"]) for p in as_json["problems"]] == [
        ("chengdong/1", "reopened", 63)]
    # Before the relapse it was closed, so not overdue.
    assert json.loads(ok(run("list", "--overdue", "--as-of", "2026-07-15", "--json")))[
        "problems"] == []

    checked = ok(run("check"))
    assert "检查了 2 个文件（1 个村(社区)，1 个问题）：全部通过。" in checked
    assert git(root, "status", "--porcelain") == ""
