"""Issue 11, the campaign's records: 延期 (extend), acceptance as practised (初验 → 复核, the
pass line and the 民主测评 veto, 重新整顿), the 巩固期 and its 回头看, 反弹, the seeds'
warnings (避重就轻, 四个一), and the rest of the three lists.

Every command runs through the CLI against a real workspace and real git; every refusal is
checked to leave files, index and history exactly as they were.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import Run, git
from test_cli_errors import refused
from test_cli_record import assert_one_commit, head, ledger_data, ok


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
