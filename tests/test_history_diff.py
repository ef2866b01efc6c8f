"""``zhengdun diff``: what the ledgers recorded between two points of the git history.

The histories here are scripted with backdated commit dates, so "October" means "committed in
October, Beijing time", whatever the event dates inside the files say.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import Dated, build_scripted, copy_scripted, git

CHENGDONG = "ledgers/chengdong.yaml"


def ok(result: Any) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def fails(result: Any) -> str:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    return result.stderr


def as_json(result: Any) -> dict[str, Any]:
    return json.loads(ok(result))


def kinds(data: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """Every change as (kind, ref, field), organizations in output order."""
    return [(c["kind"], c["ref"], c["field"]) for g in data["organizations"]
            for c in g["changes"]]


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (old, text)
    path.write_text(text.replace(old, new), encoding="utf-8")


def script(d: Dated) -> None:
    """Two organizations; September, October and November recordings."""
    # ---- September
    d("2026-09-05T10:00:00+08:00", "org", "add", "城东社区", "--township", "城关镇",
      "--kind", "社区", "--designated", "2026-09-01", "--category", "10")
    d("2026-09-05T11:00:00+08:00", "org", "add", "西岭村", "--township", "柳河乡",
      "--kind", "村", "--designated", "2026-09-02", "--category", "4", "--slug", "xiling")
    d("2026-09-10T10:00:00+08:00", "add", "城东社区", "小区停车位不足", "--category", "10",
      "--found", "2026-09-08", "--due", "2026-10-20", "--owner", "王五")
    d("2026-09-12T10:00:00+08:00", "add", "西岭村", "三会一课不落实", "--category", "4",
      "--found", "2026-09-10", "--due", "2026-09-25", "--owner", "李四")
    d("2026-09-20T10:00:00+08:00", "step", "chengdong/1", "召开居民议事会", "--on", "2026-09-20")
    # 23:30 Beijing time on Sept 30: still September 30.
    d("2026-09-30T23:30:00+08:00", "close", "xiling/1", "--result", "恢复三会一课",
      "--on", "2026-09-30", "--verified-by", "柳河乡党委")
    # ---- October. 23:30 UTC on Sept 30 is 07:30 on Oct 1 in Beijing.
    d("2026-09-30T23:30:00+00:00", "add", "城东社区", "活动场所被占用", "--category", "9",
      "--found", "2026-10-01", "--due", "2026-10-15", "--owner", "赵六")
    d("2026-10-08T10:00:00+08:00", "step", "chengdong/2", "腾退活动室", "--on", "2026-10-08")
    # A hand edit (owner and deadline of chengdong/1), recorded with zhengdun commit.
    replace_in(d.root / CHENGDONG, "owner: 王五", "owner: 钱七")
    replace_in(d.root / CHENGDONG, "due: 2026-10-20", "due: 2026-11-20")
    d("2026-10-09T10:00:00+08:00", "commit", "-m", "更正1号问题责任人和时限")
    d("2026-10-10T10:00:00+08:00", "close", "chengdong/1", "--result", "新增停车位120个",
      "--on", "2026-10-10", "--verified-by", "城关镇党委")
    d("2026-10-15T10:00:00+08:00", "reopen", "xiling/1", "--reason", "回头看发现又停了",
      "--on", "2026-10-15")
    d("2026-10-18T10:00:00+08:00", "visit", "城东社区", "--kind", "督查", "--by", "县委组织部",
      "进度偏慢", "--on", "2026-10-18")
    d("2026-10-20T10:00:00+08:00", "org", "set", "城东社区", "--county-leader", "张三")
    d("2026-10-31T23:59:00+08:00", "accept", "西岭村", "--grade", "基本合格", "--by", "县委组织部",
      "--on", "2026-10-31")
    # ---- November. 16:30 UTC on Oct 31 is 00:30 on Nov 1 in Beijing.
    d("2026-10-31T16:30:00+00:00", "close", "chengdong/2", "--result", "活动室已腾退",
      "--on", "2026-11-01", "--verified-by", "城关镇党委")
    d("2026-11-05T10:00:00+08:00", "visit", "西岭村", "--kind", "回头看", "--by", "柳河乡党委",
      "巩固良好", "--on", "2026-11-05")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scripted county, built once; tests work on copies."""
    return build_scripted(tmp_path_factory, "history-diff", script)


@pytest.fixture
def county(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dated:
    return copy_scripted(built, tmp_path, monkeypatch)


OCTOBER = [
    ("problem_added", "chengdong/2", None),
    ("step_added", "chengdong/2", None),
    ("closed", "chengdong/1", None),
    ("visit_added", "chengdong", None),
    ("org_changed", "chengdong", "responsibility.county_leader"),
    ("problem_changed", "chengdong/1", "due"),
    ("problem_changed", "chengdong/1", "owner"),
    ("reopened", "xiling/1", None),
    ("acceptance_added", "xiling", None),
    ("stage_changed", "xiling", "stage"),
]


def test_october_lists_exactly_the_changes_recorded_in_october(county: Dated) -> None:
    data = as_json(county.run("diff", "2026-09-30", "2026-10-31", "--json"))
    assert sorted(kinds(data)) == sorted(OCTOBER)
    # Grouped by organization, in township order, with names.
    groups = [(g["org"], g["name"], g["township"]) for g in data["organizations"]]
    assert sorted(groups) == [("chengdong", "城东社区", "城关镇"), ("xiling", "西岭村", "柳河乡")]
    assert [g["org"] for g in data["organizations"]] == sorted(
        ["chengdong", "xiling"], key=lambda s: {"chengdong": "城关镇", "xiling": "柳河乡"}[s])
    by_org = {g["org"]: [(c["kind"], c["ref"]) for c in g["changes"]]
              for g in data["organizations"]}
    assert by_org["xiling"] == [("stage_changed", "xiling"), ("reopened", "xiling/1"),
                                ("acceptance_added", "xiling")]
    changes = {(c["kind"], c["ref"], c["field"]): c for g in data["organizations"]
               for c in g["changes"]}
    assert changes[("problem_changed", "chengdong/1", "owner")]["before"] == "王五"
    assert changes[("problem_changed", "chengdong/1", "owner")]["after"] == "钱七"
    assert changes[("problem_changed", "chengdong/1", "due")]["before"] == "2026-10-20"
    assert changes[("problem_changed", "chengdong/1", "due")]["after"] == "2026-11-20"
    assert changes[("org_changed", "chengdong", "responsibility.county_leader")]["after"] == "张三"
    assert changes[("closed", "chengdong/1", None)]["text"] == "新增停车位120个"
    assert changes[("closed", "chengdong/1", None)]["event_date"] == "2026-10-10"
    assert changes[("stage_changed", "xiling", "stage")]["before"] == "整顿中"
    assert changes[("stage_changed", "xiling", "stage")]["after"] == "巩固提升"
    assert not any(c["serious"] for c in changes.values())
    assert data["counts"] == {"problem_added": 1, "step_added": 1, "closed": 1,
                              "visit_added": 1, "org_changed": 1, "problem_changed": 2,
                              "reopened": 1, "acceptance_added": 1, "stage_changed": 1}
    # The end points: the last commit of each day.
    sept30 = git(county.root, "rev-list", "-1", "--before=2026-09-30T23:59:59+08:00",
                 "HEAD").strip()
    oct31 = git(county.root, "rev-list", "-1", "--before=2026-10-31T23:59:59+08:00",
                "HEAD").strip()
    assert git(county.root, "log", "-1", "--format=%s", sept30).startswith("close xiling/1")
    assert git(county.root, "log", "-1", "--format=%s", oct31).startswith("accept xiling")
    assert data["from"] == {"commit": sept30, "label": "2026-09-30 日终", "date": "2026-09-30"}
    assert data["to"] == {"commit": oct31, "label": "2026-10-31 日终", "date": "2026-10-31"}


def test_october_summary_counts_and_rates(county: Dated) -> None:
    data = as_json(county.run("diff", "2026-09-30", "2026-10-31", "--json"))
    # End of Sept: 2 problems, xiling/1 closed. End of Oct: 3 problems, chengdong/1 closed,
    # xiling/1 reopened, chengdong/2 open.
    assert data["summary"] == {
        "organizations_before": 2, "organizations_after": 2,
        "problems_before": 2, "problems_after": 3,
        "closed_before": 1, "closed_after": 1,
        "rate_before": 50.0, "rate_after": 33.3,
        "changed_organizations": 2,
    }
    text = ok(county.run("diff", "2026-09-30", "2026-10-31"))
    assert "问题 2 → 3 个，已销号 1 → 1 个，销号率 50.0% → 33.3%" in text


def test_september_and_november_are_separate(county: Dated) -> None:
    sept = as_json(county.run("diff", "2026-09-04", "2026-09-30", "--json"))
    assert sorted(kinds(sept)) == sorted([
        ("org_added", "chengdong", None), ("org_added", "xiling", None),
        ("problem_added", "chengdong/1", None), ("problem_added", "xiling/1", None),
        ("step_added", "chengdong/1", None), ("closed", "xiling/1", None),
    ])
    assert sept["summary"]["organizations_before"] == 0
    assert sept["summary"]["organizations_after"] == 2
    assert sept["summary"]["rate_before"] is None
    nov = as_json(county.run("diff", "2026-10-31", "--json"))
    assert sorted(kinds(nov)) == [("closed", "chengdong/2", None), ("visit_added", "xiling", None)]
    assert nov["to"]["label"] == "现在"
    assert nov["to"]["commit"] == git(county.root, "rev-parse", "HEAD").strip()
    assert nov["summary"]["closed_before"] == 1
    assert nov["summary"]["closed_after"] == 2
    assert nov["summary"]["rate_after"] == 66.7


def test_the_day_of_a_commit_is_its_day_in_beijing(county: Dated) -> None:
    # 2026-09-30T23:30+08:00 (close xiling/1) belongs to Sept 30 …
    data = as_json(county.run("diff", "2026-09-29", "2026-09-30", "--json"))
    assert kinds(data) == [("closed", "xiling/1", None)]
    # … and 2026-09-30T23:30+00:00 (add chengdong/2) to Oct 1.
    data = as_json(county.run("diff", "2026-09-30", "2026-10-01", "--json"))
    assert kinds(data) == [("problem_added", "chengdong/2", None)]
    assert data["summary"]["problems_before"] == 2
    assert data["summary"]["problems_after"] == 3
    # 2026-10-31T23:59+08:00 is Oct 31, 2026-10-31T16:30+00:00 is Nov 1.
    data = as_json(county.run("diff", "2026-10-30", "2026-10-31", "--json"))
    assert sorted(kinds(data)) == [("acceptance_added", "xiling", None),
                                   ("stage_changed", "xiling", "stage")]
    data = as_json(county.run("diff", "2026-10-31", "2026-11-01", "--json"))
    assert kinds(data) == [("closed", "chengdong/2", None)]


def test_the_workspace_timezone_decides_the_day(county: Dated) -> None:
    # The same commits read in UTC: the 23:30+00:00 commit now belongs to Sept 30.
    config = county.root / "zhengdun.yaml"
    replace_in(config, "timezone: Asia/Shanghai", "timezone: UTC")
    git(county.root, "commit", "-qam", "时区改为 UTC")
    data = as_json(county.run("diff", "2026-09-29", "2026-09-30", "--json"))
    # 2026-09-30T23:30+08:00 is 15:30 UTC, still Sept 30; the +00:00 one joins it.
    assert sorted(kinds(data)) == [("closed", "xiling/1", None),
                                   ("problem_added", "chengdong/2", None)]


def test_diff_between_revisions(county: Dated) -> None:
    data = as_json(county.run("diff", "HEAD~2", "HEAD", "--json"))
    assert sorted(kinds(data)) == [("closed", "chengdong/2", None),
                                   ("visit_added", "xiling", None)]
    assert data["from"] == {"commit": git(county.root, "rev-parse", "HEAD~2").strip(),
                            "label": "HEAD~2", "date": None}
    assert data["to"] == {"commit": git(county.root, "rev-parse", "HEAD").strip(),
                          "label": "HEAD", "date": None}
    assert data["summary"]["changed_organizations"] == 2
    # A commit id works as well as HEAD~N; the reverse direction shows the changes undone.
    first = git(county.root, "rev-parse", "HEAD~1").strip()
    back = as_json(county.run("diff", "HEAD", first, "--json"))
    assert kinds(back) == [("visit_removed", "xiling", None)]
    assert back["summary"]["changed_organizations"] == 1


def test_markdown_format(county: Dated) -> None:
    text = ok(county.run("diff", "2026-09-30", "2026-10-31", "--format", "md"))
    assert text.startswith("# 2026-09-30 日终（")
    assert "## 城关镇" in text
    assert "## 柳河乡" in text
    assert "### 城东社区（chengdong）" in text
    assert "- 销号 chengdong/1（2026-10-10）：新增停车位120个" in text
    assert "- 反弹 xiling/1（2026-10-15）：回头看发现又停了" in text
    assert "**合计：涉及 2 个村(社区)；问题 2 → 3 个" in text
    # Nothing from September or November.
    assert "恢复三会一课" not in text
    assert "活动室已腾退" not in text
    assert "巩固良好" not in text


def test_plain_text_format_groups_by_township(county: Dated) -> None:
    text = ok(county.run("diff", "2026-09-30", "2026-10-31"))
    assert text.startswith("2026-09-30 日终（")
    assert "【城关镇】" in text
    assert "【柳河乡】" in text
    assert "  城东社区（chengdong）" in text
    assert "    督查调度 chengdong（2026-10-18）：督查 县委组织部：进度偏慢" in text


def test_a_quiet_period_says_so(county: Dated) -> None:
    data = as_json(county.run("diff", "2026-11-06", "2026-11-20", "--json"))
    assert data["organizations"] == []
    assert data["counts"] == {}
    assert data["summary"]["problems_before"] == data["summary"]["problems_after"] == 3
    text = ok(county.run("diff", "2026-11-06", "2026-11-20"))
    assert "这段时间台账没有变化。" in text


def test_from_before_the_first_commit_is_refused(dated: Dated) -> None:
    err = fails(dated.run("diff", "2026-07-31", "2026-08-02"))
    assert "2026-07-31 当天结束时还没有任何记录" in err
    # The day of the first commit itself works.
    data = as_json(dated.run("diff", "2026-08-01", "--json"))
    assert data["organizations"] == []


@pytest.mark.parametrize("bad", ["no-such-branch", "HEAD~99", "2026-02-30", "deadbeef"])
def test_bad_points_are_refused(county: Dated, bad: str) -> None:
    err = fails(county.run("diff", bad, "HEAD"))
    assert bad in err
    err = fails(county.run("diff", "2026-09-30", bad))
    assert bad in err


def test_bad_format_is_refused(county: Dated) -> None:
    err = fails(county.run("diff", "2026-09-30", "--format", "html"))
    assert "html" in err


# --------------------------------------------------------------------------- many organizations


def ledger_text(i: int) -> str:
    text = (f"schema_version: 2\nname: 村{i:02d}\nkind: 村\ntownship: 镇{i % 3}\n"
            "designations:\n  - round: \"2026\"\n    on: 2026-09-01\n    categories:\n"
            "      - \"4\"\n    responsibility: {}\n")
    if i % 3 == 0:
        text += ("problems:\n  - id: 1\n    round: \"2026\"\n    title: 问题\n"
                 "    category: \"4\"\n"
                 "    found_on: 2026-09-02\n    due: 2026-12-31\n    owner: 甲\n")
    if i % 6 == 0:
        text += ("    closures:\n      - on: 2026-09-03\n        result: 好\n"
                 "        verified_by: 乡党委\n")
    return text


def test_diff_reads_only_the_changed_files_and_keeps_a_cache(dated: Dated) -> None:
    # 30 ledgers written by hand and recorded in one zhengdun commit: every third has a
    # problem, every sixth has it closed.
    for i in range(30):
        (dated.root / "ledgers" / f"c{i:02d}.yaml").write_text(ledger_text(i), encoding="utf-8")
    dated("2026-09-03T10:00:00+08:00", "commit", "-m", "录入30个村")
    assert len(list((dated.root / "ledgers").glob("*.yaml"))) == 30
    # In October only c03 changes: a problem closed.
    dated("2026-10-05T10:00:00+08:00", "close", "c03/1", "--result", "已整改", "--on",
          "2026-10-05", "--verified-by", "乡党委")
    dated.when("2026-11-21T12:00:00+08:00")
    cache = dated.root / ".git" / "zhengdun-cache"
    assert not (cache / "summary.json").exists()

    first = as_json(dated.run("diff", "2026-09-30", "2026-10-31", "--json"))
    assert [g["org"] for g in first["organizations"]] == ["c03"]
    assert kinds(first) == [("closed", "c03/1", None)]
    assert first["summary"] == {
        "organizations_before": 30, "organizations_after": 30,
        "problems_before": 10, "problems_after": 10,
        "closed_before": 5, "closed_after": 6,
        "rate_before": 50.0, "rate_after": 60.0,
        "changed_organizations": 1,
    }
    summary_file = cache / "summary.json"
    assert summary_file.is_file()
    stored = json.loads(summary_file.read_text(encoding="utf-8"))
    # Keyed by blob id: the 30 ledgers of Sept 30 plus the new version of c03.
    blobs = {line.split()[2] for line in git(dated.root, "ls-tree", "-r", "HEAD~1",
                                                 "ledgers").splitlines()
             if line.endswith(".yaml")}
    blobs.add(git(dated.root, "rev-parse", "HEAD:ledgers/c03.yaml").strip())
    assert set(stored) == blobs
    assert stored[git(dated.root, "rev-parse", "HEAD:ledgers/c03.yaml").strip()] == [1, 1, 1]

    # Second run: served from the cache, same answer, cache not rewritten.
    stamp = summary_file.stat().st_mtime_ns
    second = as_json(dated.run("diff", "2026-09-30", "2026-10-31", "--json"))
    assert second == first
    assert summary_file.stat().st_mtime_ns == stamp

    # The cache is only a cache: a wrong entry for an unchanged file would show, so prove it is
    # read by poisoning one entry, then delete it and get the true answer back.
    poisoned = dict(stored)
    untouched = git(dated.root, "rev-parse", "HEAD:ledgers/c29.yaml").strip()
    poisoned[untouched] = [5, 5, 1]
    summary_file.write_text(json.dumps(poisoned), encoding="utf-8")
    third = as_json(dated.run("diff", "2026-09-30", "2026-10-31", "--json"))
    assert third["summary"]["problems_before"] == 15
    shutil.rmtree(cache)
    fourth = as_json(dated.run("diff", "2026-09-30", "2026-10-31", "--json"))
    assert fourth == first
    assert summary_file.is_file()


def test_a_broken_cache_is_ignored(county: Dated) -> None:
    first = as_json(county.run("diff", "2026-09-30", "2026-10-31", "--json"))
    summary_file = county.root / ".git" / "zhengdun-cache" / "summary.json"
    summary_file.write_text("{not json", encoding="utf-8")
    assert as_json(county.run("diff", "2026-09-30", "2026-10-31", "--json")) == first
    assert json.loads(summary_file.read_text(encoding="utf-8"))



def test_a_comment_only_edit_is_not_a_changed_organization(county: Dated) -> None:
    path = county.root / "ledgers" / "xiling.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# 备注：已核实\n", encoding="utf-8")
    county("2026-11-10T10:00:00+08:00", "commit", "-m", "加备注")
    county("2026-11-11T10:00:00+08:00", "visit", "城东社区", "--kind", "调度", "--by", "城关镇",
           "推进会", "--on", "2026-11-11")
    data = as_json(county.run("diff", "2026-11-09", "2026-11-11", "--json"))
    assert kinds(data) == [("visit_added", "chengdong", None)]
    assert data["summary"]["changed_organizations"] == 1
    assert "合计：涉及 1 个村(社区)" in ok(county.run("diff", "2026-11-09", "2026-11-11"))


def test_a_step_backfilled_between_existing_ones_is_only_an_addition(county: Dated) -> None:
    # zhengdun keeps steps in date order, so an earlier step is entered by hand in its place.
    replace_in(county.root / CHENGDONG, "    steps:\n      - on: 2026-09-20\n",
               "    steps:\n      - on: 2026-09-15\n        text: 入户走访\n"
               "      - on: 2026-09-20\n")
    county("2026-11-10T10:00:00+08:00", "commit", "-m", "补录9月15日的进展")
    data = as_json(county.run("diff", "HEAD~1", "HEAD", "--json"))
    changes = [c for g in data["organizations"] for c in g["changes"]]
    assert [(c["kind"], c["ref"], c["event_date"], c["text"], c["serious"]) for c in changes] == [
        ("step_added", "chengdong/1", "2026-09-15", "入户走访", False)]
