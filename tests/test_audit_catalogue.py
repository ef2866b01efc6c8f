"""The audit's catalogue: one reproducing history per way of hiding a record (issue 14), each
built with plain git on top of a zhengdun workspace, each caught as the right kind, on the
right record, in the right commit. ``docs/audit.md`` lists them (``tests/test_audit_doc.py``).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import Dated, build_scripted, copy_scripted, git
from zhengdun import store
from zhengdun.audit import signature_verdict

CHENGDONG = "ledgers/chengdong.yaml"
XILING = "ledgers/xiling.yaml"
LATER = "2026-10-20T10:00:00+08:00"


def as_json(result: Any, code: int) -> dict[str, Any]:
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def serious(data: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return sorted((f["kind"], f["ref"], f["commit"]) for f in data["findings"] if f["serious"])


def found(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in data["findings"] if f["kind"] == kind]


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (old, text)
    path.write_text(text.replace(old, new), encoding="utf-8")


def script(d: Dated) -> None:
    """A clean county: two organizations, a closure with evidence, an undo."""
    (d.root / "evidence" / "停车场.jpg").write_bytes("照片 停车场".encode())
    d("2026-09-05T10:00:00+08:00", "org", "add", "城东社区", "--township", "城关镇",
      "--kind", "社区", "--designated", "2026-09-01", "--category", "10")
    d("2026-09-05T11:00:00+08:00", "org", "add", "西岭村", "--township", "柳河乡",
      "--kind", "村", "--designated", "2026-09-01", "--category", "4", "--slug", "xiling")
    d("2026-09-10T10:00:00+08:00", "add", "城东社区", "小区停车位不足", "--category", "10",
      "--found", "2026-09-10", "--due", "2026-10-31", "--owner", "王五")
    d("2026-09-10T11:00:00+08:00", "add", "城东社区", "活动场所被占用", "--category", "9",
      "--found", "2026-09-10", "--due", "2026-11-30", "--owner", "赵六")
    d("2026-09-12T10:00:00+08:00", "add", "西岭村", "三会一课不落实", "--category", "4",
      "--found", "2026-09-12", "--due", "2026-11-30", "--owner", "李四")
    d("2026-09-20T10:00:00+08:00", "close", "chengdong/1", "--result", "新增停车位120个",
      "--on", "2026-09-20", "--verified-by", "城关镇党委", "--evidence", "evidence/停车场.jpg")
    d("2026-09-22T10:00:00+08:00", "visit", "城东社区", "--kind", "督查", "--by", "县委组织部",
      "进度偏慢", "--on", "2026-09-22")
    d("2026-09-23T10:00:00+08:00", "visit", "城东社区", "--kind", "约谈", "--by", "县委组织部",
      "记错了", "--on", "2026-09-23")
    d("2026-09-23T11:00:00+08:00", "undo", "--yes")
    d("2026-10-02T10:00:00+08:00", "step", "xiling/1", "恢复三会一课", "--on", "2026-10-02")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_scripted(tmp_path_factory, "audit-catalogue", script)


@pytest.fixture
def county(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dated:
    return copy_scripted(built, tmp_path, monkeypatch)


def by_hand(d: Dated, *args: str, stamp: str = LATER) -> str:
    """Plain git, as someone covering their tracks; the new HEAD."""
    d.when(stamp)
    git(d.root, *args)
    return head(d.root)


def close_second(d: Dated, stamp: str = "2026-10-10T10:00:00+08:00") -> str:
    """A genuine zhengdun closure of chengdong/2; its commit."""
    d(stamp, "close", "chengdong/2", "--result", "腾退活动室", "--on", stamp[:10],
      "--verified-by", "城关镇党委")
    return head(d.root)


def test_the_scripted_history_is_clean(county: Dated) -> None:
    data = as_json(county.run("audit", "--json"), 0)
    assert (data["serious"], data["findings"]) == (0, [])


# --------------------------------------------------------------------------- merges


def test_merge_resolution_drops_a_closure(county: Dated) -> None:
    root = county.root
    git(root, "branch", "side")
    closed = close_second(county)
    git(root, "checkout", "-q", "side")
    county("2026-10-11T10:00:00+08:00", "step", "xiling/1", "整改台账", "--on", "2026-10-11")
    git(root, "checkout", "-q", "main")
    county.when("2026-10-12T10:00:00+08:00")
    git(root, "merge", "-q", "--no-ff", "--no-commit", "side")
    git(root, "checkout", f"{closed}~1", "--", CHENGDONG)  # the "resolution"
    merge = by_hand(county, "commit", "-qm", "合并", stamp="2026-10-12T10:00:00+08:00")
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == [("merge", "chengdong/2", merge)]
    assert "第 1 个父提交" in found(data, "merge")[0]["message"]


def test_ours_merge_fast_forwarded_drops_every_record_since(county: Dated) -> None:
    root = county.root
    git(root, "branch", "old", "HEAD~1")
    close_second(county)
    git(root, "checkout", "-q", "old")
    merge = by_hand(county, "merge", "-q", "-s", "ours", "main", "-m", "合并")
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--ff-only", "old")
    data = as_json(county.run("audit", "--json"), 1)
    assert sorted({(k, r) for k, r, c in serious(data) if c == merge}) == [
        ("merge", "chengdong/2"), ("merge", "xiling/1")]
    assert all(c == merge for k, _r, c in serious(data))


def test_merge_resolution_adds_what_neither_side_has(county: Dated) -> None:
    root = county.root
    git(root, "branch", "side")
    county("2026-10-10T10:00:00+08:00", "step", "chengdong/2", "清理杂物", "--on", "2026-10-10")
    git(root, "checkout", "-q", "side")
    county("2026-10-11T10:00:00+08:00", "step", "chengdong/2", "协调场地", "--on", "2026-10-11")
    git(root, "checkout", "-q", "main")
    county.when("2026-10-12T10:00:00+08:00")
    # the merge driver would take both steps; the resolution is the hand's own
    subprocess.run(["git", "merge", "-q", "--no-commit", "side"], cwd=root, capture_output=True)
    ours = git(root, "show", f"main:{CHENGDONG}")
    both = ours.replace("        text: 清理杂物\n", "        text: 清理杂物\n      - on: 2026-10-11\n"
                        "        text: 协调场地\n      - on: 2026-10-12\n        text: 全部整改到位\n")
    (root / CHENGDONG).write_text(both, encoding="utf-8")
    git(root, "add", CHENGDONG)
    merge = by_hand(county, "commit", "-qm", "合并", stamp="2026-10-12T10:00:00+08:00")
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == [("merge", "chengdong/2", merge)]
    assert "双方都没有的内容" in found(data, "merge")[0]["message"]
    assert "全部整改到位" in found(data, "merge")[0]["message"]


def test_a_clean_merge_of_zhengdun_commits_is_clean(county: Dated) -> None:
    root = county.root
    git(root, "branch", "side")
    close_second(county)
    git(root, "checkout", "-q", "side")
    county("2026-10-11T10:00:00+08:00", "step", "xiling/1", "整改台账", "--on", "2026-10-11")
    git(root, "checkout", "-q", "main")
    by_hand(county, "merge", "-q", "--no-ff", "side", "-m", "合并西岭村",
            stamp="2026-10-12T10:00:00+08:00")
    data = as_json(county.run("audit", "--json"), 0)
    assert data["serious"] == 0


def _both_add_a_third(county: Dated) -> None:
    """main and side each add a third problem to 城东社区 (both chengdong/3), then merge."""
    root = county.root
    git(root, "branch", "side")
    county("2026-10-10T10:00:00+08:00", "add", "城东社区", "党员发展不规范", "--category", "10",
           "--found", "2026-10-10", "--due", "2026-12-31", "--owner", "王五")
    git(root, "checkout", "-q", "side")
    county("2026-10-11T10:00:00+08:00", "add", "城东社区", "居务公开不及时", "--category", "10",
           "--found", "2026-10-11", "--due", "2026-12-31", "--owner", "赵六")
    git(root, "checkout", "-q", "main")
    county.when("2026-10-12T10:00:00+08:00")


def titles(root: Path) -> list[tuple[int, str]]:
    return [(p["id"], p["title"]) for p in store.load_data(root / CHENGDONG)["problems"]]


def test_the_merge_drivers_renumbering_is_clean(county: Dated) -> None:
    _both_add_a_third(county)
    by_hand(county, "merge", "-q", "--no-ff", "side", "-m", "合并", stamp="2026-10-12T10:00:00+08:00")
    # the first parent's (the clerk's own, unpublished) problem takes the next number
    assert titles(county.root)[2:] == [(3, "居务公开不及时"), (4, "党员发展不规范")]
    data = as_json(county.run("audit", "--json"), 0)
    assert data["serious"] == 0


def test_a_merge_renumbering_the_other_parents_problem(county: Dated) -> None:
    _both_add_a_third(county)
    git(county.root, "merge", "-q", "--no-ff", "--no-commit", "side")
    text = (county.root / CHENGDONG).read_text(encoding="utf-8")
    (county.root / CHENGDONG).write_text(text.replace("  - id: 3\n", "  - id: 0\n").replace(
        "  - id: 4\n", "  - id: 3\n").replace("  - id: 0\n", "  - id: 4\n"), encoding="utf-8")
    assert titles(county.root)[2:] == [(4, "居务公开不及时"), (3, "党员发展不规范")]
    git(county.root, "add", CHENGDONG)
    merge = by_hand(county, "commit", "-qm", "合并", stamp="2026-10-12T10:00:00+08:00")
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == [("merge", "chengdong/4", merge)]


# --------------------------------------------------------------------------- undo


def test_hand_made_undo_of_an_old_closure(county: Dated) -> None:
    root = county.root
    close = git(root, "log", "--format=%H", "--grep", "^close chengdong/1").split()[0]
    replace_in(root / CHENGDONG, "    closures:\n      - on: 2026-09-20\n", "    closures_:\n"
               "      - on: 2026-09-20\n")
    text = (root / CHENGDONG).read_text(encoding="utf-8")
    start = text.index("    closures_:\n")
    end = text.index("  - id: 2\n")
    (root / CHENGDONG).write_text(text[:start] + text[end:], encoding="utf-8")
    forged = by_hand(county, "commit", "-qam", "undo chengdong/1: 撤销\n\nZhengdun-Action: undo\n"
                     f"Zhengdun-Ref: chengdong/1\nZhengdun-Undoes: {close}")
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == [("removed", "chengdong/1", forged), ("undo", "chengdong/1", forged)]
    assert "上一条提交" in found(data, "undo")[0]["message"]


# --------------------------------------------------------------------------- two clocks


def test_backfill_hidden_behind_the_author_date(county: Dated) -> None:
    county.mp.setenv("GIT_AUTHOR_DATE", "2026-09-11T10:00:00+08:00")
    county.mp.setenv("GIT_COMMITTER_DATE", "2026-11-20T10:00:00+08:00")
    county.mp.setenv("ZHENGDUN_TODAY", "2026-11-20")
    assert county.run("step", "chengdong/2", "清理杂物", "--on", "2026-09-11").exit_code == 0
    commit = head(county.root)
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == [("dates", "chengdong/2", commit)]
    late = found(data, "backfill")
    assert [(f["ref"], f["commit"]) for f in late] == [("chengdong/2", commit)]
    assert "晚于事项日期 70 天" in late[0]["message"]


def test_commit_dates_going_backwards(county: Dated) -> None:
    county("2026-10-20T10:00:00+08:00", "step", "chengdong/2", "清理杂物", "--on", "2026-10-20")
    county("2026-10-05T10:00:00+08:00", "step", "xiling/1", "整改台账", "--on", "2026-10-05")
    wrong = head(county.root)  # a machine whose clock said Oct 5 on Oct 21
    county("2026-10-22T10:00:00+08:00", "step", "chengdong/2", "开放活动室", "--on", "2026-10-22")
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == [("clock", "xiling/1", wrong)]
    # diff: the wrong clock counts at the last commit in order before it, not over a month
    quiet = as_json(county.run("diff", "2026-10-03", "2026-10-10", "--json"), 0)
    assert quiet["organizations"] == [] and quiet["out_of_order"] == []
    window = as_json(county.run("diff", "2026-10-03", "2026-10-21", "--json"), 0)
    texts = sorted(c["text"] for g in window["organizations"] for c in g["changes"])
    assert texts == ["整改台账", "清理杂物"]
    assert [w["commit"] for w in window["out_of_order"]] == [wrong]
    assert window["out_of_order"][0]["counted_as"] == "2026-10-20 10:00"
    assert "时钟可能有误" in county.run("diff", "2026-10-03", "2026-10-21").stdout
    log = as_json(county.run("log", "xiling/1", "--json"), 0)
    assert [e["commit"] for e in log["entries"] if e["dates_out_of_order"]] == [wrong]
    assert "时钟可能有误" in county.run("log", "xiling/1").stdout


# --------------------------------------------------------------------------- rewrites


def test_amend_changes_a_closure_inside_a_close_commit(county: Dated) -> None:
    closed = close_second(county)
    replace_in(county.root / CHENGDONG, "result: 腾退活动室", "result: 新建活动室")
    by_hand(county, "commit", "-q", "--amend", "-a", "--no-edit")
    data = as_json(county.run("audit", "--json"), 1)
    assert ("rewritten", "chengdong/2", closed) in serious(data)
    lost = next(f for f in found(data, "rewritten") if f["commit"] == closed)
    assert "amend" in lost["message"]
    assert f"git branch 找回-{closed[:8]} {closed}" in lost["how"]


def test_reset_hard_drops_the_last_record(county: Dated) -> None:
    closed = close_second(county)
    by_hand(county, "reset", "-q", "--hard", "HEAD~1")
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == [("rewritten", "chengdong/2", closed)]
    text = county.run("audit").stdout
    assert "HEAD~1" in text and f"git branch 找回-{closed[:8]}" in text


def test_interactive_rebase_drops_a_close_commit(county: Dated) -> None:
    closed = close_second(county)
    county("2026-10-11T10:00:00+08:00", "visit", "西岭村", "--kind", "督查", "--by", "县委组织部",
           "已整改", "--on", "2026-10-11")
    by_hand(county, "-c", "sequence.editor=sed -i 1s/^pick/drop/", "rebase", "-q", "-i",
            "HEAD~2", stamp="2026-10-12T10:00:00+08:00")
    assert git(county.root, "log", "-1", "--format=%s").startswith("visit xiling")
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == [("rewritten", "chengdong/2", closed)]


def _replay_the_last_step(county: Dated) -> str:
    """A rebase of main's last commit (a step on xiling/1) onto another step on the same
    problem, as ``git pull --rebase`` does: its text differs from the original's, so git's
    ``--cherry-pick`` does not pair the two. The original commit."""
    root = county.root
    last = head(root)
    git(root, "branch", "side", "HEAD~1")
    git(root, "checkout", "-q", "side")
    county("2026-10-03T10:00:00+08:00", "step", "xiling/1", "整改台账", "--on", "2026-10-01")
    git(root, "checkout", "-q", "main")
    by_hand(county, "rebase", "-q", "side", stamp="2026-10-04T10:00:00+08:00")
    steps = store.load_data(root / XILING)["problems"][0]["steps"]
    assert [s["text"] for s in steps] == ["整改台账", "恢复三会一课"]
    assert git(root, "rev-list", "--cherry-pick", "--left-only", f"{last}...HEAD").split() == [
        last]
    return last


def test_a_rebase_of_unpublished_records_is_clean(county: Dated) -> None:
    _replay_the_last_step(county)
    data = as_json(county.run("audit", "--json"), 0)
    assert data["serious"] == 0


def test_a_rebase_of_published_records_is_a_rewrite(county: Dated, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(county.root, "remote", "add", "origin", str(remote))
    git(county.root, "push", "-q", "-u", "origin", "main")
    last = _replay_the_last_step(county)
    git(county.root, "push", "-q", "-f")
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == [("rewritten", "xiling/1", last)]


# --------------------------------------------------------------------------- configuration, evidence


def test_backfill_days_loosened_with_plain_git(county: Dated) -> None:
    config = county.root / "zhengdun.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "backfill_days: 9999\n",
                      encoding="utf-8")
    commit = by_hand(county, "commit", "-qam", "调整")
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == [("loosened", "zhengdun.yaml", commit)]
    finding = found(data, "loosened")[0]
    assert (finding["before"], finding["after"]) == (None, 9999)
    assert "backfill_days" in finding["message"]


def test_other_config_keys_changed_with_plain_git_are_hints(county: Dated) -> None:
    replace_in(county.root / "zhengdun.yaml", "county: 示范县", "county: 示范县（改）")
    commit = by_hand(county, "commit", "-qam", "调整")
    data = as_json(county.run("audit", "--json"), 0)
    assert [(f["kind"], f["commit"], f["before"], f["after"]) for f in data["findings"]] == [
        ("config", commit, "示范县", "示范县（改）")]


def test_evidence_content_replaced_with_plain_git(county: Dated) -> None:
    (county.root / "evidence" / "停车场.jpg").write_bytes("另一张照片".encode())
    commit = by_hand(county, "commit", "-qam", "换照片")
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == [("evidence", "chengdong/1", commit)]
    assert "替换了 evidence/停车场.jpg" in found(data, "evidence")[0]["message"]


def test_evidence_file_deleted_with_plain_git(county: Dated) -> None:
    commit = by_hand(county, "rm", "-q", "evidence/停车场.jpg")
    commit = by_hand(county, "commit", "-qm", "清理")
    data = as_json(county.run("audit", "--json"), 1)
    assert serious(data) == [("evidence", "chengdong/1", commit)]
    assert "删除了 evidence/停车场.jpg" in found(data, "evidence")[0]["message"]


def test_evidence_sha256_is_recorded_and_checked(county: Dated) -> None:
    text = (county.root / CHENGDONG).read_text(encoding="utf-8")
    digest = hashlib.sha256("照片 停车场".encode()).hexdigest()
    assert f"evidence/停车场.jpg: {digest}" in text
    (county.root / "evidence" / "停车场.jpg").write_bytes("另一张照片".encode())
    by_hand(county, "commit", "-qam", "换照片")
    # an audit that does not reach back to the commit still sees the content changed
    data = as_json(county.run("audit", "--json", "--since", "2026-10-21"), 1)
    assert [(f["kind"], f["ref"], f["commit"], f["before"]) for f in data["findings"]
            if f["serious"]] == [("evidence", "chengdong/1", None, digest)]
    assert "内容与记录时不同" in data["findings"][0]["message"]


# --------------------------------------------------------------------------- outside the repository


def test_published_commits_missing_locally(county: Dated, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(county.root, "remote", "add", "origin", str(remote))
    git(county.root, "push", "-q", "-u", "origin", "main")
    published = head(county.root)
    git(county.root, "reset", "-q", "--hard", "HEAD~1")
    county("2026-10-21T10:00:00+08:00", "step", "chengdong/2", "清理杂物", "--on", "2026-10-21")
    data = as_json(county.run("audit", "--json"), 1)
    assert ("remote", "xiling/1", published) in serious(data)


def test_behind_the_remote_is_a_hint(county: Dated, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(county.root, "remote", "add", "origin", str(remote))
    git(county.root, "push", "-q", "-u", "origin", "main")
    clone = tmp_path / "另一位"
    git(tmp_path, "clone", "-q", "-b", "main", str(remote), str(clone))
    county("2026-10-21T10:00:00+08:00", "step", "chengdong/2", "清理杂物", "--on", "2026-10-21")
    git(county.root, "push", "-q")
    git(clone, "fetch", "-q")
    other = Dated(clone, county.mp)
    data = as_json(other.run("audit", "--json"), 0)
    assert [(f["kind"], f["serious"]) for f in data["findings"]] == [("behind", False)]
    assert "zhengdun sync" in data["findings"][0]["how"]


def test_a_shallow_clone_is_named(county: Dated, tmp_path: Path) -> None:
    clone = tmp_path / "浅克隆"
    git(tmp_path, "clone", "-q", "--depth", "3", f"file://{county.root}", str(clone))
    shallow = Dated(clone, county.mp)
    shallow.when("2026-11-21T12:00:00+08:00")
    data = as_json(shallow.run("audit", "--json"), 1)
    assert data["shallow"] is True
    assert [(f["kind"], f["serious"]) for f in found(data, "shallow")] == [("shallow", True)]
    assert "git fetch --unshallow" in found(data, "shallow")[0]["how"]
    text = shallow.run("audit").stdout
    assert "全部" not in text.splitlines()[0] and "已取回" in text
    log = as_json(shallow.run("log", "城东社区", "--json"), 0)
    assert log["shallow"] and log["entries"][0]["shallow"]
    assert "git fetch --unshallow" in shallow.run("log", "城东社区").stdout
    early = shallow.run("diff", "2026-09-06", "2026-09-30")
    assert early.exit_code == 1 and "git fetch --unshallow" in early.stderr
    at = shallow.run("board", "--at", "2026-09-06")
    assert at.exit_code == 1 and "浅克隆" in at.stderr


# --------------------------------------------------------------------------- witnesses


def bulletin(d: Dated, name: str = "通报-2026-10.md") -> Path:
    out = d.root.parent / name
    d("2026-11-01T10:00:00+08:00", "bulletin", "--month", "2026-10", "-o", str(out))
    return out


def test_a_bulletin_witnesses_its_commit(county: Dated) -> None:
    issued = bulletin(county)
    assert f"commit={head(county.root)}" in issued.read_text(encoding="utf-8")
    data = as_json(county.run("audit", "--json", "--witness", str(issued)), 0)
    assert [(w["verified"], w["month"]) for w in data["witnesses"]] == [(True, "2026-10")]
    assert "与台账版本" in county.run("audit", "--witness", str(issued)).stdout


def test_a_bulletin_whose_commit_was_rewritten_away(county: Dated) -> None:
    issued = bulletin(county)
    source = head(county.root)
    by_hand(county, "reset", "-q", "--hard", "HEAD~1")
    data = as_json(county.run("audit", "--json", "--witness", str(issued)), 1)
    assert ("witness", str(issued), source) in serious(data)


def test_a_bulletin_whose_numbers_were_changed(county: Dated) -> None:
    issued = bulletin(county)
    replace_in(issued, " closed=1 ", " closed=2 ")
    data = as_json(county.run("audit", "--json", "--witness", str(issued)), 1)
    mismatch = found(data, "witness")
    assert [(f["before"], f["after"]) for f in mismatch] == [(2, 1)]


def test_witness_errors(county: Dated) -> None:
    plain = county.root.parent / "手写.md"
    plain.write_text("# 通报\n", encoding="utf-8")
    before = head(county.root)
    for args, words in [((str(plain),), "没有台账版本标记"),
                        ((str(county.root.parent / "无此文件.md"),), "找不到印证文件"),
                        ((str(county.root.parent / "通报.docx"),), "找不到印证文件")]:
        result = county.run("audit", "--witness", *args)
        assert result.exit_code == 1 and words in result.stderr, result.output
    docx = county.root.parent / "通报.docx"
    docx.write_bytes(b"PK")
    result = county.run("audit", "--witness", str(docx))
    assert result.exit_code == 1 and "暂不支持" in result.stderr
    other = county.root.parent / "通报.txt"
    other.write_text("x", encoding="utf-8")
    result = county.run("audit", "--witness", str(other))
    assert result.exit_code == 1 and "不认识的文件类型" in result.stderr
    broken = county.root.parent / "残缺.md"
    broken.write_text("<!-- zhengdun 台账版本 month=2026-10 -->\n", encoding="utf-8")
    result = county.run("audit", "--witness", str(broken))
    assert result.exit_code == 1 and "不完整" in result.stderr
    assert head(county.root) == before
    assert git(county.root, "status", "--porcelain") == ""


# --------------------------------------------------------------------------- signatures


def test_signature_seam(county: Dated) -> None:
    commit = head(county.root)
    assert signature_verdict(county.root, commit, required=False) is None
    assert signature_verdict(county.root, commit, required=True) == "unsigned"


# --------------------------------------------------------------------------- the report


def test_many_closures_without_evidence_are_one_line(county: Dated) -> None:
    for n in range(3, 8):
        county(f"2026-10-1{n}T10:00:00+08:00", "add", "城东社区", f"问题{n}", "--category", "10",
               "--found", f"2026-10-1{n}", "--due", "2026-12-31", "--owner", "王五")
        county(f"2026-10-1{n}T11:00:00+08:00", "close", f"chengdong/{n}", "--result", "已整改",
               "--on", f"2026-10-1{n}", "--verified-by", "城关镇党委")
    replace_in(county.root / CHENGDONG, "owner: 赵六", "owner: 钱七")
    commit = by_hand(county, "commit", "-qam", "改", stamp="2026-10-20T10:00:00+08:00")
    text = county.run("audit").stdout.splitlines()
    assert text[1].startswith(f"[严重] 未经 zhengdun 的修改  {commit[:8]} 2026-10-20 测试员")
    grouped = [line for line in text if line.startswith("[提示] 销号无佐证材料")]
    assert grouped == ["[提示] 销号无佐证材料  当前台账  共 5 处：chengdong/3、chengdong/4、"
                       "chengdong/5、chengdong/6、chengdong/7"]
    assert text[-1] == "发现 1 处严重问题；另有提示 5 处（未经 zhengdun 的修改 1 处，销号无佐证材料 5 处）。"
