"""Quiet wrongs: input that was taken without a word and made the ledger or a report wrong,
and what a power cut can do to a workspace.

Names with spaces or invisible characters around them, text made of invisible characters,
slugs Windows cannot use as file names, reports written over a ledger, evidence inside .git,
a hook that rewrites the ledger while it is committed, CR-only files, ``category: 0x9``; and
``core.fsync``. Every command runs as the real program, on the quick path and on the full path
(``ZHENGDUN_QUICK=off``), which must answer alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import (
    CHENGDONG_ADD,
    CHENGDONG_PROBLEM,
    built_workspace,
    copy_of,
)
from processes import Done, git, tree_status, zhengdun
from test_reliability_faults import refused, snapshot

LEDGER = "ledgers/chengdong.yaml"
PATHS = {"quick": {}, "full": {"ZHENGDUN_QUICK": "off"}}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """城东社区 (城关镇) with chengdong/1."""
    return built_workspace(tmp_path_factory, "quiet", [CHENGDONG_ADD, CHENGDONG_PROBLEM])


@pytest.fixture
def root(template: Path, tmp_path: Path) -> Path:
    return copy_of(template, tmp_path)


def hand_written(root: Path, rel: str, text: str, message: str = "手工修改") -> None:
    """A file written by hand and committed with plain git (as a clerk's colleague might)."""
    path = root / rel
    path.write_bytes(text.encode("utf-8"))
    git(root, "add", "--", rel)
    git(root, "commit", "-q", "-m", message)


LEDGER_TEXT = """\
schema_version: 2
name: {name}
kind: 村
township: {township}
designations:
  - round: "2026"
    on: 2026-03-15
    categories: ["10"]
problems:
  - id: 1
    round: "2026"
    title: {title}
    category: {category}
    found_on: 2026-03-10
    due: 2026-06-30
    owner: {owner}
"""


def ledger_text(name: str = "城北村", township: str = "城关镇", title: str = "村务公开不及时",
                category: str = '"10"', owner: str = "李四") -> str:
    return LEDGER_TEXT.format(name=name, township=township, title=title, category=category,
                              owner=owner)


def shown(root: Path, org: str, **env: str) -> dict[str, Any]:
    result = zhengdun(root, "show", org, "--json", env=env)
    assert result.code == 0, result
    data: dict[str, Any] = json.loads(result.out)
    return data


def check(root: Path) -> Done:
    return zhengdun(root, "check", env={"ZHENGDUN_CACHE": "off"})


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("path", PATHS)
def test_names_typed_with_spaces_around_them_are_recorded_without(root: Path,
                                                                   path: str) -> None:
    """A township "城关镇 " typed on the command line is 城关镇: one township in the bulletin's
    ranking; a name and an owner with spaces around them are found and shown without."""
    env = PATHS[path]
    done = zhengdun(root, "org", "add", " 城西社区\u3000", "--township", "城关镇 ", "--kind",
                    "社区", "--designated", "2026-03-15", "--category", "10", "--slug",
                    "chengxi", env=env)
    assert done.code == 0, done
    done = zhengdun(root, "add", "chengxi", "道路破损", "--category", "10", "--found",
                    "2026-03-10", "--due", "2026-06-30", "--owner", " 赵六 ", env=env)
    assert done.code == 0, done
    data = shown(root, "城西社区", **env)
    assert (data["name"], data["township"]) == ("城西社区", "城关镇")
    assert data["problems"][0]["owner"] == "赵六"
    bulletin = zhengdun(root, "bulletin", "--month", "2026-10", "--json", env=env)
    assert bulletin.code == 0, bulletin
    towns = json.loads(bulletin.out)["townships"]
    assert [(t["township"], t["organizations"]) for t in towns] == [("城关镇", 2)]
    assert check(root).code == 0
    assert tree_status(root) == ""


@pytest.mark.parametrize("path", PATHS)
def test_hand_written_names_with_spaces_are_flagged_found_and_ranked_as_one(
        root: Path, path: str) -> None:
    """Written by hand: `township: "城关镇 "` is flagged by check at its line, and counted as
    城关镇 in the ranking and by `list --township`; `name: " 城北村"` is found as 城北村."""
    env = PATHS[path]
    hand_written(root, "ledgers/chengbei.yaml",
                 ledger_text(name='" 城北村"', township='"城关镇 "', owner='"李四\u200b"'))
    result = check(root)
    assert result.code == 1, result
    assert "ledgers/chengbei.yaml:2:7: 错误：名称：“ 城北村”前后有空格，会被当作另一个名称" in result.out
    assert "ledgers/chengbei.yaml:4:11: 错误：所属乡镇：“城关镇 ”前后有空格" in result.out
    assert "问题清单第1项·责任人：“李四”中有看不见的字符（U+200B" in result.out
    assert "请删去前后的空格和看不见的字符" in result.out
    assert shown(root, "城北村", **env)["name"] == " 城北村"
    bulletin = zhengdun(root, "bulletin", "--month", "2026-10", "--json", env=env)
    assert bulletin.code == 0, bulletin
    towns = json.loads(bulletin.out)["townships"]
    assert [(t["township"], t["organizations"]) for t in towns] == [("城关镇", 2)]
    listed = zhengdun(root, "list", "--township", "城关镇", "--json", env=env)
    assert listed.code == 0, listed
    assert {p["org"] for p in json.loads(listed.out)["problems"]} == {"chengdong", "chengbei"}


# --------------------------------------------------------------------------- invisible text


INVISIBLE = ["\u200b", "\u200b\u200d", "\ufeff", " \u2060 ", "\u200e"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("text", INVISIBLE, ids=[f"U+{ord(t.strip()[0]):04X}" for t in INVISIBLE])
def test_text_made_of_invisible_characters_is_empty(root: Path, path: str, text: str) -> None:
    """A title, owner, step, result or name of zero-width characters only is refused as
    empty, on both paths, and nothing changes."""
    env = PATHS[path]
    add = ("add", "chengdong", "--category", "10", "--found", "2026-03-10", "--due",
           "2026-06-30")
    refused(root, (*add, "--owner", "王五", "--", text), "问题不能为空", env=env)
    refused(root, (*add, "--owner", text, "--", "标题"), "责任人不能为空", env=env)
    refused(root, ("step", "chengdong/1", "--", text), "整改进展不能为空", env=env)
    refused(root, ("close", "chengdong/1", "--result", text), "销号必须写明整改结果", env=env)
    refused(root, ("org", "add", text, "--township", "城关镇", "--kind", "村", "--designated",
                   "2026-03-15", "--category", "10"), "村(社区)名称不能为空", env=env)
    refused(root, ("org", "add", "城南村", "--township", text, "--kind", "村", "--designated",
                   "2026-03-15", "--category", "10"), "所属乡镇不能为空", env=env)


def test_hand_written_invisible_text_is_flagged(root: Path) -> None:
    hand_written(root, "ledgers/chengbei.yaml", ledger_text(title='"\u200b\u200b"'))
    result = check(root)
    assert result.code == 1, result
    assert ("ledgers/chengbei.yaml:12:12: 错误：问题清单第1项·问题：只有空格或看不见的字符，"
            "等于没有填写") in result.out


@pytest.mark.parametrize("path", PATHS)
def test_names_equal_without_zero_width_characters_are_one_name(root: Path, path: str) -> None:
    """城东社区 and 城东社区 + U+200B are one organization: registered once, found by either
    spelling, and two files of them are reported as one name twice."""
    env = PATHS[path]
    refused(root, ("org", "add", "城东社区\u200b", "--township", "城关镇", "--kind", "社区",
                   "--designated", "2026-03-15", "--category", "10"),
            "城东社区 已在批次 2026 认定过：同一批次只能认定一次", env=env)
    assert shown(root, "城东社区\u200b", **env)["slug"] == "chengdong"
    hand_written(root, "ledgers/chengdong2.yaml", ledger_text(name='"城东社区\u200b"'))
    result = check(root)
    assert result.code == 1
    assert "名称“城东社区\u200b”与 ledgers/chengdong.yaml 重复" in result.out
    assert "名称：“城东社区”中有看不见的字符（U+200B" in result.out


# --------------------------------------------------------------------------- slugs


@pytest.mark.parametrize("slug", ["con", "aux", "nul", "prn", "com1", "lpt9"])
def test_windows_device_names_are_refused_as_slugs(root: Path, slug: str) -> None:
    refused(root, ("org", "add", "城南村", "--township", "城关镇", "--kind", "村",
                   "--designated", "2026-03-15", "--category", "10", "--slug", slug),
            f"简称“{slug}”不可用：{slug} 是 Windows 的保留名称", f"--slug {slug}-cun")


def test_a_name_spelled_as_a_device_gets_another_slug(root: Path) -> None:
    done = zhengdun(root, "org", "add", "CON", "--township", "城关镇", "--kind", "村",
                    "--designated", "2026-03-15", "--category", "10")
    assert done.code == 0, done
    assert "简称 con-2" in done.out
    assert not (root / "ledgers" / "con.yaml").exists()


def test_a_ledger_named_as_a_device_is_reported(root: Path) -> None:
    hand_written(root, "ledgers/aux.yaml", ledger_text())
    result = check(root)
    assert result.code == 1
    assert "ledgers/aux.yaml: 错误：文件名 aux 是 Windows 的保留名称" in result.out
    assert "git mv ledgers/aux.yaml ledgers/aux-1.yaml" in result.out


# --------------------------------------------------------------------------- -o


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("target", [LEDGER, "ledgers/x.yaml", "zhengdun.yaml", ".git/x.md",
                                    "ledgers/../ledgers/x.md", "evidence/../zhengdun.yaml"])
def test_reports_are_not_written_over_the_workspace_files(root: Path, path: str,
                                                          target: str) -> None:
    env = PATHS[path]
    refused(root, ("board", "--format", "md", "-o", target), "不能把挂图作战表写到那里，未写入", "-o 通报-2026-10.md",
            env=env)
    refused(root, ("bulletin", "--month", "2026-10", "--output", target), "不能把月度通报写到那里",
            env=env)
    refused(root, ("board", "--format", "md", "-o", str(root / target)), "未写入", env=env)
    assert not (root / "ledgers" / "x.yaml").exists()


@pytest.mark.parametrize("path", PATHS)
def test_reports_may_be_written_elsewhere_in_the_workspace(root: Path, path: str) -> None:
    done = zhengdun(root, "board", "--format", "csv", "-o", "evidence/board.md", env=PATHS[path])
    assert done.code == 0, done
    assert (root / "evidence" / "board.md").is_file()


# --------------------------------------------------------------------------- evidence


def test_hand_written_evidence_inside_git_is_reported(root: Path) -> None:
    text = (root / LEDGER).read_text("utf-8") + (
        "    steps:\n"
        "      - on: 2026-04-02\n"
        "        text: 召开议事会\n"
        "        evidence: [.git/config, evidence/../.git/HEAD]\n")
    hand_written(root, LEDGER, text)
    result = check(root)
    assert result.code == 1, result
    assert "佐证材料 .git/config 在 .git 文件夹中，那是 git 自己的文件" in result.out
    assert "佐证材料 evidence/../.git/HEAD 在 .git 文件夹中" in result.out
    (root / LEDGER).write_text(text.replace("召开议事会", "召开居民议事会"), "utf-8")
    refused(root, ("commit", "-m", "改"), ".git 文件夹中")


# --------------------------------------------------------------------------- hooks


def _hook(root: Path, body: str) -> None:
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\n" + body, "utf-8")
    hook.chmod(0o755)


@pytest.mark.parametrize("path", PATHS)
def test_a_hook_that_edits_the_ledger_is_not_a_clean_success(root: Path, path: str) -> None:
    """The hook appends a comment and leaves it unstaged: the record is committed as zhengdun
    wrote it, the file holds more; said so, with the ways out."""
    env = PATHS[path]
    _hook(root, f"printf '# 钩子加的\\n' >> {LEDGER}\n")
    head = git(root, "rev-parse", "HEAD")
    done = zhengdun(root, "step", "chengdong/1", "召开议事会", "--on", "2026-04-02", env=env)
    done.assert_clean_refusal("已记录到历史中（提交", f"git 钩子在提交时又修改了 {LEDGER}",
                              f"git diff HEAD -- {LEDGER}", f"git checkout HEAD -- {LEDGER}",
                              ".git/hooks/pre-commit")
    assert git(root, "rev-parse", "HEAD^") == head
    assert "召开议事会" in git(root, "show", f"HEAD:{LEDGER}")
    assert "# 钩子加的" not in git(root, "show", f"HEAD:{LEDGER}")
    assert tree_status(root).strip() == f"M {LEDGER}"


@pytest.mark.parametrize("path", PATHS)
def test_a_hook_that_edits_and_stages_the_ledger_is_said(root: Path, path: str) -> None:
    """The hook appends and `git add`s: git commits the hook's text and leaves the index
    stale (`MM`); the index is put right and the clerk told what the commit holds."""
    env = PATHS[path]
    _hook(root, f"printf '# 钩子加的\\n' >> {LEDGER}\ngit add {LEDGER}\n")
    done = zhengdun(root, "step", "chengdong/1", "召开议事会", "--on", "2026-04-02", env=env)
    done.assert_clean_refusal("已记录到历史中（提交", "并把它改过的内容一并提交了",
                              "zhengdun check", "zhengdun undo")
    assert "# 钩子加的" in git(root, "show", f"HEAD:{LEDGER}")
    assert tree_status(root) == ""


def test_a_hook_that_edits_a_new_ledger_is_said(root: Path) -> None:
    _hook(root, "for f in ledgers/*.yaml; do printf '# 钩子加的\\n' >> $f; done\n")
    done = zhengdun(root, "org", "add", "城南村", "--township", "城关镇", "--kind", "村",
                    "--designated", "2026-03-15", "--category", "10")
    done.assert_clean_refusal("已记录到历史中（提交", "ledgers/chengnan.yaml")


# --------------------------------------------------------------------------- line ends


@pytest.mark.parametrize("path", PATHS)
def test_a_cr_only_ledger_keeps_cr_line_ends(root: Path, path: str) -> None:
    env = PATHS[path]
    text = (root / LEDGER).read_text("utf-8").replace("\n", "\r")
    hand_written(root, LEDGER, text, "旧编辑器保存")
    assert check(root).code == 0
    done = zhengdun(root, "step", "chengdong/1", "召开议事会", "--on", "2026-04-02", env=env)
    assert done.code == 0, done
    done = zhengdun(root, "close", "chengdong/1", "--result", "已整改", "--on", "2026-04-03",
                    env=env)
    assert done.code == 0, done
    raw = (root / LEDGER).read_bytes()
    assert b"\n" not in raw
    assert raw.startswith(text.encode("utf-8"))
    problem = shown(root, "chengdong")["problems"][0]
    assert [s["text"] for s in problem["steps"]] == ["召开议事会"]
    assert tree_status(root) == ""
    assert check(root).code == 0


def test_a_cr_only_ledger_is_known_by_its_name(root: Path) -> None:
    """The cheap read of a `name:` line (before the whole file is parsed) ends it at a CR."""
    text = ledger_text().replace("schema_version: 2\n", "")
    hand_written(root, "ledgers/chengbei.yaml", (text + "schema_version: 2\n").replace("\n", "\r"))
    refused(root, ("org", "add", "城北村", "--township", "城关镇", "--kind", "村",
                   "--designated", "2026-03-15", "--category", "10"),
            "城北村 已在批次 2026 认定过：同一批次只能认定一次")
    assert shown(root, "城北村")["slug"] == "chengbei"


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("spelled", ["0x9", "0o11", "010", "+9"])
def test_a_category_spelled_as_another_number_is_refused(root: Path, spelled: str) -> None:
    number = {"0x9": 9, "0o11": 9, "010": 10, "+9": 9}[spelled]
    hand_written(root, "ledgers/chengbei.yaml", ledger_text(category=spelled))
    result = check(root)
    assert result.code == 1, result
    assert (f"ledgers/chengbei.yaml:13:15: 错误：问题清单第1项·类型：类型代码 {spelled} 会被读成数字 "
            f"{number}，不是类型代码 {spelled}") in result.out
    assert f'请加引号，写成 "{spelled}"；如果本来就是 {number}，直接写数字' in result.out
    before = snapshot(root)
    for env in PATHS.values():
        done = zhengdun(root, "step", "chengbei/1", "走访", "--on", "2026-04-02", env=env)
        done.assert_clean_refusal("有格式错误", f"类型代码 {spelled} 会被读成数字")
        assert snapshot(root) == before


def test_a_category_written_as_a_plain_number_is_still_that_code(root: Path) -> None:
    hand_written(root, "ledgers/chengbei.yaml", ledger_text(category="9"))
    assert check(root).code == 0


# --------------------------------------------------------------------------- power loss


def test_init_asks_git_to_fsync(root: Path, tmp_path: Path) -> None:
    assert git(root, "config", "--get", "core.fsync").strip() == "objects,reference,index"
    existing = tmp_path / "已有仓库"
    existing.mkdir()
    git(existing, "init", "-q")
    done = zhengdun(tmp_path, "init", str(existing), "--county", "示范县", "--issuer", "组织部")
    assert done.code == 0, done
    assert git(existing, "config", "--get", "core.fsync").strip() == "objects,reference,index"


def test_demo_asks_git_to_fsync(demo_county: Path) -> None:
    assert git(demo_county, "config", "--get", "core.fsync").strip() == "objects,reference,index"
