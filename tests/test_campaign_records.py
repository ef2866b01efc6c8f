"""Issue 11, the campaign's records: 延期 (extend), acceptance as practised (初验 → 复核, the
pass line and the 民主测评 veto, 重新整顿), the 巩固期 and its 回头看, 反弹, the seeds'
warnings (避重就轻, 四个一), and the rest of the three lists.

Every command runs through the CLI against a real workspace and real git; every refusal is
checked to leave files, index and history exactly as they were.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import Run, git
from test_cli_errors import refused
from test_cli_record import assert_one_commit, head, ledger_data, ok
from test_readme import block, commands, run_block


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "示范县台账"


def problem_of(root: Path, number: int = 1, slug: str = "chengdong") -> dict[str, Any]:
    problems: list[dict[str, Any]] = ledger_data(root, slug)["problems"]
    return next(p for p in problems if p["id"] == number)


def as_json(run: Run, *args: str) -> Any:
    return json.loads(ok(run(*args, "--json")))


# --------------------------------------------------------------------------- 延期 (extend)

EXTEND = ("extend", "chengdong/1", "--to", "2026-12-31", "--reason", "施工受雨季影响",
          "--approved-by", "县委组织部", "--on", "2026-06-25")


def test_extend_keeps_the_original_deadline_and_lists_every_extension(
        chengdong: Run, root: Path) -> None:
    before = head(root)
    out = ok(chengdong(*EXTEND))
    assert out.startswith("chengdong/1 整改时限延期至 2026-12-31（原时限 2026-06-30，第 1 次延期）")
    assert_one_commit(root, before, action="extend", ref="chengdong/1",
                      summary="延期至 2026-12-31：施工受雨季影响", files=["ledgers/chengdong.yaml"])
    second = as_json(chengdong, "extend", "城东社区/1", "--to", "2027-01-31", "--reason", "资金未到位",
                     "--approved-by", "县委组织部", "--on", "2026-11-20")
    assert second["extensions"] == 2 and second["due"] == "2026-06-30"
    problem = problem_of(root)
    assert problem["due"] == "2026-06-30"
    assert problem["extensions"] == [
        {"on": "2026-06-25", "to": "2026-12-31", "reason": "施工受雨季影响",
         "approved_by": "县委组织部"},
        {"on": "2026-11-20", "to": "2027-01-31", "reason": "资金未到位", "approved_by": "县委组织部"}]
    assert "还有" not in ok(chengdong("check"))


def test_overdue_is_judged_on_the_latest_extension(chengdong: Run, root: Path) -> None:
    overdue = as_json(chengdong, "list", "--overdue")
    assert [p["ref"] for p in overdue["problems"]] == ["chengdong/1"]  # due 2026-06-30
    ok(chengdong(*EXTEND))
    assert as_json(chengdong, "list", "--overdue")["problems"] == []
    assert as_json(chengdong, "list", "--overdue", "--as-of", "2026-07-05")["problems"] == []
    # judged on a day before the extension was approved, the old deadline holds
    late = as_json(chengdong, "list", "--as-of", "2026-06-24")["problems"][0]
    assert (late["deadline"], late["extensions"]) == ("2026-06-30", 0)
    after = as_json(chengdong, "list")["problems"][0]
    assert (after["due"], after["deadline"], after["extensions"]) == \
        ("2026-06-30", "2026-12-31", 1)


def test_the_bulletin_counts_extended_problems_and_says_so(chengdong: Run) -> None:
    ok(chengdong(*EXTEND))
    data = as_json(chengdong, "bulletin", "--month", "2026-06")
    assert (data["totals"]["extended"], data["totals"]["extended_in_month"]) == (1, 1)
    assert data["extended"][0]["extended_to"] == "2026-12-31"
    assert data["totals"]["overdue"] == 0
    text = ok(chengdong("bulletin", "--month", "2026-06"))
    assert "经批准延期的问题1个（本月批准延期1个），逾期按延期后的时限计算，原整改时限保留备查。" in text
    assert "延期" not in ok(chengdong("bulletin", "--month", "2026-05"))


@pytest.mark.parametrize(("args", "fragments"), [
    (["--to", "2026-06-30"], ["延期后的时限 2026-06-30 不晚于现在的整改时限 2026-06-30",
                              "延期只能推后时限"]),
    (["--to", "2026-05-01"], ["不晚于现在的整改时限"]),
    (["--on", "2026-03-01"], ["延期批准日期 2026-03-01 早于问题的发现日期 2026-03-10"]),
    (["--on", "2026-11-22"], ["延期批准日期 2026-11-22 晚于今天"]),
    (["--reason", " "], ["延期理由不能为空"]),
    (["--approved-by", ""], ["批准人不能为空"]),
], ids=["same-day", "earlier", "before-found", "future", "no-reason", "no-approver"])
def test_extend_refusals(chengdong: Run, root: Path, args: list[str],
                         fragments: list[str]) -> None:
    base = {"--to": "2026-12-31", "--reason": "理由", "--approved-by": "县委组织部",
            "--on": "2026-06-25"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    refused(chengdong, root, ["extend", "chengdong/1", *[w for kv in base.items() for w in kv]],
            fragments)


def test_extend_refuses_a_closed_problem_and_a_second_extension_not_later(
        chengdong: Run, root: Path) -> None:
    ok(chengdong(*EXTEND))
    refused(chengdong, root, ["extend", "chengdong/1", "--to", "2026-12-01", "--reason", "再延",
                              "--approved-by", "县委组织部"],
            ["延期后的时限 2026-12-01 不晚于现在的整改时限 2026-12-31"])
    ok(chengdong("close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-07-01"))
    refused(chengdong, root, ["extend", "chengdong/1", "--to", "2027-03-31", "--reason", "再延",
                              "--approved-by", "县委组织部"],
            ["chengdong/1 已于 2026-07-01 销号，不需要延期"])
    refused(chengdong, root, ["extend", "chengdong/9", "--to", "2027-03-31", "--reason", "再延",
                              "--approved-by", "县委组织部"], ["没有 9 号问题"])


def test_check_reports_an_extension_that_does_not_extend(chengdong: Run, root: Path) -> None:
    ok(chengdong(*EXTEND))
    path = root / "ledgers" / "chengdong.yaml"
    path.write_text(path.read_text("utf-8").replace("to: 2026-12-31", "to: 2026-06-01"), "utf-8")
    result: Any = chengdong("check")
    assert result.exit_code == 1
    assert "延期记录第1项·延期至：延期后的时限 2026-06-01 不晚于现在的整改时限 2026-06-30" \
        in result.stdout


def test_a_hand_edited_due_is_an_audit_finding(chengdong: Run, root: Path) -> None:
    path = root / "ledgers" / "chengdong.yaml"
    path.write_text(path.read_text("utf-8").replace("due: 2026-06-30", "due: 2026-12-31"),
                    "utf-8")
    ok(chengdong("commit", "-m", "更正整改时限"))
    result: Any = chengdong("audit", "--json")
    findings = json.loads(result.stdout)["findings"]
    edited = [f for f in findings if f["kind"] == "due_edited"]
    assert len(edited) == 1 and edited[0]["serious"] and edited[0]["ref"] == "chengdong/1"
    assert "整改时限 2026-06-30 → 2026-12-31" in edited[0]["message"]
    assert "zhengdun extend" in edited[0]["message"]


def test_an_extension_is_no_audit_finding_and_shows_in_the_diff(chengdong: Run,
                                                                 root: Path) -> None:
    ok(chengdong(*EXTEND))
    findings = json.loads(chengdong("audit", "--json").stdout)["findings"]  # type: ignore[attr-defined]
    assert [f for f in findings if f["serious"]] == []
    changes = as_json(chengdong, "diff", "HEAD~1", "HEAD")
    kinds = [c["kind"] for org in changes["organizations"] for c in org["changes"]]
    assert kinds == ["extension_added"], changes


# --------------------------------------------------------------------------- 验收 (accept)

FORCES = ("org", "set", "城东社区", "--county-leader", "张三", "--township-lead", "李四",
          "--first-secretary", "赵六", "--paired-unit", "县住建局")
CLOSE = ("close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-07-01")
CHECK = ("accept", "chengdong", "--stage", "初验", "--by", "城关镇党委", "--on", "2026-09-10")
REVIEW = ("accept", "chengdong", "--stage", "复核", "--by", "县委组织部", "--on", "2026-09-20")


def stage(run: Run, *args: str) -> str:
    result: str = as_json(run, "show", "chengdong", *args)["summary"]["stage"]
    return result


def with_standard(run: Run, root: Path, text: str) -> None:
    """Add ``text`` (YAML) to zhengdun.yaml and record it as a hand edit."""
    config = root / "zhengdun.yaml"
    config.write_text(config.read_text("utf-8") + text, "utf-8")
    ok(run("commit", "-m", "验收标准"))


def test_only_the_county_review_converts(chengdong: Run, root: Path) -> None:
    ok(chengdong(*CLOSE))
    before = head(root)
    out = as_json(chengdong, *CHECK, "--grade", "合格", "--score", "88")
    assert (out["stage"], out["converted"]) == ("整顿中", False)
    assert_one_commit(root, before, action="accept", ref="chengdong", summary="初验合格",
                      files=["ledgers/chengdong.yaml"])
    assert stage(chengdong) == "整顿中"
    said = ok(chengdong(*REVIEW, "--grade", "合格", "--score", "86", "--satisfied", "40",
                        "--basic", "8", "--unsatisfied", "2"))
    assert said.startswith("已记录 城东社区 的复核：合格（2026-09-20），现为已转化")
    assert stage(chengdong) == "已转化"
    assert stage(chengdong, "--as-of", "2026-09-15") == "整顿中"
    assert ledger_data(root)["acceptances"] == [
        {"round": "2026", "on": "2026-09-10", "by": "城关镇党委", "stage": "初验", "grade": "合格",
         "score": 88},
        {"round": "2026", "on": "2026-09-20", "by": "县委组织部", "stage": "复核", "grade": "合格",
         "score": 86,
         "satisfied": 40, "basically_satisfied": 8, "unsatisfied": 2}]
    assert as_json(chengdong, "bulletin", "--month", "2026-09")["totals"]["transformed"] == 1


def test_an_acceptance_without_a_stage_is_the_county_verdict(chengdong: Run) -> None:
    """As v1 files recorded it: the first wave's ``accept`` keeps its meaning."""
    ok(chengdong(*CLOSE))
    ok(chengdong("accept", "chengdong", "--grade", "合格", "--by", "县委组织部",
                 "--on", "2026-09-20"))
    assert stage(chengdong) == "已转化"


@pytest.mark.parametrize(("earlier", "fragments"), [
    ([], ["复核日期 2026-09-20 之前没有乡镇初验（先初验、后复核）"]),
    ([("不合格", "2026-09-10")], ["先初验、后复核", "最近一次初验为不合格"]),
    ([("合格", "2026-09-25")], ["先初验、后复核"]),  # the 初验 came after
], ids=["none", "failed", "later"])
def test_a_review_needs_a_township_check_first(chengdong: Run, root: Path,
                                               earlier: list[tuple[str, str]],
                                               fragments: list[str]) -> None:
    ok(chengdong(*CLOSE))
    for grade, day in earlier:
        ok(chengdong("accept", "chengdong", "--stage", "初验", "--grade", grade,
                     "--by", "城关镇党委", "--on", day))
    refused(chengdong, root, [*REVIEW, "--grade", "合格"], fragments)


def test_a_second_review_needs_a_new_township_check(chengdong: Run, root: Path) -> None:
    ok(chengdong(*CHECK, "--grade", "基本合格"))
    ok(chengdong(*REVIEW, "--grade", "基本合格"))
    assert stage(chengdong) == "巩固提升"
    refused(chengdong, root, ["accept", "chengdong", "--stage", "复核", "--grade", "基本合格",
                              "--by", "县委组织部", "--on", "2026-10-20"], ["先初验、后复核"])


@pytest.mark.parametrize(("grade", "score", "fragments"), [
    ("合格", "65", ["得分 65 低于合格分数线 70，不能评为合格（合格分数线）"]),
    ("不合格", "80", ["得分 80 按合格分数线 70应为合格，与等次“不合格”不符"]),
    ("基本合格", "92", ["应为合格"]),
], ids=["pass-below-line", "fail-above-line", "basic-above-line"])
def test_a_grade_contradicting_the_pass_line_is_refused(chengdong: Run, root: Path, grade: str,
                                                        score: str,
                                                        fragments: list[str]) -> None:
    with_standard(chengdong, root, "acceptance:\n  pass_score: 70\n")
    ok(chengdong(*CLOSE))
    refused(chengdong, root, [*CHECK, "--grade", grade, "--score", score], fragments)
    ok(chengdong(*CHECK, "--grade", "基本合格", "--score", "65"))  # below the line: either


def test_a_line_for_basic_pass_decides_the_lower_grades(chengdong: Run, root: Path) -> None:
    with_standard(chengdong, root, "acceptance:\n  pass_score: 80\n  basic_score: 60\n")
    refused(chengdong, root, [*CHECK, "--grade", "基本合格", "--score", "55"],
            ["得分 55 按合格分数线 80、基本合格分数线 60应为不合格，与等次“基本合格”不符"])
    ok(chengdong(*CHECK, "--grade", "基本合格", "--score", "60"))


def test_without_a_pass_line_the_score_is_not_weighed(chengdong: Run) -> None:
    ok(chengdong(*CLOSE))
    ok(chengdong(*CHECK, "--grade", "合格", "--score", "30"))


def test_more_than_half_unsatisfied_fails_outright(chengdong: Run, root: Path) -> None:
    ok(chengdong(*CLOSE))
    refused(chengdong, root, [*CHECK, "--grade", "合格", "--satisfied", "10", "--basic", "4",
                              "--unsatisfied", "15"],
            ["民主测评不满意 15 票，占 51.7%，超过 50%，按“不满意票否决”规则应为不合格，不能评为合格"])
    ok(chengdong(*CHECK, "--grade", "基本合格", "--satisfied", "10", "--basic", "5",
                 "--unsatisfied", "15"))  # exactly half: no veto
    with_standard(chengdong, root, "acceptance:\n  veto_unsatisfied_share: 0.3\n")
    refused(chengdong, root, [*CHECK, "--grade", "基本合格", "--satisfied", "10",
                              "--unsatisfied", "5"], ["超过 30%", "不满意票否决"])
    ok(chengdong(*CHECK, "--grade", "不合格", "--satisfied", "10", "--unsatisfied", "5"))


@pytest.mark.parametrize(("args", "fragments"), [
    (["--stage", "终验", "--grade", "合格"], ["验收环节“终验”不对", "应为 初验、复核 之一"]),
    (["--grade", "不合格", "--unsatisfied", "-1"], ["民主测评票数不能为负数"]),
    (["--grade", "基本合格", "--redo-by", "2026-12-31"],
     ["只有验收不合格才需要重新整顿时限（--redo-by），本次等次为基本合格"]),
    (["--grade", "不合格", "--redo-by", "2026-09-10"], ["重新整顿时限 2026-09-10 不晚于验收日期 2026-09-10"]),
], ids=["stage", "negative-count", "redo-not-failed", "redo-not-later"])
def test_accept_refusals(chengdong: Run, root: Path, args: list[str],
                         fragments: list[str]) -> None:
    refused(chengdong, root, ["accept", "chengdong", "--by", "城关镇党委", "--on", "2026-09-10",
                              *args], fragments)


def test_a_failed_review_sets_the_deadline_the_bulletin_follows(chengdong: Run,
                                                               root: Path) -> None:
    ok(chengdong(*CHECK, "--grade", "基本合格"))
    ok(chengdong(*REVIEW, "--grade", "不合格", "--redo-by", "2026-10-31"))
    assert stage(chengdong) == "重新整顿"
    assert ledger_data(root)["acceptances"][-1]["redo_by"] == "2026-10-31"
    october = as_json(chengdong, "bulletin", "--month", "2026-10")
    assert october["totals"]["redo"] == 1 and october["totals"]["redo_overdue"] == 0
    assert october["redo"][0]["redo_by"] == "2026-10-31"
    assert "重新整顿时限已过" not in ok(chengdong("bulletin", "--month", "2026-10"))
    november = as_json(chengdong, "bulletin", "--month", "2026-11")  # counted to today, 11-21
    assert november["totals"]["redo_overdue"] == 1
    assert november["redo"][0]["days_overdue"] == 21
    text = ok(chengdong("bulletin", "--month", "2026-11"))
    assert "以下1个村(社区)验收不合格后，重新整顿时限已过：城关镇城东社区（时限2026年10月31日，" \
           "尚有未销号问题1个）。" in text
    assert "验收不合格、重新整顿1个" in text


# --------------------------------------------------------------------------- 巩固期, 反弹


@pytest.fixture
def converted(chengdong: Run) -> Run:
    """城东社区 with its forces, its one problem closed, 初验 and 复核 合格 on 2026-09-20."""
    ok(chengdong(*FORCES))
    ok(chengdong(*CLOSE))
    ok(chengdong(*CHECK, "--grade", "合格"))
    ok(chengdong(*REVIEW, "--grade", "合格"))
    return chengdong


def board_row(run: Run, *args: str) -> dict[str, Any]:
    row: dict[str, Any] = as_json(run, "board", *args)["organizations"][0]
    return row


def test_review_visits_are_due_quarterly_after_conversion(converted: Run) -> None:
    row = board_row(converted)
    assert (row["review_due"], row["marks"]) == ("2026-12-20", [])
    late = board_row(converted, "--as-of", "2027-01-05")
    assert late["marks"] == ["回头看逾期"]
    ok(converted("visit", "城东社区", "--kind", "回头看", "--by", "城关镇党委", "--on", "2026-11-20",
                 "停车位使用正常"))
    assert board_row(converted)["review_due"] == "2027-02-20"
    assert board_row(converted, "--as-of", "2027-01-05")["marks"] == []
    text = ok(converted("board", "--as-of", "2027-03-01"))
    assert "已转化·回头看逾期" in text


def test_the_bulletin_names_overdue_review_visits(converted: Run, root: Path) -> None:
    with_standard(converted, root, "consolidation:\n  review_months: 1\n")
    data = as_json(converted, "bulletin", "--month", "2026-10")
    assert data["totals"]["reviews_overdue"] == 1
    assert data["reviews_overdue"][0] | {} == {
        "org": "chengdong", "org_name": "城东社区", "township": "城关镇",
        "converted_on": "2026-09-20", "review_due": "2026-10-20", "days_overdue": 11}
    text = ok(converted("bulletin", "--month", "2026-10"))
    assert "以下1个已转化的村(社区)巩固期内回头看逾期未开展：城关镇城东社区（应于2026年10月20日前开展）。" in text
    assert as_json(converted, "bulletin", "--month", "2026-09")["reviews_overdue"] == []


def test_no_review_is_due_once_the_consolidation_period_is_covered(converted: Run,
                                                                   root: Path) -> None:
    with_standard(converted, root, "consolidation:\n  period_months: 2\n  review_months: 1\n")
    assert board_row(converted, "--as-of", "2026-10-25")["marks"] == ["回头看逾期"]
    ok(converted("visit", "城东社区", "--kind", "回头看", "--by", "城关镇党委", "--on", "2026-10-22",
                 "正常"))
    # the next would be 2026-11-22, after the period's end (2026-11-20)
    row = board_row(converted)
    assert (row["review_due"], row["marks"]) == (None, [])


def test_a_reopened_problem_in_a_converted_organization_is_a_relapse(converted: Run) -> None:
    assert stage(converted) == "已转化"
    ok(converted("reopen", "chengdong/1", "--reason", "回头看发现新增车位被占用", "--on", "2026-11-20"))
    assert stage(converted) == "反弹"
    assert stage(converted, "--as-of", "2026-11-19") == "已转化"
    november = as_json(converted, "bulletin", "--month", "2026-11")["totals"]
    assert (november["transformed"], november["relapsed"]) == (0, 1)
    assert "转化后又出现反弹1个" in ok(converted("bulletin", "--month", "2026-11"))
    assert board_row(converted)["stage"] == "反弹"
    ok(converted("close", "chengdong/1", "--result", "清理占用车位", "--on", "2026-11-21"))
    assert stage(converted) == "已转化"


# --------------------------------------------------------------------------- seed rules



def test_a_designated_category_without_a_problem_is_evasive(chengdong: Run, root: Path) -> None:
    ok(chengdong(*FORCES))
    assert board_row(chengdong)["marks"] == []
    assert "提醒" not in ok(chengdong("check"))
    ok(chengdong("org", "set", "城东社区", "--category", "10", "--category", "7"))
    result: Any = chengdong("check")
    assert result.exit_code == 0  # a warning, not an error
    assert "ledgers/chengdong.yaml:10:9: 提醒：认定记录第1项·软弱涣散类型第2项：认定类型 7 没有登记对应的问题（避重就轻）" \
        in result.stdout
    assert board_row(chengdong)["marks"] == ["避重就轻"]
    assert "社区 │ 10、7 │ 整顿中·避重就轻" in ok(chengdong("board"))
    ok(chengdong("add", "城东社区", "财务公开不及时", "--category", "7", "--due", "2026-12-31",
                 "--owner", "王五", "--found", "2026-11-01"))
    assert board_row(chengdong)["marks"] == []
    # judged as of a day before that problem was found, the mark is back
    assert board_row(chengdong, "--as-of", "2026-10-01")["marks"] == ["避重就轻"]


def test_forces_not_assigned_are_a_board_mark_and_when_begun_a_check_warning(
        chengdong: Run) -> None:
    assert board_row(chengdong)["marks"] == ["四个一不全"]
    assert "提醒" not in ok(chengdong("check"))  # a 责任清单 not begun: the board's mark only
    ok(chengdong("org", "set", "城东社区", "--first-secretary", "赵六"))
    result: Any = chengdong("check")
    assert result.exit_code == 0
    assert "ledgers/chengdong.yaml:11:7: 提醒：认定记录第1项·责任清单：“四个一”力量未配齐：缺包联县级领导、包村乡镇领导、结对帮扶单位" in result.stdout
    assert json.loads(chengdong("check", "--json").stdout)["findings"][0]["severity"] \
        == "warning"  # type: ignore[attr-defined]
    ok(chengdong(*FORCES))
    assert board_row(chengdong)["marks"] == []
    assert "提醒" not in ok(chengdong("check"))


# --------------------------------------------------------------------------- the three lists


def test_the_first_secretary_s_unit_and_dates_of_service(chengdong: Run, root: Path) -> None:
    before = head(root)
    ok(chengdong("org", "set", "城东社区", "--first-secretary", "赵六",
                 "--first-secretary-unit", "县住建局", "--first-secretary-since", "2026-03-20",
                 "--first-secretary-until", "2028-03-19"))
    assert_one_commit(root, before, action="org-set", ref="chengdong",
                      summary="第一书记、第一书记派出单位、第一书记驻村起始日期、第一书记驻村结束日期",
                      files=["ledgers/chengdong.yaml"])
    assert ledger_data(root)["designations"][-1]["responsibility"] == {
        "first_secretary": "赵六", "first_secretary_unit": "县住建局",
        "first_secretary_since": "2026-03-20", "first_secretary_until": "2028-03-19"}
    report = ok(chengdong("report", "ledger", "--org", "chengdong"))
    assert "| 第一书记 | 赵六（派出单位：县住建局），2026年3月20日起至2028年3月19日 |" in report
    refused(chengdong, root, ["org", "set", "城东社区", "--first-secretary-until", "2026-01-01"],
            ["第一书记驻村结束日期 2026-01-01 早于起始日期 2026-03-20"])
    refused(chengdong, root, ["org", "set", "城东社区", "--first-secretary-since", "2026-11-22"],
            ["第一书记驻村起始日期 2026-11-22 晚于今天"])


def test_a_measure_may_carry_its_owner_and_deadline(chengdong: Run, root: Path) -> None:
    path = root / "ledgers" / "chengdong.yaml"
    text = path.read_text("utf-8")
    assert "      - 协调物业新增停车位\n" in text
    path.write_text(text.replace("      - 协调物业新增停车位\n",
                                 "      - 协调物业新增停车位\n"
                                 "      - text: 施划临时停车位\n        owner: 李四\n"
                                 "        due: 2026-05-31\n"), "utf-8")
    ok(chengdong("commit", "-m", "任务清单写明责任人和时限"))
    shown = ok(chengdong("show", "chengdong"))
    assert "措施：协调物业新增停车位" in shown
    assert "措施：施划临时停车位（责任人李四，时限2026-05-31）" in shown
    report = ok(chengdong("report", "ledger", "--org", "chengdong"))
    assert "整改措施：协调物业新增停车位；施划临时停车位（责任人李四，时限2026年5月31日）" in report
    # the fast path and the full path both still record on such a file
    ok(chengdong("step", "chengdong/1", "划线完成", "--on", "2026-05-30"))
    path.write_text(path.read_text("utf-8").replace("due: 2026-05-31", "due: 2026-03-01"),
                    "utf-8")
    result: Any = chengdong("check")
    assert result.exit_code == 1
    assert "整改措施第2项·整改时限：措施时限 2026-03-01 早于发现日期 2026-03-10" in result.stdout


# --------------------------------------------------------------------------- 整改通知书 / 督办单

NOTICE = ("notice", "issue", "城东社区", "整改进度滞后，限期整改", "--number", "示组督〔2026〕3号",
          "--kind", "督办单", "--reply-by", "2026-10-31", "--on", "2026-10-20")


def test_a_notice_is_issued_and_its_reply_recorded(chengdong: Run, root: Path) -> None:
    ok(chengdong(*FORCES))
    before = head(root)
    issued = as_json(chengdong, *NOTICE)
    assert issued["reply_by"] == "2026-10-31"
    assert_one_commit(root, before, action="notice", ref="chengdong",
                      summary="督办单 示组督〔2026〕3号", files=["ledgers/chengdong.yaml"])
    assert ledger_data(root)["notices"] == [
        {"number": "示组督〔2026〕3号", "kind": "督办单", "on": "2026-10-20",
         "reply_by": "2026-10-31", "text": "整改进度滞后，限期整改"}]
    assert board_row(chengdong, "--as-of", "2026-10-31")["marks"] == []
    assert board_row(chengdong)["marks"] == ["通知书逾期未回复"]
    november = as_json(chengdong, "bulletin", "--month", "2026-11")  # counted to today, 11-21
    assert [(r["number"], r["days_overdue"]) for r in november["notices_unanswered"]] == [
        ("示组督〔2026〕3号", 21)]
    assert "以下1份整改通知书（督办单）超过回复期限未回复：城关镇城东社区（示组督〔2026〕3号，" \
           "限2026年10月31日前回复）。" in ok(chengdong("bulletin", "--month", "2026-11"))
    before = head(root)
    said = ok(chengdong("notice", "reply", "chengdong", "示组督〔2026〕3号", "已制定整改方案",
                        "--on", "2026-11-05"))
    assert said.startswith("已记录 城东社区 对 示组督〔2026〕3号 的回复（2026-11-05），已超过回复期限")
    assert_one_commit(root, before, action="notice-reply", ref="chengdong",
                      summary="示组督〔2026〕3号 回复", files=["ledgers/chengdong.yaml"])
    assert ledger_data(root)["notices"][0]["reply"] == {"on": "2026-11-05", "text": "已制定整改方案"}
    assert board_row(chengdong)["marks"] == []
    assert as_json(chengdong, "bulletin", "--month", "2026-11")["notices_unanswered"] == []
    findings = json.loads(chengdong("audit", "--json").stdout)["findings"]  # type: ignore[attr-defined]
    assert [f for f in findings if f["serious"]] == []
    assert "提醒" not in ok(chengdong("check"))


@pytest.mark.parametrize(("args", "fragments"), [
    (["--kind", "通报"], ["类别“通报”不对", "整改通知书、督办单"]),
    (["--reply-by", "2026-10-19"], ["回复期限 2026-10-19 早于发出日期 2026-10-20"]),
    (["--number", " "], ["文号不能为空"]),
    (["--on", "2026-11-22"], ["发出日期 2026-11-22 晚于今天"]),
], ids=["kind", "reply-before", "no-number", "future"])
def test_notice_refusals(chengdong: Run, root: Path, args: list[str],
                         fragments: list[str]) -> None:
    words = list(NOTICE)
    for flag, value in zip(args[::2], args[1::2], strict=True):
        words[words.index(flag) + 1] = value
    refused(chengdong, root, words, fragments)


def test_reply_refusals(chengdong: Run, root: Path) -> None:
    ok(chengdong(*NOTICE))
    refused(chengdong, root, [*NOTICE[:-2], "--on", "2026-10-21"],
            ["文号“示组督〔2026〕3号”已经用过（一个文号只对应一份通知书）"])
    refused(chengdong, root, ["notice", "reply", "chengdong", "示组督〔2026〕9号", "已整改"],
            ["城东社区（chengdong）没有文号为“示组督〔2026〕9号”的通知书", "示组督〔2026〕3号"])
    refused(chengdong, root, ["notice", "reply", "chengdong", "示组督〔2026〕3号", "已整改",
                              "--on", "2026-10-19"],
            ["回复日期 2026-10-19 早于通知书发出日期 2026-10-20"])
    ok(chengdong("notice", "reply", "chengdong", "示组督〔2026〕3号", "已整改", "--on", "2026-10-25"))
    refused(chengdong, root, ["notice", "reply", "chengdong", "示组督〔2026〕3号", "再次回复"],
            ["示组督〔2026〕3号 已于 2026-10-25 回复，不能重复记录回复"])


def test_show_lists_notices_and_the_stage_of_acceptances(chengdong: Run) -> None:
    ok(chengdong(*NOTICE))
    ok(chengdong(*CHECK, "--grade", "基本合格"))
    shown = ok(chengdong("show", "chengdong"))
    assert "整改通知书、督办单" in shown and "未回复" in shown and "示组督〔2026〕3号" in shown
    assert "初验基本合格" in shown


def test_check_reminds_of_a_due_changed_by_hand_before_it_is_recorded(
        chengdong: Run, root: Path) -> None:
    path = root / "ledgers" / "chengdong.yaml"
    path.write_text(path.read_text("utf-8").replace("due: 2026-06-30", "due: 2026-12-31"),
                    "utf-8")
    result: Any = chengdong("check")
    assert result.exit_code == 0
    assert ("提醒：问题清单第1项·整改时限：问题信息变更 chengdong/1：整改时限 2026-06-30 → 2026-12-31："
            "整改时限被手工修改，记录后将是审计发现的问题") in result.stdout
    assert "延期请用 zhengdun extend chengdong/1" in result.stdout
    git(root, "checkout", "--", "ledgers/chengdong.yaml")
    assert "整改时限被手工修改" not in ok(chengdong("check"))


# --------------------------------------------------------------------------- README


def test_readme_campaign_block_runs(tmp_path: Path, demo_county: Path) -> None:
    """README's 延期、验收、巩固期与督办 block, in a copy of the demo county: each command one
    commit, and the board and the bulletin say what it recorded."""
    shutil.copytree(demo_county, tmp_path / "演示县", symlinks=True)
    code = block("campaign")
    recording = [c for c in commands(code) if c.split()[1] not in ("board", "bulletin")
                 and not c.startswith("cd ")]
    result = run_block(code, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    log = subprocess.run(["git", "log", f"-{len(recording)}", "--format=%s"],
                         cwd=tmp_path / "演示县", capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert [line.split()[0] for line in reversed(log)] == [
        "extend", "accept", "accept", "visit", "reopen", "notice"]
    assert "反弹" in result.stdout and "整顿中·通知书逾期未回复" in result.stdout
    assert "经批准延期的问题1个" in result.stdout
    assert "转化后又出现反弹1个" in result.stdout
    assert "以下1份整改通知书（督办单）超过回复期限未回复：柳林乡马家坪村" in result.stdout


# --------------------------------------------------------------------------- the rules, plain


def test_is_converted_reads_the_county_reviews_only() -> None:
    from zhengdun.rules import is_converted, org_stage

    assert not is_converted([])
    assert not is_converted([("初验", "合格")])
    assert is_converted([("初验", "合格"), ("复核", "合格")])
    assert is_converted([(None, "合格")])  # v1: the county's verdict
    assert not is_converted([("复核", "合格"), ("复核", "不合格")])
    assert is_converted([("复核", "合格"), ("初验", "不合格")])  # a later 初验 changes nothing
    assert org_stage([("复核", "合格")], relapsed=True) == "反弹"
    assert org_stage([("复核", "基本合格")], relapsed=True) == "巩固提升"
    assert org_stage([("初验", "合格")], relapsed=False) == "整顿中"


def test_months_and_the_review_rhythm() -> None:
    from datetime import date

    from zhengdun.rules import add_months, review_due

    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    converted = date(2026, 9, 20)
    assert review_due(converted, [], 12, 3) == date(2026, 12, 20)
    assert review_due(converted, [date(2026, 11, 1)], 12, 3) == date(2027, 2, 1)
    assert review_due(converted, [date(2027, 7, 1)], 12, 3) is None  # 2027-10-01 > 2027-09-20
    assert review_due(converted, [date(2027, 6, 20)], 12, 3) == date(2027, 9, 20)  # the last day


def test_the_seed_rules() -> None:
    from zhengdun.rules import evasive_categories, forces_incomplete, missing_forces

    assert evasive_categories(["2", "10"], []) == []  # no problem list yet
    assert evasive_categories(["2", "10"], ["2", "7"]) == ["10"]
    assert missing_forces({}) == ["包联县级领导", "包村乡镇领导", "第一书记", "结对帮扶单位"]
    assert forces_incomplete({}) == []
    assert forces_incomplete({"first_secretary": "赵六", "paired_units": []}) == [
        "包联县级领导", "包村乡镇领导", "结对帮扶单位"]
    full = {"county_leader": "张三", "township_lead": "李四", "first_secretary": "赵六",
            "paired_units": ["县住建局"]}
    assert missing_forces(full) == [] and forces_incomplete(full) == []
