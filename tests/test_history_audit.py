"""``zhengdun audit``: can the history be trusted?

A history made only by zhengdun commands (an undo included) is clean. Every tampering below is
done by hand with plain git, the way someone covering their tracks would do it, and must be
caught as the right kind, on the right ref, in the right commit.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import Dated, build_scripted, copy_scripted, git

CHENGDONG = "ledgers/chengdong.yaml"
XILING = "ledgers/xiling.yaml"
TAMPER = "2026-10-05T10:00:00+08:00"


def as_json(result: Any, code: int) -> dict[str, Any]:
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (old, text)
    path.write_text(text.replace(old, new), encoding="utf-8")


def sha(name: str) -> str:
    """The sha256 zhengdun records for a file made by :func:`evidence`."""
    return hashlib.sha256(f"照片 {name}".encode()).hexdigest()


def evidence(d: Dated, name: str) -> str:
    (d.root / "evidence" / name).write_bytes(f"照片 {name}".encode())
    return f"evidence/{name}"


def script(d: Dated) -> None:
    """A clean history, September to October 2026, only zhengdun commands."""
    d("2026-09-05T10:00:00+08:00", "org", "add", "城东社区", "--township", "城关镇",
      "--kind", "社区", "--designated", "2026-09-01", "--category", "10")
    d("2026-09-05T11:00:00+08:00", "org", "add", "西岭村", "--township", "柳河乡",
      "--kind", "村", "--designated", "2026-09-01", "--category", "4", "--slug", "xiling")
    d("2026-09-10T10:00:00+08:00", "add", "城东社区", "小区停车位不足", "--category", "10",
      "--found", "2026-09-10", "--due", "2026-10-31", "--owner", "王五")
    d("2026-09-10T11:00:00+08:00", "add", "城东社区", "活动场所被占用", "--category", "9",
      "--found", "2026-09-10", "--due", "2026-11-30", "--owner", "赵六")
    d("2026-09-15T10:00:00+08:00", "step", "chengdong/1", "召开居民议事会", "--on", "2026-09-15",
      "--evidence", evidence(d, "议事会.jpg"))
    d("2026-09-20T10:00:00+08:00", "close", "chengdong/1", "--result", "新增停车位120个",
      "--on", "2026-09-20", "--verified-by", "城关镇党委", "--evidence", evidence(d, "停车场.jpg"))
    d("2026-09-22T10:00:00+08:00", "visit", "城东社区", "--kind", "督查", "--by", "县委组织部",
      "进度偏慢", "--on", "2026-09-22")
    d("2026-09-23T10:00:00+08:00", "visit", "城东社区", "--kind", "约谈", "--by", "县委组织部",
      "记错了", "--on", "2026-09-23")
    d("2026-09-23T11:00:00+08:00", "undo", "--yes")
    d("2026-09-25T10:00:00+08:00", "add", "西岭村", "三会一课不落实", "--category", "4",
      "--found", "2026-09-25", "--due", "2026-10-31", "--owner", "李四")
    d("2026-09-28T10:00:00+08:00", "close", "xiling/1", "--result", "恢复三会一课",
      "--on", "2026-09-28", "--verified-by", "柳河乡党委", "--evidence", evidence(d, "会议记录.pdf"))
    d("2026-09-30T10:00:00+08:00", "accept", "西岭村", "--grade", "合格", "--by", "县委组织部",
      "--on", "2026-09-30", "--score", "92")
    d("2026-10-01T10:00:00+08:00", "org", "set", "城东社区", "--county-leader", "张三")
    replace_in(d.root / CHENGDONG, "owner: 赵六", "owner: 钱七")
    d("2026-10-02T10:00:00+08:00", "commit", "-m", "更正2号问题责任人")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scripted county, built once; tests work on copies."""
    return build_scripted(tmp_path_factory, "history-audit", script)


@pytest.fixture
def county(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dated:
    return copy_scripted(built, tmp_path, monkeypatch)


def tamper(d: Dated, message: str = "调整台账") -> str:
    """Commit whatever was edited with plain ``git commit -am``; the new commit id."""
    d.mp.setenv("GIT_AUTHOR_NAME", "某人")
    d.when(TAMPER)
    git(d.root, "commit", "-qam", message)
    return git(d.root, "rev-parse", "HEAD").strip()


def serious(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((f["kind"], f["ref"], f["commit"]) for f in data["findings"] if f["serious"])


def only(data: dict[str, Any], kind: str) -> dict[str, Any]:
    found = [f for f in data["findings"] if f["kind"] == kind]
    assert len(found) == 1, data["findings"]
    return found[0]


def outside(commit: str, path: str = CHENGDONG) -> tuple[str, str, str]:
    return ("outside", path, commit)


# --------------------------------------------------------------------------- clean


def test_a_history_made_by_zhengdun_is_clean(county: Dated) -> None:
    subjects = git(county.root, "log", "--format=%s").splitlines()
    assert any(s.startswith("undo chengdong") for s in subjects)
    data = as_json(county.run("audit", "--json"), 0)
    assert data == {"since": None, "commits": 15, "backfill_days": 7, "shallow": False,
                    "serious": 0, "hints": 0, "counts": {}, "findings": [], "witnesses": []}
    result = county.run("audit")
    assert result.exit_code == 0, result.output
    assert result.stdout == "审查了全部的 15 次台账提交。\n历史记录完整，没有发现问题。\n"


def test_json_shape(county: Dated) -> None:
    replace_in(county.root / CHENGDONG, "result: 新增停车位120个", "result: 新增停车位200个")
    commit = tamper(county)
    data = as_json(county.run("audit", "--json"), 1)
    assert set(data) == {"since", "commits", "backfill_days", "shallow", "serious", "hints",
                         "counts", "findings", "witnesses"}
    assert data["commits"] == 16
    assert data["serious"] == 2
    assert data["counts"] == {"altered": 1, "outside": 1}
    for finding in data["findings"]:
        assert set(finding) == {"kind", "label", "serious", "severity", "message", "ref",
                                "commit", "recorded", "authored", "author", "before", "after",
                                "how"}
        assert finding["commit"] == commit
        assert finding["recorded"] == TAMPER
        assert finding["author"] == "某人"


# --------------------------------------------------------------------------- tampering


def test_a_deleted_step(county: Dated) -> None:
    replace_in(county.root / CHENGDONG,
               "    steps:\n      - on: 2026-09-15\n        text: 召开居民议事会\n"
               "        evidence:\n          - evidence/议事会.jpg\n"
               f"        evidence_sha256:\n          evidence/议事会.jpg: {sha('议事会.jpg')}\n", "")
    commit = tamper(county)
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == sorted([outside(commit), ("removed", "chengdong/1", commit)])
    assert "整改进展被删除 chengdong/1（2026-09-15）：召开居民议事会" in only(data, "removed")["message"]
    text = county.run("audit").stdout
    assert f"[严重] 记录被删除  {commit[:8]} 2026-10-05 某人" in text
    assert "发现 2 处严重问题" in text


def test_a_step_rewritten(county: Dated) -> None:
    replace_in(county.root / CHENGDONG, "text: 召开居民议事会", "text: 召开党员大会")
    commit = tamper(county)
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == sorted([("altered", "chengdong/1", commit), outside(commit)])
    assert only(data, "altered")["message"] == \
        "整改进展被改动 chengdong/1（2026-09-15）：召开居民议事会 → 召开党员大会"


def test_a_step_backfilled_by_hand_between_existing_ones_is_not_serious(county: Dated) -> None:
    """zhengdun keeps steps in date order and says to enter an earlier one by hand and record it
    with zhengdun commit: that loses nothing, it is only a late record."""
    replace_in(county.root / CHENGDONG, "    steps:\n      - on: 2026-09-15\n",
               "    steps:\n      - on: 2026-09-12\n        text: 入户走访\n"
               "      - on: 2026-09-15\n")
    county(TAMPER, "commit", "-m", "补录9月12日的进展")
    commit = git(county.root, "rev-parse", "HEAD").strip()
    data = as_json(county.run("audit", "--json"), 0)
    assert [(f["kind"], f["ref"], f["commit"]) for f in data["findings"]] == [
        ("backfill", "chengdong/1", commit)]
    assert "入户走访" in data["findings"][0]["message"]
    assert "晚于事项日期 23 天" in data["findings"][0]["message"]


def test_a_closure_result_changed(county: Dated) -> None:
    replace_in(county.root / CHENGDONG, "result: 新增停车位120个", "result: 新增停车位200个")
    commit = tamper(county)
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == sorted([("altered", "chengdong/1", commit), outside(commit)])
    assert only(data, "altered")["message"] == \
        "销号记录被改动 chengdong/1（2026-09-20）：整改结果 被改动"


def test_a_closure_date_changed(county: Dated) -> None:
    replace_in(county.root / CHENGDONG, "      - on: 2026-09-20\n", "      - on: 2026-09-18\n")
    commit = tamper(county)
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == sorted([("altered", "chengdong/1", commit), outside(commit)])
    assert "2026-09-20" in only(data, "altered")["message"]


def test_a_closure_verifier_changed(county: Dated) -> None:
    replace_in(county.root / XILING, "verified_by: 柳河乡党委", "verified_by: 县委组织部")
    commit = tamper(county)
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == sorted([("altered", "xiling/1", commit), outside(commit, XILING)])


def test_a_closure_evidence_removed(county: Dated) -> None:
    replace_in(county.root / CHENGDONG,
               "        verified_by: 城关镇党委\n        evidence:\n          - evidence/停车场.jpg\n",
               "        verified_by: 城关镇党委\n")
    commit = tamper(county)
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == sorted([("altered", "chengdong/1", commit), outside(commit)])
    # And the closure now stands without evidence: a notice on the current ledgers.
    notice = only(data, "no_evidence")
    assert notice["ref"] == "chengdong/1"
    assert notice["serious"] is False
    assert notice["commit"] is None


def test_a_deleted_problem(county: Dated) -> None:
    path = county.root / CHENGDONG
    text = path.read_text(encoding="utf-8")
    block = re.search(r"  - id: 2\n(    .*\n)+", text)
    assert block is not None
    path.write_text(text.replace(block.group(0), ""), encoding="utf-8")
    commit = tamper(county)
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == sorted([("removed", "chengdong/2", commit), outside(commit)])
    assert "问题被删除 chengdong/2" in only(data, "removed")["message"]


def test_a_deleted_organization(county: Dated) -> None:
    git(county.root, "rm", "-q", XILING)
    commit = tamper(county, "删除西岭村")
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == sorted([outside(commit, XILING), ("removed", "xiling", commit)])
    assert "整顿对象被删除 xiling" in only(data, "removed")["message"]


def test_a_deleted_visit(county: Dated) -> None:
    replace_in(county.root / CHENGDONG,
               "visits:\n  - round: \"2026\"\n    on: 2026-09-22\n    kind: 督查\n    by: 县委组织部\n    text: 进度偏慢\n",
               "")
    commit = tamper(county)
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == sorted([("removed", "chengdong", commit), outside(commit)])
    assert "督查调度记录被删除 chengdong（2026-09-22）" in only(data, "removed")["message"]


def test_an_acceptance_grade_changed(county: Dated) -> None:
    replace_in(county.root / XILING, "grade: 合格", "grade: 基本合格")
    commit = tamper(county)
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == sorted([("altered", "xiling", commit), outside(commit, XILING)])
    assert "验收记录被改动 xiling" in only(data, "altered")["message"]


def test_an_edit_outside_zhengdun_that_removes_nothing(county: Dated) -> None:
    replace_in(county.root / CHENGDONG, "owner: 钱七", "owner: 孙八")
    commit = tamper(county, "改责任人")
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == [outside(commit)]
    assert data["serious"] == 1
    assert "改责任人" in only(data, "outside")["message"]
    assert "Zhengdun-Action" in only(data, "outside")["message"]


def test_plain_git_commits_of_other_files_are_not_findings(county: Dated) -> None:
    (county.root / "说明.txt").write_text("工作区说明\n", encoding="utf-8")
    git(county.root, "add", "说明.txt")
    tamper(county, "加说明")
    data = as_json(county.run("audit", "--json"), 0)
    assert data["findings"] == []
    assert data["commits"] == 15


def test_a_removal_recorded_with_zhengdun_commit_is_still_serious(county: Dated) -> None:
    replace_in(county.root / CHENGDONG,
               "visits:\n  - round: \"2026\"\n    on: 2026-09-22\n    kind: 督查\n    by: 县委组织部\n    text: 进度偏慢\n",
               "")
    county("2026-10-05T10:00:00+08:00", "commit", "-m", "删掉督查")
    commit = git(county.root, "rev-parse", "HEAD").strip()
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == sorted([("removed", "chengdong", commit)])


def test_a_forged_undo_trailer_does_not_excuse_a_removal(county: Dated) -> None:
    replace_in(county.root / CHENGDONG,
               "visits:\n  - round: \"2026\"\n    on: 2026-09-22\n    kind: 督查\n    by: 县委组织部\n    text: 进度偏慢\n",
               "")
    parent = git(county.root, "rev-parse", "HEAD").strip()
    commit = tamper(county, "undo chengdong: 撤销\n\nZhengdun-Action: undo\n"
                    f"Zhengdun-Ref: chengdong\nZhengdun-Undoes: {parent}")
    assert git(county.root, "log", "-1", "--format=%(trailers:key=Zhengdun-Action,valueonly)"
               ).strip() == "undo"
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == [("removed", "chengdong", commit), ("undo", "chengdong", commit)]


def test_a_genuine_undo_just_after_since_is_still_excused(county: Dated) -> None:
    county("2026-10-05T10:00:00+08:00", "visit", "城东社区", "--kind", "调度", "--by", "城关镇",
           "记错了", "--on", "2026-10-05")
    county("2026-10-06T10:00:00+08:00", "undo", "--yes")
    data = as_json(county.run("audit", "--json", "--since", "2026-10-06"), 0)
    assert (data["commits"], data["findings"]) == (1, [])
    assert as_json(county.run("audit", "--json"), 0)["findings"] == []


def test_a_broken_file_committed_is_unreadable(county: Dated) -> None:
    path = county.root / CHENGDONG
    path.write_text(path.read_text(encoding="utf-8").replace("problems:\n", "problems: [\n"),
                    encoding="utf-8")
    commit = tamper(county, "坏文件")
    result = county.run("audit", "--json")
    data = as_json(result, 1)
    assert ("unreadable", "chengdong", commit) in serious(data)
    assert serious(data) == sorted([outside(commit), ("unreadable", "chengdong", commit)])


def test_removal_hidden_behind_a_broken_version_is_caught(county: Dated) -> None:
    """Break the file in one commit, then commit it back without the visit: the visit is gone
    compared with the last readable version."""
    path = county.root / CHENGDONG
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("problems:\n", "problems: [\n"), encoding="utf-8")
    broken = tamper(county, "坏文件")
    path.write_text(good.replace(
        "visits:\n  - round: \"2026\"\n    on: 2026-09-22\n    kind: 督查\n    by: 县委组织部\n    text: 进度偏慢\n", ""),
        encoding="utf-8")
    county("2026-10-06T10:00:00+08:00", "commit", "-m", "修好文件")
    fixed = git(county.root, "rev-parse", "HEAD").strip()
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == sorted([outside(broken), ("unreadable", "chengdong", broken),
                                    ("removed", "chengdong", fixed)])


# --------------------------------------------------------------------------- backfill, --since


def test_backfill_is_a_notice(county: Dated) -> None:
    # Recorded on Oct 20 (Beijing), dated Sept 30: 20 days late.
    county("2026-10-20T10:00:00+08:00", "step", "chengdong/2", "清理杂物", "--on", "2026-09-30")
    commit = git(county.root, "rev-parse", "HEAD").strip()
    data = as_json(county.run("audit", "--json"), 0)
    assert data["serious"] == 0
    assert data["counts"] == {"backfill": 1}
    notice = only(data, "backfill")
    assert (notice["ref"], notice["commit"], notice["serious"]) == ("chengdong/2", commit, False)
    assert "晚于事项日期 20 天" in notice["message"]
    text = county.run("audit").stdout
    assert "[提示] 补录" in text
    assert "没有严重问题；提示 1 处（补录 1 处）。" in text
    # A longer allowance silences it; exactly 20 days is still within --backfill-days 20.
    assert as_json(county.run("audit", "--json", "--backfill-days", "30"), 0)["findings"] == []
    assert as_json(county.run("audit", "--json", "--backfill-days", "20"), 0)["findings"] == []
    assert as_json(county.run("audit", "--json", "--backfill-days", "19"), 0)["counts"] == {
        "backfill": 1}
    assert as_json(county.run("audit", "--json", "--backfill-days", "30"), 0)[
        "backfill_days"] == 30


def test_backfill_days_from_the_config(county: Dated) -> None:
    county("2026-10-20T10:00:00+08:00", "step", "chengdong/2", "清理杂物", "--on", "2026-09-30")
    config = county.root / "zhengdun.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "backfill_days: 25\n",
                      encoding="utf-8")
    county("2026-10-21T10:00:00+08:00", "commit", "-m", "补录期限改为25天")
    data = as_json(county.run("audit", "--json"), 0)
    assert data["backfill_days"] == 25
    # recorded with zhengdun commit: the loosening is a hint (by plain git it is serious)
    assert [(f["kind"], f["serious"], f["before"], f["after"]) for f in data["findings"]] == [
        ("loosened", False, None, 25)]


def test_negative_backfill_days_is_refused(county: Dated) -> None:
    result = county.run("audit", "--backfill-days", "-1")
    assert result.exit_code == 1
    assert "--backfill-days" in result.stderr


def test_since_limits_the_scan(county: Dated) -> None:
    replace_in(county.root / CHENGDONG, "owner: 钱七", "owner: 孙八")
    tampered = tamper(county)  # Oct 5
    county("2026-10-20T10:00:00+08:00", "step", "chengdong/2", "清理杂物", "--on", "2026-09-30")
    late = git(county.root, "rev-parse", "HEAD").strip()

    everything = as_json(county.run("audit", "--json"), 1)
    assert serious(everything) == [outside(tampered)]
    # From Oct 5 (00:00 Beijing) the tampering is still in scope …
    data = as_json(county.run("audit", "--json", "--since", "2026-10-05"), 1)
    assert data["since"] == "2026-10-05"
    assert data["commits"] == 2
    assert serious(data) == [outside(tampered)]
    # … from Oct 6 only the backfill is left …
    data = as_json(county.run("audit", "--json", "--since", "2026-10-06"), 0)
    assert data["commits"] == 1
    assert [(f["kind"], f["commit"]) for f in data["findings"]] == [("backfill", late)]
    text = county.run("audit", "--since", "2026-10-06").stdout
    assert text.startswith("审查了2026-10-06 以来的 1 次台账提交。")
    # … and after Oct 20 there is nothing.
    data = as_json(county.run("audit", "--json", "--since", "2026-10-21"), 0)
    assert (data["commits"], data["findings"]) == (0, [])


def test_bad_since_is_refused(county: Dated) -> None:
    result = county.run("audit", "--since", "2026-13-01")
    assert result.exit_code == 1
    assert "--since" in result.stderr


# --------------------------------------------------------------------------- notices


def test_closure_notices(county: Dated) -> None:
    county("2026-10-10T10:00:00+08:00", "close", "chengdong/2", "--result", "腾退活动室",
           "--on", "2026-10-10")
    data = as_json(county.run("audit", "--json"), 0)
    assert sorted((f["kind"], f["ref"]) for f in data["findings"]) == [
        ("no_evidence", "chengdong/2"), ("no_verifier", "chengdong/2")]
    assert all(not f["serious"] and f["commit"] is None for f in data["findings"])
    assert "chengdong/2 于 2026-10-10 销号，没有佐证材料" in [f["message"] for f in data["findings"]]
    # zhengdun refuses a step dated after the closure; written by hand, it is a notice too.
    replace_in(county.root / CHENGDONG, "    closures:\n      - on: 2026-10-10\n",
               "    steps:\n      - on: 2026-10-12\n        text: 补充整改\n"
               "    closures:\n      - on: 2026-10-10\n")
    commit = tamper(county)  # dated Oct 5, after a commit of Oct 10: out of order too
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == [("clock", "（工作区）", commit), outside(commit)]
    notice = only(data, "closure_before_step")
    assert notice["ref"] == "chengdong/2"
    assert "2026-10-12" in notice["message"]


def test_the_per_commit_cache_gives_the_same_answer(county: Dated) -> None:
    replace_in(county.root / CHENGDONG, "text: 召开居民议事会", "text: 召开党员大会")
    tamper(county)
    county("2026-10-20T10:00:00+08:00", "step", "chengdong/2", "清理杂物", "--on", "2026-09-30")
    cold = as_json(county.run("audit", "--json"), 1)
    kept = list((county.root / ".git" / "zhengdun-cache").glob("audit-*.marshal"))
    assert len(kept) == 1
    warm = as_json(county.run("audit", "--json"), 1)
    county.mp.setenv("ZHENGDUN_CACHE", "off")
    assert warm == cold == as_json(county.run("audit", "--json"), 1)
    assert {f["kind"] for f in cold["findings"]} >= {"altered", "outside", "backfill"}
