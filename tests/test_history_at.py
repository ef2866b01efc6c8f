"""``--at DATE|REV`` on the reading commands: the ledgers as committed then, judged on that day."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import Dated, Run, build_scripted, copy_scripted, git

SEPT30 = "2026-09-30"


def ok(result: Any) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def as_json(result: Any) -> Any:
    return json.loads(ok(result))


def script(d: Dated) -> None:
    d("2026-09-05T10:00:00+08:00", "org", "add", "城东社区", "--township", "城关镇",
      "--kind", "社区", "--designated", "2026-09-01", "--category", "10")
    d("2026-09-05T11:00:00+08:00", "org", "add", "西岭村", "--township", "柳河乡",
      "--kind", "村", "--designated", "2026-09-01", "--category", "4", "--slug", "xiling")
    d("2026-09-10T10:00:00+08:00", "add", "城东社区", "小区停车位不足", "--category", "10",
      "--found", "2026-09-10", "--due", "2026-09-25", "--owner", "王五")
    d("2026-09-12T10:00:00+08:00", "add", "西岭村", "三会一课不落实", "--category", "4",
      "--found", "2026-09-12", "--due", "2026-12-31", "--owner", "李四")
    d("2026-09-20T10:00:00+08:00", "step", "chengdong/1", "召开居民议事会", "--on", "2026-09-20")
    d("2026-09-28T10:00:00+08:00", "visit", "城东社区", "--kind", "督查", "--by", "县委组织部",
      "进度偏慢", "--on", "2026-09-28")
    # ---- recorded after Sept 30
    # A problem found in September but only recorded on Oct 2 (补录).
    d("2026-10-02T10:00:00+08:00", "add", "西岭村", "村务公开不及时", "--category", "7",
      "--found", "2026-09-28", "--due", "2026-10-31", "--owner", "李四")
    d("2026-10-03T10:00:00+08:00", "step", "xiling/1", "恢复三会一课", "--on", "2026-09-29")
    d("2026-10-10T10:00:00+08:00", "close", "chengdong/1", "--result", "新增停车位120个",
      "--on", "2026-10-10", "--verified-by", "城关镇党委")
    d("2026-10-12T10:00:00+08:00", "org", "set", "城东社区", "--first-secretary", "赵六")
    d("2026-10-15T10:00:00+08:00", "add", "城东社区", "活动场所被占用", "--category", "9",
      "--found", "2026-10-15", "--due", "2026-10-30", "--owner", "钱七")
    config = d.root / "zhengdun.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("county: 示范县", "county: 新县"),
                      encoding="utf-8")
    d("2026-11-10T10:00:00+08:00", "commit", "-m", "县名更正")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scripted county, built once; tests work on copies."""
    return build_scripted(tmp_path_factory, "history-at", script)


@pytest.fixture
def county(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dated:
    return copy_scripted(built, tmp_path, monkeypatch)


def checkout(root: Path, rev: str, target: Path) -> Path:
    """A separate clone of the workspace with ``rev`` checked out."""
    git(target.parent, "clone", "-q", str(root), str(target))
    git(target, "checkout", "-q", rev)
    return target


def commit_on(root: Path, day: str) -> str:
    return git(root, "rev-list", "-1", f"--before={day}T23:59:59+08:00", "HEAD").strip()


# --------------------------------------------------------------------------- show, list, org list


def test_show_at_a_date(county: Dated) -> None:
    then = as_json(county.run("show", "城东社区", "--at", SEPT30, "--json"))
    assert then["as_of"] == SEPT30
    assert [p["ref"] for p in then["problems"]] == ["chengdong/1"]
    problem = then["problems"][0]
    assert (problem["state"], problem["overdue"], problem["days_overdue"]) == ("open", True, 5)
    assert problem["closures"] == []
    assert len(problem["steps"]) == 1
    assert then["responsibility"]["first_secretary"] is None
    assert len(then["visits"]) == 1
    now = as_json(county.run("show", "城东社区", "--json"))
    assert now["as_of"] == "2026-11-21"
    assert [(p["ref"], p["state"]) for p in now["problems"]] == [
        ("chengdong/1", "closed"), ("chengdong/2", "open")]
    assert now["responsibility"]["first_secretary"] == "赵六"
    text = ok(county.run("show", "城东社区", "--at", SEPT30))
    assert "小区停车位不足" in text
    assert "活动场所被占用" not in text
    assert "赵六" not in text


def test_show_at_a_revision(county: Dated) -> None:
    # HEAD~3 is the close of chengdong/1 (Oct 10), HEAD~4 the step on xiling/1 (Oct 3).
    assert git(county.root, "log", "-1", "--format=%s", "HEAD~3").startswith("close chengdong/1")
    before = as_json(county.run("show", "chengdong", "--at", "HEAD~4", "--json"))
    assert before["as_of"] == "2026-10-03"  # judged on the day of that commit
    assert (before["problems"][0]["state"], before["problems"][0]["days_overdue"]) == ("open", 8)
    after = as_json(county.run("show", "chengdong", "--at", "HEAD~3", "--json"))
    assert after["as_of"] == "2026-10-10"
    assert after["problems"][0]["state"] == "closed"
    assert after["problems"][0]["overdue"] is False
    # A full commit id works too; --as-of still chooses the day to judge on.
    sha = git(county.root, "rev-parse", "HEAD~4").strip()
    assert as_json(county.run("show", "chengdong", "--at", sha, "--json"))["problems"] == \
        before["problems"]
    judged = as_json(county.run("show", "chengdong", "--at", sha, "--as-of", "2026-09-20",
                                "--json"))
    assert judged["as_of"] == "2026-09-20"
    assert judged["problems"][0]["overdue"] is False


def test_show_of_an_organization_that_did_not_exist_yet(county: Dated) -> None:
    result = county.run("show", "城东社区", "--at", "2026-09-01")
    assert result.exit_code == 1
    assert result.stderr.startswith("错误：")


def test_list_at_a_date(county: Dated) -> None:
    then = as_json(county.run("list", "--at", SEPT30, "--json"))
    assert then["as_of"] == SEPT30
    assert [(p["ref"], p["state"], p["overdue"]) for p in then["problems"]] == [
        ("chengdong/1", "open", True), ("xiling/1", "open", False)]
    overdue = as_json(county.run("list", "--overdue", "--at", SEPT30, "--json"))
    assert [p["ref"] for p in overdue["problems"]] == ["chengdong/1"]
    assert overdue["problems"][0]["days_overdue"] == 5
    # Today chengdong/1 is closed; the problems recorded in October are overdue.
    now = as_json(county.run("list", "--overdue", "--json"))
    assert [p["ref"] for p in now["problems"]] == ["chengdong/2", "xiling/2"]
    closed = as_json(county.run("list", "--closed", "--at", "HEAD~3", "--json"))
    assert [p["ref"] for p in closed["problems"]] == ["chengdong/1"]
    assert as_json(county.run("list", "--closed", "--at", "HEAD~4", "--json"))["problems"] == []


def test_org_list_at_a_date(county: Dated) -> None:
    then = as_json(county.run("org", "list", "--at", SEPT30, "--json"))
    assert then["as_of"] == SEPT30
    rows = {o["slug"]: (o["problems"], o["closed"], o["overdue"], o["first_secretary"])
            for o in then["organizations"]}
    assert rows == {"chengdong": (1, 0, 1, None), "xiling": (1, 0, 0, None)}
    now = as_json(county.run("org", "list", "--json"))
    rows = {o["slug"]: (o["problems"], o["closed"], o["overdue"], o["first_secretary"])
            for o in now["organizations"]}
    assert rows == {"chengdong": (2, 1, 1, "赵六"), "xiling": (2, 0, 1, None)}
    # Before any organization was registered.
    early = as_json(county.run("org", "list", "--at", "2026-09-04", "--json"))
    assert (early["count"], early["organizations"]) == (0, [])


def test_reading_at_a_date_does_not_touch_the_files(county: Dated) -> None:
    path = county.root / "ledgers" / "chengdong.yaml"
    text = path.read_bytes()
    ok(county.run("show", "城东社区", "--at", SEPT30))
    assert path.read_bytes() == text
    assert git(county.root, "status", "--porcelain") == ""
    # Uncommitted edits are not part of any --at view, but are in the plain one.
    path.write_text(path.read_text(encoding="utf-8").replace("owner: 王五", "owner: 孙八"),
                    encoding="utf-8")
    then = as_json(county.run("show", "城东社区", "--at", "HEAD", "--json"))
    assert then["problems"][0]["owner"] == "王五"
    assert as_json(county.run("show", "城东社区", "--json"))["problems"][0]["owner"] == "孙八"


# --------------------------------------------------------------------------- board, bulletin, report


def test_board_at_a_date(county: Dated) -> None:
    then = as_json(county.run("board", "--at", SEPT30, "--format", "json"))
    assert then["as_of"] == SEPT30
    assert then["county"] == "示范县"  # the config as committed then
    assert {r["slug"]: r["status"] for r in then["organizations"]} == {
        "chengdong": "overdue", "xiling": "normal"}
    now = as_json(county.run("board", "--json"))
    assert now["county"] == "新县"
    assert {r["slug"]: (r["closed"], r["problems"]) for r in now["organizations"]} == {
        "chengdong": (1, 2), "xiling": (0, 2)}
    text = ok(county.run("board", "--at", SEPT30, "--format", "md"))
    assert "示范县" in text
    assert "新县" not in text


def test_bulletin_at_a_date_equals_the_bulletin_of_a_checkout(county: Dated, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               ) -> None:
    then = ok(county.run("bulletin", "--month", "2026-09", "--at", SEPT30))
    copy = checkout(county.root, commit_on(county.root, SEPT30), tmp_path / "当时")
    monkeypatch.setenv("ZHENGDUN_TODAY", SEPT30)
    reissued = ok(Run(copy)("bulletin", "--month", "2026-09"))
    assert then == reissued
    assert "示范县" in then
    # Today's September bulletin differs: it counts what was recorded late (补录).
    monkeypatch.setenv("ZHENGDUN_TODAY", "2026-11-21")
    now = ok(county.run("bulletin", "--month", "2026-09"))
    assert now != then
    assert "村务公开不及时" not in then
    data_then = as_json(county.run("bulletin", "--month", "2026-09", "--at", SEPT30, "--json"))
    data_copy = as_json(Run(copy)("bulletin", "--month", "2026-09", "--json"))
    assert data_then == data_copy
    assert data_then["county"] == "示范县"
    assert (data_then["totals"]["problems"], data_then["totals"]["registered_in_month"],
            data_then["totals"]["overdue"]) == (2, 2, 1)
    data_now = as_json(county.run("bulletin", "--month", "2026-09", "--json"))
    assert data_now["county"] == "新县"
    assert (data_now["totals"]["problems"], data_now["totals"]["registered_in_month"]) == (3, 3)


def test_bulletin_at_a_revision(county: Dated, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    rev = "HEAD~2"  # org set, Oct 12
    then = ok(county.run("bulletin", "--month", "2026-10", "--at", rev))
    copy = checkout(county.root, git(county.root, "rev-parse", rev).strip(), tmp_path / "当时")
    monkeypatch.setenv("ZHENGDUN_TODAY", "2026-10-12")
    assert ok(Run(copy)("bulletin", "--month", "2026-10")) == then


def test_bulletin_at_a_date_uses_the_templates_of_that_date(county: Dated, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             ) -> None:
    then = ok(county.run("bulletin", "--month", "2026-09", "--at", SEPT30))
    local = county.root / "templates" / "bulletin.md.j2"
    local.write_text("本地模板 {{ month }}\n", encoding="utf-8")
    git(county.root, "add", "templates/bulletin.md.j2")
    git(county.root, "commit", "-qm", "本地通报模板")
    assert ok(county.run("bulletin", "--month", "2026-09")) == "本地模板 2026-09\n"
    assert ok(county.run("bulletin", "--month", "2026-09", "--at", SEPT30)) == then


def test_report_ledger_at_a_date(county: Dated, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    then = ok(county.run("report", "ledger", "--org", "城东社区", "--at", SEPT30))
    assert "小区停车位不足" in then
    assert "活动场所被占用" not in then
    assert "赵六" not in then
    copy = checkout(county.root, commit_on(county.root, SEPT30), tmp_path / "当时")
    monkeypatch.setenv("ZHENGDUN_TODAY", SEPT30)
    assert ok(Run(copy)("report", "ledger", "--org", "城东社区")) == then
    monkeypatch.setenv("ZHENGDUN_TODAY", "2026-11-21")
    data = as_json(county.run("report", "ledger", "--org", "城东社区", "--at", SEPT30, "--json"))
    assert data["county"] == "示范县"
    assert data["as_of"] == SEPT30
    assert [p["state"] for p in data["org"]["problems"]] == ["open"]


# --------------------------------------------------------------------------- bad values


@pytest.mark.parametrize("command", [
    ("show", "城东社区"), ("list",), ("org", "list"), ("board",),
    ("bulletin", "--month", "2026-09"), ("report", "ledger", "--org", "城东社区"),
])
@pytest.mark.parametrize("bad", ["no-such-rev", "2026-02-30", "2026-07-01", "HEAD~50"])
def test_bad_at_is_refused(county: Dated, command: tuple[str, ...], bad: str) -> None:
    result = county.run(*command, "--at", bad)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("错误：")
    assert bad in result.stderr
