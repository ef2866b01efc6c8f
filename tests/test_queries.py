"""``zhengdun list`` / ``org list`` / ``show`` with ``--json``: filters, as-of dates, counts.

A small county is built through the CLI; the shipped demo ledgers are checked against counts
computed independently in the test, from the YAML read with PyYAML.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import GIT_ENV, Run, git

REPO = Path(__file__).resolve().parents[1]


def ok(run: Any, *args: str) -> Any:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result


def refs(run: Any, *args: str) -> list[str]:
    data = json.loads(ok(run, "list", "--json", *args).stdout)
    assert data["count"] == len(data["problems"])
    return [row["ref"] for row in data["problems"]]


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Three organizations in two townships, six problems in every state (built once: the
    tests only read it)."""
    base = tmp_path_factory.mktemp("county")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in GIT_ENV.items():
            mp.setenv(key, value)
        for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
            mp.delenv(key, raising=False)
        (base / "home").mkdir()
        mp.setenv("HOME", str(base / "home"))
        ok(Run(base), "init", str(base / "示范县台账"), "--county", "示范县", "--issuer", "组织部")
        run = Run(base / "示范县台账")
        _record_county(run)
    return run


def _record_county(run: Run) -> None:
    for args in [
        ("org", "add", "城东社区", "--township", "城关镇", "--kind", "社区", "--designated",
         "2026-03-15", "--category", "10"),
        ("org", "add", "西关村", "--township", "城关镇", "--kind", "村", "--designated",
         "2026-03-20", "--category", "7", "--category", "10"),
        ("org", "add", "白土村", "--township", "青山乡", "--kind", "村", "--designated",
         "2026-04-02", "--category", "1"),
        ("add", "城东社区", "小区停车位不足", "--category", "10", "--found", "2026-03-10",
         "--due", "2026-06-30", "--owner", "王五", "--source", "群众反映"),
        ("add", "城东社区", "党群服务中心面积不足", "--category", "9", "--found", "2026-03-12",
         "--due", "2026-09-30", "--owner", "赵鹏"),
        ("add", "西关村", "村务公开不及时", "--category", "7", "--found", "2026-04-01",
         "--due", "2026-12-31", "--owner", "李四"),
        ("add", "西关村", "群众意见大", "--category", "10", "--found", "2026-04-01",
         "--due", "2026-07-31", "--owner", "李四"),
        ("add", "白土村", "支部委员缺额", "--category", "1", "--found", "2026-05-01",
         "--due", "2026-11-30", "--owner", "白春生"),
        ("add", "白土村", "三会一课不落实", "--category", "4", "--found", "2026-11-01",
         "--due", "2026-11-10", "--owner", "白春生"),
        ("step", "chengdong/1", "召开居民议事会", "--on", "2026-04-02"),
        ("close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-06-20"),
        ("close", "xiguan/2", "--result", "建立民情台账", "--on", "2026-07-01"),
        ("reopen", "xiguan/2", "--reason", "回头看发现反弹", "--on", "2026-08-15"),
        ("close", "baitu/2", "--result", "恢复三会一课", "--on", "2026-11-05"),
        ("visit", "白土村", "--kind", "督查", "--by", "县委组织部", "--on", "2026-11-06", "进度偏慢"),
        ("accept", "白土村", "--grade", "基本合格", "--by", "县委组织部", "--on", "2026-11-10",
         "--score", "75"),
    ]:
        ok(run, *args)


def test_slugs_of_the_small_county(county: Run) -> None:
    assert sorted(p.name for p in (county.cwd / "ledgers").glob("*.yaml")) == [
        "baitu.yaml", "chengdong.yaml", "xiguan.yaml"]


def test_list_all_in_township_and_name_order(county: Run) -> None:
    assert refs(county) == ["chengdong/1", "chengdong/2", "xiguan/1", "xiguan/2", "baitu/1",
                            "baitu/2"]


@pytest.mark.parametrize(("args", "expected"), [
    (("--org", "chengdong"), ["chengdong/1", "chengdong/2"]),
    (("--org", "西关"), ["xiguan/1", "xiguan/2"]),
    (("--township", "青山乡"), ["baitu/1", "baitu/2"]),
    (("--township", "城关镇", "--org", "白土村"), []),
    (("--category", "10"), ["chengdong/1", "xiguan/2"]),
    (("--open",), ["chengdong/2", "xiguan/1", "xiguan/2", "baitu/1"]),
    (("--closed",), ["chengdong/1", "baitu/2"]),
    (("--overdue",), ["xiguan/2", "chengdong/2"]),  # the longest overdue first
    (("--due-within", "9"), ["baitu/1"]),
    (("--due-within", "8"), []),
    (("--due-within", "40"), ["xiguan/1", "baitu/1"]),
    (("--due-within", "0", "--as-of", "2026-11-30"), ["baitu/1"]),
    (("--as-of", "2026-04-15"), ["chengdong/1", "chengdong/2", "xiguan/1", "xiguan/2"]),
    (("--as-of", "2026-03-11"), ["chengdong/1"]),
    (("--closed", "--as-of", "2026-07-15"), ["chengdong/1", "xiguan/2"]),
    (("--closed", "--as-of", "2026-06-19"), []),
    (("--overdue", "--as-of", "2026-10-01"), ["xiguan/2", "chengdong/2"]),
    (("--overdue", "--as-of", "2026-09-30"), ["xiguan/2"]),
    (("--overdue", "--as-of", "2026-08-14"), []),
    (("--open", "--township", "青山乡", "--category", "1"), ["baitu/1"]),
])
def test_list_filters(county: Run, args: tuple[str, ...], expected: list[str]) -> None:
    assert refs(county, *args) == expected


def test_list_json_row(county: Run) -> None:
    data = json.loads(ok(county, "list", "--json", "--org", "xiguan").stdout)
    assert data["as_of"] == "2026-11-21"
    assert data["problems"][1] == {
        "ref": "xiguan/2", "org": "xiguan", "org_name": "西关村", "township": "城关镇",
        "id": 2, "title": "群众意见大", "category": "10",
        "category_name": "党组织服务意识差、服务能力弱、群众意见大", "source": None,
        "owner": "李四", "found_on": "2026-04-01", "due": "2026-07-31",
        "deadline": "2026-07-31", "extensions": 0, "state": "reopened",
        "state_label": "反弹", "closed_on": None, "overdue": True, "days_overdue": 113,
        "steps": 0, "last_step": None,
    }


def test_list_json_as_of_judges_state_on_that_day(county: Run) -> None:
    data = json.loads(ok(county, "list", "--json", "--as-of", "2026-07-15").stdout)
    rows = {row["ref"]: row for row in data["problems"]}
    assert data["as_of"] == "2026-07-15"
    assert (rows["xiguan/2"]["state"], rows["xiguan/2"]["closed_on"]) == ("closed", "2026-07-01")
    assert rows["chengdong/1"]["steps"] == 1
    assert rows["chengdong/1"]["last_step"] == "2026-04-02"
    assert (rows["chengdong/2"]["overdue"], rows["chengdong/2"]["days_overdue"]) == (False, 0)
    assert set(rows) == {"chengdong/1", "chengdong/2", "xiguan/1", "xiguan/2", "baitu/1"}


@pytest.mark.parametrize(("args", "message"), [
    (("--open", "--closed"), "错误：--open、--closed、--overdue 只能选一个"),
    (("--category", "99"), "错误：类型“99”不在类型目录中"),
    (("--township", "不存在镇"), "错误：没有乡镇“不存在镇”的村(社区)\n现有乡镇：城关镇、青山乡"),
    (("--due-within", "-1"), "错误：--due-within 的天数不能为负数"),
    (("--as-of", "2026-02-30"), "错误：--as-of 的日期不对：日期 2026-02-30 不存在（请核对月份和天数）"),
    (("--org", "南山村"), "错误：找不到村(社区)“南山村”"),
])
def test_list_refuses_bad_filters(county: Run, args: tuple[str, ...], message: str) -> None:
    result = county("list", "--json", *args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(message)


def test_list_human_output(county: Run) -> None:
    out = ok(county, "list", "--overdue").stdout
    assert "问题 2 个（按 2026-11-21 判断）" in out
    assert "chengdong/2" in out and "xiguan/2" in out and "chengdong/1" not in out
    empty = ok(county, "list", "--closed", "--as-of", "2026-06-19").stdout
    assert empty == "没有符合条件的问题（按 2026-06-19 判断）。\n"


def test_org_list_json(county: Run) -> None:
    data = json.loads(ok(county, "org", "list", "--json").stdout)
    assert data["as_of"] == "2026-11-21"
    assert data["count"] == 3
    by_slug = {org["slug"]: org for org in data["organizations"]}
    assert [org["slug"] for org in data["organizations"]] == ["chengdong", "xiguan", "baitu"]
    assert {k: by_slug["baitu"][k] for k in (
        "name", "kind", "township", "designated_on", "categories", "stage", "problems", "closed",
        "open", "overdue", "last_activity")} == {
        "name": "白土村", "kind": "村", "township": "青山乡", "designated_on": "2026-04-02",
        "categories": ["1"], "stage": "巩固提升", "problems": 2, "closed": 1, "open": 1,
        "overdue": 0, "last_activity": "2026-11-06"}
    assert (by_slug["xiguan"]["problems"], by_slug["xiguan"]["overdue"],
            by_slug["xiguan"]["stage"]) == (2, 1, "整顿中")
    assert by_slug["chengdong"]["last_activity"] == "2026-06-20"


def test_org_list_json_as_of(county: Run) -> None:
    data = json.loads(ok(county, "org", "list", "--json", "--as-of", "2026-11-09").stdout)
    baitu = next(org for org in data["organizations"] if org["slug"] == "baitu")
    assert (baitu["stage"], baitu["problems"], baitu["closed"], baitu["last_activity"]) == (
        "整顿中", 2, 1, "2026-11-06")
    early = json.loads(ok(county, "org", "list", "--json", "--as-of", "2026-04-30").stdout)
    baitu = next(org for org in early["organizations"] if org["slug"] == "baitu")
    assert (baitu["problems"], baitu["last_activity"]) == (0, None)


def test_show_json(county: Run) -> None:
    data = json.loads(ok(county, "show", "西关村", "--json").stdout)
    assert (data["slug"], data["file"], data["name"], data["as_of"]) == (
        "xiguan", "ledgers/xiguan.yaml", "西关村", "2026-11-21")
    assert data["categories"] == ["7", "10"]
    assert data["category_names"] == {"7": "村务居务财务公开和民主管理混乱",
                                      "10": "党组织服务意识差、服务能力弱、群众意见大"}
    first, second = data["problems"]
    assert (first["ref"], first["state"], first["overdue"]) == ("xiguan/1", "open", False)
    assert (second["ref"], second["state"], second["state_label"], second["days_overdue"]) == (
        "xiguan/2", "reopened", "反弹", 113)
    assert second["closures"][0]["on"] == "2026-07-01"
    assert second["closures"][0]["reopened"] == {"on": "2026-08-15", "reason": "回头看发现反弹"}
    assert data["summary"]["open"] == 2


def test_show_json_as_of_before_the_reopening(county: Run) -> None:
    data = json.loads(ok(county, "show", "xiguan", "--json", "--as-of", "2026-08-14").stdout)
    second = data["problems"][1]
    assert (second["state"], second["overdue"], second["days_overdue"]) == ("closed", False, 0)
    assert data["summary"]["closed"] == 1


def test_show_unknown_org(county: Run) -> None:
    result = county("show", "南山村", "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "找不到村(社区)“南山村”" in result.stderr


def test_reading_does_not_commit(county: Run) -> None:
    workspace = county.cwd
    before = git(workspace, "rev-parse", "HEAD")
    ok(county, "list", "--json")
    ok(county, "org", "list", "--json")
    ok(county, "show", "baitu", "--json")
    assert git(workspace, "rev-parse", "HEAD") == before
    assert git(workspace, "status", "--porcelain") == ""


# --------------------------------------------------------------------------- the shipped demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped zhengdun.yaml and ledgers/ committed in a fresh git repository."""
    root = tmp_path_factory.mktemp("demo") / "演示县"
    root.mkdir()
    shutil.copy(REPO / "zhengdun.yaml", root)
    shutil.copytree(REPO / "ledgers", root / "ledgers")
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "演示县台账"]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env, capture_output=True)
    return root


def _on(record: dict[Any, Any]) -> date:
    """The ``on:`` date of a record read by PyYAML, for which (YAML 1.1) the key ``on`` is True."""
    day = record[True]
    assert isinstance(day, date)
    return day


def _closed_on(problem: dict[str, Any], day: date) -> bool:
    closures = [c for c in problem.get("closures") or [] if _on(c) <= day]
    if not closures:
        return False
    reopened = closures[-1].get("reopened")
    return not (reopened and _on(reopened) <= day)


def _independent(root: Path, day: date) -> dict[str, Any]:
    """Counts from the YAML read with PyYAML (YAML 1.1: dates come back as dates).

    One round is read: the config's last round begun by ``day``; an organization not designated
    in it is not counted, and only that round's problems are.
    """
    config = yaml.safe_load((root / "zhengdun.yaml").read_text(encoding="utf-8"))
    current = [r["name"] for r in config["rounds"] if r["start"] <= day][-1]
    counts: dict[str, Any] = {"found": 0, "closed": 0, "open": 0, "overdue": 0,
                              "due_within_30": 0, "per_org": {}, "per_township": {}}
    for path in sorted((root / "ledgers").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if current not in [d["round"] for d in data["designations"]]:
            continue
        org = {"problems": 0, "closed": 0, "overdue": 0}
        for problem in data.get("problems") or []:
            if problem["found_on"] > day or problem["round"] != current:
                continue
            closed = _closed_on(problem, day)
            overdue = not closed and problem["due"] < day
            counts["found"] += 1
            counts["closed" if closed else "open"] += 1
            counts["overdue"] += overdue
            counts["due_within_30"] += (not closed and day <= problem["due"]
                                        <= day + timedelta(days=30))
            org["problems"] += 1
            org["closed"] += closed
            org["overdue"] += overdue
        counts["per_org"][path.stem] = org
        town = counts["per_township"].setdefault(data["township"], 0)
        counts["per_township"][data["township"]] = town + org["problems"]
    return counts


@pytest.mark.parametrize("day", ["2026-04-30", "2026-06-30", "2026-09-30", "2026-10-31",
                                 "2026-11-21"])
def test_demo_counts_agree_with_an_independent_reading(demo: Path, day: str) -> None:
    run = Run(demo)
    expected = _independent(demo, date.fromisoformat(day))
    assert expected["found"] > 0

    def count(*args: str) -> int:
        data = json.loads(ok(run, "list", "--json", "--as-of", day, *args).stdout)
        assert data["as_of"] == day
        assert len(data["problems"]) == data["count"]
        return int(data["count"])

    assert count() == expected["found"]
    assert count("--closed") == expected["closed"]
    assert count("--open") == expected["open"]
    assert count("--overdue") == expected["overdue"]
    assert count("--due-within", "30") == expected["due_within_30"]
    for township, number in expected["per_township"].items():
        assert count("--township", township) == number
    orgs = json.loads(ok(run, "org", "list", "--json", "--as-of", day).stdout)
    assert orgs["count"] == len(expected["per_org"])
    for org in orgs["organizations"]:
        want = expected["per_org"][org["slug"]]
        assert (org["problems"], org["closed"], org["overdue"]) == (
            want["problems"], want["closed"], want["overdue"]), org["slug"]
        assert org["open"] == org["problems"] - org["closed"]


def test_demo_closed_by_end_of_october(demo: Path) -> None:
    day = date(2026, 10, 31)
    closed = []
    for path in sorted((demo / "ledgers").glob("*.yaml")):
        for problem in yaml.safe_load(path.read_text(encoding="utf-8")).get("problems") or []:
            if problem["round"] == "2026" and problem["found_on"] <= day and _closed_on(problem, day):
                closed.append(f"{path.stem}/{problem['id']}")
    data = json.loads(ok(Run(demo), "list", "--json", "--closed", "--as-of", "2026-10-31").stdout)
    assert sorted(row["ref"] for row in data["problems"]) == sorted(closed)
    assert all(row["closed_on"] <= "2026-10-31" for row in data["problems"])
    assert len(closed) > 10


def test_demo_reopened_problem(demo: Path) -> None:
    run = Run(demo)
    before = json.loads(ok(run, "show", "dongying", "--json", "--as-of", "2026-09-15").stdout)
    after = json.loads(ok(run, "show", "dongying", "--json", "--as-of", "2026-09-16").stdout)
    assert before["problems"][1]["state"] == "closed"
    assert after["problems"][1]["state"] == "reopened"
    assert after["problems"][1]["overdue"] is True
    assert after["problems"][1]["days_overdue"] == (date(2026, 9, 16) - date(2026, 6, 30)).days


def test_demo_stage_of_an_accepted_community(demo: Path) -> None:
    orgs = json.loads(ok(Run(demo), "org", "list", "--json").stdout)["organizations"]
    chengdong = next(org for org in orgs if org["slug"] == "chengdong")
    assert chengdong["stage"] == "已转化"
    before = json.loads(ok(Run(demo), "org", "list", "--json", "--as-of", "2026-10-19").stdout)
    assert next(o for o in before["organizations"] if o["slug"] == "chengdong")["stage"] == "整顿中"
