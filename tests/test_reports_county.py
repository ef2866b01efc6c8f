"""The reports a county department issues (issue 16): the monthly bulletin's edge months, the
季度/年度总结, a township's own bulletin, the 党内统计 form, the 包联 views, and the filters of
``list``/``board``.

The demo county's reports are compared with golden files (``pytest --update-golden``); a
generated county of 150 organizations checks every report's numbers against a count made here,
independently, from the YAML files.
"""

from __future__ import annotations

import random
import subprocess
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import Run, pinned_env_outside_a_test
from test_readme import block, run_block
from test_reports import as_json, assert_golden, fails, ok, table_after

TODAY = date(2026, 11, 21)  # conftest's pinned today


@pytest.fixture
def demo(demo_county: Path) -> Run:
    return Run(demo_county)


def head(root: Path) -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                          text=True, check=True).stdout


def status(root: Path) -> str:
    return subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True,
                          text=True, check=True).stdout


# --------------------------------------------------------------------------- golden files


@pytest.mark.parametrize(("args", "name"), [
    # the first month: every township at 0.0% with nothing overdue, no closures: no 末位
    (("bulletin", "--month", "2026-03"), "county-bulletin-2026-03.md"),
    # one township ahead, four tied for last: no 末位
    (("bulletin", "--month", "2026-04"), "county-bulletin-2026-04.md"),
    # the current month, counted to today
    (("bulletin", "--month", "2026-11"), "county-bulletin-2026-11.md"),
    (("bulletin", "--month", "2026-10", "--township", "柳林乡"), "county-bulletin-liulin-2026-10.md"),
    (("bulletin", "--quarter", "2026Q3", "--number", "12"), "county-summary-2026Q3.md"),
    (("bulletin", "--year", "2026"), "county-summary-2026.md"),
    (("report", "stats", "--as-of", "2026-10-31"), "county-stats.md"),
    (("report", "stats", "--as-of", "2026-10-31", "--json"), "county-stats.json"),
    (("report", "leaders", "--as-of", "2026-10-31"), "county-leaders.md"),
    (("report", "leader", "孙明辉", "--as-of", "2026-10-31"), "county-leader-sunminghui.md"),
    (("report", "leaders", "--as-of", "2026-10-31", "--json"), "county-leaders.json"),
])
def test_golden_county_reports(demo: Run, args: tuple[str, ...], name: str,
                               update_golden: bool) -> None:
    assert_golden(name, ok(demo(*args)), update_golden)


def test_first_month_has_no_last_place_and_no_stalled(demo: Run) -> None:
    data = as_json(demo("bulletin", "--month", "2026-03", "--json"))
    assert data["first_month"] and data["last_township"] is None
    assert {t["rank"] for t in data["townships"]} == {1}
    assert len(data["tied_last"]) == 5
    assert data["stalled"] == []  # every organization was designated this month
    text = ok(demo("bulletin", "--month", "2026-03"))
    ranking = text.split("## 二、")[1].split("## 三、")[0]
    assert "（末位）" not in ranking and "排名末位" not in ranking
    assert "参与排名的各乡镇销号率和逾期未整改问题数相同，本月不标注末位。" in text
    assert "尚无整改销号的" in text and "销号0个" not in text and "0.0%，" not in text
    assert "本月没有销号的问题。" in text


def test_a_tie_for_last_is_named_and_not_flagged(demo: Run) -> None:
    data = as_json(demo("bulletin", "--month", "2026-04", "--json"))
    assert data["last_township"] is None
    assert [t["rank"] for t in data["townships"]] == [1, 2, 2, 2, 2]
    assert sorted(data["tied_last"]) == sorted(t["township"] for t in data["townships"][1:])
    text = ok(demo("bulletin", "--month", "2026-04"))
    ranking = text.split("## 二、")[1].split("## 三、")[0]
    assert "并列最后，本月不标注末位。" in ranking and "约谈" not in ranking


def test_the_current_month_is_counted_to_today_and_says_so(demo: Run) -> None:
    data = as_json(demo("bulletin", "--month", "2026-11", "--json"))
    assert (data["partial"], data["as_of"], data["month_end"]) == (True, "2026-11-21",
                                                                  "2026-11-30")
    assert data["issued_on"] == "2026-11-21"
    text = ok(demo("bulletin", "--month", "2026-11"))
    assert "（截至2026年11月21日，本月尚未结束）" in text
    assert "截至2026年11月30日" not in text
    assert "于12月10日前向县委组织部专题报告" in text
    october = as_json(demo("bulletin", "--month", "2026-10", "--json"))
    assert october["partial"] is False and october["report_by"] == "2026-11-10"


def test_recipients_and_this_months_notes(demo_copy: Path) -> None:
    run = Run(demo_copy)
    text = ok(run("bulletin", "--month", "2026-10"))
    assert "\n各乡镇党委，县直有关单位：\n" in text
    assert "一是紧盯逾期问题，挂牌督办。" in text  # the config's text by default
    config = demo_copy / "zhengdun.yaml"
    config.write_text(config.read_text(encoding="utf-8")
                      + "recipients: 各乡镇党委，县直各部门，各结对帮扶单位\n", encoding="utf-8")
    (demo_copy / "notes").mkdir()
    (demo_copy / "notes" / "2026-10.md").write_text(
        "一是本月重点抓柳林乡逾期问题清零。\n\n二是11月15日前完成验收资料归档。\n", encoding="utf-8")
    text = ok(run("bulletin", "--month", "2026-10"))
    assert "\n各乡镇党委，县直各部门，各结对帮扶单位：\n" in text
    assert "　　一是本月重点抓柳林乡逾期问题清零。\n\n　　二是11月15日前完成验收资料归档。\n" in text
    assert "一是紧盯逾期问题" not in text
    data = as_json(run("bulletin", "--month", "2026-10", "--json"))
    assert data["next_steps_from"] == "notes/2026-10.md"
    # another month keeps the config's text
    assert "一是紧盯逾期问题" in ok(run("bulletin", "--month", "2026-09"))


def test_notes_that_are_not_utf8_are_refused(demo_copy: Path) -> None:
    run = Run(demo_copy)
    (demo_copy / "notes").mkdir()
    (demo_copy / "notes" / "2026-10.md").write_bytes("一是加快整改".encode("gbk"))
    before = (head(demo_copy), status(demo_copy))
    message = fails(run("bulletin", "--month", "2026-10"))
    assert "notes/2026-10.md 不是 UTF-8 编码的文本" in message and "UTF-8" in message
    assert (head(demo_copy), status(demo_copy)) == before


def test_pushes_warnings_leaders_and_categories(demo: Run) -> None:
    data = as_json(demo("bulletin", "--month", "2026-10", "--json"))
    assert data["pushes"] == {"督查": 6, "调度": 2, "约谈": 0, "回头看": 1}
    text = ok(demo("bulletin", "--month", "2026-10"))
    assert "本月共开展督查6次、调度2次、回头看1次。" in text
    assert "转化率13.3%" in text
    overdue = table_after(text, "### 逾期未整改问题清单")
    assert overdue[0][5] == "包联领导"
    assert [row[5] for row in overdue[1:]] == [r["county_leader"] for r in data["overdue"]]
    # 附件 after the 落款; the body only refers to them
    body, attachments = text.split("\n---\n", 1)
    assert "（详见附件1）" in body and "| 序号 |" not in body
    assert attachments.count("\n附件") == 4 and attachments.startswith("\n附件1\n")
    september = as_json(demo("bulletin", "--month", "2026-09", "--json"))
    assert september["warnings"] == [r for r in september["warnings"]
                                     if "2026-09-30" <= r["due"] <= "2026-10-15"]
    assert [r["ref"] for r in september["warnings"]]


def test_village_and_community_written_alike(demo: Run) -> None:
    for args in (("bulletin", "--month", "2026-10"), ("bulletin", "--quarter", "2026Q3")):
        text = ok(demo(*args))
        assert "村(社区)" not in text and "村（社区）" in text


def test_an_organization_designated_this_month_is_not_stalled(run: Run) -> None:
    for args in [
        ("org", "add", "东村", "--township", "甲镇", "--kind", "村", "--designated",
         "2026-09-01", "--category", "4", "--slug", "dongcun"),
        ("org", "add", "新村", "--township", "甲镇", "--kind", "村", "--designated",
         "2026-10-20", "--category", "4", "--slug", "xincun"),
        ("add", "东村", "支部不开会", "--category", "4", "--found", "2026-09-02",
         "--due", "2026-12-30", "--owner", "张三"),
    ]:
        ok(run(*args))
    october = as_json(run("bulletin", "--month", "2026-10", "--json"))
    assert [s["org"] for s in october["stalled"]] == ["dongcun"]
    november = as_json(run("bulletin", "--month", "2026-11", "--json"))
    assert [s["org"] for s in november["stalled"]] == ["dongcun", "xincun"]


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(("args", "said"), [
    (("bulletin", "--month", "2026-10", "--quarter", "2026Q3"), "只能写一个"),
    (("bulletin",), "--month、--quarter、--year 要写一个"),
    (("bulletin", "--quarter", "2026Q5"), "季度“2026Q5”写法不对"),
    (("bulletin", "--year", "二〇二六"), "年份“二〇二六”写法不对"),
    (("bulletin", "--year", "2027"), "2027年还没有开始"),
    (("bulletin", "--month", "2026-10", "--township", "无此乡"), "没有乡镇“无此乡”的村（社区）"),
    (("report", "leader"), "report leader 后面要写"),
    (("report", "leader", "无此人"), "责任清单中没有“无此人”"),
    (("report", "stats", "多余"), "report stats 后面不需要再写“多余”"),
    (("list", "--leader", "无此人"), "没有包联领导“无此人”的村（社区）"),
    (("board", "--leader", "无此人", "--format", "md"), "没有包联领导“无此人”"),
    (("board", "--township", "无此乡"), "没有乡镇“无此乡”"),
])
def test_refusals_change_nothing(demo_copy: Path, args: tuple[str, ...], said: str) -> None:
    before = (head(demo_copy), status(demo_copy))
    message = fails(Run(demo_copy)(*args))
    assert said in message, message
    assert len(message.strip().splitlines()) >= 2  # a hint says what to do
    assert (head(demo_copy), status(demo_copy)) == before


# --------------------------------------------------------------------------- list and board


def test_list_overdue_longest_first_with_township(demo: Run) -> None:
    rows = as_json(demo("list", "--overdue", "--as-of", "2026-10-31", "--json"))["problems"]
    assert [r["days_overdue"] for r in rows] == sorted((r["days_overdue"] for r in rows),
                                                       reverse=True)
    assert rows[0]["days_overdue"] == 123 and all(r["township"] for r in rows)


def test_board_and_list_by_township_and_leader(demo: Run) -> None:
    board = as_json(demo("board", "--township", "柳林乡", "--json"))
    assert {o["township"] for o in board["organizations"]} == {"柳林乡"}
    assert board["count"] == 3
    mine = as_json(demo("board", "--leader", "孙明辉", "--json"))["organizations"]
    assert sorted(o["name"] for o in mine) == ["柳树沟村", "马家坪村"]
    listed = as_json(demo("list", "--leader", "孙明辉", "--json"))["problems"]
    assert {r["org_name"] for r in listed} == {"柳树沟村", "马家坪村"}
    lead = as_json(demo("list", "--leader", "李卫东", "--json"))["problems"]
    assert {r["org_name"] for r in lead} >= {"城东社区"}  # a township lead counts too


# --------------------------------------------------------------------------- 150 organizations

ROUND = "2026"  # the one campaign round (批次) of the big county
TOWNSHIPS = ["城关镇", "河口镇", "石桥镇", "柳林乡", "青山乡", "白马镇", "龙泉乡", "高桥镇"]
LEADERS = [f"县领导{c}" for c in "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉"]
LEADS = [f"乡镇干部{i}" for i in range(1, 16)]
UNITS = [f"县直单位{i}" for i in range(1, 31)]


def _day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _ledger(rng: random.Random, index: int) -> dict[str, Any]:
    kind = "社区" if rng.random() < 0.2 else "村"
    designated = _day(rng, date(2026, 3, 1), date(2026, 6, 30))
    leader = rng.choice(LEADERS)
    duty: dict[str, Any] = {"county_leader": leader, "township_lead": rng.choice(LEADS),
                            "first_secretary": f"第一书记{index}"}
    if rng.random() < 0.9:
        duty["paired_units"] = rng.sample(UNITS, rng.randint(1, 2))
    if rng.random() < 0.5:
        duty["work_team"] = f"工作队{index}"
    problems = []
    last_closed = date.min
    for pid in range(1, rng.randint(2, 7) + 1):
        found = _day(rng, designated - timedelta(days=10), min(designated + timedelta(days=150),
                                                               TODAY))
        due = found + timedelta(days=rng.randint(20, 200))
        problem: dict[str, Any] = {"id": pid, "round": ROUND, "title": f"问题{index}-{pid}",
                                   "category": str(rng.randint(1, 10)), "found_on": found,
                                   "due": due, "owner": f"责任人{index}"}
        if rng.random() < 0.6 and found < TODAY:
            closed = _day(rng, found, min(due + timedelta(days=40), TODAY))
            closure: dict[str, Any] = {"on": closed, "result": "已整改"}
            if rng.random() < 0.15 and closed < TODAY:
                closure["reopened"] = {"on": _day(rng, closed, TODAY), "reason": "回头看发现反弹"}
            else:
                last_closed = max(last_closed, closed)
            problem["closures"] = [closure]
        problems.append(problem)
    visits = []
    for _ in range(rng.randint(0, 8)):
        on = _day(rng, designated, TODAY)
        by = rng.choice([leader, f"县委常委{leader}", duty["township_lead"], "县委组织部督查组",
                         "乡镇党委"])
        visits.append({"round": ROUND, "on": on, "kind": rng.choice(["督查", "调度", "约谈", "回头看"]),
                       "by": by, "text": "督导整改"})
    visits.sort(key=lambda v: v["on"])
    data: dict[str, Any] = {
        "schema_version": 2, "name": f"第{index}{'社区' if kind == '社区' else '村'}",
        "kind": kind, "township": TOWNSHIPS[index % len(TOWNSHIPS)],
        "designations": [{
            "round": ROUND, "on": designated,
            "categories": sorted({str(rng.randint(1, 10)) for _ in range(rng.randint(1, 2))}),
            "responsibility": duty}],
        "problems": problems, "visits": visits}
    all_closed = all("closures" in p and "reopened" not in p["closures"][-1] for p in problems)
    if all_closed and last_closed < TODAY and rng.random() < 0.7:
        data["acceptances"] = [{"round": ROUND, "on": _day(rng, last_closed, TODAY),
                                "by": "县委组织部",
                                "grade": rng.choice(["合格", "合格", "基本合格"])}]
    elif rng.random() < 0.05:
        data["acceptances"] = [{"round": ROUND, "on": _day(rng, designated, TODAY),
                                "by": "县委组织部",
                                "grade": "不合格"}]
    return data


@pytest.fixture(scope="module")
def big_county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 organizations written as YAML files (seeded), committed with plain git."""
    base = tmp_path_factory.mktemp("county150")
    rng = random.Random(16)
    with pinned_env_outside_a_test(base / "home"):
        ok(Run(base)("init", "大县", "--county", "大县", "--issuer", "中共大县县委组织部"))
        root = base / "大县"
        for index in range(1, 151):
            text = yaml.safe_dump(_ledger(rng, index), allow_unicode=True, sort_keys=False)
            (root / "ledgers" / f"org{index:03d}.yaml").write_text(text, encoding="utf-8")
        subprocess.run(["git", "add", "ledgers"], cwd=root, check=True)
        subprocess.run(["git", "commit", "-qm", "150 organizations"], cwd=root, check=True)
        checked = Run(root)("check")
        assert checked.exit_code == 0, checked.output  # type: ignore[attr-defined]
    return root


@pytest.fixture(scope="module")
def files(big_county: Path) -> list[dict[str, Any]]:
    """The ledgers as PyYAML reads them, each with its slug."""
    out = []
    for path in sorted((big_county / "ledgers").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["slug"] = path.stem
        (current,) = data["designations"]  # one round: its designation is the current one
        data.update(designated_on=current["on"], categories=current["categories"],
                    responsibility=current["responsibility"])
        out.append(data)
    return out


def closed_on(problem: dict[str, Any], day: date) -> bool:
    closures = [c for c in problem.get("closures", []) if c["on"] <= day]
    return bool(closures) and not (closures[-1].get("reopened")
                                   and closures[-1]["reopened"]["on"] <= day)


def overdue_on(problem: dict[str, Any], day: date) -> bool:
    return problem["found_on"] <= day and not closed_on(problem, day) and problem["due"] < day


def found(org: dict[str, Any], day: date) -> list[dict[str, Any]]:
    return [p for p in org["problems"] if p["found_on"] <= day]


def test_big_county_bulletin_numbers(big_county: Path, files: list[dict[str, Any]]) -> None:
    data = as_json(Run(big_county)("bulletin", "--month", "2026-10", "--json"))
    end, first = date(2026, 10, 31), date(2026, 10, 1)
    orgs = [o for o in files if o["designated_on"] <= end]
    problems = [p for o in orgs for p in found(o, end)]
    totals = data["totals"]
    assert totals["organizations"] == len(orgs) > 100
    assert totals["villages"] == len([o for o in orgs if o["kind"] == "村"])
    assert totals["problems"] == len(problems)
    assert totals["closed"] == len([p for p in problems if closed_on(p, end)])
    assert totals["overdue"] == len([p for p in problems if overdue_on(p, end)])
    assert totals["registered_in_month"] == len([p for p in problems if p["found_on"] >= first])
    pushes = Counter(v["kind"] for o in orgs for v in o["visits"] if first <= v["on"] <= end)
    assert data["pushes"] == {k: pushes[k] for k in ("督查", "调度", "约谈", "回头看")}
    warnings = sorted(f"{o['slug']}/{p['id']}" for o in orgs for p in found(o, end)
                      if not closed_on(p, end) and end <= p["due"] <= end + timedelta(days=15))
    assert sorted(r["ref"] for r in data["warnings"]) == warnings
    by_category = Counter(p["category"] for p in problems)
    assert {c["code"]: c["problems"] for c in data["by_category"] if c["problems"]} == by_category
    # the ranking, and the 末位 by the stated rule, from a count of our own
    towns: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for o in orgs:
        for p in found(o, end):
            towns[o["township"]][0] += 1
            towns[o["township"]][1] += closed_on(p, end)
            towns[o["township"]][2] += overdue_on(p, end)
    standing = {t: (-round(c * 100 / n, 1), od) for t, (n, c, od) in towns.items()}
    assert {t["township"]: (t["problems"], t["closed"], t["overdue"])
            for t in data["townships"]} == {t: tuple(v) for t, v in towns.items()}
    ordered = sorted(standing.values())
    expected_last = (min(standing, key=lambda t: (standing[t] != ordered[-1], t))
                     if ordered[-1] != ordered[-2] else None)
    assert data["last_township"] == expected_last
    # 停滞: designated before October, not transformed by September's end, nothing in October
    def moved(o: dict[str, Any]) -> bool:
        days = [v["on"] for v in o["visits"]]
        for p in o["problems"]:
            days += [s["on"] for s in p.get("steps", [])]
            for c in p.get("closures", []):
                days.append(c["on"])
                if c.get("reopened"):
                    days.append(c["reopened"]["on"])
        return any(first <= d <= end for d in days)

    def transformed(o: dict[str, Any], day: date) -> bool:
        graded = [a for a in o.get("acceptances", []) if a["on"] <= day]
        return bool(graded) and graded[-1]["grade"] == "合格"

    stalled = sorted(o["slug"] for o in orgs if o["designated_on"] < first
                     and not transformed(o, first - timedelta(days=1)) and not moved(o))
    assert sorted(s["org"] for s in data["stalled"]) == stalled
    assert data["conversion"]["transformed"] == len([o for o in orgs if transformed(o, end)])


def test_big_county_quarter_month_by_month(big_county: Path,
                                           files: list[dict[str, Any]]) -> None:
    data = as_json(Run(big_county)("bulletin", "--quarter", "2026Q3", "--json"))
    ends = [date(2026, 7, 31), date(2026, 8, 31), date(2026, 9, 30)]
    for row, end in zip(data["months"], ends, strict=True):
        problems = [p for o in files if o["designated_on"] <= end for p in found(o, end)]
        assert (row["problems"], row["closed"], row["overdue"]) == (
            len(problems), len([p for p in problems if closed_on(p, end)]),
            len([p for p in problems if overdue_on(p, end)])), row["month"]
    start = date(2026, 6, 30)
    before = [p for o in files if o["designated_on"] <= start for p in found(o, start)]
    assert data["change"]["closed"] == data["months"][-1]["closed"] - len(
        [p for p in before if closed_on(p, start)])


def test_big_county_stats(big_county: Path, files: list[dict[str, Any]]) -> None:
    data = as_json(Run(big_county)("report", "stats", "--json"))
    rows = {r["key"]: r for r in data["rows"]}
    villages = [o for o in files if o["kind"] == "村"]
    communities = [o for o in files if o["kind"] == "社区"]
    assert (rows["designated"]["villages"], rows["designated"]["communities"]) == (
        len(villages), len(communities))
    assert rows["work_teams"]["total"] == len([o for o in files
                                               if o["responsibility"].get("work_team")])
    assert rows["paired"]["total"] == len([o for o in files
                                           if o["responsibility"].get("paired_units")])
    assert data["paired_units"] == len({u for o in files
                                        for u in o["responsibility"].get("paired_units", [])})
    for code in map(str, range(1, 11)):
        assert rows[f"category_{code}"]["total"] == len(
            [o for o in files if code in o["categories"]]), code
    problems = [p for o in files for p in found(o, TODAY)]
    assert rows["problems"]["total"] == len(problems)
    assert rows["solved"]["total"] == len([p for p in problems if closed_on(p, TODAY)])
    grades = Counter(o["acceptances"][-1]["grade"] for o in files if o.get("acceptances"))
    for grade in ("合格", "基本合格", "不合格"):
        assert rows[f"grade_{grade}"]["total"] == grades[grade], grade
    assert rows["transformed"]["total"] == grades["合格"]


def test_big_county_leaders(big_county: Path, files: list[dict[str, Any]]) -> None:
    data = as_json(Run(big_county)("report", "leaders", "--json"))
    leaders = {p["name"]: p for p in data["people"] if p["role"] == "county_leader"}
    assert set(leaders) == {o["responsibility"]["county_leader"] for o in files}
    for name, person in leaders.items():
        mine = [o for o in files if o["responsibility"]["county_leader"] == name]
        assert sorted(a["org"] for a in person["organizations"]) == sorted(o["slug"] for o in mine)
        assert person["problems"] == sum(len(found(o, TODAY)) for o in mine)
        for entry in person["organizations"]:
            org = next(o for o in mine if o["slug"] == entry["org"])
            seen = {(v["on"].year, v["on"].month) for v in org["visits"] if name in v["by"]}
            d = org["designated_on"]
            owed = [(2026, m) for m in range(d.month + 1, TODAY.month)]  # to October
            assert entry["months_without_visit"] == [
                f"{y}-{m:02d}" for y, m in owed if (y, m) not in seen], entry["org"]
    one = as_json(Run(big_county)("report", "leader", "县领导甲", "--json"))
    assert {p["name"] for p in one["people"]} == {"县领导甲"}


def test_big_county_list_and_board_filters(big_county: Path,
                                           files: list[dict[str, Any]]) -> None:
    run = Run(big_county)
    rows = as_json(run("list", "--overdue", "--json"))["problems"]
    expected = sorted(((TODAY - p["due"]).days for o in files for p in found(o, TODAY)
                       if overdue_on(p, TODAY)), reverse=True)
    assert [r["days_overdue"] for r in rows] == expected
    board = as_json(run("board", "--township", "白马镇", "--json"))
    assert sorted(o["slug"] for o in board["organizations"]) == sorted(
        o["slug"] for o in files if o["township"] == "白马镇")
    listed = as_json(run("list", "--leader", "乡镇干部3", "--json"))["problems"]
    assert sorted(r["ref"] for r in listed) == sorted(
        f"{o['slug']}/{p['id']}" for o in files for p in found(o, TODAY)
        if "乡镇干部3" in (o["responsibility"]["county_leader"],
                        o["responsibility"]["township_lead"]))


# --------------------------------------------------------------------------- README


def test_readme_county_block_runs(tmp_path: Path) -> None:
    result = run_block(block("county"), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    root = tmp_path / "演示县"
    assert "一是本月逾期问题清零。" in (root / "通报-2026-10.md").read_text(encoding="utf-8")
    assert "## 二、逐月进展" in (root / "季度总结.md").read_text(encoding="utf-8")
    assert "| 认定软弱涣散基层党组织 | 个 | 12 | 3 | 15 |" in (root / "党内统计.md").read_text(
        encoding="utf-8")
    assert "本月尚未结束" in result.stdout and "包联县级领导　孙明辉" in result.stdout


def test_a_changed_notes_file_is_never_answered_from_the_cache(demo_copy: Path) -> None:
    from test_quick import QUICK_OFF, program

    args = ("bulletin", "--month", "2026-10")
    first = program(demo_copy, *args)
    assert first.code == 0 and program(demo_copy, *args).quick  # the second from the cache
    (demo_copy / "notes").mkdir()
    (demo_copy / "notes" / "2026-10.md").write_text("一是新的要求。\n", encoding="utf-8")
    changed = program(demo_copy, *args)
    assert "　　一是新的要求。" in changed.out and changed.out != first.out
    assert changed.seen == program(demo_copy, *args, env=QUICK_OFF).seen


def test_every_new_report_reads_the_past_with_at(demo: Run) -> None:
    stats = as_json(demo("report", "stats", "--at", "2026-09-30", "--json"))
    assert stats["as_of"] == "2026-09-30"
    then = as_json(demo("report", "stats", "--as-of", "2026-09-30", "--json"))
    assert stats["rows"] == then["rows"]  # the demo recorded every event on its day
    leaders = as_json(demo("report", "leaders", "--at", "2026-09-30", "--json"))
    assert leaders["as_of"] == "2026-09-30" and leaders["people"]
    summary = as_json(demo("bulletin", "--quarter", "2026Q3", "--at", "2026-09-30", "--json"))
    assert summary["partial"] is False and summary["months"][-1]["month"] == "2026-09"
    township = as_json(demo("bulletin", "--month", "2026-09", "--township", "柳林乡",
                            "--at", "2026-09-30", "--json"))
    assert {t["township"] for t in township["townships"]} == {"柳林乡"}
