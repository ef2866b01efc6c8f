"""store: byte-exact round trips, line splices that touch only what they must, safe quoting.

The splicer is checked against hand-written files (comments, blank lines, odd indentation,
CRLF, a BOM) by diffing the text before and after: an Append may only add lines, a Set of a
scalar may only change its own line. Quoting is checked against three YAML readers: ours
(YAML 1.2 core), PyYAML's default ``safe_load`` (YAML 1.1) and ruamel's safe loader.
"""

from __future__ import annotations

import copy
import difflib
import os
import stat
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from conftest import git
from zhengdun import store
from zhengdun.errors import UserError
from zhengdun.migrate import readable_old_ledger
from zhengdun.model import Config, Ledger

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "ledgers").glob("*.yaml"))
RUAMEL_SAFE = YAML(typ="safe")


# --------------------------------------------------------------------------- helpers


def document(text: str, *, crlf: bool = False, bom: bool = False,
             name: str = "hand.yaml") -> store.Document:
    """A Document made the way store.read makes one, from text in a given convention."""
    if crlf:
        text = text.replace("\n", "\r\n")
    raw = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    decoded, had_bom, newline = store.decode(raw, name)
    return store.Document(Path(name), raw, decoded, had_bom, newline)


def textual(value: Any) -> Any:
    """What the store's parser gives back for data holding dates (it leaves dates as text)."""
    if isinstance(value, dict):
        return {k: textual(v) for k, v in value.items()}
    if isinstance(value, list):
        return [textual(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def expected_after(data: Any, edits: Sequence[store.Edit]) -> Any:
    """The edits applied to plain data, independently of the store."""
    out = copy.deepcopy(data)
    for edit in edits:
        node = out
        for part in edit.path:
            node = node[part]
        if isinstance(edit, store.Append):
            if isinstance(node.get(edit.key), list) and node[edit.key]:
                node[edit.key].append(textual(edit.item))
            else:
                node[edit.key] = textual(edit.full)
        else:
            node[edit.key] = textual(edit.value)
    return out


def apply(doc: store.Document, edits: Sequence[store.Edit]) -> str:
    """Apply edits; the result must parse to exactly the expected data."""
    want = expected_after(doc.parse().data, edits)
    text = store.apply_edits(doc, edits, lambda data: data == want)
    assert store.parse(text).data == want
    return text


def changes(before: str, after: str) -> list[tuple[str, int, list[str], list[str]]]:
    """A line diff: (tag, line, removed lines, added lines) for each change.

    ``line`` is where the change starts in the new text (1-based): an insertion after line 30
    of the old text starts at line 31.
    """
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    return [(tag, j1 + 1, old[i1:i2], new[j1:j2])
            for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


@pytest.fixture
def splice_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail if the ruamel.yaml fallback is used: the splicer alone must handle the layout."""

    def refuse(text: str, edits: Sequence[store.Edit]) -> str:
        raise AssertionError("ruamel.yaml fallback was used for a layout the splicer handles")

    monkeypatch.setattr(store, "_ruamel_apply", refuse)
    yield


@pytest.fixture
def ruamel_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count uses of the ruamel.yaml fallback (still running it)."""
    calls: list[int] = []
    real = store._ruamel_apply

    def counted(text: str, edits: Sequence[store.Edit]) -> str:
        calls.append(1)
        return real(text, edits)

    monkeypatch.setattr(store, "_ruamel_apply", counted)
    return calls


# A ledger as a clerk might keep it by hand: comments everywhere, blank lines, sequences not
# indented under their key, four-space indents, a flow list, quoting of every kind.
HAND = """\
# 城东社区整顿台账（手工维护）
# 以下内容由组织科核对

schema_version: 1
name: 城东社区          # 村(社区)名称
kind: 社区
township: 城关镇
designated_on: 2026-03-15   # 县委常委会审定
categories:   # 类型
- "10"        # 服务意识差
- '9'

responsibility:
    county_leader: 张三     # 包联县级领导
    first_secretary: 赵六
    paired_units:
    -   县住建局
problems:
# 第一批问题
-   id: 1
    title: 小区停车位不足，居民反映近两年未解决
    category: "10"
    source: 群众反映
    found_on: 2026-03-10
    due: 2026-06-30
    owner: 王五
    measures: [协调物业新增停车位]
    steps:
    -   on: 2026-04-02     # 议事会
        text: 召开居民议事会，确定改造方案

    # 五月份继续推进

-   id: 2
    title: "no"
    category: '10'
    found_on: 2026-03-12
    due: 2026-12-31
    owner: 'on'
    steps: []   # 暂无进展

# 督查记录
visits:
  - on: 2026-05-10
    kind: 督查
    by: 县委组织部督查组
    text: |
      进度偏慢，
      限期整改
# 文件结束
"""


# The same by hand in the second format (schema_version 2: designations by round), as a clerk
# would keep it after ``zhengdun migrate``: the commands record into it line by line too.
HAND_V2 = """\
# 城东社区整顿台账（手工维护）
# 以下内容由组织科核对

schema_version: 2
name: 城东社区          # 村(社区)名称
kind: 社区
township: 城关镇
designations:
-   round: "2026"
    on: 2026-03-15   # 县委常委会审定
    categories:   # 类型
    - "10"        # 服务意识差
    - '9'

    responsibility:
        county_leader: 张三     # 包联县级领导
        first_secretary: 赵六
        paired_units:
        -   县住建局
problems:
# 第一批问题
-   id: 1
    round: "2026"
    title: 小区停车位不足，居民反映近两年未解决
    category: "10"
    source: 群众反映
    found_on: 2026-03-10
    due: 2026-06-30
    owner: 王五
    measures: [协调物业新增停车位]
    steps:
    -   on: 2026-04-02     # 议事会
        text: 召开居民议事会，确定改造方案

    # 五月份继续推进

-   id: 2
    round: '2026'
    title: "no"
    category: '10'
    found_on: 2026-03-12
    due: 2026-12-31
    owner: 'on'
    steps: []   # 暂无进展

# 督查记录
visits:
  - round: "2026"
    on: 2026-05-10
    kind: 督查
    by: 县委组织部督查组
    text: |
      进度偏慢，
      限期整改
# 文件结束
"""


def hand_lines() -> list[str]:
    return HAND.splitlines(keepends=True)


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("path", [*SHIPPED, REPO / "zhengdun.yaml"], ids=lambda p: p.name)
def test_shipped_files_round_trip_byte_for_byte(path: Path) -> None:
    doc = store.read(path)
    assert doc.raw == path.read_bytes()
    text = store.apply_edits(doc, [], lambda data: True)
    assert text == doc.text
    assert doc.encode(text) == path.read_bytes()
    model = Config if path.name == "zhengdun.yaml" else Ledger
    model.model_validate(doc.parse().data)


def test_there_are_shipped_ledgers_to_round_trip() -> None:
    assert len(SHIPPED) >= 10


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_ledgers_without_comments_are_in_zhengdun_layout(path: Path) -> None:
    doc = store.read(path)
    if "#" in doc.text:
        pytest.skip("hand comments: not in the generated layout")
    ledger = Ledger.model_validate(doc.parse().data)
    assert store.dump(ledger.to_data()) == doc.text


@pytest.mark.parametrize(("crlf", "bom"), [(False, False), (True, False), (False, True),
                                           (True, True)])
def test_untouched_hand_file_round_trips(tmp_path: Path, crlf: bool, bom: bool) -> None:
    text = HAND.replace("\n", "\r\n") if crlf else HAND
    raw = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    path = tmp_path / "hand.yaml"
    path.write_bytes(raw)
    doc = store.read(path)
    assert doc.bom is bom
    assert doc.newline == ("\r\n" if crlf else "\n")
    assert not doc.text.startswith("\ufeff")
    out = store.apply_edits(doc, [], lambda data: True)
    assert doc.encode(out) == raw


def test_hand_file_parses_as_yaml_1_2() -> None:
    data = document(HAND).parse().data
    assert data["problems"][1]["title"] == "no"
    assert data["problems"][1]["owner"] == "on"
    assert data["designated_on"] == "2026-03-15"  # dates stay text for the model
    assert data["categories"] == ["10", "9"]
    assert data["visits"][0]["text"] == "进度偏慢，\n限期整改\n"
    Ledger.model_validate(readable_old_ledger(data))  # the first format, as migrate reads it
    Ledger.model_validate(document(HAND_V2).parse().data)


def test_core_schema_values() -> None:
    text = ("a: no\nb: on\nc: 010\nd: 0o10\ne: 1:20\nf: yes\ng: ~\nh: true\ni: 0x1F\n"
            "j: 1.5\nk: .inf\nl: -.inf\nm: 2026-03-15\nn: null\no: Off\np: 1_000\n")
    data = store.parse(text).data
    assert data == {"a": "no", "b": "on", "c": 10, "d": 8, "e": "1:20", "f": "yes",
                    "g": None, "h": True, "i": 31, "j": 1.5, "k": float("inf"),
                    "l": float("-inf"), "m": "2026-03-15", "n": None, "o": "Off",
                    "p": "1_000"}


def test_reading_uses_libyaml_c_parser() -> None:
    from yaml._yaml import CParser

    assert issubclass(store._Loader, CParser)


# --------------------------------------------------------------------------- splices


def test_append_to_block_list_with_unindented_dashes_and_4_space_keys(splice_only: None,
                                                                     ) -> None:
    doc = document(HAND)
    step = {"on": date(2026, 5, 20), "text": "完成东区空地硬化施工"}
    out = apply(doc, [store.Append(("problems", 0), "steps", step, [])])
    assert changes(HAND, out) == [
        ("insert", 31, [], ["    - on: 2026-05-20\n", "      text: 完成东区空地硬化施工\n"]),
    ]
    # the blank line and the comment that followed the last step are still after it
    assert out.splitlines()[30:34] == ["    - on: 2026-05-20", "      text: 完成东区空地硬化施工",
                                       "", "    # 五月份继续推进"]


def test_append_to_empty_flow_list_keeps_its_comment(splice_only: None) -> None:
    doc = document(HAND)
    step = {"on": date(2026, 4, 1), "text": "no"}
    out = apply(doc, [store.Append(("problems", 1), "steps", step, [step])])
    assert changes(HAND, out) == [
        ("replace", 40, ["    steps: []   # 暂无进展\n"],
         ["    steps:   # 暂无进展\n", "      - on: 2026-04-01\n", '        text: "no"\n']),
    ]


def test_append_to_missing_key_adds_lines_after_the_mapping(splice_only: None) -> None:
    doc = document(HAND)
    closure = {"on": date(2026, 6, 20), "result": "新增停车位120个", "verified_by": "城关镇党委"}
    out = apply(doc, [store.Append(("problems", 0), "closures", closure, [closure])])
    assert changes(HAND, out) == [
        ("insert", 31, [], ["    closures:\n", "      - on: 2026-06-20\n",
                            "        result: 新增停车位120个\n", "        verified_by: 城关镇党委\n"]),
    ]


def test_append_to_list_ending_in_a_literal_block(splice_only: None) -> None:
    doc = document(HAND)
    visit = {"on": date(2026, 6, 1), "kind": "调度", "by": "城关镇党委", "text": "a: b"}
    out = apply(doc, [store.Append((), "visits", visit, [])])
    assert changes(HAND, out) == [
        ("insert", 50, [], ["  - on: 2026-06-01\n", "    kind: 调度\n", "    by: 城关镇党委\n",
                            '    text: "a: b"\n']),
    ]
    assert out.endswith('    text: "a: b"\n# 文件结束\n')


def test_append_top_level_key_goes_before_the_closing_comment(splice_only: None) -> None:
    doc = document(HAND)
    acceptance = {"on": date(2026, 10, 20), "by": "县委组织部", "grade": "合格", "score": 92}
    out = apply(doc, [store.Append((), "acceptances", acceptance, [acceptance])])
    assert changes(HAND, out) == [
        ("insert", 50, [], ["acceptances:\n", "  - on: 2026-10-20\n", "    by: 县委组织部\n",
                            "    grade: 合格\n", "    score: 92\n"]),
    ]


def test_set_present_scalar_changes_only_its_line(splice_only: None) -> None:
    doc = document(HAND)
    out = apply(doc, [store.Set(("responsibility",), "first_secretary", "钱七")])
    assert changes(HAND, out) == [
        ("replace", 15, ["    first_secretary: 赵六\n"], ["    first_secretary: 钱七\n"]),
    ]


def test_set_present_scalar_keeps_trailing_comment_and_quotes_when_needed(splice_only: None,
                                                                          ) -> None:
    doc = document(HAND)
    out = apply(doc, [store.Set(("responsibility",), "county_leader", "yes")])
    assert changes(HAND, out) == [
        ("replace", 14, ["    county_leader: 张三     # 包联县级领导\n"],
         ['    county_leader: "yes"     # 包联县级领导\n']),
    ]


def test_set_quoted_scalar_in_list_item(splice_only: None) -> None:
    doc = document(HAND)
    out = apply(doc, [store.Set(("problems", 1), "title", "班子不团结")])
    assert changes(HAND, out) == [
        ("replace", 35, ['    title: "no"\n'], ["    title: 班子不团结\n"]),
    ]


def test_set_missing_scalar_key_inserts_one_line(splice_only: None) -> None:
    doc = document(HAND)
    out = apply(doc, [store.Set(("responsibility",), "work_team", "县住建局驻社区工作队")])
    assert changes(HAND, out) == [
        ("insert", 18, [], ["    work_team: 县住建局驻社区工作队\n"]),
    ]


def test_set_present_list_replaces_the_entry_and_keeps_the_key_comment(splice_only: None,
                                                                       ) -> None:
    doc = document(HAND)
    out = apply(doc, [store.Set((), "categories", ["1", "10"])])
    assert changes(HAND, out) == [
        ("replace", 10, ['- "10"        # 服务意识差\n', "- '9'\n"], ['  - "1"\n', '  - "10"\n']),
    ]


def test_set_mapping_on_missing_key_of_a_list_item(splice_only: None) -> None:
    text = ("problems:\n"
            "  - id: 1\n"
            "    closures:\n"
            "      - on: 2026-06-20   # 销号\n"
            "        result: 好\n"
            "    # 以后再说\n"
            "visits: []\n")
    doc = document(text)
    reopened = {"on": date(2026, 8, 1), "reason": "回头看发现反弹"}
    out = apply(doc, [store.Set(("problems", 0, "closures", 0), "reopened", reopened)])
    assert changes(text, out) == [
        ("insert", 6, [], ["        reopened:\n", "          on: 2026-08-01\n",
                           "          reason: 回头看发现反弹\n"]),
    ]


def test_set_on_null_value_keeps_its_comment(splice_only: None) -> None:
    text = "responsibility:\n  work_team:    # 驻村工作队\n  county_leader: 张三\n"
    out = apply(document(text), [store.Set(("responsibility",), "work_team", "工作队")])
    assert changes(text, out) == [
        ("replace", 2, ["  work_team:    # 驻村工作队\n"], ["  work_team: 工作队    # 驻村工作队\n"]),
    ]


def test_set_multi_line_text_writes_a_literal_block(splice_only: None) -> None:
    text = "a: 1   # 一\nnote: 旧\nz: 2\n"
    out = apply(document(text), [store.Set((), "note", "第一行\n第二行")])
    assert out == "a: 1   # 一\nnote: |-\n  第一行\n  第二行\nz: 2\n"


def test_several_edits_in_one_go(splice_only: None) -> None:
    doc = document(HAND)
    step = {"on": date(2026, 5, 20), "text": "施工"}
    closure = {"on": date(2026, 6, 20), "result": "完成"}
    out = apply(doc, [store.Append(("problems", 0), "steps", step, []),
                      store.Append(("problems", 0), "closures", closure, [closure]),
                      store.Set(("responsibility",), "first_secretary", "钱七")])
    removed = [line for tag, _, old, _ in changes(HAND, out) for line in old]
    assert removed == ["    first_secretary: 赵六\n"]
    assert "    - on: 2026-05-20\n      text: 施工\n    closures:\n" in out


def test_file_without_final_newline(splice_only: None) -> None:
    out = apply(document("a: 1\nb: 2"), [store.Set((), "b", 3)])
    assert out == "a: 1\nb: 3"
    out = apply(document("a: 1\nl:\n- 1"), [store.Append((), "l", 2, [1, 2])])
    assert out == "a: 1\nl:\n- 1\n- 2\n"


# --------------------------------------------------------------------------- CRLF and BOM


@pytest.mark.parametrize("bom", [False, True])
def test_crlf_file_gets_crlf_lines(splice_only: None, bom: bool) -> None:
    edits = [store.Append(("problems", 0), "steps", {"on": date(2026, 5, 20), "text": "施工"}, []),
             store.Append(("problems", 1), "steps", {"on": date(2026, 5, 1), "text": "x"},
                          [{"on": date(2026, 5, 1), "text": "x"}]),
             store.Set(("responsibility",), "work_team", "工作队"),
             store.Set(("responsibility",), "county_leader", "李四")]
    lf = apply(document(HAND), edits)
    doc = document(HAND, crlf=True, bom=bom)
    crlf = apply(doc, edits)
    assert crlf == lf.replace("\n", "\r\n")
    assert "\n" not in crlf.replace("\r\n", "")
    raw = doc.encode(crlf)
    assert raw.startswith(b"\xef\xbb\xbf") is bom
    assert raw.count(b"\xef\xbb\xbf") == int(bom)


def test_bom_file_keeps_its_bom_through_a_command(chengdong: Any, workspace: Path) -> None:
    path = workspace / "ledgers" / "chengdong.yaml"
    path.write_bytes(b"\xef\xbb\xbf# \xe6\xb3\xa8\r\n" + path.read_bytes().replace(b"\n", b"\r\n"))
    assert chengdong("commit", "-m", "手工改为 Windows 格式").exit_code == 0
    before = path.read_bytes()
    result = chengdong("step", "chengdong/1", "召开居民议事会", "--on", "2026-04-02")
    assert result.exit_code == 0, result.output
    after = path.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf# \xe6\xb3\xa8\r\n")
    assert after.startswith(before)
    assert after[len(before):] == ("    steps:\r\n      - on: 2026-04-02\r\n"
                                   "        text: 召开居民议事会\r\n").encode()
    assert git(workspace, "status", "--porcelain") == ""


def test_cli_command_on_hand_file_only_adds_lines(run: Any, workspace: Path) -> None:
    path = workspace / "ledgers" / "chengdong.yaml"
    path.write_text(HAND_V2, encoding="utf-8")
    result = run("commit", "-m", "手工建立城东社区台账")
    assert result.exit_code == 0, result.output
    result = run("close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-06-20",
                 "--verified-by", "城关镇党委")
    assert result.exit_code == 0, result.output
    after = path.read_text(encoding="utf-8")
    assert changes(HAND_V2, after) == [
        ("insert", 34, [], ["    closures:\n", "      - on: 2026-06-20\n",
                            "        result: 新增停车位120个\n", "        verified_by: 城关镇党委\n"]),
    ]
    result = run("org", "set", "城东社区", "--first-secretary", "钱七")
    assert result.exit_code == 0, result.output
    final = path.read_text(encoding="utf-8")
    assert changes(after, final) == [
        ("replace", 17, ["        first_secretary: 赵六\n"], ["        first_secretary: 钱七\n"]),
    ]
    assert git(workspace, "status", "--porcelain") == ""


# --------------------------------------------------------------------------- flow style


FLOW = """\
# 手工写的紧凑格式
schema_version: 1
name: 城东社区
kind: 社区
township: 城关镇   # 街道
designated_on: 2026-03-15
categories: ["10"]
responsibility: {county_leader: 张三}   # 四个一
problems:
  - {id: 1, title: 停车位不足, category: "10", found_on: 2026-03-10, due: 2026-06-30, owner: 王五}
  - id: 2
    title: 路灯损坏
    category: "10"
    found_on: 2026-03-12
    due: 2026-05-31
    owner: 王五
    steps: [{on: 2026-04-02, text: x}]   # 先写一条
# 结尾注释
"""


def test_flow_mapping_container_is_spliced_inside_its_braces(ruamel_calls: list[int]) -> None:
    doc = document(FLOW)
    out = apply(doc, [store.Set(("responsibility",), "first_secretary", "赵六")])
    assert ruamel_calls == []
    assert changes(FLOW, out) == [
        ("replace", 8, ["responsibility: {county_leader: 张三}   # 四个一\n"],
         ["responsibility: {county_leader: 张三, first_secretary: 赵六}   # 四个一\n"])]
    assert store.parse(out).data["responsibility"] == {"county_leader": "张三",
                                                       "first_secretary": "赵六"}
    for comment in ("# 手工写的紧凑格式", "# 街道", "# 四个一", "# 先写一条", "# 结尾注释"):
        assert comment in out
    Ledger.model_validate(readable_old_ledger(store.parse(out).data))


def test_flow_problem_item_is_spliced_inside_its_braces(ruamel_calls: list[int]) -> None:
    doc = document(FLOW)
    step = {"on": date(2026, 4, 2), "text": "召开议事会"}
    out = apply(doc, [store.Append(("problems", 0), "steps", step, [step])])
    assert ruamel_calls == []
    assert [(tag, line) for tag, line, *_ in changes(FLOW, out)] == [("replace", 10)]
    problem = store.parse(out).data["problems"][0]
    assert problem["steps"] == [{"on": "2026-04-02", "text": "召开议事会"}]
    assert problem["title"] == "停车位不足"
    for comment in ("# 手工写的紧凑格式", "# 街道", "# 四个一", "# 先写一条", "# 结尾注释"):
        assert comment in out


def test_append_to_hand_written_flow_list(ruamel_calls: list[int]) -> None:
    doc = document(FLOW)
    step = {"on": date(2026, 5, 1), "text": "off"}
    out = apply(doc, [store.Append(("problems", 1), "steps", step,
                                   [{"on": date(2026, 4, 2), "text": "x"}, step])])
    assert store.parse(out).data["problems"][1]["steps"] == [
        {"on": "2026-04-02", "text": "x"}, {"on": "2026-05-01", "text": "off"}]
    for comment in ("# 手工写的紧凑格式", "# 街道", "# 四个一", "# 先写一条", "# 结尾注释"):
        assert comment in out
    # the item goes inside the brackets of the clerk's inline list, keeping the comment of its
    # line; every other line is untouched
    assert ruamel_calls == []
    assert changes(FLOW, out) == [
        ("replace", 17, ["    steps: [{on: 2026-04-02, text: x}]   # 先写一条\n"],
         ['    steps: [{on: 2026-04-02, text: x}, {on: 2026-05-01, text: "off"}]   # 先写一条\n']),
    ]


@pytest.mark.parametrize("value", ["no", "\x85", "a\x85b", "\u2028", " 前后空格 ", "010",
                                   "2026-04-02", "a: b", "#x", "多\n行", "end\n"])
def test_ruamel_fallback_keeps_hostile_text(value: str, ruamel_calls: list[int]) -> None:
    doc = document(FLOW, crlf=True)
    edit = store.Set(("responsibility",), "first_secretary", value)
    out = apply(doc, [edit])
    assert ruamel_calls == []  # inline mappings are spliced in flow style: the same rules hold
    assert "\n" not in out.replace("\r\n", "")
    assert yaml.safe_load(out)["responsibility"]["first_secretary"] == value
    assert "# 四个一" in out
    fallback = store._ruamel_apply(doc.text, [edit])
    assert yaml.safe_load(fallback)["responsibility"]["first_secretary"] == value
    assert "# 四个一" in fallback


def test_unsafe_edit_is_refused_and_nothing_returned() -> None:
    doc = document("a: 1\nb: [x]\n")
    with pytest.raises(UserError, match=r"无法安全地修改 hand\.yaml"):
        store.apply_edits(doc, [store.Set((), "b", ["y"])], lambda data: False)


# --------------------------------------------------------------------------- random layouts


def _emit_map(data: dict[str, Any], col: int, width: int, indented: bool, draw: Any,
              inline_first: bool = False) -> list[str]:
    lines: list[str] = []
    for n, (key, value) in enumerate(data.items()):
        pad = " " * col
        if not (inline_first and n == 0) and draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", pad + "# 注释", "# 顶格注释", "   "])))
        tail = draw(st.sampled_from(["", "", "  # 说明", " #注"]))
        if isinstance(value, dict):
            lines.append(f"{pad}{key}:{tail}")
            lines += _emit_map(value, col + width, width, indented, draw)
        elif isinstance(value, list) and not value:
            lines.append(f"{pad}{key}: []{tail}")
        elif isinstance(value, list):
            lines.append(f"{pad}{key}:{tail}")
            dash = col + width if indented else col
            for item in value:
                if isinstance(item, dict):
                    inner = _emit_map(item, dash + width, width, indented, draw, True)
                    inner[0] = " " * dash + "-" + " " * (width - 1) + inner[0][dash + width:]
                    lines += inner
                else:
                    lines.append(" " * dash + "- " + store.scalar(item) + tail)
        else:
            lines.append(f"{pad}{key}: {store.scalar(value)}{tail}")
    return lines


WORDS = st.sampled_from(["整改", "no", "on", "010", "1:20", "a: b", "#x", "，：；“”", "😀",
                         " 空格", "~", "- x", "\u200f右", "null", "2026-04-02"])
PHRASE = st.lists(WORDS, min_size=1, max_size=3).map("".join)


@st.composite
def ledgers_and_edits(draw: Any) -> tuple[str, dict[str, Any], list[store.Edit], str]:
    problems = []
    for pid in range(1, draw(st.integers(1, 3)) + 1):
        problem: dict[str, Any] = {"id": pid, "title": draw(PHRASE), "category": "10",
                                   "found_on": date(2026, 3, pid), "due": date(2026, 9, 30),
                                   "owner": draw(PHRASE)}
        steps = [{"on": date(2026, 4, d), "text": draw(PHRASE)}
                 for d in range(1, draw(st.integers(0, 2)) + 1)]
        if steps or draw(st.booleans()):
            problem["steps"] = steps
        if draw(st.booleans()):
            problem["closures"] = [{"on": date(2026, 6, 1), "result": draw(PHRASE)}]
        problems.append(problem)
    data: dict[str, Any] = {"schema_version": 1, "name": "城东社区", "kind": "社区",
                            "township": "城关镇", "designated_on": date(2026, 3, 15),
                            "categories": ["10"],
                            "responsibility": {"county_leader": draw(PHRASE)},
                            "problems": problems}
    if draw(st.booleans()):
        data["visits"] = [{"on": date(2026, 5, 1), "kind": "督查", "by": "组织部",
                           "text": draw(PHRASE)}]
    width = draw(st.sampled_from([2, 3, 4]))
    indented = draw(st.booleans())
    text = "\n".join(_emit_map(data, 0, width, indented, draw)) + "\n"
    if draw(st.booleans()):
        text = "# 台账\n\n" + text + "# 完\n"
    pi = draw(st.integers(0, len(problems) - 1))
    step = {"on": date(2026, 7, 1), "text": draw(PHRASE)}
    old_steps = problems[pi].get("steps", [])
    candidates: list[tuple[store.Edit, str]] = [
        (store.Append(("problems", pi), "steps", step, [*old_steps, step]),
         "append" if old_steps else "new"),
        (store.Append((), "visits", {"on": date(2026, 8, 1), "kind": "调度", "by": "镇党委",
                                     "text": draw(PHRASE)}, []),
         "append" if data.get("visits") else "new"),
        (store.Set(("responsibility",), "county_leader", draw(PHRASE)), "scalar"),
        (store.Set(("responsibility",), "first_secretary", draw(PHRASE)), "new"),
        (store.Set(("problems", pi), "owner", draw(PHRASE)), "scalar"),
        (store.Append((), "problems", {"id": 9, "title": draw(PHRASE), "category": "10",
                                       "found_on": date(2026, 3, 1), "due": date(2026, 9, 1),
                                       "owner": "王五"}, []), "append"),
    ]
    if "closures" in problems[pi]:
        candidates.append((store.Set(("problems", pi, "closures", 0), "reopened",
                                     {"on": date(2026, 7, 2), "reason": draw(PHRASE)}), "new"))
    edit, kind = draw(st.sampled_from(candidates))
    if kind == "new" and isinstance(edit, store.Append):
        kind = "empty" if edit.key in (problems[pi] if edit.path else data) else "new"
    return text, data, [edit], kind


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=ledgers_and_edits(), crlf=st.booleans(), bom=st.booleans())
def test_random_hand_layouts_are_spliced_minimally(case: tuple[str, dict[str, Any],
                                                               list[store.Edit], str],
                                                    crlf: bool, bom: bool) -> None:
    text, data, edits, kind = case
    doc = document(text, crlf=crlf, bom=bom)
    assert doc.parse().data == textual(data)
    real = store._ruamel_apply
    store._ruamel_apply = None  # type: ignore[assignment]  # any fallback would crash here
    try:
        out = apply(doc, edits)
    finally:
        store._ruamel_apply = real
    if crlf:
        assert "\n" not in out.replace("\r\n", "")
    before, after = doc.text, out
    diff = changes(before, after)
    removed = [line for _, _, old, _ in diff for line in old]
    if kind in ("append", "new"):
        assert [tag for tag, *_ in diff] == ["insert"], diff
    elif kind == "empty":
        assert len(removed) == 1 and ": []" in removed[0], diff
    elif before != after:  # a Set to the value already there changes nothing at all
        assert len(diff) == 1 and diff[0][0] == "replace", diff
        assert len(diff[0][2]) == 1 and len(diff[0][3]) == 1, diff
    comments = [line.strip() for line in before.splitlines() if "#" in line and
                line.lstrip().startswith("#")]
    assert comments == [line.strip() for line in after.splitlines()
                        if "#" in line and line.lstrip().startswith("#")]
    for comment in ("  # 说明", " #注"):
        assert after.count(comment) == before.count(comment)


# --------------------------------------------------------------------------- quoting

HOSTILE = [
    "no", "on", "yes", "off", "y", "n", "Y", "NO", "On", "~", "null", "Null", "true", "False",
    "010", "0o10", "0x1F", "0b101", "1:20", "1:20:30", "1_000", "1e3", "+1", "-.5", ".5",
    ".inf", "-.inf", ".nan", "=", "<<", "- x", "-", "#x", "&a", "*a", "!!python/object",
    "!tag", "%x", "@x", "`x", "|", ">", "?", "? x", "{a: 1}", "[a]", "a: b", "a:", "a #b",
    '"q"', "'q'", "'", '"', " lead", "trail ", " both ", "2026-01-01", "2026-1-1",
    "2026-01-01 10:00:00", "".join(chr(c) for c in range(0x20)) + "\x7f\x85",
    "\x00", "\x1b[31m红\x1b[0m", "\u2028", "\u2029", "a\u2028b", "\u200f右到左\u200e",
    "\ufeff开头", "😀🇨🇳👨‍👩‍👧", "，：；“”【】", "全角：冒号", "a\tb", "\t", "行一\n行二",
    "end\n", "\n", "\na", "a\n\nb", "a \nb", "a\n ", "a\r\nb", "\r", "", " ", "\\", "\\n",
    "多行\n  缩进\n结尾", "#", "a\n#b", "- a\n- b", "\ue000", "\uffff", "\U0010ffff",
]


def _three_readers(text: str) -> list[Any]:
    return [store.parse(text).data, yaml.safe_load(text), RUAMEL_SAFE.load(text)]


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_scalar_round_trips_through_every_reader(value: str) -> None:
    line = "k: " + store.scalar(value) + "\n"
    assert "\n" not in line[:-1]
    for data in _three_readers(line):
        assert data == {"k": value}


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_dump_round_trips_through_every_reader(value: str) -> None:
    text = store.dump({"k": value, "l": [value], "m": [{"text": value, "on": date(2026, 4, 2)}]})
    want = {"k": value, "l": [value], "m": [{"text": value, "on": "2026-04-02"}]}
    assert store.parse(text).data == want
    assert yaml.safe_load(text)["k"] == value
    assert yaml.safe_load(text)["m"][0]["text"] == value
    assert RUAMEL_SAFE.load(text)["l"] == [value]


def test_hundred_kb_string_round_trips_on_one_line() -> None:
    value = ("整改到位，" * 20_000) + "no"
    assert len(value.encode()) > 100_000
    line = "k: " + store.scalar(value)
    assert "\n" not in line
    for data in _three_readers(line):
        assert data == {"k": value}


def test_multi_line_text_is_a_literal_block() -> None:
    assert store.dump({"k": "行一\n行二"}) == "k: |-\n  行一\n  行二\n"
    assert store.dump({"k": "行一\n\n行二\n"}) == "k: |\n  行一\n\n  行二\n"
    assert store.dump({"l": ["a\nb"]}) == 'l:\n  - "a\\nb"\n'
    # text a literal block cannot keep exactly is double-quoted
    assert store.dump({"k": "a \nb"}) == 'k: "a \\nb"\n'
    assert store.dump({"k": "a\n\n"}) == 'k: "a\\n\\n"\n'


@pytest.mark.parametrize(("value", "written"), [
    ("城东社区", "城东社区"), ("no", '"no"'), ("010", '"010"'), ("2026-04-02", '"2026-04-02"'),
    ("a: b", '"a: b"'), ("", '""'), ("\x85", '"\\N"'), ("\u2028", '"\\L"'), ("\x7f", '"\\x7f"'),
    ("\t", '"\\t"'), ("\u200f", "\u200f"), ("😀", "😀"), ("，：；", "，：；"),
])
def test_scalar_quotes_only_what_it_must(value: str, written: str) -> None:
    assert store.scalar(value) == written


def test_scalar_of_other_types() -> None:
    assert store.scalar(date(2026, 3, 5)) == "2026-03-05"
    assert store.scalar(92.0) == "92"
    assert store.scalar(92.5) == "92.5"
    assert store.scalar(7) == "7"
    assert store.scalar(True) == "true"
    assert store.scalar(None) == "null"
    with pytest.raises(TypeError):
        store.scalar(object())


TEXT = st.text(st.characters(exclude_categories=("Cs",)))


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_scalar_round_trips_any_text(value: str) -> None:
    assert store.parse("k: " + store.scalar(value)).data["k"] == value
    assert yaml.safe_load("k: " + store.scalar(value))["k"] == value


@settings(max_examples=400, deadline=None)
@given(TEXT, st.lists(TEXT, max_size=3))
def test_dump_round_trips_any_text(value: str, items: list[str]) -> None:
    text = store.dump({"k": value, "items": items, "m": {"x": value}})
    assert store.parse(text).data == {"k": value, "items": items, "m": {"x": value}}
    assert yaml.safe_load(text)["k"] == value
    assert RUAMEL_SAFE.load(text)["k"] == value


# --------------------------------------------------------------------------- decoding, refusals


def test_gbk_file_is_refused_naming_gbk(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("schema_version: 1\nname: 城东社区\n".encode("gbk"))
    with pytest.raises(store.YamlError) as caught:
        store.read(path, "ledgers/gbk.yaml")
    assert "GBK" in caught.value.message
    assert caught.value.line == 2
    assert "iconv -f GBK -t UTF-8 ledgers/gbk.yaml" in (caught.value.hint or "")


def test_other_non_utf8_bytes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"a: 1\n\xff\xfe\xfa\n")
    with pytest.raises(store.YamlError, match="不是 UTF-8 编码") as caught:
        store.read(path)
    assert caught.value.line == 2


def test_file_larger_than_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: " + b"x" * store.MAX_FILE_BYTES + b"\n")
    with pytest.raises(store.YamlError, match="8 MB"):
        store.read(path)
    exact = tmp_path / "limit.yaml"
    exact.write_bytes(b"a: " + b"x" * (store.MAX_FILE_BYTES - 4) + b"\n")
    assert len(store.read(exact).raw) == store.MAX_FILE_BYTES


def test_missing_file_and_folder_give_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"找不到文件 nope\.yaml"):
        store.read(tmp_path / "nope.yaml")
    with pytest.raises(UserError, match="是一个文件夹"):
        store.read(tmp_path)


@pytest.mark.parametrize(("text", "line", "column"), [
    ("a: &x 1\nb: *x\n", 1, 4),
    ("a: &x {k: 1}\nb: *x\n", 1, 4),
    ("a: &x\n  - 1\nb:\n  - *x\n", 1, 4),
    ("&x a: 1\nb: *x\n", 1, 1),
    ("a: &x b\n*x : 2\n", 1, 4),
])
def test_aliases_are_refused(text: str, line: int, column: int) -> None:
    with pytest.raises(store.YamlError, match="锚点和别名") as caught:
        store.parse(text)
    assert (caught.value.line, caught.value.column) == (line, column)


def test_undefined_alias_is_a_yaml_error() -> None:
    with pytest.raises(store.YamlError, match="未定义的别名"):
        store.parse("a: *x\n")


@pytest.mark.parametrize("text", [
    "a: !!python/object:os.system echo\n",
    "a: !!python/object/apply:os.system [echo]\n",
    "a: !custom x\n",
    "a: !!set {x}\n",
    "a: !!binary aGVsbG8=\n",
    "a: !!omap [x: 1]\n",
])
def test_explicit_tags_are_refused(text: str) -> None:
    with pytest.raises(store.YamlError, match="不支持 YAML 标签") as caught:
        store.parse(text)
    assert (caught.value.line, caught.value.column) == (1, 4)


def test_duplicate_key_points_at_the_second_key() -> None:
    text = "schema_version: 1\nproblems:\n  - id: 1\n    title: a\n\n    title: b\n"
    with pytest.raises(store.YamlError, match="键“title”重复出现") as caught:
        store.parse(text)
    assert (caught.value.line, caught.value.column) == (6, 5)


@pytest.mark.parametrize(("text", "message"), [
    ("a: 1\n---\nb: 2\n", "只能有一个文档"),
    ("a:\n\t- b\n", "制表符"),
    ("a: [1, 2\n", "方括号没有配对"),
    ("a: {b: 1\n", "花括号没有配对"),
    ("  a: 1\nb: 2\n", "缩进不一致"),
    ("a: 'x\n", "引号或括号没有配对"),
    ("\ta: 1\n", "制表符"),
    ("\x00\x01", "控制字符"),
    ("a: 1\n b: 2\n", "不能出现“: ”"),
    ("? [a]\n: 1\n", "键必须是简单的文字"),
    ("true: 1\n", "无效"),
])
def test_broken_yaml_is_a_yaml_error(text: str, message: str) -> None:
    with pytest.raises(store.YamlError, match=message):
        store.parse(text)


# --------------------------------------------------------------------------- writing files


def test_write_atomic_keeps_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    folder = tmp_path / "ledgers"
    folder.mkdir()
    path = folder / "chengdong.yaml"
    path.write_bytes(b"old\n")
    path.chmod(0o640)
    store.write_atomic(path, "新内容\r\n".encode())
    assert path.read_bytes() == "新内容\r\n".encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in folder.iterdir()) == ["chengdong.yaml"]


def test_write_atomic_new_file_and_large_data(tmp_path: Path) -> None:
    folder = tmp_path / "ledgers"
    folder.mkdir()
    path = folder / "new.yaml"
    data = b"x" * (3 * 1024 * 1024 + 7)
    store.write_atomic(path, data)
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in folder.iterdir()] == ["new.yaml"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_write_atomic_refuses_read_only_file(tmp_path: Path) -> None:
    (tmp_path / "ro").mkdir()
    path = tmp_path / "ro" / "ro.yaml"
    path.write_bytes(b"old\n")
    path.chmod(0o444)
    with pytest.raises(UserError, match="没有权限写入"):
        store.write_atomic(path, b"new\n")
    assert path.read_bytes() == b"old\n"
    assert [p.name for p in path.parent.iterdir()] == ["ro.yaml"]


def test_write_atomic_into_missing_folder_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="文件未改动"):
        store.write_atomic(tmp_path / "nope" / "a.yaml", b"x")


def test_restore_puts_back_or_removes(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(b"new")
    store.restore(path, b"old")
    assert path.read_bytes() == b"old"
    store.restore(path, None)
    assert not path.exists()


def test_peek_top_scalar(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(b"\xef\xbb\xbfschema_version: 1\nname: \xe5\x9f\x8e\xe4\xb8\x9c\n")
    assert store.peek_top_scalar(path, "name") == "城东"
    path.write_text('name: "城东"\n', encoding="utf-8")
    assert store.peek_top_scalar(path, "name") is None
    path.write_text("name: 城东 # 注释\n", encoding="utf-8")
    assert store.peek_top_scalar(path, "name") is None


@pytest.mark.parametrize("text", ["+.Inf", "+.INF", "-.Inf", "-.INF", "+.inf", ".NaN"])
def test_yaml_float_words_are_quoted(text: str) -> None:
    """YAML 1.2 reads these as numbers: written quoted, they come back as the text."""
    assert store.scalar(text).startswith('"')
    assert store.parse(f"k: {store.scalar(text)}\n").data == {"k": text}
