"""Every error the changing commands can give, provoked through the CLI.

Each refusal must: exit 1 (2 for usage errors), say in Chinese on stderr what is wrong, show no
traceback, and leave the files, the index and the history exactly as they were (DESIGN.md §3,
§4: "the ledgers and the history never disagree").
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from conftest import Run, git, pinned_env_outside_a_test

CJK = re.compile("[\u4e00-\u9fff]")
TOMORROW = "2026-11-22"  # ZHENGDUN_TODAY is 2026-11-21


# --------------------------------------------------------------------------- helpers


def files_of(root: Path) -> dict[str, bytes]:
    """Every file of the workspace (outside .git) with its bytes."""
    files = {}
    if root.exists():
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if rel.parts[0] == ".git" or not path.is_file():
                continue
            files[rel.as_posix()] = path.read_bytes()
    return files


def snapshot(root: Path) -> dict[str, Any]:
    """Everything a refused command must leave alone: files, index, HEAD, branch."""
    state: dict[str, Any] = {"files": files_of(root)}
    if (root / ".git").is_dir():
        state["head"] = git(root, "rev-parse", "HEAD")
        state["branch"] = (root / ".git" / "HEAD").read_text()
        state["index"] = git(root, "ls-files", "-s")
        state["status"] = git(root, "status", "--porcelain", "--untracked-files=all")
    return state


def assert_message(result: Any, fragments: list[str]) -> None:
    """A clean refusal: nothing on stdout, a Chinese message on stderr, no traceback."""
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert CJK.search(result.stderr), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def refused(run: Run, root: Path, args: tuple[str, ...] | list[str], fragments: list[str],
            code: int = 1, cwd: Path | None = None) -> Any:
    before = snapshot(root)
    result = run(*args, cwd=cwd)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert_message(result, fragments)
    assert snapshot(root) == before
    return result


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Where ``workspace`` (and so ``run``, ``chengdong``) and ``base`` put the workspace."""
    return tmp_path / "示范县台账"


BASE_COMMANDS = [
    ("org", "add", "城东社区", "--township", "城关镇", "--kind", "社区", "--designated",
     "2026-03-15", "--category", "10"),
    ("add", "城东社区", "小区停车位不足，居民反映近两年未解决", "--category", "10", "--source",
     "群众反映", "--found", "2026-03-10", "--due", "2026-06-30", "--owner", "王五"),
    ("step", "chengdong/1", "召开居民议事会", "--on", "2026-04-02"),
    ("add", "chengdong", "党员活动室不达标", "--category", "9", "--found", "2026-03-20",
     "--due", "2026-09-30", "--owner", "李四"),
    ("close", "chengdong/2", "--result", "完成改造", "--on", "2026-05-20"),
]


@pytest.fixture(scope="module")
def base_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The base workspace, built once for this module; tests get a copy (``base``)."""
    folder = tmp_path_factory.mktemp("base")
    with pinned_env_outside_a_test(folder):
        root = folder / "示范县台账"
        result = Run(folder)("init", str(root), "--county", "示范县", "--issuer", "中共示范县委组织部")
        assert result.exit_code == 0, result.output
        for args in BASE_COMMANDS:
            result = Run(root)(*args)
            assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def base(root: Path, base_template: Path) -> Run:
    """城东社区 with chengdong/1 (found 03-10, due 06-30, a step on 04-02) and chengdong/2
    (found 03-20, closed on 05-20): a copy of ``base_template``, history included."""
    shutil.copytree(base_template, root, symlinks=True)
    return Run(root)


def hand_edit(root: Path, slug: str = "chengdong") -> Path:
    path = root / "ledgers" / f"{slug}.yaml"
    path.write_text(path.read_text("utf-8").replace("owner: 王五", "owner: 王五五"),
                    encoding="utf-8")
    return path


def commit_with_git(root: Path, message: str = "直接用 git 提交") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


# --------------------------------------------------------------------------- simple refusals

P = pytest.param
CATEGORY_LIST = ["可用的类型代码：1 党组织班子配备不齐", "10 党组织服务意识差、服务能力弱、群众意见大"]

REFUSALS = [
    # dates that do not exist, dates in the wrong format
    P(["org", "add", "城西社区", "--township", "城关镇", "--kind", "社区", "--designated",
       "2026-02-30", "--category", "10"], ["--designated 的日期不对", "日期 2026-02-30 不存在",
                                          "日期写成 YYYY-MM-DD"], id="org-add-designated-invalid"),
    P(["org", "set", "chengdong", "--designated", "2026/03/15"],
      ["--designated 的日期不对", "日期应写成 YYYY-MM-DD", "2026/03/15"], id="org-set-designated-format"),
    P(["add", "chengdong", "问题", "--category", "10", "--due", "2026-02-30", "--owner", "王五"],
      ["--due 的日期不对", "日期 2026-02-30 不存在"], id="add-due-invalid"),
    P(["add", "chengdong", "问题", "--category", "10", "--due", "2026-12-31", "--owner", "王五",
       "--found", "20260310"], ["--found 的日期不对", "日期应写成 YYYY-MM-DD"], id="add-found-format"),
    P(["step", "chengdong/1", "进展", "--on", "2026-02-30"],
      ["--on 的日期不对", "日期 2026-02-30 不存在"], id="step-on-invalid"),
    P(["step", "chengdong/1", "进展", "--on", "2026-4-2"],
      ["--on 的日期不对", "日期应写成 YYYY-MM-DD"], id="step-on-format"),
    P(["close", "chengdong/1", "--result", "完成", "--on", "2026-13-01"],
      ["--on 的日期不对", "日期 2026-13-01 不存在"], id="close-on-invalid"),
    P(["reopen", "chengdong/2", "--reason", "反弹", "--on", "八月一日"],
      ["--on 的日期不对", "日期应写成 YYYY-MM-DD"], id="reopen-on-format"),
    P(["visit", "chengdong", "--kind", "督查", "--by", "督查组", "--on", "2026-06-31", "内容"],
      ["--on 的日期不对", "日期 2026-06-31 不存在"], id="visit-on-invalid"),
    P(["accept", "chengdong", "--grade", "基本合格", "--by", "县委组织部", "--on", "2026-02-29"],
      ["--on 的日期不对", "日期 2026-02-29 不存在"], id="accept-on-invalid"),
    P(["list", "--as-of", "2026-02-30"], ["--as-of 的日期不对", "日期 2026-02-30 不存在"],
      id="list-as-of-invalid"),
    P(["show", "chengdong", "--as-of", "昨天"], ["--as-of 的日期不对", "日期应写成 YYYY-MM-DD"],
      id="show-as-of-format"),
    # dates after today
    P(["org", "add", "城西社区", "--township", "城关镇", "--kind", "社区", "--designated",
       TOMORROW, "--category", "10"], [f"认定日期 {TOMORROW} 晚于今天（2026-11-21），不能记录未来的事"],
      id="org-add-designated-future"),
    P(["org", "set", "chengdong", "--designated", TOMORROW],
      [f"认定日期 {TOMORROW} 晚于今天（2026-11-21）"], id="org-set-designated-future"),
    P(["add", "chengdong", "问题", "--category", "10", "--found", TOMORROW, "--due",
       "2026-12-31", "--owner", "王五"], [f"发现日期 {TOMORROW} 晚于今天（2026-11-21）"],
      id="add-found-future"),
    P(["step", "chengdong/1", "进展", "--on", TOMORROW],
      [f"进展日期 {TOMORROW} 晚于今天（2026-11-21）", "不写 --on 时默认为今天"], id="step-future"),
    P(["close", "chengdong/1", "--result", "完成", "--on", "2027-01-01"],
      ["销号日期 2027-01-01 晚于今天（2026-11-21）"], id="close-future"),
    P(["reopen", "chengdong/2", "--reason", "反弹", "--on", TOMORROW],
      [f"反弹日期 {TOMORROW} 晚于今天（2026-11-21）"], id="reopen-future"),
    P(["visit", "chengdong", "--kind", "督查", "--by", "督查组", "--on", TOMORROW, "内容"],
      [f"日期 {TOMORROW} 晚于今天（2026-11-21）"], id="visit-future"),
    P(["accept", "chengdong", "--grade", "基本合格", "--by", "县委组织部", "--on", TOMORROW],
      [f"验收日期 {TOMORROW} 晚于今天（2026-11-21）"], id="accept-future"),
    # dates out of order
    P(["add", "chengdong", "问题", "--category", "10", "--found", "2026-03-10", "--due",
       "2026-03-09", "--owner", "王五"], ["整改时限 2026-03-09 早于发现日期 2026-03-10"],
      id="add-due-before-found"),
    P(["step", "chengdong/1", "进展", "--on", "2026-03-09"],
      ["进展日期 2026-03-09 早于问题的发现日期 2026-03-10"], id="step-before-found"),
    P(["step", "chengdong/1", "进展", "--on", "2026-04-01"],
      ["进展日期 2026-04-01 早于上一条进展（2026-04-02）", "zhengdun commit"],
      id="step-before-last-step"),
    P(["close", "chengdong/1", "--result", "完成", "--on", "2026-03-09"],
      ["销号日期 2026-03-09 早于问题的发现日期 2026-03-10"], id="close-before-found"),
    P(["close", "chengdong/1", "--result", "完成", "--on", "2026-04-01"],
      ["销号日期 2026-04-01 早于最后一条整改进展（2026-04-02）"], id="close-before-last-step"),
    P(["reopen", "chengdong/2", "--reason", "反弹", "--on", "2026-05-19"],
      ["反弹日期 2026-05-19 早于销号日期 2026-05-20"], id="reopen-before-closure"),
    P(["accept", "chengdong", "--grade", "基本合格", "--by", "县委组织部", "--on", "2026-03-14"],
      ["验收日期 2026-03-14 早于认定日期 2026-03-15"], id="accept-before-designation"),
    # state
    P(["close", "chengdong/2", "--result", "再次完成"],
      ["chengdong/2 已于 2026-05-20 销号，不能重复销号", "zhengdun reopen chengdong/2"],
      id="close-closed"),
    P(["reopen", "chengdong/1", "--reason", "反弹"],
      ["chengdong/1 尚未销号，无需重新打开", "只有已销号的问题才能记录反弹"], id="reopen-open"),
    P(["accept", "chengdong", "--grade", "合格", "--by", "县委组织部"],
      ["城东社区 还有 1 个问题未销号，不能验收为合格：chengdong/1 小区停车位不足",
       "如果验收结论是基本合格或不合格"], id="accept-pass-with-open-problems"),
    # catalogs and fixed choices
    P(["org", "add", "城西社区", "--township", "城关镇", "--kind", "社区", "--designated",
       "2026-03-15", "--category", "99"], ["类型“99”不在类型目录中", *CATEGORY_LIST],
      id="org-add-category"),
    P(["org", "set", "chengdong", "--category", "10", "--category", "村霸"],
      ["类型“村霸”不在类型目录中", *CATEGORY_LIST], id="org-set-category"),
    P(["add", "chengdong", "问题", "--category", "11", "--due", "2026-12-31", "--owner", "王五"],
      ["类型“11”不在类型目录中", *CATEGORY_LIST, "zhengdun.yaml 的 categories"], id="add-category"),
    P(["add", "chengdong", "问题", "--category", "10", "--due", "2026-12-31", "--owner", "王五",
       "--source", "网上留言"],
      ["来源“网上留言”不在来源目录中",
       "可用的来源：排查发现、群众反映、督查发现、巡察反馈、信访举报、上级交办、自查自纠"],
      id="add-source"),
    P(["org", "add", "城西社区", "--township", "城关镇", "--kind", "镇", "--designated",
       "2026-03-15", "--category", "10"], ["类别“镇”不对，应为 村 或 社区"], id="org-add-kind"),
    P(["org", "set", "chengdong", "--kind", "街道"], ["类别“街道”不对，应为 村 或 社区"],
      id="org-set-kind"),
    P(["visit", "chengdong", "--kind", "检查", "--by", "督查组", "内容"],
      ["类别“检查”不对", "应为 督查、调度、约谈、回头看 之一"], id="visit-kind"),
    P(["accept", "chengdong", "--grade", "优秀", "--by", "县委组织部"],
      ["验收等次“优秀”不对", "应为 合格、基本合格、不合格 之一"], id="accept-grade"),
    P(["accept", "chengdong", "--grade", "基本合格", "--by", "县委组织部", "--score", "101"],
      ["得分 101 不在 0 到 100 之间"], id="accept-score-high"),
    P(["accept", "chengdong", "--grade", "基本合格", "--by", "县委组织部", "--score=-0.5"],
      ["得分 -0.5 不在 0 到 100 之间"], id="accept-score-negative"),
    # references
    P(["step", "chengdong/9", "进展"],
      ["城东社区（chengdong）没有 9 号问题", "现有问题编号：1、2", "zhengdun show chengdong"],
      id="unknown-problem-number"),
    P(["close", "城东社区/0", "--result", "完成"], ["城东社区（chengdong）没有 0 号问题"],
      id="problem-number-zero"),
    P(["step", "chengdong", "进展"],
      ["问题编号“chengdong”写法不对", "例如 chengdong/3 或 城东社区/3"], id="ref-without-number"),
    P(["reopen", "chengdong/一", "--reason", "反弹"], ["问题编号“chengdong/一”写法不对"],
      id="ref-bad-number"),
    P(["close", "chengdong/-1", "--result", "完成"], ["问题编号“chengdong/-1”写法不对"],
      id="ref-negative-number"),
    P(["step", "城南社区/1", "进展"], ["找不到村(社区)“城南社区”", "现有：城东社区（chengdong）",
                                   "zhengdun org list"], id="unknown-org-in-ref"),
    P(["accept", "xinan", "--grade", "合格", "--by", "县委组织部"], ["找不到村(社区)“xinan”"],
      id="unknown-org"),
    P(["visit", " ", "--kind", "督查", "--by", "督查组", "内容"], ["没有指定村(社区)"],
      id="empty-org"),
    # empty text
    P(["org", "add", " ", "--township", "城关镇", "--kind", "社区", "--designated", "2026-03-15",
       "--category", "10"], ["村(社区)名称不能为空"], id="org-add-empty-name"),
    P(["org", "add", "城西社区", "--township", "", "--kind", "社区", "--designated",
       "2026-03-15", "--category", "10"], ["所属乡镇不能为空"], id="org-add-empty-township"),
    P(["org", "set", "chengdong", "--township", ""], ["所属乡镇不能为空"],
      id="org-set-empty-township"),
    P(["org", "set", "chengdong", "--first-secretary", " "], ["第一书记不能为空"],
      id="org-set-empty-first-secretary"),
    P(["org", "set", "chengdong", "--paired-unit", ""], ["结对帮扶单位不能为空"],
      id="org-set-empty-paired-unit"),
    P(["add", "chengdong", " ", "--category", "10", "--due", "2026-12-31", "--owner", "王五"],
      ["问题不能为空"], id="add-empty-title"),
    P(["add", "chengdong", "问题", "--category", "10", "--due", "2026-12-31", "--owner", ""],
      ["责任人不能为空"], id="add-empty-owner"),
    P(["add", "chengdong", "问题", "--category", "10", "--due", "2026-12-31", "--owner", "王五",
       "--measure", "措施一", "--measure", ""], ["整改措施不能为空"], id="add-empty-measure"),
    P(["step", "chengdong/1", "  "], ["整改进展不能为空"], id="step-empty-text"),
    P(["close", "chengdong/1", "--result", ""], ["销号必须写明整改结果（--result）"],
      id="close-empty-result"),
    P(["close", "chengdong/1", "--result", "  "], ["销号必须写明整改结果（--result）"],
      id="close-blank-result"),
    P(["close", "chengdong/1", "--result", "完成", "--verified-by", ""], ["验收人不能为空"],
      id="close-empty-verifier"),
    P(["reopen", "chengdong/2", "--reason", " "], ["反弹原因不能为空"], id="reopen-empty-reason"),
    P(["visit", "chengdong", "--kind", "督查", "--by", "", "内容"], ["人员或单位不能为空"],
      id="visit-empty-by"),
    P(["visit", "chengdong", "--kind", "督查", "--by", "督查组", ""], ["内容不能为空"],
      id="visit-empty-text"),
    P(["accept", "chengdong", "--grade", "基本合格", "--by", " "], ["验收单位不能为空"],
      id="accept-empty-by"),
    P(["accept", "chengdong", "--grade", "基本合格", "--by", "县委组织部", "--note", ""],
      ["备注不能为空"], id="accept-empty-note"),
    P(["step", "chengdong/1", "坏字\udc80"], ["整改进展中含有无法保存的字符", "UTF-8"],
      id="lone-surrogate"),
    # organizations
    P(["org", "add", "城东社区", "--township", "城关镇", "--kind", "社区", "--designated",
       "2026-03-15", "--category", "10"], ["城东社区 已在批次 2026 认定过：同一批次只能认定一次",
                                          "再次认定请用新的批次（--round）"],
      id="org-add-duplicate-name"),
    P(["org", "add", "城西社区", "--township", "城关镇", "--kind", "社区", "--designated",
       "2026-03-15", "--category", "10", "--slug", "ChengXi"],
      ["简称“ChengXi”不可用：只能用小写字母、数字和“-”", "例如 --slug chengdong"],
      id="org-add-slug-uppercase"),
    P(["org", "add", "城西社区", "--township", "城关镇", "--kind", "社区", "--designated",
       "2026-03-15", "--category", "10", "--slug", "-chengxi"], ["简称“-chengxi”不可用"],
      id="org-add-slug-dash"),
    P(["org", "add", "城西社区", "--township", "城关镇", "--kind", "社区", "--designated",
       "2026-03-15", "--category", "10", "--slug", "城西"], ["简称“城西”不可用"],
      id="org-add-slug-chinese"),
    P(["org", "add", "城西社区", "--township", "城关镇", "--kind", "社区", "--designated",
       "2026-03-15", "--category", "10", "--slug", "x" * 65], ["不超过64个字符"],
      id="org-add-slug-long"),
    P(["org", "add", "城西社区", "--township", "城关镇", "--kind", "社区", "--designated",
       "2026-03-15", "--category", "10", "--slug", "chengdong"],
      ["简称 chengdong 已被占用"], id="org-add-slug-taken"),
    P(["org", "set", "城东"], ["没有指定要修改的内容", "zhengdun org set --help"],
      id="org-set-nothing"),
    P(["org", "set", "chengdong", "--township", "城关镇"],
      ["城东社区 的所属乡镇与原来相同，没有需要记录的修改", "本次未记录"], id="org-set-same-value"),
    P(["org", "set", "chengdong", "--category", "10", "--name", "城东社区"],
      ["城东社区 的名称、软弱涣散类型与原来相同"], id="org-set-same-values"),
    # commit
    P(["commit", "-m", " "], ["请用 -m 写明这次修改的说明"], id="commit-empty-message"),
    P(["commit", "-m", "没改什么"], ["没有需要记录的手工修改"], id="commit-nothing"),
    # list
    P(["list", "--open", "--closed"], ["--open、--closed、--overdue 只能选一个"], id="list-open-closed"),
    P(["list", "--open", "--overdue"], ["--open、--closed、--overdue 只能选一个"],
      id="list-open-overdue"),
    P(["list", "--closed", "--overdue", "--open"], ["只能选一个"], id="list-all-three"),
    P(["list", "--township", "河口乡"], ["没有乡镇“河口乡”的村(社区)", "现有乡镇：城关镇"],
      id="list-unknown-township"),
    P(["list", "--due-within=-1"], ["--due-within 的天数不能为负数"], id="list-negative-due-within"),
    P(["list", "--category", "99"], ["类型“99”不在类型目录中"], id="list-unknown-category"),
    P(["list", "--org", "城南"], ["找不到村(社区)“城南”"], id="list-unknown-org"),
]


@pytest.mark.parametrize(("args", "fragments"), REFUSALS)
def test_refused(base: Run, root: Path, args: list[str], fragments: list[str]) -> None:
    refused(base, root, args, fragments)


USAGE = [
    P(["close", "chengdong/1"], ["缺少选项 --result"], id="close-without-result"),
    P(["close", "chengdong/1", "--result"], ["选项 --result 后面要写一个值", "zhengdun close --help"], id="close-result-no-value"),
    P(["reopen", "chengdong/2"], ["缺少选项 --reason"], id="reopen-without-reason"),
    P(["commit"], ["缺少选项", "-m"], id="commit-without-message"),
    P(["add", "chengdong", "问题", "--due", "2026-12-31", "--owner", "王五"],
      ["缺少选项 --category"], id="add-without-category"),
    # org add without --township is not a usage error: an organization already registered is
    # designated again without it (a new one is refused: test_campaign_rounds)
    P(["visit", "chengdong", "--by", "督查组", "内容"], ["缺少选项 --kind"],
      id="visit-without-kind"),
    P(["accept", "chengdong", "--by", "县委组织部"], ["缺少选项 --grade"],
      id="accept-without-grade"),
    P(["step", "chengdong/1"], ["缺少参数 进展"], id="step-without-text"),
    P(["init"], ["缺少参数 目录"], id="init-without-folder"),
    P(["step", "chengdong/1", "进展", "--bogus"], ["没有这个选项", "--bogus"], id="unknown-option"),
    P(["zhengxiu"], ["没有命令“zhengxiu”"], id="unknown-command"),
    P(["step", "chengdong/1", "进展", "多余"], ["多余的参数：多余"], id="extra-argument"),
    P(["list", "--due-within", "三天"], ["--due-within 的值不对：应为整数"], id="due-within-not-a-number"),
    P(["accept", "chengdong", "--grade", "合格", "--by", "县委组织部", "--score", "九十"],
      ["--score 的值不对：应为数字"], id="score-not-a-number"),
]


@pytest.mark.parametrize(("args", "fragments"), USAGE)
def test_usage_error(base: Run, root: Path, args: list[str], fragments: list[str]) -> None:
    refused(base, root, args, [*fragments, "错误：", "--help 查看用法"], code=2)


@pytest.mark.parametrize(("args", "english"), [
    P(["list", "--due-within", "三天"], "Input should be", id="integer"),
    P(["accept", "chengdong", "--grade", "合格", "--by", "县", "--score", "九十"], "Input should be",
      id="number"),
    P(["close", "chengdong/1", "--result"], "Option '", id="option-without-value"),
    P(["step", "chengdong/1", "进展", "多余"], "(s)", id="extra-argument"),
])
def test_usage_errors_are_all_chinese(base: Run, args: list[str], english: str) -> None:
    result = base(*args)
    assert result.exit_code == 2
    assert english not in result.stderr


# --------------------------------------------------------------------------- states needing setup


def test_close_before_reopening(base: Run, root: Path) -> None:
    assert base("reopen", "chengdong/2", "--reason", "回头看发现反弹", "--on", "2026-06-01"
                ).exit_code == 0
    refused(base, root, ["close", "chengdong/2", "--result", "再次完成", "--on", "2026-05-25"],
            ["销号日期 2026-05-25 早于反弹日期 2026-06-01"])


def test_reopen_a_reopened_problem(base: Run, root: Path) -> None:
    assert base("reopen", "chengdong/2", "--reason", "回头看发现反弹").exit_code == 0
    refused(base, root, ["reopen", "chengdong/2", "--reason", "又反弹"],
            ["chengdong/2 尚未销号，无需重新打开"])


def test_problem_number_on_an_org_without_problems(run: Run, root: Path) -> None:
    assert run("org", "add", "城西社区", "--township", "城关镇", "--kind", "社区",
               "--designated", "2026-03-15", "--category", "10").exit_code == 0
    refused(run, root, ["step", "chengxi/1", "进展"],
            ["城西社区（chengxi）没有 1 号问题", "现有问题编号：（还没有登记问题）"])


def test_unknown_org_in_an_empty_workspace(run: Run, root: Path) -> None:
    refused(run, root, ["visit", "城东社区", "--kind", "督查", "--by", "督查组", "内容"],
            ["找不到村(社区)“城东社区”", "工作区中还没有村(社区)，请先用 zhengdun org add 登记"])


@pytest.fixture
def two_orgs(base: Run) -> Run:
    result = base("org", "add", "城西社区", "--township", "城关镇", "--kind", "社区",
                  "--designated", "2026-03-15", "--category", "10")
    assert result.exit_code == 0
    return base


@pytest.mark.parametrize("args", [
    ["step", "城/1", "进展"],
    ["visit", "cheng", "--kind", "督查", "--by", "督查组", "内容"],
    ["org", "set", "城", "--first-secretary", "赵六"],
    ["add", "chen", "问题", "--category", "10", "--due", "2026-12-31", "--owner", "王五"],
], ids=["step", "visit", "org-set", "add"])
def test_ambiguous_org(two_orgs: Run, root: Path, args: list[str]) -> None:
    refused(two_orgs, root, args, ["可以指多个村(社区)：城东社区（chengdong）、城西社区（chengxi）",
                                   "请写得更完整一些"])


# --------------------------------------------------------------------------- evidence


@pytest.fixture
def outside_file(tmp_path: Path) -> Path:
    path = tmp_path / "桌面" / "照片.jpg"
    path.parent.mkdir()
    path.write_bytes(b"\xff\xd8\xff")
    return path


@pytest.mark.parametrize("command", [
    ["step", "chengdong/1", "进展"],
    ["close", "chengdong/1", "--result", "完成"],
    ["visit", "chengdong", "--kind", "督查", "--by", "督查组", "内容"],
], ids=["step", "close", "visit"])
def test_evidence_outside_the_workspace(base: Run, root: Path, outside_file: Path,
                                        command: list[str]) -> None:
    refused(base, root, [*command, "--evidence", str(outside_file)],
            [f"佐证材料 {outside_file} 不在工作区内", "请先把文件复制到工作区的 evidence/ 文件夹中",
             "--evidence evidence/照片.jpg"])
    refused(base, root, [*command, "--evidence", "../桌面/照片.jpg"],
            ["佐证材料 ../桌面/照片.jpg 不在工作区内"])


@pytest.mark.parametrize("command", [
    ["step", "chengdong/1", "进展"],
    ["close", "chengdong/1", "--result", "完成"],
    ["visit", "chengdong", "--kind", "督查", "--by", "督查组", "内容"],
], ids=["step", "close", "visit"])
def test_missing_evidence(base: Run, root: Path, command: list[str]) -> None:
    refused(base, root, [*command, "--evidence", "evidence/没有这个文件.pdf"],
            ["找不到佐证材料 evidence/没有这个文件.pdf", "请检查文件名和路径"])
    refused(base, root, [*command, "--evidence", "evidence"], ["找不到佐证材料 evidence"])


def test_evidence_symlink_pointing_outside(base: Run, root: Path, outside_file: Path) -> None:
    (root / "evidence" / "链接.jpg").symlink_to(outside_file)
    refused(base, root, ["step", "chengdong/1", "进展", "--evidence", "evidence/链接.jpg"],
            ["不在工作区内"])


# --------------------------------------------------------------------------- workspace


COMMANDS_ANYWHERE = [
    ["org", "add", "城东社区", "--township", "城关镇", "--kind", "社区", "--designated",
     "2026-03-15", "--category", "10"],
    ["org", "set", "chengdong", "--first-secretary", "赵六"],
    ["add", "chengdong", "问题", "--category", "10", "--due", "2026-12-31", "--owner", "王五"],
    ["step", "chengdong/1", "进展"],
    ["close", "chengdong/1", "--result", "完成"],
    ["reopen", "chengdong/1", "--reason", "反弹"],
    ["visit", "chengdong", "--kind", "督查", "--by", "督查组", "内容"],
    ["accept", "chengdong", "--grade", "合格", "--by", "县委组织部"],
    ["commit", "-m", "说明"],
    ["list"],
    ["show", "chengdong"],
    ["org", "list"],
    ["check"],
]


@pytest.mark.parametrize("args", COMMANDS_ANYWHERE, ids=lambda a: "-".join(a[:2]))
def test_not_a_workspace(base: Run, root: Path, tmp_path: Path, args: list[str]) -> None:
    outside = tmp_path / "别处"
    outside.mkdir()
    refused(base, root, args, ["不在任何台账工作区内（向上找不到 zhengdun.yaml）",
                                    "用 -C 指定工作区", "zhengdun init"], cwd=outside)
    assert list(outside.iterdir()) == []


def test_dash_c_missing_folder(chengdong: Run, root: Path, tmp_path: Path) -> None:
    missing = tmp_path / "没有这个文件夹"
    refused(chengdong, root, ["-C", str(missing), "step", "chengdong/1", "进展"],
            [f"文件夹 {missing} 不存在", "请检查 -C 后面的路径"], cwd=tmp_path)
    assert not missing.exists()
    # The same command with the right folder works from anywhere.
    result = chengdong("-C", str(root), "step", "chengdong/1", "进展", cwd=tmp_path)
    assert result.exit_code == 0, result.output


def test_dash_c_folder_that_is_not_a_workspace(chengdong: Run, root: Path,
                                               tmp_path: Path) -> None:
    other = tmp_path / "其他"
    other.mkdir()
    refused(chengdong, root, ["-C", str(other), "step", "chengdong/1", "进展"],
            ["不在任何台账工作区内"], cwd=tmp_path)


def test_broken_config(chengdong: Run, root: Path) -> None:
    config = root / "zhengdun.yaml"
    config.write_text(config.read_text("utf-8").replace("timezone: Asia/Shanghai",
                                                        "timezone: Mars/Olympus"), "utf-8")
    line = config.read_text("utf-8").splitlines().index("timezone: Mars/Olympus") + 1
    for args in (["step", "chengdong/1", "进展"], ["commit", "-m", "改时区"]):
        refused(chengdong, root, args, ["配置文件 zhengdun.yaml 有错误", f"zhengdun.yaml:{line}:",
                                        "时区 Mars/Olympus 无法识别"])


# --------------------------------------------------------------------------- init


def test_init_non_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "旧文件夹"
    folder.mkdir()
    (folder / "说明.txt").write_text("别人的文件", "utf-8")
    refused(Run(tmp_path), folder, ["init", str(folder), "--county", "示范县", "--issuer", "组织部"],
            [f"文件夹 {folder} 不是空的", "请指定一个新的或空的文件夹"])
    assert not (folder / ".git").exists()


def test_init_existing_workspace(workspace: Path, tmp_path: Path) -> None:
    refused(Run(tmp_path), workspace, ["init", str(workspace), "--county", "示范县", "--issuer",
                                       "组织部"],
            [f"{workspace} 已经是台账工作区（已有 zhengdun.yaml）", "不需要重复初始化"])


def test_init_on_a_file(tmp_path: Path) -> None:
    path = tmp_path / "台账.txt"
    path.write_text("x", "utf-8")
    refused(Run(tmp_path), tmp_path, ["init", str(path), "--county", "示范县", "--issuer", "组织部"],
            [f"{path} 是一个文件，不能作为工作区"])


def test_init_bad_timezone(tmp_path: Path) -> None:
    refused(Run(tmp_path), tmp_path, ["init", "新台账", "--county", "示范县", "--issuer", "组织部",
                                      "--timezone", "Mars/Olympus"],
            ["配置无效：时区 Mars/Olympus 无法识别"])
    assert not (tmp_path / "新台账").exists()


@pytest.mark.parametrize(("option", "label"), [("--county", "县名"), ("--issuer", "发文机关"),
                                               ("--prefix", "文号代字")])
def test_init_empty_names(tmp_path: Path, option: str, label: str) -> None:
    args = {"--county": "示范县", "--issuer": "组织部", "--prefix": "示组通"}
    args[option] = " "
    refused(Run(tmp_path), tmp_path, ["init", "新台账", *[x for kv in args.items() for x in kv]],
            [f"{label}不能为空"])
    assert not (tmp_path / "新台账").exists()


# --------------------------------------------------------------------------- hand edits


@pytest.mark.parametrize("staged", [False, True], ids=["unstaged", "staged"])
@pytest.mark.parametrize("args", [
    ["step", "chengdong/1", "进展"],
    ["org", "set", "chengdong", "--first-secretary", "赵六"],
    ["accept", "chengdong", "--grade", "基本合格", "--by", "县委组织部"],
], ids=["step", "org-set", "accept"])
def test_uncommitted_hand_edit_of_the_same_file(base: Run, root: Path, args: list[str],
                                                 staged: bool) -> None:
    path = hand_edit(root)
    if staged:
        git(root, "add", "ledgers/chengdong.yaml")
    edited = path.read_bytes()
    refused(base, root, args, ["ledgers/chengdong.yaml 有未记录的手工修改（或上一条命令在写入后被中断），zhengdun 不会覆盖它们",
                               'zhengdun commit -m "说明"',
                               "git checkout -- ledgers/chengdong.yaml"])
    assert path.read_bytes() == edited


def test_hand_edit_of_another_ledger_does_not_block(base: Run, root: Path) -> None:
    assert base("org", "add", "城西社区", "--township", "城关镇", "--kind", "社区",
                "--designated", "2026-03-15", "--category", "10").exit_code == 0
    other = root / "ledgers" / "chengxi.yaml"
    other.write_text(other.read_text("utf-8") + "# 手工注释\n", "utf-8")
    result = base("step", "chengdong/1", "进展")
    assert result.exit_code == 0, result.output
    assert git(root, "status", "--porcelain") == " M ledgers/chengxi.yaml\n"


def test_uncommitted_config_blocks_recording(base: Run, root: Path) -> None:
    config = root / "zhengdun.yaml"
    config.write_text(config.read_text("utf-8") + "# 手工注释\n", "utf-8")
    refused(base, root, ["step", "chengdong/1", "进展"],
            ["zhengdun.yaml 有未记录的手工修改", "zhengdun commit -m", "git checkout -- zhengdun.yaml"])
    assert git(root, "status", "--porcelain") == " M zhengdun.yaml\n"


def test_duplicate_name_behind_a_comment(base: Run, root: Path) -> None:
    path = root / "ledgers" / "chengdong.yaml"
    path.write_text(path.read_text("utf-8").replace("name: 城东社区\n",
                                                    "name: 城东社区  # 原城东居委会\n"), "utf-8")
    commit_with_git(root, "加注释")
    refused(base, root, ["org", "add", "城东社区", "--township", "城关镇", "--kind", "社区",
                         "--designated", "2026-03-15", "--category", "10"],
            ["城东社区 已在批次 2026 认定过：同一批次只能认定一次"])


def test_untracked_ledger_file(base: Run, root: Path) -> None:
    (root / "ledgers" / "chengxi.yaml").write_text(
        "schema_version: 2\nname: 城西社区\nkind: 社区\ntownship: 城关镇\n"
        "designations:\n  - round: \"2026\"\n    on: 2026-03-15\n    categories:\n      - \"10\"\n", "utf-8")
    refused(base, root, ["visit", "城西社区", "--kind", "督查", "--by", "督查组", "内容"],
            ["ledgers/chengxi.yaml 是新文件，还没有记录到历史中", "zhengdun commit -m"])


@pytest.mark.parametrize("how", ["deleted", "git-rm"])
def test_commit_with_deleted_ledger(base: Run, root: Path, how: str) -> None:
    if how == "deleted":
        (root / "ledgers" / "chengdong.yaml").unlink()
    else:
        git(root, "rm", "-q", "ledgers/chengdong.yaml")
    refused(base, root, ["commit", "-m", "删掉"],
            ["台账文件被删除：ledgers/chengdong.yaml。台账记录不能删除",
             "git checkout HEAD -- ledgers/chengdong.yaml"])
    assert not (root / "ledgers" / "chengdong.yaml").exists()


def test_commit_invalid_hand_edit(base: Run, root: Path) -> None:
    path = root / "ledgers" / "chengdong.yaml"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if "due: 2026-06-30" in line)
    lines[index] = lines[index].replace("2026-06-30", "2026-06-31")
    path.write_text("".join(lines), "utf-8")
    column = lines[index].index("2026") + 1
    refused(base, root, ["commit", "-m", "改时限"],
            ["手工修改中有错误，未记录", f"ledgers/chengdong.yaml:{index + 1}:{column}",
             "日期 2026-06-31 不存在", "请修正后重新运行 zhengdun commit"])


def test_commit_hand_edit_emptying_a_value(base: Run, root: Path) -> None:
    path = root / "ledgers" / "chengdong.yaml"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    index = lines.index("township: 城关镇\n")
    lines[index] = "township: ''\n"
    path.write_text("".join(lines), "utf-8")
    result = refused(base, root, ["commit", "-m", "清空乡镇"],
                     ["手工修改中有错误，未记录", f"ledgers/chengdong.yaml:{index + 1}:11",
                      "所属乡镇：不能为空"])
    assert "String should" not in result.stderr


def test_commit_invalid_yaml(base: Run, root: Path) -> None:
    path = root / "ledgers" / "chengdong.yaml"
    text = path.read_text("utf-8").replace("    owner: 王五\n", "    owner: 王五\n\tsteps: []\n", 1)
    path.write_text(text, "utf-8")
    line = text.splitlines().index("\tsteps: []") + 1
    refused(base, root, ["commit", "-m", "改坏"],
            ["手工修改中有错误，未记录", f"ledgers/chengdong.yaml:{line}:", "制表符"])


def test_commit_new_ledger_with_a_name_already_taken(base: Run, root: Path) -> None:
    (root / "ledgers" / "xinshequ.yaml").write_text(
        "schema_version: 2\nname: 城东社区\nkind: 社区\ntownship: 城关镇\n"
        "designations:\n  - round: \"2026\"\n    on: 2026-03-15\n    categories:\n      - \"10\"\n", "utf-8")
    refused(base, root, ["commit", "-m", "补录"],
            ["手工修改中有错误，未记录",
             "ledgers/xinshequ.yaml:1:1: 错误：名称“城东社区”与 ledgers/chengdong.yaml 重复"])


def test_commit_config_change_that_breaks_an_unedited_ledger(base: Run, root: Path) -> None:
    config = root / "zhengdun.yaml"
    text = config.read_text("utf-8")
    config.write_text("".join(line for line in text.splitlines(keepends=True)
                              if not line.startswith('  "10":')), "utf-8")
    line = (root / "ledgers" / "chengdong.yaml").read_text("utf-8").splitlines().index(
        '      - "10"') + 1
    refused(base, root, ["commit", "-m", "精简类型目录"],
            ["手工修改中有错误，未记录", f"ledgers/chengdong.yaml:{line}:9",
             "类型 10 不在类型目录中"])


def test_commit_removing_cited_evidence(base: Run, root: Path) -> None:
    photo = root / "evidence" / "照片.jpg"
    photo.write_bytes(b"\xff\xd8\xff")
    assert base("step", "chengdong/1", "拍照", "--evidence", "evidence/照片.jpg").exit_code == 0
    photo.unlink()
    refused(base, root, ["commit", "-m", "删照片"],
            ["手工修改中有错误，未记录", "ledgers/chengdong.yaml:", "佐证材料 evidence/照片.jpg 不存在"])


# --------------------------------------------------------------------------- committed damage


def test_broken_ledger_committed_with_git(base: Run, root: Path) -> None:
    path = root / "ledgers" / "chengdong.yaml"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if "due: 2026-06-30" in line)
    lines[index] = lines[index].replace("2026-06-30", "2026-06-31")
    path.write_text("".join(lines), "utf-8")
    commit_with_git(root)
    column = lines[index].index("2026") + 1
    refused(base, root, ["step", "chengdong/1", "进展"],
            ["ledgers/chengdong.yaml 有格式错误，无法读取",
             f"ledgers/chengdong.yaml:{index + 1}:{column}", "日期 2026-06-31 不存在",
             "git checkout -- ledgers/chengdong.yaml"])
    refused(base, root, ["list"], ["有台账文件格式错误，统计结果会不准确，已停止",
                                   f"ledgers/chengdong.yaml:{index + 1}:{column}"])


def test_gbk_ledger(base: Run, root: Path) -> None:
    path = root / "ledgers" / "chengdong.yaml"
    path.write_bytes(path.read_text("utf-8").encode("gbk"))
    commit_with_git(root, "记事本另存")
    refused(base, root, ["step", "chengdong/1", "进展"],
            ["ledgers/chengdong.yaml 看起来是 GBK 编码", "zhengdun 只读 UTF-8 文件", "iconv"])


def test_ledger_path_that_is_a_folder(base: Run, root: Path) -> None:
    (root / "ledgers" / "xibei.yaml").mkdir()
    refused(base, root, ["step", "xibei/1", "进展"], ["ledgers/xibei.yaml 是一个文件夹，不是台账文件"])


def test_oversized_ledger_file(base: Run, root: Path) -> None:
    (root / "ledgers" / "zhaopian.yaml").write_bytes(b"#" * (9 * 1024 * 1024))
    refused(base, root, ["list"], ["有台账文件格式错误", "有 9 MB，远超一个台账文件应有的大小",
                                   "佐证材料请放在 evidence/ 中"])


def test_recording_onto_a_ledger_that_breaks_the_rules(base: Run, root: Path) -> None:
    photo = root / "evidence" / "照片.jpg"
    photo.write_bytes(b"\xff\xd8\xff")
    assert base("step", "chengdong/1", "拍照", "--evidence", "evidence/照片.jpg").exit_code == 0
    git(root, "rm", "-q", "evidence/照片.jpg")
    git(root, "commit", "-q", "-m", "误删照片")
    refused(base, root, ["step", "chengdong/1", "进展"],
            ["这样记录后，ledgers/chengdong.yaml 将不符合台账规则，本次未记录",
             "佐证材料 evidence/照片.jpg 不存在", "ledgers/chengdong.yaml:", "zhengdun check"])


# --------------------------------------------------------------------------- git faults

Setup = Callable[[Path], list[str]]


def _org_add(root: Path) -> list[str]:
    return ["org", "add", "城西社区", "--township", "城关镇", "--kind", "社区",
            "--designated", "2026-03-15", "--category", "10"]


def _step(root: Path) -> list[str]:
    return ["step", "chengdong/1", "召开议事会"]


def _close_with_new_evidence(root: Path) -> list[str]:
    (root / "evidence" / "验收照片.jpg").write_bytes(b"\xff\xd8\xff")
    return ["close", "chengdong/1", "--result", "完成", "--evidence", "evidence/验收照片.jpg"]


def _commit_hand_edit(root: Path) -> list[str]:
    hand_edit(root)
    return ["commit", "-m", "手工修改"]


RECORDERS = [P(_org_add, id="org-add"), P(_step, id="step"),
             P(_close_with_new_evidence, id="close-new-evidence"),
             P(_commit_hand_edit, id="commit")]


def _no_identity(root: Path, monkeypatch: pytest.MonkeyPatch, config_only: bool = True) -> None:
    """No user.name / user.email anywhere: no GIT_AUTHOR_*, GIT_COMMITTER_*, EMAIL, and an
    empty global git config."""
    for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(key, raising=False)
    empty = root.parent / "empty-gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    if config_only:
        # Without this git guesses user@host where the host name has a domain.
        monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
        monkeypatch.setenv("GIT_CONFIG_KEY_0", "user.useConfigOnly")
        monkeypatch.setenv("GIT_CONFIG_VALUE_0", "true")
    elif subprocess.run(["git", "var", "GIT_AUTHOR_IDENT"], cwd=root.parent,
                        capture_output=True).returncode == 0:
        pytest.skip("git guesses an identity from this machine's user and host names")


def _hook(root: Path, body: str) -> None:
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\n" + body, "utf-8")
    hook.chmod(0o755)


@pytest.mark.parametrize("config_only", [True, False], ids=["config-only", "no-guess"])
@pytest.mark.parametrize("setup", RECORDERS)
def test_no_git_identity(base: Run, root: Path, monkeypatch: pytest.MonkeyPatch,
                         setup: Setup, config_only: bool) -> None:
    args = setup(root)
    _no_identity(root, monkeypatch, config_only)
    refused(base, root, args, ["git 不知道记录人是谁（没有设置 user.name 和 user.email），本次修改未保存",
                               "git config --global user.name"])


@pytest.mark.parametrize("setup", RECORDERS)
def test_pre_commit_hook_rejects(base: Run, root: Path, setup: Setup) -> None:
    args = setup(root)
    _hook(root, "echo '钩子：台账需先经乡镇复核' >&2\nexit 1\n")
    refused(base, root, args, ["git 钩子拒绝了这次提交，本次修改未保存", "钩子：台账需先经乡镇复核",
                               "请按钩子的提示处理"])


@pytest.mark.parametrize("setup", RECORDERS)
def test_commit_fails_for_another_reason(base: Run, root: Path, monkeypatch: pytest.MonkeyPatch,
                                         setup: Setup) -> None:
    args = setup(root)
    monkeypatch.setenv("GIT_AUTHOR_DATE", "去年某天")
    refused(base, root, args, ["git 提交失败，本次修改未保存", "invalid date format",
                               "git status"])


@pytest.mark.parametrize("setup", RECORDERS)
def test_index_taken_while_committing(base: Run, root: Path, setup: Setup) -> None:
    args = setup(root)
    # A hook that runs git on the real index meets the lock of the commit in progress.
    _hook(root, "unset GIT_INDEX_FILE\ngit add zhengdun.yaml\n")
    refused(base, root, args, ["另一个 git 程序正在使用这个仓库（.git/index.lock 被占用），本次修改未保存",
                               "删除 .git/index.lock"])


@pytest.mark.parametrize("setup", RECORDERS)
def test_interrupted_while_committing(base: Run, root: Path, monkeypatch: pytest.MonkeyPatch,
                                      setup: Setup) -> None:
    """Ctrl-C reaches zhengdun and git together (here: sent by a hook while git waits for it)."""
    args = setup(root)
    monkeypatch.setenv("ZHENGDUN_TEST_PID", str(os.getpid()))
    _hook(root, "kill -INT $ZHENGDUN_TEST_PID\nkill -INT $PPID\nsleep 1\nexit 1\n")
    refused(base, root, args, ["已中断"], code=130)
    assert not (root / ".git" / "index.lock").exists()


def test_failed_commit_keeps_what_the_clerk_staged(base: Run, root: Path) -> None:
    hand_edit(root)
    git(root, "add", "ledgers/chengdong.yaml")
    _hook(root, "exit 1\n")
    refused(base, root, ["commit", "-m", "手工修改"], ["git 钩子拒绝了这次提交"])


def test_init_without_git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_identity(tmp_path / "x", monkeypatch)
    refused(Run(tmp_path), tmp_path, ["init", "新台账", "--county", "示范县", "--issuer", "组织部"],
            ["git 不知道记录人是谁"])
    assert not (tmp_path / "新台账").exists()


def _index_lock(root: Path) -> None:
    (root / ".git" / "index.lock").write_text("")


def _merge(root: Path) -> None:
    (root / ".git" / "MERGE_HEAD").write_text(git(root, "rev-parse", "HEAD"))


def _rebase_merge(root: Path) -> None:
    (root / ".git" / "rebase-merge").mkdir()


def _rebase_apply(root: Path) -> None:
    (root / ".git" / "rebase-apply").mkdir()


def _cherry_pick(root: Path) -> None:
    (root / ".git" / "CHERRY_PICK_HEAD").write_text(git(root, "rev-parse", "HEAD"))


def _revert(root: Path) -> None:
    (root / ".git" / "REVERT_HEAD").write_text(git(root, "rev-parse", "HEAD"))


def _detached(root: Path) -> None:
    git(root, "checkout", "-q", "--detach")


def _no_git(root: Path) -> None:
    shutil.rmtree(root / ".git")


PREFLIGHT = [
    P(_index_lock, ["另一个 git 程序正在使用这个仓库（存在 .git/index.lock）", "删除 .git/index.lock"],
      id="index-lock"),
    P(_merge, ["git 正在合并（merge）中，现在不能记录新的修改", "git merge --abort"], id="merge"),
    P(_rebase_merge, ["git 正在变基（rebase）中", "git rebase --abort"], id="rebase-merge"),
    P(_rebase_apply, ["git 正在变基（rebase）中"], id="rebase-apply"),
    P(_cherry_pick, ["git 正在拣选或撤销提交（cherry-pick / revert）中"], id="cherry-pick"),
    P(_revert, ["git 正在拣选或撤销提交（cherry-pick / revert）中"], id="revert"),
    P(_detached, ["git 当前不在任何分支上（分离 HEAD 状态）", "git switch main"], id="detached"),
    P(_no_git, ["不是 git 仓库，zhengdun 无法保存修改记录", "git init"], id="no-git"),
]


@pytest.mark.parametrize(("fault", "fragments"), PREFLIGHT)
@pytest.mark.parametrize("setup", RECORDERS)
def test_git_not_ready(base: Run, root: Path, setup: Setup, fault: Callable[[Path], None],
                       fragments: list[str]) -> None:
    args = setup(root)
    fault(root)
    refused(base, root, args, fragments)


@pytest.mark.parametrize("setup", RECORDERS)
def test_lock_file_cannot_be_made(base: Run, root: Path, setup: Setup) -> None:
    args = setup(root)
    lock = root / ".git" / "zhengdun.lock"
    lock.unlink(missing_ok=True)
    lock.mkdir()
    refused(base, root, args, ["无法建立工作区锁文件", ".git/zhengdun.lock",
                               "请检查工作区的 .git 文件夹是否可写"])


@pytest.mark.parametrize("setup", [P(_org_add, id="org-add"), P(_step, id="step")])
def test_git_program_missing(base: Run, root: Path, tmp_path: Path, setup: Setup) -> None:
    args = setup(root)
    before = snapshot(root)
    empty = tmp_path / "no-programs"
    empty.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", str(empty))
        result = base(*args)
    assert result.exit_code == 1
    assert_message(result, ["找不到 git 程序，zhengdun 需要用 git 保存修改记录", "请先安装 git"])
    assert snapshot(root) == before


def test_git_fails_on_a_corrupt_index(base: Run, root: Path) -> None:
    index = root / ".git" / "index"
    files = files_of(root)
    head = git(root, "rev-parse", "HEAD")
    index.write_bytes(b"garbage")
    result = base("step", "chengdong/1", "进展")
    assert result.exit_code == 1
    assert_message(result, ["git 执行失败：", "index file", "git status"])
    assert index.read_bytes() == b"garbage"
    assert files_of(root) == files
    assert git(root, "rev-parse", "HEAD") == head


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make ``path`` unwritable, even for root (who ignores permission bits)."""
    if os.geteuid() != 0:
        mode = stat.S_IMODE(path.stat().st_mode)
        path.chmod(mode & ~0o222)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)],
                                        capture_output=True).returncode != 0:
        pytest.skip("running as root: permission bits do not stop root, and this file system "
                    "does not allow the immutable attribute (chattr +i)")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


def test_read_only_ledger(base: Run, root: Path) -> None:
    with read_only(root / "ledgers" / "chengdong.yaml"):
        refused(base, root, ["step", "chengdong/1", "进展"],
                ["没有权限写入 ledgers/chengdong.yaml（文件或文件夹是只读的），文件未改动",
                 "chmod u+w ledgers/chengdong.yaml"])
    assert base("step", "chengdong/1", "进展").exit_code == 0


def test_read_only_ledgers_folder(base: Run, root: Path) -> None:
    with read_only(root / "ledgers"):
        refused(base, root, _org_add(root),
                ["没有权限写入 ledgers/chengxi.yaml（文件或文件夹是只读的），文件未改动"])
    assert base(*_org_add(root)).exit_code == 0


@contextmanager
def held_lock(path: Path) -> Iterator[None]:
    """Hold the workspace lock as another zhengdun process would (an flock on its own open file)."""
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@pytest.mark.parametrize("setup", RECORDERS)
def test_lock_timeout(base: Run, root: Path, monkeypatch: pytest.MonkeyPatch,
                      setup: Setup) -> None:
    args = setup(root)
    monkeypatch.setenv("ZHENGDUN_LOCK_TIMEOUT", "0.2")
    with held_lock(root / ".git" / "zhengdun.lock"):
        refused(base, root, args, ["另一个 zhengdun 命令正在修改这个台账，等待 0.2 秒后仍未结束",
                                   "请等它结束后重试"])
    result = base(*args)
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- found in review


def test_evidence_inside_the_git_folder_is_refused(base: Run, root: Path) -> None:
    refused(base, root, ["step", "chengdong/1", "补充材料", "--evidence", ".git/HEAD"],
            ["佐证材料 .git/HEAD 在 .git 文件夹中", "evidence/ 文件夹"])


@pytest.mark.skipif(os.uname().sysname == "Darwin", reason="macOS refuses such file names")
def test_evidence_with_a_file_name_that_is_not_utf8_is_refused(base: Run, root: Path) -> None:
    name = os.fsdecode(b"\xb2\xe2\xca\xd4.jpg")  # GBK bytes, not UTF-8
    (root / "evidence" / name).write_bytes(b"\xff\xd8\xff photo")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "照片")
    refused(base, root, ["step", "chengdong/1", "补充材料", "--evidence", f"evidence/{name}"],
            ["不是 UTF-8 编码", "改成中文或英文的正常文件名"])


def test_a_pinned_day_that_is_not_a_date(base: Run, root: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHENGDUN_TODAY", "明天")
    refused(base, root, ["step", "chengdong/1", "召开会议"],
            ["环境变量 ZHENGDUN_TODAY 的值“明天”不是日期", "unset ZHENGDUN_TODAY"])
