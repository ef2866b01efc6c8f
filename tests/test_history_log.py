"""``zhengdun log ORG`` and ``zhengdun log ORG/N``: who recorded what, and when, oldest first."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import Dated, build_scripted, copy_scripted, git

CHENGDONG = "ledgers/chengdong.yaml"


def ok(result: Any) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def as_json(result: Any) -> dict[str, Any]:
    return json.loads(ok(result))


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (old, text)
    path.write_text(text.replace(old, new), encoding="utf-8")


def by(d: Dated, author: str, stamp: str, *args: str) -> None:
    d.mp.setenv("GIT_AUTHOR_NAME", author)
    d(stamp, *args)


def by_hand(d: Dated, author: str, stamp: str, message: str) -> None:
    """Commit the hand edits with plain git: no Zhengdun-Action trailer."""
    d.mp.setenv("GIT_AUTHOR_NAME", author)
    d.when(stamp)
    git(d.root, "commit", "-qam", message)


def script(d: Dated) -> None:
    by(d, "张三", "2026-09-05T10:00:00+08:00", "org", "add", "城东社区", "--township", "城关镇",
       "--kind", "社区", "--designated", "2026-09-01", "--category", "10")
    by(d, "张三", "2026-09-05T11:00:00+08:00", "org", "add", "西岭村", "--township", "柳河乡",
       "--kind", "村", "--designated", "2026-09-01", "--category", "4", "--slug", "xiling")
    by(d, "李四", "2026-09-10T10:00:00+08:00", "add", "城东社区", "小区停车位不足",
       "--category", "10", "--found", "2026-09-10", "--due", "2026-10-20", "--owner", "王五")
    by(d, "李四", "2026-09-11T10:00:00+08:00", "add", "西岭村", "三会一课不落实",
       "--category", "4", "--found", "2026-09-11", "--due", "2026-10-20", "--owner", "周八")
    # Recorded at 20:00 UTC on Sept 19 = 04:00 Sept 20 in Beijing: 10 days after the event.
    by(d, "王五", "2026-09-19T20:00:00+00:00", "step", "chengdong/1", "召开居民议事会",
       "--on", "2026-09-10")
    by(d, "李四", "2026-09-25T10:00:00+08:00", "add", "城东社区", "活动场所被占用",
       "--category", "9", "--found", "2026-09-25", "--due", "2026-11-30", "--owner", "赵六")
    by(d, "王五", "2026-09-26T10:00:00+08:00", "step", "xiling/1", "恢复三会一课",
       "--on", "2026-09-26")
    # Hand edits committed with plain git: one changes the owner of chengdong/1, the other only
    # adds a comment.
    replace_in(d.root / CHENGDONG, "owner: 王五", "owner: 钱七")
    by_hand(d, "赵六", "2026-10-01T10:00:00+08:00", "改责任人")
    path = d.root / CHENGDONG
    path.write_text(path.read_text(encoding="utf-8") + "# 备注：已核实\n", encoding="utf-8")
    by_hand(d, "赵六", "2026-10-02T10:00:00+08:00", "加备注")
    by(d, "孙七", "2026-10-10T10:00:00+08:00", "close", "chengdong/1", "--result", "新增停车位120个",
       "--on", "2026-10-10", "--verified-by", "城关镇党委")
    by(d, "孙七", "2026-10-12T10:00:00+08:00", "visit", "城东社区", "--kind", "督查",
       "--by", "县委组织部", "进度偏慢", "--on", "2026-10-12")
    by(d, "周八", "2026-10-16T10:00:00+08:00", "reopen", "chengdong/1", "--reason", "车位被占",
       "--on", "2026-10-15")
    by(d, "周八", "2026-10-20T10:00:00+08:00", "org", "set", "城东社区", "--first-secretary", "吴九")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scripted county, built once; tests work on copies."""
    return build_scripted(tmp_path_factory, "history-log", script)


@pytest.fixture
def county(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dated:
    return copy_scripted(built, tmp_path, monkeypatch)


def commits(root: Path) -> dict[str, str]:
    """Subject → commit id."""
    out = git(root, "log", "--format=%H %s")
    return {line.split(" ", 1)[1]: line.split(" ", 1)[0] for line in out.splitlines()}


def test_log_of_a_problem(county: Dated) -> None:
    data = as_json(county.run("log", "chengdong/1", "--json"))
    assert data["target"] == "chengdong/1"
    assert data["org"] == "chengdong"
    assert data["problem"] == 1
    entries = data["entries"]
    summary = [(e["recorded_day"], e["author"], e["action"], e["by_zhengdun"],
                [(c["kind"], c["field"], c["backfill_days"]) for c in e["changes"]])
               for e in entries]
    assert summary == [
        ("2026-09-10", "李四", "add", True, [("problem_added", None, 0)]),
        ("2026-09-20", "王五", "step", True, [("step_added", None, 10)]),
        ("2026-10-01", "赵六", None, False, [("problem_changed", "owner", 0)]),
        ("2026-10-10", "孙七", "close", True, [("closed", None, 0)]),
        # one day late is within the workspace's backfill_days (7), as audit counts it
        ("2026-10-16", "周八", "reopen", True, [("reopened", None, 0)]),
    ]
    assert [e["recorded_local"] for e in entries][:2] == ["2026-09-10 10:00", "2026-09-20 04:00"]
    ids = commits(county.root)
    assert [e["commit"] for e in entries] == [
        ids["add chengdong/1: 小区停车位不足"], ids["step chengdong/1: 召开居民议事会"],
        ids["改责任人"], ids["close chengdong/1: 新增停车位120个"],
        ids["reopen chengdong/1: 车位被占"],
    ]
    assert entries[1]["recorded"] == "2026-09-19T20:00:00+00:00"
    assert entries[1]["changes"][0]["event_date"] == "2026-09-10"
    assert entries[2]["subject"] == "改责任人"
    assert entries[2]["changes"][0]["before"] == "王五"
    assert entries[2]["changes"][0]["after"] == "钱七"
    assert entries[0]["email"] == "clerk@example.com"
    # Nothing about the other problem or the organization itself.
    assert all(c["ref"] == "chengdong/1" for e in entries for c in e["changes"])


def test_log_of_a_problem_as_text(county: Dated) -> None:
    text = ok(county.run("log", "chengdong/1"))
    lines = text.splitlines()
    assert lines[0] == "chengdong/1 的记录历史（共 5 次）"
    headers = [line for line in lines if line and not line.startswith(" ")][1:]
    assert [h.split("  ")[1:3] for h in headers] == [
        ["李四", "[add]"], ["王五", "[step]"], ["赵六", "[手工修改（未经 zhengdun）]"],
        ["孙七", "[close]"], ["周八", "[reopen]"],
    ]
    assert headers[0].startswith("2026-09-10 10:00  李四")
    assert "    整改进展 chengdong/1（2026-09-10）：召开居民议事会  ← 补录：事项日期 2026-09-10，晚 10 天记录" \
        in lines
    assert "    问题信息变更 chengdong/1：责任人 王五 → 钱七" in lines
    # Records entered more than backfill_days (7, as audit counts) after their event date are
    # marked: the step (10 days late); the reopening one day late is not.
    assert text.count("← 补录") == 1
    assert "反弹 chengdong/1（2026-10-15）：车位被占" in lines[-1]


def test_log_of_an_organization(county: Dated) -> None:
    data = as_json(county.run("log", "城东社区", "--json"))
    assert data["target"] == "chengdong"
    assert data["problem"] is None
    entries = data["entries"]
    assert [(e["author"], e["action"], e["subject"]) for e in entries] == [
        ("张三", "org-add", "org-add chengdong: 城东社区"),
        ("李四", "add", "add chengdong/1: 小区停车位不足"),
        ("王五", "step", "step chengdong/1: 召开居民议事会"),
        ("李四", "add", "add chengdong/2: 活动场所被占用"),
        ("赵六", None, "改责任人"),
        ("赵六", None, "加备注"),
        ("孙七", "close", "close chengdong/1: 新增停车位120个"),
        ("孙七", "visit", "visit chengdong: 督查 县委组织部"),
        ("周八", "reopen", "reopen chengdong/1: 车位被占"),
        ("周八", "org-set", "org-set chengdong: 第一书记"),
    ]
    recorded = [datetime.fromisoformat(e["recorded"]) for e in entries]
    assert recorded == sorted(recorded)
    kinds = [[c["kind"] for c in e["changes"]] for e in entries]
    assert kinds == [["org_added"], ["problem_added"], ["step_added"], ["problem_added"],
                     ["problem_changed"], [], ["closed"], ["visit_added"], ["reopened"],
                     ["org_changed"]]
    # The comment-only hand edit changed the file but not the ledger.
    assert entries[5]["note"] == "文件有改动，台账内容未变"
    assert entries[5]["by_zhengdun"] is False
    assert all(e["note"] is None for i, e in enumerate(entries) if i != 5)
    assert entries[9]["changes"][0]["field"] == "responsibility.first_secretary"
    assert entries[9]["changes"][0]["after"] == "吴九"
    # The other organization's commits are not in it.
    assert not any("xiling" in e["subject"] for e in entries)
    assert all(c["org"] == "chengdong" for e in entries for c in e["changes"])
    # The slug works as well as the name.
    assert as_json(county.run("log", "chengdong", "--json")) == data


def test_log_of_an_organization_as_text(county: Dated) -> None:
    text = ok(county.run("log", "西岭村"))
    lines = text.splitlines()
    assert lines[0] == "xiling 的记录历史（共 3 次）"
    assert "张三  [org-add]" in lines[2]
    assert "    整改进展 xiling/1（2026-09-26）：恢复三会一课" in lines


def test_backfill_is_counted_in_beijing_days(county: Dated) -> None:
    # A step dated 10-13, committed at 16:30 UTC on 10-20 (00:30 on 10-21 in Beijing): 8 days
    # late, beyond backfill_days (7); counted in UTC days it would be 7, within it.
    county("2026-10-20T16:30:00+00:00", "step", "chengdong/2", "清理杂物", "--on", "2026-10-13")
    entries = as_json(county.run("log", "chengdong/2", "--json"))["entries"]
    assert [(e["recorded_day"], e["changes"][0]["backfill_days"]) for e in entries] == [
        ("2026-09-25", 0), ("2026-10-21", 8)]
    assert entries[1]["recorded_local"] == "2026-10-21 00:30"


def test_missing_problem_or_organization_is_refused(county: Dated) -> None:
    result = county.run("log", "chengdong/9")
    assert result.exit_code == 1
    assert "历史中没有 chengdong/9 的记录" in result.stderr
    assert result.stdout == ""
    result = county.run("log", "南山村")
    assert result.exit_code == 1
    assert "南山村" in result.stderr
    result = county.run("log", "chengdong/x")
    assert result.exit_code == 1
    assert result.stderr.startswith("错误：")


def test_a_step_backfilled_between_existing_ones(county: Dated) -> None:
    replace_in(county.root / CHENGDONG, "    steps:\n      - on: 2026-09-10\n",
               "    steps:\n      - on: 2026-09-10\n        text: 入户走访\n"
               "      - on: 2026-09-10\n")
    by(county, "吴九", "2026-11-10T10:00:00+08:00", "commit", "-m", "补录进展")
    last = as_json(county.run("log", "chengdong/1", "--json"))["entries"][-1]
    assert (last["author"], last["action"]) == ("吴九", "commit")
    assert [(c["kind"], c["text"], c["backfill_days"]) for c in last["changes"]] == [
        ("step_added", "入户走访", 61)]
