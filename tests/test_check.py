"""``zhengdun check`` on hand-broken files: every finding at once, each at its exact line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import git

REPO = Path(__file__).resolve().parents[1]

# A valid ledger; the broken ones below differ from it in one line each.
BASE = """\
schema_version: 2
name: 西关村
kind: 村
township: 城关镇
designations:
  - round: "2026"
    on: 2026-03-15
    categories:
      - "10"
problems:
  - id: 1
    round: "2026"
    title: 村务公开栏长期未更新
    category: "10"
    source: 群众反映
    found_on: 2026-03-10
    due: 2026-06-30
    owner: 王五
    steps:
      - on: 2026-04-02
        text: 更新公开栏
    closures:
      - on: 2026-06-20
        result: 公开栏每月更新
visits:
  - round: "2026"
    on: 2026-05-10
    kind: 督查
    by: 县委组织部督查组
    text: 进度偏慢
"""


def variant(name: str, number: int, line: str | None = None, *, insert: str | None = None,
            delete: bool = False) -> str:
    """BASE under another name, with line ``number`` (1-based) replaced, inserted or deleted."""
    lines = BASE.splitlines(keepends=True)
    if delete:
        del lines[number - 1]
    elif insert is not None:
        lines.insert(number - 1, insert)
    else:
        assert line is not None
        lines[number - 1] = line
    return "".join(lines).replace("西关村", name)


def write(root: Path, name: str, text: str | bytes) -> Path:
    path = root / "ledgers" / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def headlines(stdout: str) -> list[str]:
    """The ``file:line:col: 错误：message`` lines of check's output, in order."""
    return [line for line in stdout.splitlines()
            if re.match(r"^(ledgers/|zhengdun\.yaml)", line)]


def block_of(stdout: str, head: str) -> list[str]:
    """The lines of the finding whose first line starts with ``head``."""
    lines = stdout.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(head):
            end = i + 1
            while end < len(lines) and lines[end].startswith(" "):
                end += 1
            return lines[i:end]
    raise AssertionError(f"no finding starting with {head!r} in:\n{stdout}")


# --------------------------------------------------------------------------- clean


def test_clean_workspace_passes(chengdong: Any) -> None:
    result = chengdong("check")
    assert result.exit_code == 0, result.output
    assert result.stdout == "检查了 2 个文件（1 个村(社区)，1 个问题）：全部通过。\n"
    assert result.stderr == ""


def test_empty_workspace_passes(run: Any) -> None:
    result = run("check")
    assert result.exit_code == 0
    assert "检查了 1 个文件（0 个村(社区)，0 个问题）：全部通过。" in result.stdout


def test_shipped_demo_passes(tmp_path: Path, run: Any) -> None:
    root = tmp_path / "demo"
    root.mkdir()
    shutil.copy(REPO / "zhengdun.yaml", root)
    shutil.copytree(REPO / "ledgers", root / "ledgers")
    git(root, "init", "-q")  # outside a git repository check reports the missing history
    result = run("-C", str(root), "check")
    assert result.exit_code == 0, result.output
    count = len(list((REPO / "ledgers").glob("*.yaml")))
    summary = next(line for line in result.stdout.splitlines() if line.startswith("检查了"))
    assert summary.startswith(f"检查了 {count + 1} 个文件（{count} 个村(社区)，")
    # no errors; the one reminder is the seeds' 避重就轻 (青龙村 designated 10, none found)
    assert summary.endswith("没有错误，1 处提醒。")
    assert "ledgers/qinglong.yaml:15:9: 提醒：认定记录第2项·软弱涣散类型第2项：认定类型 10 没有登记对应的问题（避重就轻）" \
        in result.stdout


# --------------------------------------------------------------------------- broken structure


def test_every_broken_file_is_reported_in_one_run(run: Any, workspace: Path) -> None:
    write(workspace, "a-indent.yaml", variant("甲村", 12, '     round: "2026"\n'))
    write(workspace, "b-tab.yaml", variant("乙村", 14, '\tcategory: "10"\n'))
    write(workspace, "c-dup.yaml", variant("丙村", 19, insert="    owner: 李四\n"))
    write(workspace, "d-types.yaml", variant("丁村", 11, "  - id: abc\n").replace(
        "    title: 村务公开栏长期未更新", "    title: 010"))
    write(workspace, "e-unknown.yaml", variant("戊村", 19, insert="    colour: 红\n"))
    write(workspace, "f-date.yaml", variant("己村", 16, "    found_on: 2026-02-30\n"))
    write(workspace, "g-missing.yaml", variant("庚村", 18, delete=True))
    write(workspace, "h-good.yaml", BASE)
    result = run("check")
    assert result.exit_code == 1
    assert headlines(result.stdout) == [
        "ledgers/a-indent.yaml:12:11: 错误：这里不能出现“: ”：可能是缩进不对，或文字中含有“: ”需要加引号",
        "ledgers/b-tab.yaml:14:1: 错误：这里有制表符（Tab），YAML 只能用空格缩进",
        "ledgers/c-dup.yaml:19:5: 错误：键“owner”重复出现",
        "ledgers/d-types.yaml:11:9: 错误：问题清单第1项·问题编号：问题编号应为正整数，现为 'abc'",
        "ledgers/d-types.yaml:13:12: 错误：问题清单第1项·问题：应为文字，现为 10",
        "ledgers/e-unknown.yaml:19:5: 错误：问题清单第1项·colour：未知的键“colour”",
        "ledgers/f-date.yaml:16:15: 错误：问题清单第1项·发现日期：日期 2026-02-30 不存在（请核对月份和天数）",
        "ledgers/g-missing.yaml:11:5: 错误：问题清单第1项：缺少“责任人”（owner）",
    ]
    assert "检查了 9 个文件（1 个村(社区)，1 个问题）：发现 8 处错误。" in result.stdout
    # each finding shows the offending line, a caret under the column, and a hint
    assert block_of(result.stdout, "ledgers/a-indent.yaml:12:11") == [
        "ledgers/a-indent.yaml:12:11: 错误：这里不能出现“: ”：可能是缩进不对，或文字中含有“: ”需要加引号",
        '     12 |      round: "2026"',
        "        |           ^",
    ]
    assert block_of(result.stdout, "ledgers/b-tab.yaml")[1] == '     14 | \tcategory: "10"'
    assert block_of(result.stdout, "ledgers/c-dup.yaml") == [
        "ledgers/c-dup.yaml:19:5: 错误：键“owner”重复出现",
        "     19 |     owner: 李四",
        "        |     ^",
        "        提示：同一层级中每个键只能出现一次，请删除或合并重复的一项",
    ]
    assert block_of(result.stdout, "ledgers/d-types.yaml:13:12") == [
        "ledgers/d-types.yaml:13:12: 错误：问题清单第1项·问题：应为文字，现为 10",
        "     13 |     title: 010",
        "        |            ^",
        "        提示：如果这里本来就是文字（例如 010、no、on、1:20），请给它加上双引号",
    ]
    assert block_of(result.stdout, "ledgers/e-unknown.yaml")[1:3] == [
        "     19 |     colour: 红", "        |     ^"]
    assert block_of(result.stdout, "ledgers/f-date.yaml")[1] == "     16 |     found_on: 2026-02-30"
    assert block_of(result.stdout, "ledgers/g-missing.yaml")[1] == "     11 |   - id: 1"
    assert "ledgers/h-good.yaml" not in headlines(result.stdout)[-1]


@pytest.mark.parametrize(("line", "message"), [
    ("kind: 镇\n", "ledgers/x.yaml:3:7: 错误：类别：应为 村、社区 之一，现为 '镇'"),
    ("kind: no\n", "ledgers/x.yaml:3:7: 错误：类别：应为 村、社区 之一，现为 'no'"),
    ("    on: 2026/03/15\n", "ledgers/x.yaml:7:9: 错误：认定记录第1项·日期："
     "日期应写成 YYYY-MM-DD，例如 2026-03-15，现为 '2026/03/15'"),
    ("    on: 2026-3-15\n", "ledgers/x.yaml:7:9: 错误：认定记录第1项·日期："
     "日期应写成 YYYY-MM-DD，例如 2026-03-15，现为 '2026-3-15'"),
    ("    on: 20260315\n", "ledgers/x.yaml:7:9: 错误：认定记录第1项·日期："
     "日期应写成 YYYY-MM-DD，例如 2026-03-15，现为 20260315"),
    ("schema_version: 3\n", "ledgers/x.yaml:1:17: 错误：格式版本：格式版本应为 2，现为 3"),
    ("name: \n", "ledgers/x.yaml:2:6: 错误：名称：应为文字，现为 None"),
    ("township: ''\n", "ledgers/x.yaml:4:11: 错误：所属乡镇：不能为空"),
])
def test_single_top_level_mistakes(run: Any, workspace: Path, line: str, message: str) -> None:
    key = line.split(":")[0]
    lines = BASE.splitlines(keepends=True)
    index = next(i for i, old in enumerate(lines) if old.startswith(key + ":"))
    lines[index] = line
    write(workspace, "x.yaml", "".join(lines))
    result = run("check")
    assert result.exit_code == 1
    assert headlines(result.stdout) == [message]


def test_categories_empty_and_score_out_of_range(run: Any, workspace: Path) -> None:
    text = BASE.replace('    categories:\n      - "10"\n', "    categories: []\n") + (
        "acceptances:\n  - round: \"2026\"\n    on: 2026-10-20\n    by: 县委组织部\n"
        "    grade: 基本合格\n    score: 120\n")
    write(workspace, "x.yaml", text)
    result = run("check")
    found = headlines(result.stdout)
    assert found[0] == "ledgers/x.yaml:8:17: 错误：认定记录第1项·软弱涣散类型：至少要有一项"
    assert found[1].startswith("ledgers/x.yaml:35:12: 错误：验收记录第1项·得分：应不大于 100")
    assert found[1].endswith("，现为 120")
    assert len(found) == 2


# --------------------------------------------------------------------------- rules

RULES = """\
schema_version: 2
name: 规则村
kind: 村
township: 城关镇
designations:
  - round: "2026"
    on: 2026-03-15
    categories:
      - "10"
      - "99"
problems:
  - id: 1
    round: "2026"
    title: 进展早于发现
    category: "10"
    found_on: 2026-03-10
    due: 2026-06-30
    owner: 王五
    steps:
      - on: 2026-03-01
        text: 早于发现
  - id: 2
    round: "2026"
    title: 销号早于进展
    category: "10"
    found_on: 2026-03-10
    due: 2026-06-30
    owner: 王五
    steps:
      - on: 2026-05-01
        text: 五月进展
    closures:
      - on: 2026-04-01
        result: 四月销号
  - id: 3
    round: "2026"
    title: 两次销号之间没有反弹
    category: "10"
    found_on: 2026-03-10
    due: 2026-06-30
    owner: 王五
    closures:
      - on: 2026-04-01
        result: 第一次
      - on: 2026-05-01
        result: 第二次
  - id: 3
    round: "2026"
    title: 编号重复，类型和来源不在目录中
    category: "99"
    source: 路边听说
    found_on: 2026-03-10
    due: 2026-12-31
    owner: 王五
    steps:
      - on: 2026-04-01
        text: 有佐证
        evidence:
          - evidence/ok.jpg
          - evidence/missing.jpg
          - /etc/passwd
          - ../outside.jpg
  - id: 5
    round: "2026"
    title: 未来的日期
    category: "10"
    found_on: 2026-12-01
    due: 2026-12-31
    owner: 王五
acceptances:
  - round: "2026"
    on: 2026-10-20
    by: 县委组织部
    grade: 合格
"""


def test_every_rule_is_reported_at_its_line(run: Any, workspace: Path) -> None:
    (workspace / "evidence" / "ok.jpg").write_bytes(b"jpeg")
    (workspace.parent / "outside.jpg").write_bytes(b"jpeg")
    write(workspace, "rules.yaml", RULES)
    result = run("check")
    assert result.exit_code == 1
    assert headlines(result.stdout) == [
        "ledgers/rules.yaml:10:9: 错误：认定记录第1项·软弱涣散类型第2项：类型 99 不在类型目录中",
        "ledgers/rules.yaml:20:13: 错误：问题清单第1项·整改进展第1项·日期："
        "整改进展日期 2026-03-01 早于发现日期 2026-03-10",
        "ledgers/rules.yaml:43:9: 错误：问题清单第3项·销号记录第1项：只有最后一次销号可以没有反弹记录",
        "ledgers/rules.yaml:47:9: 错误：问题清单第4项·问题编号：问题编号 3 重复",
        "ledgers/rules.yaml:50:15: 错误：问题清单第4项·类型：类型 99 不在类型目录中",
        "ledgers/rules.yaml:51:13: 错误：问题清单第4项·来源：来源“路边听说”不在来源目录中",
        "ledgers/rules.yaml:60:13: 错误：问题清单第4项·整改进展第1项·佐证材料第2项："
        "佐证材料 evidence/missing.jpg 不存在",
        "ledgers/rules.yaml:61:13: 错误：问题清单第4项·整改进展第1项·佐证材料第3项："
        "佐证材料路径 /etc/passwd 是绝对路径，应写成相对于工作区的路径，例如 evidence/照片.jpg",
        "ledgers/rules.yaml:62:13: 错误：问题清单第4项·整改进展第1项·佐证材料第4项："
        "佐证材料路径 ../outside.jpg 指向工作区之外",
        "ledgers/rules.yaml:67:15: 错误：问题清单第5项·发现日期："
        "日期 2026-12-01 晚于今天（2026-11-21），不能记录未来的事",
        "ledgers/rules.yaml:74:12: 错误：验收记录第1项·验收等次：验收为合格，但当日仍有问题未销号：1号、3号",
    ]
    assert block_of(result.stdout, "ledgers/rules.yaml:20:13")[1:3] == [
        "     20 |       - on: 2026-03-01", "        |             ^"]
    assert block_of(result.stdout, "ledgers/rules.yaml:43:9")[1:] == [
        "     43 |       - on: 2026-04-01",
        "        |         ^",
        "        提示：问题销号后再次销号之前，应先记录反弹（zhengdun reopen）",
    ]
    assert block_of(result.stdout, "ledgers/rules.yaml:74:12")[1] == "     74 |     grade: 合格"
    assert "检查了 2 个文件（1 个村(社区)，5 个问题）：发现 11 处错误。" in result.stdout


def test_reopening_and_closure_order_rules(run: Any, workspace: Path) -> None:
    text = BASE.replace(
        "      - on: 2026-06-20\n        result: 公开栏每月更新\n",
        "      - on: 2026-06-20\n        result: 公开栏每月更新\n"
        "        reopened:\n          on: 2026-06-01\n          reason: 反弹\n"
        "      - on: 2026-05-25\n        result: 再次销号\n")
    write(workspace, "x.yaml", text)
    result = run("check")
    assert headlines(result.stdout) == [
        "ledgers/x.yaml:26:15: 错误：问题清单第1项·销号记录第1项·反弹记录·日期："
        "反弹日期 2026-06-01 早于销号日期 2026-06-20",
        "ledgers/x.yaml:28:13: 错误：问题清单第1项·销号记录第2项·日期："
        "销号日期 2026-05-25 早于上次反弹日期 2026-06-01",
    ]


def test_due_before_found_and_future_step(run: Any, workspace: Path) -> None:
    text = BASE.replace("    due: 2026-06-30\n", "    due: 2026-03-01\n").replace(
        "      - on: 2026-04-02\n", "      - on: 2026-11-22\n").replace(
        "      - on: 2026-06-20\n", "      - on: 2026-11-22\n")
    write(workspace, "x.yaml", text)
    result = run("check")
    assert headlines(result.stdout) == [
        "ledgers/x.yaml:17:10: 错误：问题清单第1项·整改时限：整改时限 2026-03-01 早于发现日期 2026-03-10",
        "ledgers/x.yaml:20:13: 错误：问题清单第1项·整改进展第1项·日期："
        "日期 2026-11-22 晚于今天（2026-11-21），不能记录未来的事",
        "ledgers/x.yaml:23:13: 错误：问题清单第1项·销号记录第1项·日期："
        "日期 2026-11-22 晚于今天（2026-11-21），不能记录未来的事",
    ]


def test_duplicate_organization_name(run: Any, workspace: Path) -> None:
    write(workspace, "a.yaml", BASE)
    write(workspace, "b.yaml", BASE)
    result = run("check")
    assert headlines(result.stdout) == ["ledgers/b.yaml:1:1: 错误：名称“西关村”与 ledgers/a.yaml 重复"]


def test_wrong_extension_is_a_warning_only(run: Any, workspace: Path) -> None:
    write(workspace, "a.yml", BASE)
    result = run("check")
    assert result.exit_code == 0
    assert headlines(result.stdout) == ["ledgers/a.yml: 提醒：台账文件的扩展名应为 .yaml，此文件不会被读取"]


# --------------------------------------------------------------------------- config


def test_broken_config_and_broken_ledger_in_one_run(run: Any, workspace: Path) -> None:
    config = workspace / "zhengdun.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "timezone: Asia/Shanghai\n", "timezone: Asia/Shanghai\n  extra: 1\n"), encoding="utf-8")
    write(workspace, "b-tab.yaml", variant("乙村", 14, '\tcategory: "10"\n'))
    result = run("check")
    assert result.exit_code == 1
    assert headlines(result.stdout) == [
        "zhengdun.yaml:8:8: 错误：这里不能出现“: ”：可能是缩进不对，或文字中含有“: ”需要加引号",
        "ledgers/b-tab.yaml:14:1: 错误：这里有制表符（Tab），YAML 只能用空格缩进",
    ]
    # other commands refuse to run on a broken config, with a message, not a traceback
    listed = run("list")
    assert listed.exit_code == 1
    assert "配置文件 zhengdun.yaml 有错误" in listed.stderr
    assert "Traceback" not in listed.output


def test_config_values_are_validated(run: Any, workspace: Path) -> None:
    config = workspace / "zhengdun.yaml"
    text = config.read_text(encoding="utf-8")
    text = text.replace("timezone: Asia/Shanghai\n", "timezone: Mars/Olympus\nfont: 宋体\n")
    config.write_text(text, encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    assert headlines(result.stdout) == [
        "zhengdun.yaml:7:11: 错误：时区：时区 Mars/Olympus 无法识别，一般应为 Asia/Shanghai",
        "zhengdun.yaml:8:1: 错误：font：未知的键“font”",
    ]


# --------------------------------------------------------------------------- JSON


def test_check_json_structure(run: Any, workspace: Path) -> None:
    write(workspace, "c-dup.yaml", variant("丙村", 16, insert="    owner: 李四\n"))
    write(workspace, "a.yml", BASE)
    result = run("check", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data == {
        "ok": False,
        "files": 2,
        "organizations": 0,
        "problems": 0,
        "uncommitted": ["ledgers/a.yml", "ledgers/c-dup.yaml"],
        "new_files": ["ledgers/a.yml", "ledgers/c-dup.yaml"],
        "blocked": None,
        "maintenance": [],
        "findings": [
            {"file": "ledgers/c-dup.yaml", "line": 19, "column": 5, "severity": "error",
             "message": "键“owner”重复出现",
             "hint": "同一层级中每个键只能出现一次，请删除或合并重复的一项"},
            {"file": "ledgers/a.yml", "line": None, "column": None, "severity": "warning",
             "message": "台账文件的扩展名应为 .yaml，此文件不会被读取", "hint": "请改名为 a.yaml"},
        ],
    }


def test_check_json_clean(chengdong: Any, workspace: Path) -> None:
    result = chengdong("check", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"ok": True, "files": 2, "organizations": 1,
                                         "problems": 1, "uncommitted": [], "new_files": [],
                                         "blocked": None, "maintenance": [], "findings": []}


def test_check_mentions_uncommitted_hand_edits(chengdong: Any, workspace: Path) -> None:
    path = workspace / "ledgers" / "chengdong.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# 手工备注\n", encoding="utf-8")
    result = chengdong("check")
    assert result.exit_code == 0
    assert "以下文件已写入、但尚未记录到历史中（手工修改，或上一条命令被中断）：城东社区（ledgers/chengdong.yaml）。" in result.stdout
    assert git(workspace, "status", "--porcelain") == " M ledgers/chengdong.yaml\n"


# --------------------------------------------------------------------------- garbage


@pytest.mark.parametrize(("content", "message"), [
    (b"", "ledgers/x.yaml:1:1: 错误：文件内容应为“键: 值”形式的台账，现在是空的或格式不对"),
    (b"- a\n- b\n", "ledgers/x.yaml:1:1: 错误：文件内容应为“键: 值”形式的台账，现在是空的或格式不对"),
    (b"just text\n", "ledgers/x.yaml:1:1: 错误：文件内容应为“键: 值”形式的台账，现在是空的或格式不对"),
    (b"# only a comment\n", "ledgers/x.yaml:1:1: 错误：文件内容应为“键: 值”形式的台账，现在是空的或格式不对"),
    (b"\x00\x01\x02", "ledgers/x.yaml: 错误：文件中含有不可见的控制字符"),
    ("name: 城东\n".encode("gbk"),
     "ledgers/x.yaml:1:1: 错误：ledgers/x.yaml 看起来是 GBK 编码（Windows 中文系统的记事本、Excel 常用），"
     "zhengdun 只读 UTF-8 文件"),
    (b"a: &x 1\nb: *x\n", "ledgers/x.yaml:1:4: 错误：台账文件中不能使用 YAML 锚点和别名（& 和 *）"),
    (b"a: !!python/object:os.system x\n",
     "ledgers/x.yaml:1:4: 错误：不支持 YAML 标签 tag:yaml.org,2002:python/object:os.system"),
    (b"a: 1\n---\nb: 2\n", "ledgers/x.yaml:2:1: 错误：文件中只能有一个文档（不要使用“---”分隔）"),
    (b"\xef\xbb\xbf\xef\xbb\xbfa: 1\n", "ledgers/x.yaml:1:1: 错误：缺少“格式版本”（schema_version）"),
])
def test_garbage_is_reported_not_crashed_on(run: Any, workspace: Path, content: bytes,
                                            message: str) -> None:
    write(workspace, "x.yaml", content)
    result = run("check")
    assert result.exit_code == 1
    assert headlines(result.stdout)[0] == message


def test_nine_megabyte_file_is_refused_quickly(run: Any, workspace: Path) -> None:
    write(workspace, "big.yaml", b"name: " + b"x" * (9 * 1024 * 1024) + b"\n")
    write(workspace, "c-dup.yaml", variant("丙村", 16, insert="    owner: 李四\n"))
    result = run("check")
    assert result.exit_code == 1
    assert headlines(result.stdout) == [
        "ledgers/big.yaml: 错误：ledgers/big.yaml 有 9 MB，远超一个台账文件应有的大小",
        "ledgers/c-dup.yaml:19:5: 错误：键“owner”重复出现",
    ]


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(
    st.binary(max_size=400),
    st.text(st.sampled_from(list("ab:- \n\t#[]{}&*!|>'\"%@`,?~0\u00e9\u4e2d\r\x00")),
            max_size=200).map(lambda s: s.encode("utf-8")),
))
def test_check_never_crashes_on_random_bytes(run: Any, workspace: Path, content: bytes) -> None:
    write(workspace, "x.yaml", content)
    result = run("check", "--json")
    data = json.loads(result.stdout)
    assert result.exit_code == (0 if data["ok"] else 1)
    assert all(f["file"] == "ledgers/x.yaml" for f in data["findings"])
    assert data["findings"] or data["organizations"] == 1


def test_check_names_a_new_unrecorded_ledger_and_how_to_drop_it(chengdong: Any,
                                                               workspace: Path) -> None:
    """What an ``org add`` killed before its commit leaves: a valid ledger git never recorded."""
    source = workspace / "ledgers" / "chengdong.yaml"
    (workspace / "ledgers" / "chengxi.yaml").write_text(
        source.read_text("utf-8").replace("name: 城东社区", "name: 城西社区"), "utf-8")
    result = chengdong("check")
    assert result.exit_code == 0
    assert "城西社区（ledgers/chengxi.yaml）" in result.stdout
    assert "新文件ledgers/chengxi.yaml 用 git rm -f 文件 删除" in result.stdout
    data = json.loads(chengdong("check", "--json").stdout)
    assert data["new_files"] == ["ledgers/chengxi.yaml"]
    assert data["blocked"] is None


def test_check_says_when_git_would_refuse_the_next_recording(chengdong: Any,
                                                             workspace: Path) -> None:
    (workspace / ".git" / "index.lock").write_bytes(b"")
    result = chengdong("check")
    assert result.exit_code == 0  # the ledgers themselves are fine
    assert "注意：现在还不能记录新的修改。另一个 git 程序正在使用这个仓库" in result.stdout
    assert json.loads(chengdong("check", "--json").stdout)["blocked"].startswith(
        "另一个 git 程序正在使用这个仓库")
