"""Reports: the monthly bulletin (月度通报), the board (挂图作战), 一村一档, and their templates.

The demo county's reports are compared with golden files in ``tests/golden/``
(``pytest --update-golden`` rewrites them); the bulletin's numbers are checked against
``zhengdun list`` and against the ledger files read directly; small workspaces built through
the CLI pin the month-boundary and status rules with hand-counted numbers (DESIGN.md §5).
"""

from __future__ import annotations

import difflib
import itertools
import json
import shutil
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import Run, pinned_env_outside_a_test
from zhengdun import render

GOLDEN = Path(__file__).parent / "golden"
MONTH = "2026-10"
MONTH_END = "2026-10-31"


# --------------------------------------------------------------------------- helpers


def ok(result: Any) -> str:
    """The command succeeded: return its stdout."""
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def fails(result: Any) -> str:
    """The command failed with exit code 1 and said why on stderr: return stderr."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("错误："), result.stderr
    return str(result.stderr)


def as_json(result: Any) -> Any:
    return json.loads(ok(result))


def assert_golden(name: str, text: str, update: bool) -> None:
    """``text`` equals ``tests/golden/<name>`` byte for byte; with --update-golden, rewrite it."""
    path = GOLDEN / name
    if update:
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        return
    assert path.is_file(), f"{path} is missing: run pytest --update-golden to create it"
    expected = path.read_bytes().decode("utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), text.splitlines(keepends=True),
            fromfile=f"tests/golden/{name}", tofile="actual output"))
        pytest.fail(f"output differs from tests/golden/{name} "
                    f"(if the change is intended, run pytest --update-golden):\n{diff}",
                    pytrace=False)


def split_cells(row: str) -> list[str]:
    """A Markdown table row's cells, split at the ``|`` that are not backslash-escaped."""
    assert row.startswith("|") and row.endswith("|"), row
    cells, current, chars = [], "", iter(row[1:])
    for char in chars:
        if char == "\\":
            current += char + next(chars, "")
        elif char == "|":
            cells.append(current)
            current = ""
        else:
            current += char
    assert current == "", f"text after the last | in {row!r}"
    return [cell.strip() for cell in cells]


def unescape_cell(cell: str) -> str:
    """Undo md_cell: ``<br>`` back to line breaks, backslash escapes removed."""
    parts = []
    for part in cell.split("<br>"):
        out, chars = "", iter(part)
        for char in chars:
            out += next(chars, "") if char == "\\" else char
        parts.append(out)
    return "\n".join(parts)


def table_after(text: str, heading: str) -> list[list[str]]:
    """The rows (header first, separator dropped) of the first table after ``heading``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("|"):
            rows.append(line)
        elif rows:
            break
    return [split_cells(row) for row in rows if not set(row) <= set("|-: ")]


def in_month(day: str | None, month: str = MONTH) -> bool:
    return day is not None and day.startswith(month + "-")


# --------------------------------------------------------------------------- golden files


@pytest.fixture
def demo(demo_county: Path) -> Run:
    """The CLI inside the (shared, read-only) demo county."""
    return Run(demo_county)


def test_golden_bulletin_markdown(demo: Run, tmp_path: Path, update_golden: bool) -> None:
    target = tmp_path / "通报-2026-10.md"
    result = demo("bulletin", "--month", MONTH, "--number", "10", "-o", str(target))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert result.stdout == ""  # type: ignore[attr-defined]
    assert "已生成月度通报" in result.stderr  # type: ignore[attr-defined]
    text = target.read_bytes().decode("utf-8")
    assert "演组通〔2026〕10号" in text
    assert_golden("bulletin-2026-10.md", text, update_golden)
    # The same text goes to stdout without -o.
    assert ok(demo("bulletin", "--month", MONTH, "--number", "10")) == text


def test_golden_bulletin_json(demo: Run, update_golden: bool) -> None:
    text = ok(demo("bulletin", "--month", MONTH, "--json"))
    data = json.loads(text)
    assert data["month"] == MONTH and data["month_end"] == MONTH_END
    assert data["number"] is None
    assert_golden("bulletin-2026-10.json", text, update_golden)


def test_golden_board_markdown(demo: Run, update_golden: bool) -> None:
    text = ok(demo("board", "--format", "md", "--as-of", "2026-11-21"))
    assert "截至2026年11月21日，共15个整顿对象" in text
    assert_golden("board.md", text, update_golden)


def test_golden_board_csv(demo: Run, tmp_path: Path, update_golden: bool) -> None:
    target = tmp_path / "挂图作战.csv"
    ok(demo("board", "--format", "csv", "-o", str(target)))
    raw = target.read_bytes()
    assert raw.startswith("\ufeff乡镇,村(社区)".encode())  # BOM, so Excel reads UTF-8
    assert raw.count(b"\r\n") == 16  # header and 15 organizations, Windows line ends
    assert_golden("board.csv", raw.decode("utf-8"), update_golden)


def test_golden_ledger_report(demo: Run, update_golden: bool) -> None:
    text = ok(demo("report", "ledger", "--org", "城东社区"))
    assert text.startswith("# 城东社区软弱涣散基层党组织整顿台账\n")
    assert_golden("ledger-chengdong.md", text, update_golden)


def test_golden_mismatch_shows_a_unified_diff(demo: Run, update_golden: bool) -> None:
    if update_golden:
        pytest.skip("golden files are being rewritten")
    text = ok(demo("board", "--format", "md", "--as-of", "2026-11-21"))
    changed = text.replace("| 城关镇 | 🟢城东社区 |", "| 城关镇 | 城东社区 |")
    assert changed != text
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_golden("board.md", changed, update=False)
    message = str(failure.value)
    assert "--- tests/golden/board.md" in message and "+++ actual output" in message
    assert "\n-| 城关镇 | 🟢城东社区 |" in message
    assert "\n+| 城关镇 | 城东社区 |" in message
    assert "pytest --update-golden" in message


# --------------------------------------------------------------------------- numbers agree


@pytest.fixture
def october(demo: Run) -> dict[str, Any]:
    data: dict[str, Any] = as_json(demo("bulletin", "--month", MONTH, "--json"))
    return data


def listed(demo: Run, *args: str) -> list[dict[str, Any]]:
    data = as_json(demo("list", "--as-of", MONTH_END, "--json", *args))
    assert data["as_of"] == MONTH_END
    assert data["count"] == len(data["problems"])
    rows: list[dict[str, Any]] = data["problems"]
    return rows


def test_bulletin_totals_agree_with_list(demo: Run, october: dict[str, Any]) -> None:
    totals = october["totals"]
    everything = listed(demo)
    closed = listed(demo, "--closed")
    open_ = listed(demo, "--open")
    overdue = listed(demo, "--overdue")
    assert totals["problems"] == len(everything) > 0
    assert totals["closed"] == len(closed) > 0
    assert totals["open"] == len(open_) == totals["problems"] - totals["closed"]
    assert totals["overdue"] == len(overdue) > 0
    assert totals["rate"] == round(totals["closed"] * 100 / totals["problems"], 1)
    assert totals["registered_in_month"] == len(
        [p for p in everything if in_month(p["found_on"])])
    # The overdue table: the same problems, the same days overdue.
    assert ({r["ref"]: r["days_overdue"] for r in october["overdue"]}
            == {r["ref"]: r["days_overdue"] for r in overdue})
    assert all(r["days_overdue"] >= 1 for r in october["overdue"])
    assert [r["days_overdue"] for r in october["overdue"]] == sorted(
        (r["days_overdue"] for r in october["overdue"]), reverse=True)
    # 本月销号: the problems standing closed at month end whose closure is in the month.
    closed_in_month = sorted(p["ref"] for p in closed if in_month(p["closed_on"]))
    assert sorted(r["ref"] for r in october["closed_in_month"]) == closed_in_month
    assert totals["closed_in_month"] == len(closed_in_month) > 0
    assert all(in_month(r["closed_on"]) for r in october["closed_in_month"])


def test_bulletin_organization_counts_agree_with_org_list(demo: Run,
                                                          october: dict[str, Any]) -> None:
    orgs = as_json(demo("org", "list", "--as-of", MONTH_END, "--json"))["organizations"]
    totals = october["totals"]
    assert totals["organizations"] == len(orgs) == 15
    assert totals["villages"] == len([o for o in orgs if o["kind"] == "村"])
    assert totals["communities"] == len([o for o in orgs if o["kind"] == "社区"])
    assert totals["transformed"] == len([o for o in orgs if o["stage"] == "已转化"])
    by_town = Counter(o["township"] for o in orgs)
    assert {t["township"]: t["organizations"] for t in october["townships"]} == by_town


def test_bulletin_township_numbers_agree_with_list(demo: Run,
                                                   october: dict[str, Any]) -> None:
    towns = october["townships"]
    assert len(towns) == 5
    for town in towns:
        name = town["township"]
        everything = listed(demo, "--township", name)
        closed = listed(demo, "--township", name, "--closed")
        overdue = listed(demo, "--township", name, "--overdue")
        assert town["problems"] == len(everything), name
        assert town["closed"] == len(closed), name
        assert town["overdue"] == len(overdue), name
        assert town["closed_in_month"] == len(
            [p for p in closed if in_month(p["closed_on"])]), name
        assert town["registered_in_month"] == len(
            [p for p in everything if in_month(p["found_on"])]), name
        assert town["rate"] == round(len(closed) * 100 / len(everything), 1), name
    for key in ("problems", "closed", "overdue", "closed_in_month", "registered_in_month",
                "transformed"):
        assert sum(t[key] for t in towns) == october["totals"][key], key


def _as_date(value: Any) -> date:
    """PyYAML (YAML 1.1) already gives dates; a quoted date would come as text."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _on(record: dict[Any, Any]) -> date:
    """A record's ``on:`` date. Plain PyYAML follows YAML 1.1, where the key ``on`` is the
    boolean true (zhengdun itself reads YAML 1.2)."""
    return _as_date(record["on"] if "on" in record else record[True])


def test_bulletin_totals_agree_with_the_files_read_directly(demo_county: Path,
                                                             october: dict[str, Any]) -> None:
    """Count from the YAML files with PyYAML alone, not through zhengdun."""
    end = date(2026, 10, 31)
    problems = closed = 0
    overdue: dict[str, int] = {}
    files = sorted((demo_county / "ledgers").glob("*.yaml"))
    assert len(files) == 15
    for path in files:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        # the round in effect at the month's end (2026): its designation and its problems only
        designation = [d for d in doc["designations"] if str(d["round"]) == "2026"]
        if not designation or _on(designation[0]) > end:
            continue
        for problem in doc.get("problems") or []:
            if _as_date(problem["found_on"]) > end or str(problem["round"]) != "2026":
                continue
            problems += 1
            standing = [c for c in problem.get("closures") or [] if _on(c) <= end]
            reopened = standing and standing[-1].get("reopened") and \
                _on(standing[-1]["reopened"]) <= end
            if standing and not reopened:
                closed += 1
            elif _as_date(problem["due"]) < end:
                overdue[f"{path.stem}/{problem['id']}"] = (end - _as_date(problem["due"])).days
    totals = october["totals"]
    assert (totals["problems"], totals["closed"], totals["overdue"]) == (
        problems, closed, len(overdue))
    assert {r["ref"]: r["days_overdue"] for r in october["overdue"]} == overdue


# --------------------------------------------------------------------------- ranking


def test_ranking_by_rate_then_fewer_overdue_last_flagged(demo: Run,
                                                         october: dict[str, Any]) -> None:
    towns = october["townships"]
    assert [t["rank"] for t in towns] == list(range(1, len(towns) + 1))
    for better, worse in itertools.pairwise(towns):
        assert (better["rate"] > worse["rate"] or (
            better["rate"] == worse["rate"] and better["overdue"] <= worse["overdue"])), (
            better, worse)
    assert [t["last"] for t in towns] == [False] * (len(towns) - 1) + [True]
    last = towns[-1]
    assert october["last_township"] == last["township"]
    text = ok(demo("bulletin", "--month", MONTH))
    assert text.count("（末位）") == 1
    assert f"| {last['rank']} | {last['township']}（末位） |" in text
    paragraph = next(line for line in text.splitlines() if "排名末位" in line)
    assert paragraph.startswith(f"　　{last['township']}销号率{last['rate']:.1f}%，排名末位")
    assert f"请{last['township']}党委主要负责同志" in paragraph
    assert "约谈" in paragraph


def test_a_single_township_is_not_flagged_last(run: Run) -> None:
    ok(run("org", "add", "东村", "--township", "甲镇", "--kind", "村",
           "--designated", "2026-09-01", "--category", "4"))
    ok(run("add", "东村", "支部不开会", "--category", "4", "--found", "2026-09-02",
           "--due", "2026-09-30", "--owner", "张三"))
    data = as_json(run("bulletin", "--month", MONTH, "--json"))
    assert [(t["township"], t["rank"], t["last"]) for t in data["townships"]] == [
        ("甲镇", 1, False)]
    assert data["last_township"] is None
    text = ok(run("bulletin", "--month", MONTH))
    assert "（末位）" not in text and "排名末位" not in text and "进行约谈" not in text


# --------------------------------------------------------------------------- a tiny county


TINY_COMMANDS: list[tuple[str, ...]] = [
    ("org", "add", "东村", "--township", "甲镇", "--kind", "村", "--designated",
     "2026-09-01", "--category", "4", "--slug", "dongcun"),
    ("org", "add", "西村", "--township", "甲镇", "--kind", "村", "--designated",
     "2026-09-01", "--category", "4", "--slug", "xicun"),
    ("org", "add", "南社区", "--township", "乙镇", "--kind", "社区", "--designated",
     "2026-09-01", "--category", "10", "--slug", "nanshequ"),
    ("org", "add", "北社区", "--township", "乙镇", "--kind", "社区", "--designated",
     "2026-09-01", "--category", "10", "--slug", "beishequ"),
    # dongcun/1: due on the last day of the month, open: not overdue at 10-31.
    ("add", "东村", "三会一课不落实", "--category", "4", "--found", "2026-09-10",
     "--due", "2026-10-31", "--owner", "张一"),
    # dongcun/2: due the day before month end, open: overdue 1 day.
    ("add", "东村", "党员发展停滞", "--category", "4", "--found", "2026-09-15",
     "--due", "2026-10-30", "--owner", "张二"),
    # dongcun/3: found and closed in October, closed on its last day.
    ("add", "东村", "阵地建设滞后", "--category", "4", "--found", "2026-10-05",
     "--due", "2026-12-31", "--owner", "张三"),
    ("close", "dongcun/3", "--result", "新建活动室", "--on", "2026-10-31"),
    # dongcun/4: found in November: not in the October bulletin at all.
    ("add", "东村", "台账不全", "--category", "4", "--found", "2026-11-02",
     "--due", "2026-12-31", "--owner", "张四"),
    # xicun/1: steps in September and November only: stalled in October.
    ("add", "西村", "支部书记缺位", "--category", "4", "--found", "2026-09-05",
     "--due", "2026-12-31", "--owner", "李一"),
    ("step", "xicun/1", "物色书记人选", "--on", "2026-09-20"),
    ("step", "xicun/1", "召开党员大会", "--on", "2026-11-03"),
    # nanshequ/1: closed in September, reopened in October: open and overdue 16 days.
    ("add", "南社区", "便民服务窗口缺人", "--category", "10", "--found", "2026-09-20",
     "--due", "2026-10-15", "--owner", "王一"),
    ("close", "nanshequ/1", "--result", "安排专人值守", "--on", "2026-09-30"),
    ("reopen", "nanshequ/1", "--reason", "值守人员离岗", "--on", "2026-10-10"),
    # nanshequ/2: found on the first day of October, closed on the first of November.
    ("add", "南社区", "居民议事会不开", "--category", "10", "--found", "2026-10-01",
     "--due", "2026-11-30", "--owner", "王二"),
    ("close", "nanshequ/2", "--result", "议事会按月召开", "--on", "2026-11-01"),
    # nanshequ/3: found on the last day of September, closed on its due date in October.
    ("add", "南社区", "路灯不亮", "--category", "10", "--found", "2026-09-30",
     "--due", "2026-10-20", "--owner", "王三"),
    ("close", "nanshequ/3", "--result", "更换路灯", "--on", "2026-10-20"),
    # beishequ/1: its only October event is a step entered in November: not stalled.
    ("add", "北社区", "网格员不入户", "--category", "10", "--found", "2026-09-01",
     "--due", "2026-10-25", "--owner", "赵一"),
    ("step", "beishequ/1", "网格员培训", "--on", "2026-10-12"),
]


@pytest.fixture(scope="module")
def tiny_county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two townships, four organizations, problems dated around the October boundaries,
    built once for this module through the CLI. Tests only read it.

    Everything is entered on 2026-11-21 (the pinned today), so every October event is a
    late entry (补录) and must still count in October.
    """
    base = tmp_path_factory.mktemp("tiny")
    with pinned_env_outside_a_test(base / "home"):
        ok(Run(base)("init", "示范县台账", "--county", "示范县", "--issuer", "中共示范县委组织部"))
        run = Run(base / "示范县台账")
        for args in TINY_COMMANDS:
            ok(run(*args))
    return base / "示范县台账"


@pytest.fixture
def tiny(tiny_county: Path) -> Run:
    """The CLI inside the tiny county."""
    return Run(tiny_county)


def test_tiny_county_october_numbers(tiny: Run) -> None:
    data = as_json(tiny("bulletin", "--month", MONTH, "--json"))
    assert data["totals"] == {
        "organizations": 4, "villages": 2, "communities": 2, "problems": 8, "closed": 2,
        "open": 6, "overdue": 3, "registered_in_month": 2, "closed_in_month": 2,
        "reopened_in_month": 1, "transformed": 0, "accepted_in_month": 0, "rate": 25.0,
        "extended": 0, "extended_in_month": 0, "relapsed": 0, "redo": 0, "redo_overdue": 0,
        "reviews_overdue": 0}
    assert [(r["ref"], r["days_overdue"]) for r in data["overdue"]] == [
        ("nanshequ/1", 16), ("beishequ/1", 6), ("dongcun/2", 1)]
    assert [(r["ref"], r["closed_on"]) for r in data["closed_in_month"]] == [
        ("nanshequ/3", "2026-10-20"), ("dongcun/3", "2026-10-31")]
    assert [(r["ref"], r["reopened_on"], r["reason"]) for r in data["reopened_in_month"]] == [
        ("nanshequ/1", "2026-10-10", "值守人员离岗")]
    # The step dated October but entered in November counts in October: 北社区 moved.
    assert [(s["org"], s["last_activity"], s["open"]) for s in data["stalled"]] == [
        ("xicun", "2026-09-20", 1)]
    # Same rate (25.0%), so the township with fewer overdue problems ranks first, although
    # 乙镇 would sort before 甲镇 by name.
    assert [(t["township"], t["rank"], t["rate"], t["overdue"], t["last"])
            for t in data["townships"]] == [
        ("甲镇", 1, 25.0, 1, False), ("乙镇", 2, 25.0, 2, True)]
    assert [(t["problems"], t["closed"], t["closed_in_month"], t["registered_in_month"])
            for t in data["townships"]] == [(4, 1, 1, 1), (4, 1, 1, 1)]
    assert data["last_township"] == "乙镇"


def test_tiny_county_october_bulletin_text(tiny: Run) -> None:
    text = ok(tiny("bulletin", "--month", MONTH, "--number", "7"))
    assert "示组通〔2026〕7号" in text
    assert ("共梳理问题8个，已整改销号2个，销号率25.0%；尚未销号6个，其中逾期未整改3个。"
            "本月新登记问题2个，本月整改销号2个，本月反弹1个。") in text
    assert "| 2 | 乙镇（末位） | 2 | 4 | 1 | 25.0% | 2 | 1 |" in text
    assert "　　乙镇销号率25.0%，排名末位，逾期未整改问题2个。请乙镇党委主要负责同志" in text
    assert "| 3 | 甲镇 | 东村 | 党员发展停滞 | 张二 | 未明确 | 2026年10月30日 | 1 |" in text
    assert ("| 1 | 乙镇 | 南社区 | 便民服务窗口缺人（反弹） | 王一 | 未明确 | 2026年10月15日 | 16 |"
            in text)
    assert "请乙镇党委主要负责同志于11月10日前" in text
    assert "- 甲镇西村（最近一次工作记录：2026年9月20日；尚有未销号问题1个）" in text
    assert "北社区（最近" not in text
    # the 落款 closes the body; the 附件 (detail tables) follow it
    body = text.split("\n---\n", 1)[0]
    assert body.rstrip().endswith("<p align=\"right\">中共示范县委组织部<br>2026年10月31日</p>")
    # --date sets the 落款日期; without --number the 文号 has a blank for the clerk.
    dated = ok(tiny("bulletin", "--month", MONTH, "--date", "2026-11-03"))
    assert dated.split("\n---\n", 1)[0].rstrip().endswith("<br>2026年11月3日</p>")
    assert "示组通〔2026〕　号" in dated
    assert "--date" in fails(tiny("bulletin", "--month", MONTH, "--date", "2026-11-31"))


def test_tiny_county_november_counts_by_event_date(tiny: Run) -> None:
    data = as_json(tiny("bulletin", "--month", "2026-11", "--json"))
    totals = data["totals"]
    assert (totals["problems"], totals["registered_in_month"], totals["closed_in_month"],
            totals["reopened_in_month"]) == (9, 1, 1, 0)
    assert [r["ref"] for r in data["closed_in_month"]] == ["nanshequ/2"]
    # In November 北社区's only step (dated October) does not count: now it is stalled;
    # 东村 only registered a problem (not work on one), 西村 and 南社区 moved.
    assert sorted(s["org"] for s in data["stalled"]) == ["beishequ", "dongcun"]


def test_tiny_county_september_excludes_later_events(tiny: Run) -> None:
    data = as_json(tiny("bulletin", "--month", "2026-09", "--json"))
    totals = data["totals"]
    # nanshequ/1 stands closed on 09-30 (its reopening is in October).
    assert (totals["problems"], totals["closed"], totals["overdue"], totals["closed_in_month"],
            totals["registered_in_month"]) == (6, 1, 0, 1, 6)
    assert [r["ref"] for r in data["closed_in_month"]] == ["nanshequ/1"]


# --------------------------------------------------------------------------- board statuses


def test_board_json_statuses(run: Run) -> None:
    commands = [
        ("org", "add", "逾期村", "--township", "甲镇", "--kind", "村", "--designated",
         "2026-09-01", "--category", "4", "--slug", "yuqi"),
        ("org", "add", "临期村", "--township", "甲镇", "--kind", "村", "--designated",
         "2026-09-01", "--category", "4", "--slug", "linqi"),
        ("org", "add", "转化村", "--township", "乙镇", "--kind", "村", "--designated",
         "2026-09-01", "--category", "4", "--slug", "zhuanhua"),
        ("org", "add", "正常村", "--township", "乙镇", "--kind", "村", "--designated",
         "2026-09-01", "--category", "4", "--slug", "zhengchang"),
        # yuqi: one overdue (due yesterday) and one due soon: overdue wins.
        ("add", "yuqi", "问题甲", "--category", "4", "--found", "2026-09-02",
         "--due", "2026-11-20", "--owner", "甲"),
        ("add", "yuqi", "问题乙", "--category", "4", "--found", "2026-09-02",
         "--due", "2026-11-25", "--owner", "甲"),
        # linqi: due in exactly 14 days (12-05), and one due today (not overdue yet).
        ("add", "linqi", "问题丙", "--category", "4", "--found", "2026-09-02",
         "--due", "2026-12-05", "--owner", "乙"),
        # zhuanhua: everything closed, accepted 合格 → 已转化.
        ("add", "zhuanhua", "问题丁", "--category", "4", "--found", "2026-09-02",
         "--due", "2026-10-30", "--owner", "丙"),
        ("close", "zhuanhua/1", "--result", "已整改", "--on", "2026-10-20"),
        ("accept", "zhuanhua", "--grade", "合格", "--by", "县委组织部", "--on", "2026-11-10"),
        # zhengchang: due in 15 days: normal; a closed overdue-dated one does not count.
        ("add", "zhengchang", "问题戊", "--category", "4", "--found", "2026-09-02",
         "--due", "2026-12-06", "--owner", "丁"),
        ("add", "zhengchang", "问题己", "--category", "4", "--found", "2026-09-02",
         "--due", "2026-10-01", "--owner", "丁"),
        ("close", "zhengchang/2", "--result", "已整改", "--on", "2026-11-01"),
    ]
    for args in commands:
        ok(run(*args))
    data = as_json(run("board", "--json"))
    assert data["as_of"] == "2026-11-21" and data["due_soon_days"] == 14 and data["count"] == 4
    rows = {r["slug"]: r for r in data["organizations"]}
    assert {slug: r["status"] for slug, r in rows.items()} == {
        "yuqi": "overdue", "linqi": "due_soon", "zhuanhua": "accepted", "zhengchang": "normal"}
    assert (rows["yuqi"]["overdue"], rows["yuqi"]["due_soon"]) == (1, 1)
    assert (rows["linqi"]["overdue"], rows["linqi"]["due_soon"]) == (0, 1)
    assert rows["zhuanhua"]["stage"] == "已转化" and rows["zhuanhua"]["rate"] == 100.0
    assert (rows["zhengchang"]["due_soon"], rows["zhengchang"]["rate"]) == (0, 50.0)
    # --format json is the same data; one day later 临期村 is still due soon, 正常村 now too.
    assert as_json(run("board", "--format", "json")) == data
    later = as_json(run("board", "--json", "--as-of", "2026-11-22"))
    assert {r["slug"]: r["status"] for r in later["organizations"]}["zhengchang"] == "due_soon"
    markdown = ok(run("board", "--format", "md"))
    for mark, name in (("🔴", "逾期村"), ("🟡", "临期村"), ("🟢", "转化村")):
        assert f"| {mark}{name} |" in markdown
    assert "| 正常村 |" in markdown


# --------------------------------------------------------------------------- template override


def test_workspace_template_overrides_the_shipped_one(demo_copy: Path) -> None:
    run = Run(demo_copy)
    shipped = Path(ok(run("templates", "path", "bulletin")).strip())
    assert shipped.name == "bulletin.md.j2" and shipped.is_file()
    assert demo_copy not in shipped.parents
    listing = ok(run("templates", "list"))
    assert any(line.startswith("bulletin") and "自带" in line for line in listing.splitlines())
    before = ok(run("bulletin", "--month", MONTH))
    assert "## 一、总体进展\n" in before

    local = demo_copy / "templates" / "bulletin.md.j2"
    shutil.copy(shipped, local)
    text = local.read_text(encoding="utf-8")
    assert "## 一、总体进展\n" in text
    local.write_text(text.replace("## 一、总体进展\n", "## 一、总体进展（本地模板）\n"),
                     encoding="utf-8")

    after = ok(run("bulletin", "--month", MONTH))
    assert "## 一、总体进展（本地模板）\n" in after
    assert after == before.replace("## 一、总体进展\n", "## 一、总体进展（本地模板）\n")
    lines = {line.split()[0]: line for line in ok(run("templates", "list")).splitlines()}
    assert "本地" in lines["bulletin"] and str(local) in lines["bulletin"]
    assert "自带" in lines["board"] and "自带" in lines["ledger"]
    entries = {t["name"]: t for t in as_json(run("templates", "list", "--json"))}
    assert entries["bulletin"] == {"name": "bulletin", "path": str(local), "origin": "本地"}
    assert Path(ok(run("templates", "path", "bulletin")).strip()) == local
    assert Path(ok(run("templates", "path", "bulletin", "--shipped")).strip()) == shipped
    # The shipped template itself is untouched.
    assert "（本地模板）" not in shipped.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- Markdown escaping

NASTY = "停车|位不足\n*多次*反映_仍未_解决<b>急</b>`代码`\\完"
REASON = "回头看发现：\n- 车位被占\n1. 又坏了\n# 标题|竖线"


def test_markdown_special_characters_keep_tables_intact(run: Run) -> None:
    ok(run("org", "add", "东村", "--township", "甲|镇", "--kind", "村", "--designated",
           "2026-09-01", "--category", "4", "--slug", "dongcun"))
    ok(run("org", "set", "东村", "--first-secretary", "赵|六"))
    ok(run("add", "东村", NASTY, "--category", "4", "--found", "2026-09-02",
           "--due", "2026-09-30", "--owner", "王|五"))
    ok(run("add", "东村", "第二个" + NASTY, "--category", "4", "--found", "2026-09-02",
           "--due", "2026-12-31", "--owner", "李四"))
    ok(run("step", "dongcun/2", "进展" + NASTY, "--on", "2026-10-02"))
    ok(run("close", "dongcun/2", "--result", "结果" + NASTY, "--on", "2026-10-20"))
    ok(run("add", "东村", "第三个问题", "--category", "4", "--found", "2026-09-02",
           "--due", "2026-12-31", "--owner", "李四"))
    ok(run("close", "dongcun/3", "--result", "已整改", "--on", "2026-10-05"))
    ok(run("reopen", "dongcun/3", "--reason", REASON, "--on", "2026-10-06"))

    bulletin = ok(run("bulletin", "--month", MONTH))
    overdue = table_after(bulletin, "### 逾期未整改问题清单")  # 附件1
    assert len(overdue) == 2 and all(len(row) == len(overdue[0]) == 8 for row in overdue)
    assert unescape_cell(overdue[1][3]) == NASTY
    assert unescape_cell(overdue[1][1]) == "甲|镇"
    assert unescape_cell(overdue[1][4]) == "王|五"
    closed = table_after(bulletin, "### 本月销号问题清单")  # 附件3
    assert len(closed) == 2 and all(len(row) == 7 for row in closed)
    assert unescape_cell(closed[1][3]) == "第二个" + NASTY
    assert unescape_cell(closed[1][5]) == "结果" + NASTY
    ranking = table_after(bulletin, "## 二、")
    assert all(len(row) == 8 for row in ranking)
    assert unescape_cell(ranking[1][1]) == "甲|镇"
    for raw in ("<b>", "*多次*", "_仍未_", "`代码`"):
        assert raw not in bulletin, raw
    # A line break in running text must not start a list, a heading or a table row.
    paragraph = next(line for line in bulletin.splitlines() if "已销号问题出现反弹" in line)
    reason = paragraph.split("第三个问题”（", 1)[1].rsplit("）。", 1)[0]
    assert unescape_cell(reason) == REASON
    for line in bulletin.splitlines():
        assert not line.startswith(("- 车位", "1. 又", "# 标题", "*多次*", "\\*多次")), line

    ledger = ok(run("report", "ledger", "--org", "东村"))
    problems = table_after(ledger, "## 二、")
    assert len(problems) == 4 and all(len(row) == 8 for row in problems)
    assert unescape_cell(problems[1][1]) == NASTY
    assert unescape_cell(problems[2][1]) == "第二个" + NASTY
    basics = table_after(ledger, "## 一、")
    assert all(len(row) == 2 for row in basics)
    assert unescape_cell(dict(basics)["第一书记"]) == "赵|六"
    process = table_after(ledger, "### 2. ")
    assert len(process) == 3 and all(len(row) == 4 for row in process)
    assert unescape_cell(process[1][2]) == "进展" + NASTY
    assert unescape_cell(process[2][2]).startswith("结果" + NASTY)
    # The problem's heading holds the whole title on one line.
    heading = next(line for line in ledger.splitlines() if line.startswith("### 1. "))
    assert unescape_cell(heading.removeprefix("### 1. ")) == NASTY
    reopened = table_after(ledger, "### 3. ")
    assert len(reopened) == 3 and all(len(row) == 4 for row in reopened)
    assert unescape_cell(reopened[2][2]) == REASON

    board = ok(run("board", "--format", "md"))
    rows = table_after(board, "截至")
    assert len(rows) == 2 and all(len(row) == 13 for row in rows)
    assert unescape_cell(rows[1][12]) == "赵|六"


def test_md_cell() -> None:
    assert render.md_cell("a|b") == "a\\|b"
    assert render.md_cell("第一行\n第二行\r\n第三行\r第四行") == "第一行<br>第二行<br>第三行<br>第四行"
    assert render.md_cell("*粗*_斜_`码`<b>") == "\\*粗\\*\\_斜\\_\\`码\\`\\<b\\>"
    assert render.md_cell("a\\|b") == "a\\\\\\|b"
    assert render.md_cell(None) == ""
    assert render.md_cell(12) == "12"
    assert render.md_cell("普通文字，（括号）") == "普通文字，（括号）"
    assert unescape_cell(render.md_cell(NASTY)) == NASTY
    assert len(split_cells(f"| {render.md_cell(NASTY)} | x |")) == 2


def test_md_text() -> None:
    assert render.md_text("# 不是标题 *x*") == "\\# 不是标题 \\*x\\*"
    assert render.md_text("第一行\n- 第二行\r\n1. 第三行") == "第一行<br>- 第二行<br>1. 第三行"
    assert render.md_text(None) == ""


def test_cn_date_cn_month_cn_md() -> None:
    assert render.cn_date("2026-10-31") == "2026年10月31日"
    assert render.cn_date(date(2026, 3, 5)) == "2026年3月5日"
    assert render.cn_month("2026-10") == "2026年10月"
    assert render.cn_month("2026-03") == "2026年3月"
    assert render.cn_month(date(2026, 1, 9)) == "2026年1月"
    assert render.cn_month("2026-03-15") == "2026年3月"
    assert render.cn_md("2026-03-05") == "3月5日"
    with pytest.raises(ValueError):
        render.cn_date("2026-02-30")


def test_pct_and_docno() -> None:
    assert render.pct(62.1) == "62.1%"
    assert render.pct(60.29411) == "60.3%"
    assert render.pct(100) == "100.0%"
    assert render.pct(0) == "0.0%"
    assert render.pct(None) == "—"
    assert render.pct(33.333, 2) == "33.33%"
    assert render.docno("演组通", 2026, 10) == "演组通〔2026〕10号"
    assert render.docno("演组通", "2026", "10") == "演组通〔2026〕10号"
    assert render.docno("演组通", 2026, None) == "演组通〔2026〕　号"
    assert render.docno("演组通", 2026, "") == "演组通〔2026〕　号"


# --------------------------------------------------------------------------- errors


def local_template(workspace: Path, name: str, text: str) -> Path:
    path = workspace / "templates" / name
    path.write_text(text, encoding="utf-8")
    return path


def test_template_with_an_undefined_field_names_file_and_line(workspace: Path,
                                                              run: Run) -> None:
    path = local_template(workspace, "bulletin.md.j2",
                          "# {{ title }}\n\n共{{ totals.problems }}个，{{ totals.no_such_field }}\n")
    err = fails(run("bulletin", "--month", MONTH))
    assert str(path) in err
    assert "第3行" in err
    assert "no_such_field" in err
    assert "--json" in err  # the hint says how to see the fields


def test_template_with_a_misspelt_top_level_name(workspace: Path, run: Run) -> None:
    path = local_template(workspace, "board.md.j2", "a\nb\nc\n{{ organisations }}\n")
    err = fails(run("board", "--format", "md"))
    assert str(path) in err and "第4行" in err and "organisations" in err


def test_template_syntax_error_names_file_and_line(workspace: Path, run: Run) -> None:
    path = local_template(workspace, "bulletin.md.j2",
                          "# {{ title }}\n{% for t in townships %}\n{{ t.township + }}\n"
                          "{% endfor %}\n")
    err = fails(run("bulletin", "--month", MONTH))
    assert str(path) in err and "第3行" in err and "语法错误" in err


def test_unknown_template_lists_the_available_ones(run: Run) -> None:
    for args in (("report", "nosuch"), ("bulletin", "--month", MONTH, "--template", "nosuch"),
                 ("templates", "path", "nosuch")):
        err = fails(run(*args))
        assert "找不到模板“nosuch”" in err
        assert "bulletin" in err and "board" in err and "ledger" in err


def test_report_ledger_needs_an_org(run: Run) -> None:
    err = fails(run("report", "ledger"))
    assert "--org" in err


@pytest.mark.parametrize("month", ["2026-13", "2026/10", "2026-00", "10-2026", "2026-1x", ""])
def test_bad_month(run: Run, month: str) -> None:
    err = fails(run("bulletin", "--month", month))
    assert "YYYY-MM" in err


def test_month_in_the_future(run: Run) -> None:
    err = fails(run("bulletin", "--month", "2026-12"))
    assert "2026-12" in err and "2026-11-21" in err
    # The current month is allowed (numbers so far).
    ok(run("bulletin", "--month", "2026-11", "--json"))


def test_board_unknown_format(run: Run) -> None:
    err = fails(run("board", "--format", "xml"))
    assert "xml" in err and "csv" in err


def test_output_into_a_missing_folder_writes_nothing(workspace: Path, run: Run,
                                                      tmp_path: Path) -> None:
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    for args in (("bulletin", "--month", MONTH), ("board", "--format", "csv"),
                 ("board", "--format", "md"), ("report", "board")):
        target = workspace / "没有的文件夹" / "out.md"
        result = run(*args, "-o", str(target))
        assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
        assert not target.parent.exists()
    err = fails(run("bulletin", "--month", MONTH, "-o", "没有的文件夹/通报.md"))
    assert "没有的文件夹" in err and "不存在" in err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
