"""Round two: ledgers near the size limit, and hand-made layouts the writer must not disturb.

A record that would make a ledger larger than zhengdun can read back is refused before anything
is written, on the quick and the full path. A record on a hand-written ledger (4-space blocks,
flow-style problems and steps, comments after several spaces) changes only the lines of the
record: every other line stays byte for byte, or the command refuses and names the layout.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import pinned_env_outside_a_test
from processes import git, zhengdun
from test_reliability_faults import refused, snapshot

LEDGER = "ledgers/chengdong.yaml"

# --------------------------------------------------------------------------- the size limit

MIB = 1024 * 1024
LIMIT = 8 * MIB  # store.MAX_FILE_BYTES: what every reader refuses beyond
#: One argument of a command line can hold at most 128 KiB (Linux's MAX_ARG_STRLEN).
BIG = 100_000


def _ok(root: Path, *args: str, **kwargs: Any) -> None:
    result = zhengdun(root, *args, **kwargs)
    assert result.code == 0, result


@pytest.fixture(scope="module")
def near_limit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """城东社区 built with real commands to 100 KB short of the limit: problems with long
    titles and measures, then one step that brings the file to ``LIMIT - BIG``."""
    folder = tmp_path_factory.mktemp("near-limit")
    with pinned_env_outside_a_test(folder / "home"):
        root = folder / "示范县台账"
        _ok(folder, "init", str(root), "--county", "示范县", "--issuer", "组织部")
        _ok(root, "org", "add", "城东社区", "--township", "城关镇", "--kind", "社区",
            "--designated", "2026-03-15", "--category", "10")
        path = root / LEDGER
        number = 0
        while path.stat().st_size < LIMIT - 2 * MIB:
            number += 1
            measures = [arg for i in range(12) for arg in ("--measure", f"{i}" + "措" * (BIG // 3))]
            _ok(root, "add", "城东社区", f"{number}" + "题" * (BIG // 3), "--category", "10",
                "--found", "2026-03-10", "--due", "2026-06-30", "--owner", "王五", *measures)
        while path.stat().st_size < LIMIT - 2 * BIG:  # fill up with steps, short of the end
            _ok(root, "step", "chengdong/1", "进" * (BIG // 3), "--on", "2026-04-02")
        gap = LIMIT - BIG - path.stat().st_size
        _ok(root, "step", "chengdong/1", "a" * (gap - 40), "--on", "2026-04-02")
        assert LIMIT - BIG - 100 <= path.stat().st_size <= LIMIT - BIG
    return root


@pytest.fixture
def big(near_limit: Path, tmp_path: Path) -> Path:
    target = tmp_path / "示范县台账"
    shutil.copytree(near_limit, target, symlinks=True)
    return target


@pytest.mark.parametrize("quick", ["on", "off"])
def test_a_record_that_would_cross_the_size_limit_is_refused(big: Path, quick: str) -> None:
    """Before: the step was written (8.1 MB) and committed; after it every command refused
    the file, and audit reported the tool's own commit as an unreadable version."""
    env = {"ZHENGDUN_QUICK": quick}
    result = refused(big, ["step", "chengdong/1", "b" * (BIG + 10), "--on", "2026-04-03"],
                     f"这样记录后，{LEDGER} 将有 8.01 MB，超过台账文件 8 MB 的上限",
                     "本次未记录", "evidence/", env=env)
    assert "Traceback" not in result.err
    _ok(big, "check", env=env)  # still readable, still recordable below the limit
    _ok(big, "step", "chengdong/1", "c" * 1000, "--on", "2026-04-03", env=env)


def test_the_quick_path_itself_refuses_at_the_size_limit(
        big: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The rule is in the write step both paths share: the quick path refuses by itself
    (it does not hand the command over to the full path)."""
    from zhengdun import quick

    monkeypatch.chdir(big)
    before = snapshot(big)
    code = quick.run(["step", "chengdong/1", "b" * (BIG + 10), "--on", "2026-04-03"])
    assert code == 1
    assert "超过台账文件 8 MB 的上限" in capsys.readouterr().err
    assert snapshot(big) == before
    assert git(big, "status", "--porcelain") == ""


# --------------------------------------------------------------------------- hand-made layouts

#: A ledger as a clerk might type it: 4-space blocks, comments after several spaces, a problem
#: written on one line, a closure on one line, an inline list of steps, empty inline lists.
HAND = """\
schema_version: 1
name: 城东社区
kind: 社区
township: 城关镇
designated_on: 2026-03-15
categories: ["10"]
responsibility:
    county_leader: 张三      # 包联县级领导
    branch_secretary: 王五   # 书记
problems:
    - id: 1
      title: 小区停车位不足
      category: "10"
      found_on: 2026-03-10
      due: 2026-06-30
      owner: 王五
      steps:
          - on: 2026-04-02
            text: 召开居民议事会     # 第一次
    - {id: 2, title: 垃圾清运不及时, category: "10", found_on: 2026-03-10, due: 2026-06-30, owner: 王五}
    - id: 3
      title: 路灯不亮
      category: "10"
      found_on: 2026-03-10
      due: 2026-06-30
      owner: 王五
      steps: []
      closures:
          - {on: 2026-05-01, result: 已修好}
    - id: 4
      title: 井盖缺失
      category: "10"
      found_on: 2026-03-10
      due: 2026-06-30
      owner: 王五
      steps: [{on: 2026-04-01, text: 排查},
              {on: 2026-04-03, text: 订购井盖}]     # 两条
visits: []     # 督查记录
acceptances: []
"""

FLOW_PROBLEM = ('    - {id: 2, title: 垃圾清运不及时, category: "10", found_on: 2026-03-10, '
                'due: 2026-06-30, owner: 王五}\n')

#: Each recording command, and the lines of HAND it may change (every other line must stay
#: byte for byte; an insertion changes none).
RECORDS: list[tuple[tuple[str, ...], list[str]]] = [
    (("step", "chengdong/1", "新进展"), []),
    (("step", "chengdong/2", "新进展, [含]括号: #号"), [FLOW_PROBLEM]),
    (("step", "chengdong/3", "新进展"), ["      steps: []\n"]),
    (("step", "chengdong/4", "新进展"), ["              {on: 2026-04-03, text: 订购井盖}]     # 两条\n"]),
    (("close", "chengdong/1", "--result", "新增停车位"), []),
    (("close", "chengdong/2", "--result", "已清运", "--verified-by", "城关镇党委"), [FLOW_PROBLEM]),
    (("reopen", "chengdong/3", "--reason", "又坏了"), ["          - {on: 2026-05-01, result: 已修好}\n"]),
    (("add", "城东社区", "新问题", "--category", "10", "--due", "2026-12-01", "--owner", "王五",
      "--measure", "多\n行"), []),
    (("visit", "城东社区", "--kind", "督查", "--by", "县委组织部", "检查"),
     ["visits: []     # 督查记录\n"]),
    (("accept", "城东社区", "--grade", "基本合格", "--by", "县委组织部"), ["acceptances: []\n"]),
    (("org", "set", "城东社区", "--first-secretary", "赵六"), []),
    (("org", "set", "城东社区", "--county-leader", "李四"),
     ["    county_leader: 张三      # 包联县级领导\n"]),
]


def rewritten(before: str, after: str) -> list[str]:
    """The lines of ``before`` that ``after`` no longer has as they were."""
    import difflib

    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [line for tag, i1, i2, _, _ in matcher.get_opcodes() if tag in ("replace", "delete")
            for line in old[i1:i2]]


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace whose 城东社区 is HAND, recorded with ``zhengdun commit``."""
    folder = tmp_path_factory.mktemp("hand-made")
    with pinned_env_outside_a_test(folder / "home"):
        root = folder / "示范县台账"
        _ok(folder, "init", str(root), "--county", "示范县", "--issuer", "组织部")
        (root / LEDGER).write_text(HAND, encoding="utf-8")
        _ok(root, "commit", "-m", "手工建立城东社区台账")
        _ok(root, "check")
    return root


@pytest.mark.parametrize("quick", ["on", "off"])
@pytest.mark.parametrize(("args", "changed"), RECORDS, ids=[" ".join(a[:2]) for a, _ in RECORDS])
def test_a_record_on_a_hand_made_layout_changes_only_its_own_lines(
        hand_made: Path, tmp_path: Path, args: tuple[str, ...], changed: list[str],
        quick: str) -> None:
    """Before: a record on problem 2 (written on one line) or on a closure written on one line
    went through ruamel.yaml, which re-indented every block to 2 spaces and moved every
    comment; now the record goes inside the braces and nothing else moves."""
    if quick == "on" and args[0] not in ("step", "close", "add"):
        pytest.skip("only step, close and add have a quick path")
    root = tmp_path / "示范县台账"
    shutil.copytree(hand_made, root, symlinks=True)
    head = git(root, "rev-parse", "HEAD")
    _ok(root, *args, env={"ZHENGDUN_QUICK": quick})
    after = (root / LEDGER).read_text(encoding="utf-8")
    assert rewritten(HAND, after) == changed
    assert git(root, "rev-parse", "HEAD~1").strip() == head.strip()
    assert git(root, "status", "--porcelain") == ""
    _ok(root, "check")


#: The one layout the splice cannot extend: a key on the line of the item's ``-`` that must
#: become a block. ruamel.yaml could, but only by rewriting the whole file.
ODD = HAND.replace("""\
    - id: 3
      title: 路灯不亮
      category: "10"
      found_on: 2026-03-10
      due: 2026-06-30
      owner: 王五
      steps: []
""", """\
    - steps: []
      id: 3
      title: 路灯不亮
      category: "10"
      found_on: 2026-03-10
      due: 2026-06-30
      owner: 王五
""")


@pytest.mark.parametrize("quick", ["on", "off"])
def test_a_layout_the_splice_cannot_extend_is_refused_not_rewritten(
        hand_made: Path, tmp_path: Path, quick: str) -> None:
    """Before: ruamel.yaml rewrote the file (every block re-indented, comments moved) and the
    step was committed with those changes; now the command refuses and names the line."""
    root = tmp_path / "示范县台账"
    shutil.copytree(hand_made, root, symlinks=True)
    (root / LEDGER).write_text(ODD, encoding="utf-8")
    _ok(root, "commit", "-m", "手工修改")
    refused(root, ["step", "chengdong/3", "新进展"],
            "chengdong.yaml 第 21 行“- steps: []”的写法，zhengdun 无法只在这里添加这次的记录",
            "会改动其他行", "本次未记录", "zhengdun commit -m", env={"ZHENGDUN_QUICK": quick})
    assert (root / LEDGER).read_text(encoding="utf-8") == ODD
    _ok(root, "step", "chengdong/1", "其他问题照常记录", env={"ZHENGDUN_QUICK": quick})
