"""Ledgers merge by record (issue 13, items 2 and 4): the git merge driver, and conflicts
explained.

Two clerks are two clones of one bare repository (``file://``); they record with the real
program and merge with the real ``git pull``, which runs the driver ``init`` registered.
Hypothesis then sets the driver's merge of concurrent record sequences against a reference
merge of the events.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import git
from processes import Done, environment, zhengdun
from zhengdun import store
from zhengdun.errors import UserError
from zhengdun.merging import ATTRIBUTE, merge_data, merge_files, register_merge_driver

LEDGER = "ledgers/majiaping.yaml"


def ok(root: Path, *args: str) -> Done:
    done = zhengdun(root, *args)
    assert done.code == 0, (args, done.out, done.err)
    return done


def pull(root: Path, how: str) -> subprocess.CompletedProcess[str]:
    """``git pull --no-rebase`` or ``--rebase``, as a clerk types it."""
    return subprocess.run(["git", "pull", f"--{how}"], cwd=root, capture_output=True,
                          text=True, env=environment(), check=False)


def snapshot(root: Path) -> dict[str, Any]:
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
             if p.is_file() and ".git" not in p.relative_to(root).parts}
    return {"files": files, "index": git(root, "ls-files", "-s"),
            "head": git(root, "rev-parse", "HEAD"), "status": git(root, "status", "--porcelain")}


@pytest.fixture
def clerks(tmp_path: Path) -> tuple[Path, Path]:
    """甲 (who made the workspace) and 乙 (who cloned it), one bare remote between them."""
    a = tmp_path / "甲"
    ok(tmp_path, "init", str(a), "--county", "示范县", "--issuer", "中共示范县委组织部")
    ok(a, "org", "add", "马家坪村", "--township", "城关镇", "--kind", "村", "--designated",
       "2026-03-01", "--category", "9")  # its problem's category: no 避重就轻 warning
    ok(a, "add", "majiaping", "党员活动室年久失修", "--category", "9", "--due", "2026-12-31",
       "--owner", "王五", "--found", "2026-03-05")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(a, "remote", "add", "origin", remote.as_uri())
    git(a, "push", "-q", "-u", "origin", "main")
    b = tmp_path / "乙"
    git(tmp_path, "clone", "-q", remote.as_uri(), str(b))
    register_merge_driver(b)  # what ``zhengdun sync`` does in a clone
    return a, b


def test_init_registers_the_driver_and_commits_the_attribute(clerks: tuple[Path, Path]) -> None:
    a, b = clerks
    for root in (a, b):
        assert git(root, "check-attr", "merge", "--", LEDGER).strip().endswith("merge: zhengdun")
        driver = git(root, "config", "--get", "merge.zhengdun.driver").strip()
        assert driver.endswith("-m zhengdun merge-driver %O %A %B %P")
        assert Path(driver.split()[0]).is_file()  # the running interpreter, absolute
    assert ATTRIBUTE in git(a, "show", "HEAD~2:.gitattributes").splitlines()
    assert git(a, "status", "--porcelain") == ""
    register_merge_driver(a)  # again: nothing doubled
    assert (a / ".gitattributes").read_text(encoding="utf-8").count(ATTRIBUTE) == 1


def test_an_unreadable_gitattributes_is_named(tmp_path: Path) -> None:
    (tmp_path / ".gitattributes").write_bytes("*.txt text\n# 说明\n".encode("gbk"))
    before = (tmp_path / ".gitattributes").read_bytes()
    with pytest.raises(UserError, match=r"无法读取工作区的 \.gitattributes"):
        register_merge_driver(tmp_path)
    assert (tmp_path / ".gitattributes").read_bytes() == before


def _diverge(a: Path, b: Path) -> None:
    """Both clerks record on the same village: each a new problem (both get majiaping/2), a
    step on majiaping/1 and a visit; 乙 has a comment of their own in the file."""
    ok(a, "add", "majiaping", "村委会换届后分工不明确", "--category", "1", "--due", "2026-12-31",
       "--owner", "张三", "--found", "2026-04-01")
    ok(a, "step", "majiaping/1", "筹措维修资金", "--on", "2026-05-01")
    ok(a, "visit", "majiaping", "--kind", "督查", "--by", "县委组织部", "--on", "2026-05-04",
       "督查维修进度")
    git(a, "push", "-q")
    ledger = b / LEDGER
    ledger.write_text(ledger.read_text(encoding="utf-8").replace(
        "township: 城关镇\n", "township: 城关镇  # 2026年并入城关镇\n"), encoding="utf-8")
    ok(b, "commit", "-m", "注明乡镇调整")
    ok(b, "add", "majiaping", "村务公开栏长期未更新", "--category", "7", "--due", "2026-12-31",
       "--owner", "李四", "--found", "2026-04-02")
    ok(b, "visit", "majiaping", "--kind", "调度", "--by", "城关镇党委", "--on", "2026-05-03",
       "调度整改")
    ok(b, "step", "majiaping/1", "确定施工队", "--on", "2026-05-02")


@pytest.mark.parametrize("how", ["no-rebase", "rebase"])
def test_a_pull_merges_divergent_records_on_one_village(clerks: tuple[Path, Path],
                                                        how: str) -> None:
    a, b = clerks
    _diverge(a, b)
    pulled = pull(b, how)
    assert pulled.returncode == 0, pulled.stderr
    # 甲's majiaping/2 was published first: 乙's (unpublished) takes the next number
    assert "majiaping/2 已改为 majiaping/3：另一位同志已先记录 majiaping/2" in pulled.stderr
    data = store.load_data(b / LEDGER)
    assert [(p["id"], p["title"]) for p in data["problems"]] == [
        (1, "党员活动室年久失修"), (2, "村委会换届后分工不明确"), (3, "村务公开栏长期未更新")]
    assert [s["text"] for s in data["problems"][0]["steps"]] == ["筹措维修资金", "确定施工队"]
    assert [v["on"] for v in data["visits"]] == ["2026-05-03", "2026-05-04"]
    text = (b / LEDGER).read_text(encoding="utf-8")
    assert "township: 城关镇  # 2026年并入城关镇\n" in text  # the clerk's comment stays
    assert "<<<<<<<" not in text
    assert git(b, "status", "--porcelain") == ""
    assert "全部通过" in ok(b, "check").out
    assert zhengdun(b, "audit").code == 0
    # and back: 甲 pulls 乙's published merge without renumbering anything
    git(b, "push", "-q")
    assert pull(a, "rebase").returncode == 0
    assert store.load_data(a / LEDGER) == data


def test_the_same_field_changed_both_ways_is_a_true_conflict(clerks: tuple[Path, Path]) -> None:
    a, b = clerks
    for root, due, visit in ((a, "2027-01-31", "甲督查"), (b, "2027-03-31", "乙督查")):
        ok(root, "visit", "majiaping", "--kind", "督查", "--by", "县委组织部", "--on",
           "2026-05-04", visit)
        ledger = root / LEDGER
        ledger.write_text(ledger.read_text(encoding="utf-8").replace(
            "due: 2026-12-31", f"due: {due}"), encoding="utf-8")
        ok(root, "commit", "-m", "延长整改时限")
    git(a, "push", "-q")
    pulled = pull(b, "no-rebase")
    assert pulled.returncode != 0
    assert ("majiaping/1 的整改时限（due）：本机尚未发布的记录为“2027-03-31”，"
            "已发布的记录为“2027-01-31”") in pulled.stderr, pulled.stderr
    assert "git add ledgers/majiaping.yaml，再运行 git commit --no-edit 完成" in pulled.stderr
    text = (b / LEDGER).read_text(encoding="utf-8")
    assert ("<<<<<<< 本机尚未发布的记录\n    due: 2027-03-31\n=======\n    due: 2027-01-31\n"
            ">>>>>>> 已发布的记录\n") in text
    assert "text: 甲督查" in text and "text: 乙督查" in text  # the rest merged all the same
    before = snapshot(b)
    checked = zhengdun(b, "check")
    assert checked.code == 1
    assert "这里是 git 合并冲突留下的标记" in checked.out
    assert "git checkout --" not in checked.out  # git refuses it on an unmerged path
    assert "再运行 git commit --no-edit 完成" in checked.out
    refused = zhengdun(b, "step", "majiaping/1", "继续施工")
    refused.assert_clean_refusal("git 正在合并（merge）中，ledgers/majiaping.yaml 的合并冲突还没有解决",
                                 "git add ledgers/majiaping.yaml", "git merge --abort")
    assert snapshot(b) == before
    # settled as the message says
    (b / LEDGER).write_text(text.replace(
        "<<<<<<< 本机尚未发布的记录\n    due: 2027-03-31\n=======\n", "").replace(
        ">>>>>>> 已发布的记录\n", ""), encoding="utf-8")
    git(b, "add", LEDGER)
    git(b, "commit", "-q", "--no-edit")
    assert "全部通过" in ok(b, "check").out


def test_records_that_do_not_stand_together_are_a_conflict(clerks: tuple[Path, Path]) -> None:
    """Both clerks closed majiaping/1: each side passes check, the two closures together do
    not (only the last closure may lack a reopening). Both are kept, and the clerk decides."""
    a, b = clerks
    ok(a, "close", "majiaping/1", "--result", "活动室已维修", "--on", "2026-06-01")
    git(a, "push", "-q")
    ok(b, "close", "majiaping/1", "--result", "维修完毕并验收", "--on", "2026-06-03")
    pulled = pull(b, "no-rebase")
    assert pulled.returncode != 0
    assert "两边的记录各自没有问题，合在一起却通不过 zhengdun check" in pulled.stderr, pulled.stderr
    assert "运行 git add ledgers/majiaping.yaml，再运行 git commit --no-edit 完成" in pulled.stderr
    closures = store.load_data(b / LEDGER)["problems"][0]["closures"]
    assert [c["result"] for c in closures] == ["活动室已维修", "维修完毕并验收"]
    assert zhengdun(b, "check").code == 1


def test_a_conflict_in_a_rebase_names_rebase_continue(clerks: tuple[Path, Path]) -> None:
    a, b = clerks
    for root, owner in ((a, "赵六"), (b, "钱七")):
        ledger = root / LEDGER
        ledger.write_text(ledger.read_text(encoding="utf-8").replace(
            "owner: 王五", f"owner: {owner}"), encoding="utf-8")
        ok(root, "commit", "-m", "更换责任人")
    git(a, "push", "-q")
    pulled = pull(b, "rebase")
    assert pulled.returncode != 0
    # in a rebase "ours" is what was published, "theirs" the clerk's commit replayed
    assert "majiaping/1 的责任人（owner）：已发布的记录为“赵六”，本机尚未发布的记录为“钱七”" \
        in pulled.stderr, pulled.stderr
    assert "git rebase --continue" in pulled.stderr
    checked = zhengdun(b, "check")
    assert "再运行 git rebase --continue 完成" in checked.out
    assert "git rebase --abort" in checked.out


def test_markers_committed_by_hand_are_recorded_again_not_merged(clerks: tuple[Path, Path],
                                                                ) -> None:
    """No merge in progress: the words are the editor and ``zhengdun commit``."""
    a, _ = clerks
    config = a / "zhengdun.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "county: 示范县\n", "<<<<<<< HEAD\ncounty: 示范县\n=======\ncounty: 甲县\n>>>>>>> x\n"),
        encoding="utf-8")
    git(a, "commit", "-qam", "手工提交了冲突标记")
    checked = zhengdun(a, "check")
    assert checked.code == 1
    assert "zhengdun.yaml:" in checked.out and "合并冲突留下的标记" in checked.out
    assert "zhengdun commit -m \"解决合并冲突\"" in checked.out
    assert "git merge --abort" not in checked.out
    zhengdun(a, "list").assert_clean_refusal("合并冲突", "zhengdun commit -m")


def test_a_version_that_is_not_a_ledger_is_merged_line_by_line(tmp_path: Path) -> None:
    base, ours, theirs = (tmp_path / n for n in ("base", "ours", "theirs"))
    base.write_text("a: 1\nb: [\n", encoding="utf-8")
    ours.write_text("a: 2\nb: [\n", encoding="utf-8")
    theirs.write_text("a: 1\nb: [\nc: 3\n", encoding="utf-8")
    result = merge_files(tmp_path, base, ours, theirs, LEDGER)
    assert result.code == 0 and "逐行合并" in result.said[0]
    assert ours.read_text(encoding="utf-8") == "a: 2\nb: [\nc: 3\n"


# --------------------------------------------------------------------------- properties

DAYS = st.dates(min_value=__import__("datetime").date(2026, 4, 1),
                max_value=__import__("datetime").date(2026, 10, 31)).map(str)


def _record(side: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"on": DAYS, "text": st.sampled_from(["督查", "调度", "约谈"])
                                  .map(lambda kind: f"{side}{kind}")})


def _events(side: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(_record(side), max_size=4)


BASE = {"schema_version": 1, "name": "马家坪村", "kind": "村", "township": "城关镇",
        "designated_on": "2026-03-01", "categories": ["1"]}


def _problem(number: int, title: str) -> dict[str, Any]:
    return {"id": number, "title": title, "category": "9", "found_on": "2026-03-05",
            "due": "2026-12-31", "owner": "王五"}


def _sorted(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(events, key=lambda e: e["on"])  # stable: base, then ours, then theirs


def _ledger(base_steps: list[Any], steps: list[Any], visits: list[Any],
            titles: list[str]) -> dict[str, Any]:
    problems = [{**_problem(1, "党员活动室年久失修"), "steps": _sorted(base_steps) + steps}]
    problems += [_problem(2 + i, t) for i, t in enumerate(titles)]
    data: dict[str, Any] = {**BASE, "problems": problems}
    if visits:
        data["visits"] = visits
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base_steps=st.lists(_record("原"), max_size=3), ours_steps=_events("甲"),
       theirs_steps=_events("乙"), ours_visits=_events("甲"), theirs_visits=_events("乙"),
       ours_new=st.lists(st.sampled_from(["问题甲一", "问题甲二"]), max_size=2, unique=True),
       theirs_new=st.lists(st.sampled_from(["问题乙一", "问题乙二"]), max_size=2, unique=True),
       shared=st.booleans(), rebase=st.booleans())
def test_the_driver_keeps_every_record_of_both_sides_in_date_order(
        tmp_path: Path, base_steps: list[Any], ours_steps: list[Any], theirs_steps: list[Any],
        ours_visits: list[Any], theirs_visits: list[Any], ours_new: list[str],
        theirs_new: list[str], shared: bool, rebase: bool) -> None:
    """Reference merge: each list of events is the base's, then ours' new, then theirs' new,
    stably sorted by date (a record both sides made alike once); every problem of either side
    once, published numbers unchanged, the unpublished ones after them."""
    if shared:  # both clerks typed the very same visit
        ours_visits = [*ours_visits, {"on": "2026-06-01", "text": "联合督查"}]
        theirs_visits = [*theirs_visits, {"on": "2026-06-01", "text": "联合督查"}]
    ours_visits, theirs_visits = _sorted(ours_visits), _sorted(theirs_visits)
    ours_steps, theirs_steps = _sorted(ours_steps), _sorted(theirs_steps)
    base = _ledger(base_steps, [], [], [])
    ours = _ledger(base_steps, [], ours_visits, ours_new)
    ours["problems"][0]["steps"] = _sorted(_sorted(base_steps) + ours_steps)
    theirs = _ledger(base_steps, [], theirs_visits, theirs_new)
    theirs["problems"][0]["steps"] = _sorted(_sorted(base_steps) + theirs_steps)
    unpublished = "theirs" if rebase else "ours"
    merged = merge_data(base, ours, theirs, unpublished)
    assert merged.conflicts == [] and not merged.rewrite

    steps = _sorted(_sorted(base_steps) + ours_steps + theirs_steps)
    assert merged.data["problems"][0]["steps"] == steps
    once = list(theirs_visits)
    if shared:
        once.remove({"on": "2026-06-01", "text": "联合督查"})
    assert merged.data.get("visits", []) == _sorted(ours_visits + once)
    published, mine = (ours_new, theirs_new) if rebase else (theirs_new, ours_new)
    numbers = {p["title"]: p["id"] for p in merged.data["problems"]}
    assert sorted(numbers) == sorted(["党员活动室年久失修", *ours_new, *theirs_new])
    assert len(set(numbers.values())) == len(numbers)
    assert [numbers[t] for t in published] == list(range(2, 2 + len(published)))
    assert sorted(numbers[t] for t in mine) == list(range(2 + len(published),
                                                          2 + len(published) + len(mine)))
    assert len(merged.renumbered) == min(len(published), len(mine))

    # the same merge written through the splicer, onto ours' text, reads back as that data
    folder = tmp_path / json.dumps([len(ours_new), len(theirs_new), len(ours_steps), rebase])
    (folder / ".git").mkdir(parents=True, exist_ok=True)
    if rebase:  # what git leaves while it rebases: the driver reads the roles from it
        (folder / ".git" / "rebase-merge").mkdir(exist_ok=True)
    paths = [folder / name for name in ("base.yaml", "ours.yaml", "theirs.yaml")]
    for path, data in zip(paths, (base, ours, theirs), strict=True):
        path.write_text(store.dump(data), encoding="utf-8")
    result = merge_files(folder, *paths, LEDGER)
    assert result.code == 0, result.said
    assert store.load_data(paths[1]) == merged.data
    assert len(result.said) == len(merged.renumbered)
