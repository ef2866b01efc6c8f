"""Round two: ledgers near the size limit, and hand-made layouts the writer must not disturb.

A record that would make a ledger larger than zhengdun can read back is refused before anything
is written, on the quick and the full path. A record on a hand-written ledger (4-space blocks,
flow-style problems and steps, comments after several spaces) changes only the lines of the
record: every other line stays byte for byte, or the command refuses and names the layout.
"""

from __future__ import annotations

import difflib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import copy_of, pinned_env_outside_a_test
from processes import git, zhengdun
from test_reliability_faults import refused, snapshot
from zhengdun import store
from zhengdun.errors import UserError

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
    return copy_of(near_limit, tmp_path)


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
schema_version: 2
name: 城东社区
kind: 社区
township: 城关镇
designations:
    - round: "2026"
      on: 2026-03-15
      categories: ["10"]
      responsibility:
          county_leader: 张三      # 包联县级领导
          branch_secretary: 王五   # 书记
problems:
    - id: 1
      round: "2026"
      title: 小区停车位不足
      category: "10"
      found_on: 2026-03-10
      due: 2026-06-30
      owner: 王五
      steps:
          - on: 2026-04-02
            text: 召开居民议事会     # 第一次
    - {id: 2, round: "2026", title: 垃圾清运不及时, category: "10", found_on: 2026-03-10, due: 2026-06-30, owner: 王五}
    - id: 3
      round: "2026"
      title: 路灯不亮
      category: "10"
      found_on: 2026-03-10
      due: 2026-06-30
      owner: 王五
      steps: []
      closures:
          - {on: 2026-05-01, result: 已修好}
    - id: 4
      round: "2026"
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

FLOW_PROBLEM = ('    - {id: 2, round: "2026", title: 垃圾清运不及时, category: "10", '
                'found_on: 2026-03-10, '
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
     ["          county_leader: 张三      # 包联县级领导\n"]),
]


def rewritten(before: str, after: str) -> list[str]:
    """The lines of ``before`` that ``after`` no longer has as they were."""
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


#: Every record on the full path; step, close and add (which have one) on the quick path too.
PATHS = [(args, changed, quick) for args, changed in RECORDS for quick in ("on", "off")
         if quick == "off" or args[0] in ("step", "close", "add")]


@pytest.mark.parametrize(("args", "changed", "quick"), PATHS,
                         ids=[f"{' '.join(a[:2])}-{q}" for a, _, q in PATHS])
def test_a_record_on_a_hand_made_layout_changes_only_its_own_lines(
        hand_made: Path, tmp_path: Path, args: tuple[str, ...], changed: list[str],
        quick: str) -> None:
    """Before: a record on problem 2 (written on one line) or on a closure written on one line
    went through ruamel.yaml, which re-indented every block to 2 spaces and moved every
    comment; now the record goes inside the braces and nothing else moves."""
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
      round: "2026"
      title: 路灯不亮
      category: "10"
      found_on: 2026-03-10
      due: 2026-06-30
      owner: 王五
      steps: []
""", """\
    - steps: []
      id: 3
      round: "2026"
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
            "chengdong.yaml 第 24 行“- steps: []”的写法，zhengdun 无法只在这里添加这次的记录",
            "会改动其他行", "本次未记录", "zhengdun commit -m", env={"ZHENGDUN_QUICK": quick})
    assert (root / LEDGER).read_text(encoding="utf-8") == ODD
    _ok(root, "step", "chengdong/1", "其他问题照常记录", env={"ZHENGDUN_QUICK": quick})


# --------------------------------------------------------------------------- generated layouts

TEXTS = st.sampled_from(["整改", "no", "010", "a: b", "#x", "x, y", "[a]", "{b}", "多\n行",
                         "😀", "2026-04-02", "，：；", " 空格"])
GAP = st.sampled_from(["", " ", "   ", "      "])  # spaces before a comment


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, str) and value != "整改":  # JSON's quoting is YAML's double quotes
        return json.dumps(value, ensure_ascii=False)
    return store.scalar(value)


@st.composite
def hand_layouts(draw: Any) -> tuple[str, dict[str, Any], store.Edit, set[int]]:
    """A ledger text in a generated hand layout, its data, one edit, and the lines (0-based)
    the edit may change: those of the problem it concerns, or of the top-level entry."""
    width = draw(st.sampled_from([2, 3, 4]))
    pad = " " * width
    lines = ["schema_version: 1", "name: 城东社区", "kind: 社区", "township: 城关镇",
             "designated_on: 2026-03-15", 'categories: ["10"]', "responsibility:"]
    spans: dict[Any, range] = {}
    start = len(lines) - 1
    lines.append(f"{pad}county_leader: 张三{draw(GAP)} # 包联")
    spans["responsibility"] = range(start, len(lines))
    lines.append("problems:")
    problems = []
    for pid in (1, 2, 3):
        problem: dict[str, Any] = {"id": pid, "title": draw(TEXTS), "category": "10",
                                   "found_on": "2026-03-10", "due": "2026-09-30", "owner": "王五"}
        steps = [{"on": f"2026-04-0{d}", "text": draw(TEXTS)}
                 for d in range(1, draw(st.integers(0, 2)) + 1)]
        if steps or draw(st.booleans()):
            problem["steps"] = steps
        if draw(st.booleans()):
            problem["closures"] = [{"on": "2026-06-01", "result": draw(TEXTS)}]
        problems.append(problem)
        first = len(lines)
        if draw(st.booleans()):  # the whole problem on one line
            lines.append(f"{pad}- {_inline(problem)}{draw(GAP)} # 第{pid}个")
        else:
            inner = " " * (2 * width)
            for n, (key, value) in enumerate(problem.items()):
                lead = f"{pad}- " + " " * (width - 2) if n == 0 else inner
                if isinstance(value, list) and (not value or draw(st.booleans())):
                    lines.append(f"{lead}{key}: {_inline(value)}{draw(GAP)} # 注")
                elif isinstance(value, list):
                    lines.append(f"{lead}{key}:")
                    for item in value:
                        lines.append(f"{inner}{pad}- {_inline(item)}" if draw(st.booleans())
                                     else f"{inner}{pad}- on: {item['on']}\n"
                                          f"{inner}{pad}  {'text' if 'text' in item else 'result'}"
                                          f": {store.scalar(item.get('text', item.get('result')))}")
                else:
                    lines.append(f"{lead}{key}: {store.scalar(value)}")
        lines = "\n".join(lines).split("\n")
        spans[pid - 1] = range(first, len(lines))
    visits = draw(st.sampled_from(["visits: []", "visits: [] # 督查"]))
    spans["visits"] = range(len(lines), len(lines) + 1)
    lines.append(visits)
    text = "\n".join(lines) + "\n"
    data: dict[str, Any] = {"schema_version": 1, "name": "城东社区", "kind": "社区",
                            "township": "城关镇", "designated_on": "2026-03-15",
                            "categories": ["10"], "responsibility": {"county_leader": "张三"},
                            "problems": problems, "visits": []}
    pi = draw(st.integers(0, 2))
    step = {"on": "2026-07-01", "text": draw(TEXTS)}
    closure = {"on": "2026-07-02", "result": draw(TEXTS)}
    choices: list[tuple[store.Edit, Any]] = [
        (store.Append(("problems", pi), "steps", step, [*problems[pi].get("steps", []), step]), pi),
        (store.Append(("problems", pi), "closures", closure,
                      [*problems[pi].get("closures", []), closure]), pi),
        (store.Set(("responsibility",), "first_secretary", draw(TEXTS)), "responsibility"),
        (store.Set(("responsibility",), "county_leader", draw(TEXTS)), "responsibility"),
        (store.Append((), "visits", {"on": "2026-08-01", "kind": "督查", "by": "组织部",
                                     "text": draw(TEXTS)}, []), "visits"),
    ]
    if "closures" in problems[pi]:
        choices.append((store.Set(("problems", pi, "closures", 0), "reopened",
                                  {"on": "2026-07-03", "reason": draw(TEXTS)}), pi))
    edit, where = draw(st.sampled_from(choices))
    return text, data, edit, set(spans[where])


def _expected(data: dict[str, Any], edit: store.Edit) -> dict[str, Any]:
    import copy

    out = copy.deepcopy(data)
    node: Any = out
    for part in edit.path:
        node = node[part]
    if isinstance(edit, store.Append):
        node[edit.key] = [*(node.get(edit.key) or []), edit.item]
    else:
        node[edit.key] = edit.value
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=hand_layouts(), crlf=st.booleans())
def test_generated_hand_layouts_keep_every_untouched_line(
        case: tuple[str, dict[str, Any], store.Edit, set[int]], crlf: bool) -> None:
    """Any mix of widths, inline problems, closures and step lists, comment gaps: an edit
    either changes only the lines of its own problem (or entry) and reads back as meant, or
    is refused; never a text with other lines rewritten."""
    text, data, edit, allowed = case
    newline = "\r\n" if crlf else "\n"
    raw = text.replace("\n", newline).encode()
    doc = store.Document(Path("hand.yaml"), raw, text.replace("\n", newline), False, newline)
    assert doc.parse().data == data
    want = _expected(data, edit)
    try:
        out = store.apply_edits(doc, [edit], lambda got: bool(got == want))
    except UserError as exc:
        assert "本次未记录" in exc.message or "文件未改动" in exc.message
        return
    assert store.parse(out).data == want
    old = doc.text.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old, out.splitlines(keepends=True), autojunk=False)
    stray = [old[i] for tag, i1, i2, _, _ in matcher.get_opcodes()
             if tag in ("replace", "delete") for i in range(i1, i2) if i not in allowed]
    assert stray == [], (doc.text, out)
