"""Campaign rounds (批次): designating again in a new round, reading one round at a time, an
organization's history across rounds, and the 怀柔 classes of ``report rounds``."""

from __future__ import annotations

import difflib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import Run, git, pinned_env_outside_a_test
from zhengdun.store import parse

ROUNDS = 'rounds:\n  - name: "2025"\n    start: 2025-01-01\n  - name: "2026"\n    start: 2026-01-01\n'


def ok(result: Any) -> str:
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def snapshot(root: Path) -> tuple[dict[str, bytes], str, str]:
    files = {p.relative_to(root).as_posix(): p.read_bytes()
             for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}
    return files, git(root, "rev-parse", "HEAD"), git(root, "status", "--porcelain")


def refused(root: Path, *args: str) -> str:
    """Run a command that must be refused: exit 1, files and history unchanged."""
    before = snapshot(root)
    result: Any = Run(root)(*args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert snapshot(root) == before
    return str(result.stderr)


def data(root: Path, slug: str) -> dict[str, Any]:
    loaded: dict[str, Any] = parse((root / "ledgers" / f"{slug}.yaml").read_text("utf-8")).data
    return loaded


@pytest.fixture(scope="module")
def two_rounds_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """示范县 with rounds 2025 and 2026: 马家坪村 converted in 2025 (合格); 城东社区 designated
    in 2025, not converted; both with one problem of 2025."""
    folder = tmp_path_factory.mktemp("rounds")
    with pinned_env_outside_a_test(folder / "home"):
        root = folder / "示范县台账"
        ok(Run(folder)("init", str(root), "--county", "示范县", "--issuer", "中共示范县委组织部"))
        config = root / "zhengdun.yaml"
        text = config.read_text("utf-8")
        start = text.index("rounds:")
        config.write_text(text[:start] + ROUNDS, "utf-8")
        run = Run(root)
        ok(run("commit", "-m", "两个整顿批次"))
        ok(run("org", "add", "马家坪村", "--township", "柳林乡", "--kind", "村", "--designated",
               "2025-03-10", "--category", "2", "--approved", "2025-03-20", "--approved-doc",
               "示常〔2025〕3号"))
        ok(run("org", "set", "马家坪村", "--first-secretary", "何晓军"))
        ok(run("add", "马家坪村", "书记不胜任", "--category", "2", "--found", "2025-03-05",
               "--due", "2025-09-30", "--owner", "高建军"))
        ok(run("close", "majiaping/1", "--result", "调整书记", "--on", "2025-08-01"))
        ok(run("accept", "马家坪村", "--grade", "合格", "--by", "县委组织部", "--on", "2025-11-20"))
        ok(run("org", "add", "城东社区", "--township", "城关镇", "--kind", "社区", "--designated",
               "2025-03-15", "--category", "10"))
        ok(run("add", "城东社区", "停车位不足", "--category", "10", "--found", "2025-03-10",
               "--due", "2025-06-30", "--owner", "王五"))
    return root


@pytest.fixture
def two_rounds(two_rounds_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "示范县台账"
    shutil.copytree(two_rounds_template, target, symlinks=True)
    return target


def test_designating_again_appends_a_round_and_changes_nothing_earlier(two_rounds: Path) -> None:
    run = Run(two_rounds)
    before = (two_rounds / "ledgers" / "majiaping.yaml").read_text("utf-8")
    head = git(two_rounds, "rev-parse", "HEAD").strip()
    out = ok(run("org", "add", "马家坪村", "--round", "2026", "--designated", "2026-03-10",
                 "--category", "6", "--proposed", "2026-02-20", "--preliminary", "2026-03-01",
                 "--approved", "2026-03-10", "--approved-doc", "示常〔2026〕2号"))
    assert out.startswith("已在批次 2026 再次认定 马家坪村（简称 majiaping，第 2 次认定；以往批次的记录不变）")
    assert git(two_rounds, "rev-list", "--count", f"{head}..HEAD").strip() == "1"
    assert git(two_rounds, "log", "-1", "--format=%s") == "org-add majiaping: 2026 批次再次认定\n"
    assert git(two_rounds, "status", "--porcelain") == ""
    after = (two_rounds / "ledgers" / "majiaping.yaml").read_text("utf-8")
    # only lines added, at the end of the designations
    old_lines, new_lines = before.splitlines(), after.splitlines()
    opcodes = difflib.SequenceMatcher(None, old_lines, new_lines).get_opcodes()
    inserted = [new_lines[j1:j2] for tag, _i1, _i2, j1, j2 in opcodes if tag != "equal"]
    assert [tag for tag, *_ in opcodes if tag != "equal"] == ["insert"]
    assert inserted[0] == [
        '  - round: "2026"', "    on: 2026-03-10", "    categories:", '      - "6"',
        "    proposed:", "      on: 2026-02-20", "    preliminary:", "      on: 2026-03-01",
        "    approved:", "      on: 2026-03-10", "      doc: 示常〔2026〕2号"]
    ledger = data(two_rounds, "majiaping")
    assert ledger["designations"][0] == {
        "round": "2025", "on": "2025-03-10", "categories": ["2"],
        "approved": {"on": "2025-03-20", "doc": "示常〔2025〕3号"},
        "responsibility": {"first_secretary": "何晓军"}}
    # a new problem belongs to the current round and takes the next number of the whole file
    ok(run("add", "马家坪村", "家族势力干预村务", "--category", "6", "--due", "2026-09-30",
           "--owner", "何晓军", "--found", "2026-03-12"))
    problems = data(two_rounds, "majiaping")["problems"]
    assert [(p["id"], p["round"]) for p in problems] == [(1, "2025"), (2, "2026")]
    # the forces of the new round are set on the new round only
    ok(run("org", "set", "马家坪村", "--first-secretary", "钱七", "--designated", "2026-03-11"))
    designations = data(two_rounds, "majiaping")["designations"]
    assert designations[0]["responsibility"] == {"first_secretary": "何晓军"}
    assert designations[0]["on"] == "2025-03-10"
    assert designations[1]["responsibility"] == {"first_secretary": "钱七"}
    assert designations[1]["on"] == "2026-03-11"
    # visits and acceptances of the current round
    ok(run("visit", "马家坪村", "--kind", "回头看", "--by", "柳林乡党委", "--on", "2026-04-01", "走访"))
    assert data(two_rounds, "majiaping")["visits"][-1]["round"] == "2026"
    ok(run("check"))


def test_designation_refusals_name_the_rule(two_rounds: Path) -> None:
    assert "马家坪村 已在批次 2025 认定过：同一批次只能认定一次" in refused(
        two_rounds, "org", "add", "马家坪村", "--round", "2025", "--designated", "2025-04-01",
        "--category", "2")
    stderr = refused(two_rounds, "org", "add", "马家坪村", "--round", "2027", "--designated",
                     "2026-04-01", "--category", "2")
    assert "批次“2027”不在配置的整顿批次中（2025、2026）" in stderr
    assert "rounds" in stderr
    assert "认定日期 2025-03-01 早于 马家坪村 上一次的认定日期 2025-03-10" in refused(
        two_rounds, "org", "add", "马家坪村", "--round", "2026", "--designated", "2025-03-01",
        "--category", "2")
    assert "马家坪村 已登记的所属乡镇是 柳林乡，与 城关镇 不同" in refused(
        two_rounds, "org", "add", "马家坪村", "--township", "城关镇", "--designated",
        "2026-03-01", "--category", "2")
    assert "再次认定不能换简称" in refused(
        two_rounds, "org", "add", "马家坪村", "--slug", "mjp", "--designated", "2026-03-01",
        "--category", "2")
    assert "新村 是新登记的村(社区)，需要写明所属乡镇和类别" in refused(
        two_rounds, "org", "add", "新村", "--designated", "2026-03-01", "--category", "2")
    assert "写了 --approved-doc 文号，但没有写 --approved 日期" in refused(
        two_rounds, "org", "add", "新村", "--township", "柳林乡", "--kind", "村",
        "--designated", "2026-03-01", "--category", "2", "--approved-doc", "示常〔2026〕1号")
    assert "县委常委会审定日期 2026-12-01 晚于今天" in refused(
        two_rounds, "org", "add", "新村", "--township", "柳林乡", "--kind", "村",
        "--designated", "2026-03-01", "--category", "2", "--approved", "2026-12-01")


def test_a_config_without_rounds_cannot_designate(two_rounds: Path) -> None:
    config = two_rounds / "zhengdun.yaml"
    text = config.read_text("utf-8")
    config.write_text(text[:text.index("rounds:")], "utf-8")
    git(two_rounds, "commit", "-q", "-am", "no rounds")
    assert "配置中还没有整顿批次（rounds）" in refused(
        two_rounds, "org", "add", "新村", "--township", "柳林乡", "--kind", "村",
        "--designated", "2026-03-01", "--category", "2")


def test_reading_commands_work_on_one_round(two_rounds: Path) -> None:
    run = Run(two_rounds)
    ok(run("org", "add", "城东社区", "--round", "2026", "--designated", "2026-03-15",
           "--category", "10"))
    ok(run("add", "城东社区", "路灯损坏", "--category", "10", "--found", "2026-03-20",
           "--due", "2026-06-30", "--owner", "王五"))
    # today (2026-11-21) is in round 2026: 马家坪村, converted in 2025, is not weak any more
    board = json.loads(ok(run("board", "--json")))
    assert board["round"] == "2026"
    assert [(o["name"], o["problems"]) for o in board["organizations"]] == [("城东社区", 1)]
    board_2025 = json.loads(ok(run("board", "--json", "--round", "2025")))
    assert [(o["name"], o["stage"], o["problems"]) for o in board_2025["organizations"]] == [
        ("城东社区", "整顿中", 1), ("马家坪村", "已转化", 1)]
    listed = json.loads(ok(run("list", "--json")))
    assert [row["ref"] for row in listed["problems"]] == ["chengdong/2"]
    listed = json.loads(ok(run("list", "--json", "--round", "2025")))
    assert [row["ref"] for row in listed["problems"]] == ["chengdong/1", "majiaping/1"]
    # one organization: its own current round unless told
    assert [r["ref"] for r in json.loads(ok(run("list", "--org", "马家坪村", "--json")))
            ["problems"]] == ["majiaping/1"]
    shown = json.loads(ok(run("show", "城东社区", "--json")))
    assert (shown["round"], shown["rounds"]) == ("2026", ["2025", "2026"])
    assert [p["id"] for p in shown["problems"]] == [2]
    shown = json.loads(ok(run("show", "城东社区", "--json", "--round", "2025")))
    assert (shown["designated_on"], [p["id"] for p in shown["problems"]]) == ("2025-03-15", [1])
    # the bulletin counts the round in effect at the month's end
    october = json.loads(ok(run("bulletin", "--month", "2026-10", "--json")))
    assert (october["round"], october["totals"]["organizations"],
            october["totals"]["problems"]) == ("2026", 1, 1)
    last_year = json.loads(ok(run("bulletin", "--month", "2025-11", "--json")))
    assert (last_year["round"], last_year["totals"]["organizations"],
            last_year["totals"]["transformed"]) == ("2025", 2, 1)
    report = json.loads(ok(run("report", "summary", "--json", "--round", "2025")))
    assert [o["name"] for o in report["organizations"]] == ["城东社区", "马家坪村"]


def test_reading_a_round_that_is_not_there_is_refused(two_rounds: Path) -> None:
    stderr = refused(two_rounds, "board", "--round", "2030")
    assert "批次“2030”不在配置的整顿批次中" in stderr
    assert "配置中的批次：2025、2026" in stderr
    stderr = refused(two_rounds, "show", "马家坪村", "--round", "2026")
    assert "马家坪村 没有在批次 2026 认定过" in stderr
    assert "zhengdun org history majiaping" in stderr


def test_org_history_lists_every_round(two_rounds: Path) -> None:
    run = Run(two_rounds)
    ok(run("org", "add", "马家坪村", "--round", "2026", "--designated", "2026-03-10",
           "--category", "6"))
    history = json.loads(ok(run("org", "history", "马家坪村", "--json")))
    assert history["class"] == "转化后反复"
    assert [(r["round"], r["designated_on"], r["problems"], r["closed"], r["converted"])
            for r in history["rounds"]] == [("2025", "2025-03-10", 1, 1, True),
                                            ("2026", "2026-03-10", 0, 0, False)]
    assert history["rounds"][0]["chain"]["approved"] == {
        "label": "县委常委会审定", "on": "2025-03-20", "doc": "示常〔2025〕3号"}
    assert history["rounds"][0]["acceptances"][0]["grade"] == "合格"
    screen = ok(run("org", "history", "majiaping"))
    assert screen.startswith("马家坪村（majiaping）· 柳林乡 · 村 · 共认定 2 次 · 历年分类：转化后反复\n")
    assert "批次 2025：认定于 2025-03-10，类型 2，阶段 已转化\n  县委常委会审定 2025-03-20（示常〔2025〕3号）\n" in screen
    assert "  验收 2025-11-20 县委组织部：合格\n" in screen


def test_report_rounds_puts_each_organization_in_its_class(two_rounds: Path) -> None:
    run = Run(two_rounds)
    ok(run("org", "add", "马家坪村", "--round", "2026", "--designated", "2026-03-10",
           "--category", "6"))  # converted in 2025, designated again: 转化后反复
    ok(run("org", "add", "城东社区", "--round", "2026", "--designated", "2026-03-10",
           "--category", "10"))  # every round, never converted: 一直未转化
    ok(run("org", "add", "白土村", "--township", "青山乡", "--kind", "村", "--round", "2026",
           "--designated", "2026-03-10", "--category", "1"))  # only the later round: 由好变差
    ok(run("org", "add", "东营村", "--township", "青山乡", "--kind", "村", "--round", "2025",
           "--designated", "2025-03-10", "--category", "1"))
    ok(run("accept", "东营村", "--grade", "合格", "--by", "县委组织部", "--on", "2025-12-01"))
    ok(run("org", "add", "西关社区", "--township", "城关镇", "--kind", "社区", "--round",
           "2025", "--designated", "2025-03-10", "--category", "1"))  # neither
    report = json.loads(ok(run("report", "rounds", "--json")))
    assert report["rounds"] == ["2025", "2026"]
    classes = {o["name"]: o["class"] for o in report["organizations"]}
    assert classes == {"马家坪村": "转化后反复", "城东社区": "一直未转化", "白土村": "由好变差",
                       "东营村": "一次转化", "西关社区": "尚未转化"}
    text = ok(run("report", "rounds"))
    assert "# 示范县软弱涣散基层党组织历年整顿情况分析\n" in text
    assert "| 转化后反复 | 1 | 马家坪村（柳林乡） |" in text
    assert "| 由好变差 | 1 | 白土村（青山乡） |" in text
    assert "注：分类规则" in text and "转化后反复：在某一批次验收转化后，又在以后的批次被再次认定" in text


CHECKED = """\
schema_version: 2
name: 规则村
kind: 村
township: 城关镇
designations:
  - round: "2026"
    on: 2026-03-15
    categories:
      - "10"
    proposed:
      on: 2026-03-10
    approved:
      on: 2026-03-01
  - round: "2026"
    on: 2026-03-01
    categories:
      - "10"
  - round: "2030"
    on: 2026-04-01
    categories:
      - "10"
problems:
  - id: 1
    round: "2024"
    title: 批次不对
    category: "10"
    found_on: 2026-03-10
    due: 2026-06-30
    owner: 王五
"""


def test_check_finds_the_round_rules(two_rounds: Path) -> None:
    (two_rounds / "ledgers" / "guize.yaml").write_text(CHECKED, "utf-8")
    result: Any = Run(two_rounds)("check")
    assert result.exit_code == 1
    heads = [line for line in result.stdout.splitlines() if line.startswith("ledgers/")]
    assert heads == [
        "ledgers/guize.yaml:13:11: 错误：认定记录第1项·县委常委会审定·日期："
        "县委常委会审定日期 2026-03-01 早于乡镇党委提出日期 2026-03-10",
        "ledgers/guize.yaml:14:12: 错误：认定记录第2项·整顿批次：批次 2026 认定了两次",
        "ledgers/guize.yaml:15:9: 错误：认定记录第2项·日期：认定日期 2026-03-01 早于上一批次的认定日期 2026-03-15",
        "ledgers/guize.yaml:18:12: 错误：认定记录第3项·整顿批次：批次 2030 不在配置的整顿批次中",
        "ledgers/guize.yaml:24:12: 错误：问题清单第1项·整顿批次：批次 2024 没有认定记录",
        # the fixture's 马家坪村 has only a 第一书记: the seeds' 四个一 reminder, on its round
        "ledgers/majiaping.yaml:14:7: 提醒：认定记录第1项·责任清单：“四个一”力量未配齐："
        "缺包联县级领导、包村乡镇领导、结对帮扶单位",
    ]


def test_an_empty_document_number_is_refused(two_rounds: Path) -> None:
    assert "文号不能为空" in refused(
        two_rounds, "org", "add", "新村", "--township", "柳林乡", "--kind", "村",
        "--designated", "2026-03-01", "--category", "2", "--approved", "2026-03-01",
        "--approved-doc", " ")


def test_readme_second_year_session_runs(tmp_path: Path, demo_county: Path) -> None:
    """README's "第二年：新一批认定与迁移" block, in a copy of the demo county."""
    from test_readme import block, run_block

    shutil.copytree(demo_county, tmp_path / "演示县", symlinks=True)
    root = tmp_path / "演示县"
    before = int(git(root, "rev-list", "--count", "HEAD"))
    result = run_block(block("rounds"), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "README command failed" not in result.stderr
    out = result.stdout
    assert "马家坪村（majiaping）· 柳林乡 · 村 · 共认定 2 次 · 历年分类：转化后反复" in out
    report = (root / "历年整顿分析.md").read_text("utf-8")
    assert "| 转化后反复 | 2 | 后沟村（柳林乡）、马家坪村（柳林乡） |" in report
    assert "| 由好变差 | 1 | 白土村（青山乡） |" in report
    # config commit, designation, problem: three commits; the second batch holds 城东社区 only
    assert int(git(root, "rev-list", "--count", "HEAD")) == before + 3
    ledger = data(root, "chengdong")
    assert [d["round"] for d in ledger["designations"]] == ["2025", "2026", "2026-第二批"]
    assert ledger["problems"][-1]["round"] == "2026-第二批"
    board = json.loads(ok(Run(root)("board", "--json")))
    assert (board["round"], [o["name"] for o in board["organizations"]]) == (
        "2026-第二批", ["城东社区"])
    assert "批次 2026-第二批：认定于 2026-11-20" in out
    assert "工作区已是第2版格式，无需迁移，未作修改。" in out
    # the October bulletin of round 2026 is as before
    october = json.loads(ok(Run(root)("bulletin", "--month", "2026-10", "--json")))
    assert (october["round"], october["totals"]["organizations"]) == ("2026", 15)
