"""The 台账 to and from Excel: ``zhengdun export`` read back with openpyxl, ``zhengdun import``
of clerks' layouts and of hostile workbooks, the round trip, the csv's formula guard."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from conftest import Run, git
from test_layers import _imported_by_a_command, uses
from zhengdun.xlsx import OVERDUE_FILL, PROBLEM_COLUMNS, display_width

HEADER = ["序号", "乡镇", "村（社区）", "存在问题", "问题类型", "来源", "整改措施", "整改时限",
          "责任人", "整改进展", "销号时间", "验收人", "是否销号", "佐证", "类别"]
COL = {name: "ABCDEFGHIJKLMNO"[i] for i, name in enumerate(HEADER)}


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return result


def refused(run: Run, root: Path, *args: str) -> str:
    """The command exits 1, and neither the files nor the history changed."""
    head = git(root, "rev-parse", "HEAD")
    files = sorted(p.name for p in (root / "ledgers").glob("*"))
    result = run(*args)
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    assert git(root, "rev-parse", "HEAD") == head
    assert git(root, "status", "--porcelain") == ""
    assert sorted(p.name for p in (root / "ledgers").glob("*")) == files
    return str(result.output)  # type: ignore[attr-defined]


def clerk_book(path: Path, rows: list[list[Any]], merge_org: bool = True) -> Workbook:
    """A 台账 as a township office keeps it: a merged title line, a header, one row per
    problem, each village's name merged over its rows."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "问题清单"
    sheet.append(["示范县软弱涣散村(社区)整顿问题清单"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    if merge_org:  # consecutive rows of one village: its 乡镇 and name in merged cells
        first = 0
        for i in range(1, len(rows) + 1):
            if i < len(rows) and rows[i][2] == rows[first][2]:
                continue
            if i - first > 1:
                for col in (2, 3):
                    for r in range(first + 4, i + 3):
                        sheet.cell(r, col).value = None
                    sheet.merge_cells(start_row=first + 3, start_column=col, end_row=i + 2,
                                      end_column=col)
            first = i
    book.save(path)
    return book


ROWS: list[list[Any]] = [
    [1, "城关镇", "城东社区", "小区停车位不足", "10", "群众反映", "协调物业新增停车位",
     datetime(2026, 6, 30), "王五", "2026-04-02 召开居民议事会\n2026.5.18 完成东区空地硬化",
     "2026/6/20", "城关镇党委", "是"],
    [2, "城关镇", "城东社区", "党群服务中心面积不足", "9、10", "排查发现", "调剂临街闲置用房",
     "2026年9月30日", "赵鹏", None, None, None, "否"],
    [3, "城关镇", "城东社区", "党员活动不经常", "组织制度形同虚设、不开展党组织活动", None, None,
     "6月底前", "王五", "2026年4月1日 制定三会一课计划", None, None, "否"],
    [4, "柳林乡", "后沟村", "书记长期缺职", "1", "排查发现", "选派第一书记",
     "年底前", "李四", "2026-05-10 县委组织部选派第一书记到任", None, None, None],
]


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "台账.xlsx"
    clerk_book(path, ROWS)
    return path


def cells(path: Path, sheet: str) -> list[list[Any]]:
    return [list(r) for r in load_workbook(path)[sheet].iter_rows(values_only=True)]


# --------------------------------------------------------------------------- export


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory: pytest.TempPathFactory, demo_county: Path) -> Path:
    out = tmp_path_factory.mktemp("export") / "台账.xlsx"
    from conftest import pinned_env_outside_a_test

    with pinned_env_outside_a_test(out.parent / "home"):
        ok(Run(demo_county)("export", "-o", str(out)))
    return out


def test_export_sheets_cells_and_formats(demo_export: Path, demo_county: Path) -> None:
    book = load_workbook(demo_export)
    assert book.sheetnames == ["挂图作战", "问题清单", "逾期清单", "图表", "督查验收"]
    problems = book["问题清单"]
    assert [c.value for c in problems[2]] == list(PROBLEM_COLUMNS)
    for sheet in (book["挂图作战"], problems, book["逾期清单"]):
        assert sheet.freeze_panes == "A3"
        assert sheet.auto_filter.ref == f"A2:{sheet.cell(2, sheet.max_column).column_letter}" \
            f"{sheet.max_row}"
    listed = json.loads(ok(Run(demo_county)("list", "--json")).output)
    assert problems.max_row - 2 == listed["count"] == 68
    due = PROBLEM_COLUMNS.index("整改时限") + 1
    days = PROBLEM_COLUMNS.index("逾期天数") + 1
    red = 0
    for r in range(3, problems.max_row + 1):
        cell = problems.cell(r, due)
        assert isinstance(cell.value, datetime) and cell.number_format == "yyyy-mm-dd"
        late = problems.cell(r, days).value
        fill = problems.cell(r, 4).fill.fgColor.rgb
        assert (fill == "00" + OVERDUE_FILL) == bool(late), (r, late, fill)
        red += bool(late)
    board = json.loads(ok(Run(demo_county)("board", "--json")).output)
    assert red == sum(o["overdue"] for o in board["organizations"]) == book["逾期清单"].max_row - 2
    # the board sheet: the same numbers as board --json, the rate a real percent cell
    top = book["挂图作战"]
    header = [c.value for c in top[2]]
    rate = header.index("销号率") + 1
    for r, org in enumerate(board["organizations"], start=3):
        assert top.cell(r, 2).value == org["name"]
        assert top.cell(r, header.index("问题数") + 1).value == org["problems"]
        assert top.cell(r, rate).number_format == "0.0%"
        assert top.cell(r, rate).value == pytest.approx(org["rate"] / 100)
    # CJK-aware widths: the 存在问题 column fits its longest title, a Chinese character two
    assert display_width("城东社区（Ab）") == 14
    titles = [str(problems.cell(r, 4).value) for r in range(3, problems.max_row + 1)]
    longest = max(display_width(t) for t in titles)
    assert longest > max(len(t) for t in titles) + 10
    assert problems.column_dimensions["D"].width == min(longest, 60) + 2
    assert problems.column_dimensions["A"].width < 10
    # native charts: township 销号率 bars and the monthly burndown
    charts = book["图表"]._charts
    assert sorted(type(c).__name__ for c in charts) == ["BarChart", "LineChart"]
    assert "台账提交" in book.properties.description


def test_no_cell_is_a_formula_and_csv_cells_show_as_text(workspace: Path, run: Run,
                                                        tmp_path: Path) -> None:
    ok(run("org", "add", "=HYPERLINK(\"http://x\")村", "--township", "@城关镇", "--kind", "村",
           "--designated", "2026-03-15", "--category", "10", "--slug", "hyper"))
    ok(run("add", "hyper", "=1+1", "--category", "10", "--due", "2026-06-30", "--owner", "+王五",
           "--found", "2026-03-10", "--measure", "-协调"))
    out = tmp_path / "台账.xlsx"
    ok(run("export", "-o", str(out)))
    book = load_workbook(out)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
    problem = book["问题清单"][3]
    assert [problem[i].value for i in (2, 3, 8)] == ["=HYPERLINK(\"http://x\")村", "=1+1", "+王五"]
    assert problem[3].data_type == "s"
    csv = ok(run("board", "--format", "csv")).output
    assert "'@城关镇,\"'=HYPERLINK(\"\"http://x\"\")村\"" in csv


def test_export_township_and_refusals(demo_county: Path, tmp_path: Path) -> None:
    run = Run(demo_county)
    out = tmp_path / "城关镇.xlsx"
    ok(run("export", "-o", str(out), "--township", "城关镇"))
    towns = {r[1] for r in cells(out, "问题清单")[2:]}
    assert towns == {"城关镇"}
    result = run("export", "-o", str(tmp_path / "x.xlsx"), "--township", "无此镇")
    assert result.exit_code == 1 and "没有乡镇“无此镇”" in result.output  # type: ignore[attr-defined]
    result = run("export", "-o", str(tmp_path / "x.csv"))
    assert result.exit_code == 1 and "不是 .xlsx 文件名" in result.output  # type: ignore[attr-defined]
    assert not (tmp_path / "x.xlsx").exists() and not (tmp_path / "x.csv").exists()


def test_export_is_of_one_round(demo_county: Path, demo_export: Path, tmp_path: Path) -> None:
    """The demo county has two rounds: the export is of the current one unless ``--round``
    names another, and holds that round's organizations, problems and records only."""
    run = Run(demo_county)
    earlier = json.loads(ok(run("list", "--round", "2025", "--json")).output)
    assert earlier["count"] > 0
    old_titles = {p["title"] for p in earlier["problems"]}
    current = {str(r[3]) for r in cells(demo_export, "问题清单")[2:]}
    assert current and not current & old_titles
    assert "批次 2026，" in load_workbook(demo_export).properties.description
    out = tmp_path / "2025年台账.xlsx"
    ok(run("export", "-o", str(out), "--round", "2025"))
    assert [str(r[3]) for r in cells(out, "问题清单")[2:]] == [p["title"]
                                                            for p in earlier["problems"]]
    board = json.loads(ok(run("board", "--round", "2025", "--json")).output)
    assert [r[1] for r in cells(out, "挂图作战")[2:]] == [o["name"] for o in board["organizations"]]
    assert [r[4] for r in cells(out, "挂图作战")[2:]] == [o["stage"] for o in board["organizations"]]
    assert "批次 2025，" in load_workbook(out).properties.description
    # the 2025 visits and acceptances of the organizations, not the 2026 ones
    shown = [json.loads(ok(run("show", o["slug"], "--round", "2025", "--json")).output)
             for o in board["organizations"]]
    recorded = [(o["name"], v["on"], v["kind"]) for o in shown for v in o["visits"]]
    recorded += [(o["name"], a["on"], "验收") for o in shown for a in o["acceptances"]]
    assert recorded
    events = cells(out, "督查验收")[2:]
    assert sorted((r[2], r[3].date().isoformat(), r[4]) for r in events) == sorted(recorded)
    result = run("export", "-o", str(tmp_path / "x.xlsx"), "--round", "2024")
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    assert "批次“2024”不在配置的整顿批次中" in result.output  # type: ignore[attr-defined]
    assert not (tmp_path / "x.xlsx").exists()


def test_export_opens_in_libreoffice(demo_export: Path, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have LibreOffice (soffice) and pdftotext")
        pytest.skip("LibreOffice is not installed here")
    profile = tmp_path / "lo-profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(demo_export)],
                   check=True, capture_output=True, timeout=240)
    pdf = tmp_path / "台账.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "演示县软弱涣散基层党组织整顿挂图作战表" in text
    assert "小区停车位不足" in text and "城东社区" in text and "逾期未整改问题清单" in text


# --------------------------------------------------------------------------- import


def test_import_a_clerks_workbook(workspace: Path, run: Run, book: Path) -> None:
    dry = ok(run("import", str(book), "--dry-run"))
    assert "将要导入" in dry.output and "新登记 城东社区（城关镇，社区" in dry.output
    assert git(workspace, "rev-list", "--count", "HEAD").strip() == "1"
    result = ok(run("import", str(book)))
    assert "已导入" in result.output and "已记录到历史中" in result.output
    shown = json.loads(ok(run("show", "城东社区", "--json")).output)
    first, second, third = shown["problems"]
    assert first["due"] == "2026-06-30" and first["found_on"] == "2026-04-02"
    assert [s["on"] for s in first["steps"]] == ["2026-04-02", "2026-05-18"]
    assert first["closures"][0]["on"] == "2026-06-20"
    assert first["closures"][0]["verified_by"] == "城关镇党委"
    assert second["due"] == "2026-09-30" and second["category"] == "9"
    assert shown["categories"] == ["10", "9", "4"]
    # 6月底前, counted from the row's first date (2026-04-01): 2026-06-30
    assert third["due"] == "2026-06-30" and third["category"] == "4"
    later = json.loads(ok(run("show", "后沟村", "--json")).output)
    assert later["problems"][0]["due"] == "2026-12-31"  # 年底前
    assert later["kind"] == "村" and later["township"] == "柳林乡"
    message = git(workspace, "log", "-1", "--format=%B")
    assert message.startswith("import 台账.xlsx: 4 个问题")
    assert "Zhengdun-Action: import" in message
    import hashlib

    assert f"Zhengdun-Source-Sha256: {hashlib.sha256(book.read_bytes()).hexdigest()}" in message
    assert "Zhengdun-Source: 台账.xlsx" in message
    assert git(workspace, "status", "--porcelain") == ""
    ok(run("check"))
    # the same file again: nothing recorded
    again = ok(run("import", str(book)))
    assert "已于" in again.output and "导入过" in again.output
    assert git(workspace, "rev-list", "--count", "HEAD").strip() == "2"


def test_a_changed_row_is_reported_not_merged(workspace: Path, run: Run, book: Path,
                                              tmp_path: Path) -> None:
    ok(run("import", str(book)))
    before = (workspace / "ledgers" / "chengdong.yaml").read_text(encoding="utf-8")
    changed = tmp_path / "台账-11月.xlsx"
    rows = [list(r) for r in ROWS]
    rows[1][8] = "孙七"  # the owner changed in the spreadsheet
    rows.append([5, "城关镇", "西关社区", "集体经济薄弱", "10", None, None, "2026-12-31", "周八",
                 None, None, None, "否"])
    clerk_book(changed, rows)
    result = ok(run("import", str(changed)))
    assert "1 行与已记录的问题不同，没有导入" in result.output
    assert "问题清单!A4" in result.output and "责任人" in result.output
    assert "3 行与已记录的相同" in result.output
    assert (workspace / "ledgers" / "chengdong.yaml").read_text(encoding="utf-8") == before
    assert json.loads(ok(run("show", "西关社区", "--json")).output)["problems"][0]["owner"] == "周八"


def test_another_file_with_nothing_new(workspace: Path, run: Run, book: Path,
                                       tmp_path: Path) -> None:
    ok(run("import", str(book)))
    other = tmp_path / "台账-副本.xlsx"
    copy = load_workbook(book)
    copy["问题清单"]["A1"] = "示范县问题清单（11月更新）"  # other bytes, the same rows
    copy.save(other)
    head = git(workspace, "rev-parse", "HEAD")
    result = ok(run("import", str(other)))
    assert "4 行与已记录的相同" in result.output and "没有需要记录的新内容，本次未记录" in result.output
    assert git(workspace, "rev-parse", "HEAD") == head


def test_visits_of_a_recorded_organization_are_compared(demo_copy: Path, tmp_path: Path) -> None:
    run = Run(demo_copy)
    out = tmp_path / "台账.xlsx"
    ok(run("export", "-o", str(out)))
    book = load_workbook(out)
    events = book["督查验收"]
    events["G3"] = "改过的督查内容"
    book.save(out)
    head = git(demo_copy, "rev-parse", "HEAD")
    result = ok(run("import", str(out)))
    assert "督查验收!A3" in result.output and "这条督查验收记录与已记录的不同，未导入" in result.output
    assert "68 行与已记录的相同" in result.output and "没有需要记录的新内容" in result.output
    assert git(demo_copy, "rev-parse", "HEAD") == head


def test_header_names_from_the_config_and_a_map(workspace: Path, run: Run, tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["所属乡镇", "村名", "问题描述", "类型代码", "完成时限", "包保责任人"])
    sheet.append(["城关镇", "城东社区", "停车难", "10", "2026-06-30", "王五"])
    book.save(path)
    out = refused(run, workspace, "import", str(path))
    assert "找不到表头" in out
    mapping = tmp_path / "对照.yaml"
    mapping.write_text("title: 问题描述\n责任人: 包保责任人\n", encoding="utf-8")
    ok(run("import", str(path), "--map", str(mapping)))
    assert json.loads(ok(run("show", "城东社区", "--json")).output)["problems"][0]["owner"] == "王五"
    bad = tmp_path / "坏.yaml"
    bad.write_text("负责人: 包保责任人\n", encoding="utf-8")
    assert "不是可导入的栏目" in refused(run, workspace, "import", str(path), "--map", str(bad))


def test_header_names_in_zhengdun_yaml(workspace: Path, run: Run, tmp_path: Path) -> None:
    config = workspace / "zhengdun.yaml"
    config.write_text(config.read_text(encoding="utf-8")
                      + "import_columns:\n  title: 问题描述\n  owner: [包保责任人]\n",
                      encoding="utf-8")
    ok(run("commit", "-m", "导入表头对照"))
    path = tmp_path / "台账.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["乡镇", "村(社区)", "问题描述", "问题类型", "整改时限", "包保责任人"])
    sheet.append(["城关镇", "城东社区", "停车难", "10", "2026.6.30", "王五"])
    book.save(path)
    ok(run("import", str(path)))
    assert json.loads(ok(run("show", "城东社区", "--json")).output)["problems"][0]["due"] == \
        "2026-06-30"


def test_every_finding_at_once_with_its_cell(workspace: Path, run: Run, tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[0][7] = "长期坚持"
    rows[1][4] = "99"
    rows[2][9] = "召开了支委会"  # progress without a date
    rows[3][12] = "也许"
    path = tmp_path / "台账.xlsx"
    clerk_book(path, rows)
    out = refused(run, workspace, "import", str(path))
    for where, said in (("问题清单!H3", "长期坚持"), ("问题清单!E4", "不在类型目录中"),
                        ("问题清单!J5", "没有以日期开头"), ("问题清单!M6", "看不懂")):
        assert where in out and said in out, (where, out)


ROW_ERRORS: list[tuple[int, dict[str, Any], str, str]] = [
    # (row of ROWS, changes, column of the cell named, message)
    (3, {"村（社区）": None}, "村（社区）", "没有填写村(社区)"),
    (2, {"乡镇": "河口镇"}, "乡镇", "这里写的是另一个乡镇"),
    (0, {"存在问题": None}, "存在问题", "没有填写存在问题"),
    (0, {"问题类型": None}, "问题类型", "没有填写问题类型"),
    (0, {"来源": "道听途说"}, "来源", "不在来源目录中"),
    (0, {"责任人": None}, "责任人", "没有填写责任人"),
    (0, {"整改时限": None}, "整改时限", "没有填写整改时限"),
    (0, {"整改时限": "尽快"}, "整改时限", "不是日期"),
    (0, {"销号时间": "六月"}, "销号时间", "销号时间：“六月”不是日期"),
    (1, {"整改进展": "2026-04-02"}, "整改进展", "只有日期，没有内容"),
    (1, {"整改进展": "2026-04-02 反弹：又出现了"}, "整改进展", "此前没有销号"),
    (1, {"整改进展": "1899-04-02 开会"}, "整改进展", "早于1900年"),
    (1, {"是否销号": "是"}, "是否销号", "已销号，但没有销号时间"),
    (0, {"整改进展": "2026-06-20 销号：完成", "销号时间": "2026-06-21"}, "销号时间", "不一致"),
    (0, {"是否销号": "否"}, "是否销号", "是否销号为“否”"),
    (1, {"验收人": "城关镇党委"}, "验收人", "未销号的问题填写了验收人"),
    (1, {"佐证": "evidence/无此文件.jpg"}, "佐证", "不存在"),
    (2, {"整改进展": None, "佐证": "evidence/照片.jpg"}, "佐证", "没有整改进展或销号记录可以附上"),
    (1, {"整改进展": "2026-12-01 开会"}, "序号", "晚于今天"),
    (0, {"类别": "镇"}, "类别", "应为 村 或 社区"),
]


@pytest.mark.parametrize("index, changes, column, said", ROW_ERRORS,
                         ids=[e[3] for e in ROW_ERRORS])
def test_row_errors_name_their_cell(workspace: Path, run: Run, tmp_path: Path, index: int,
                                    changes: dict[str, Any], column: str, said: str) -> None:
    rows = [[*r, None, None] for r in ROWS]
    for name, value in changes.items():
        rows[index][HEADER.index(name)] = value
    if "evidence/照片.jpg" in changes.values():
        (workspace / "evidence").mkdir(exist_ok=True)
        (workspace / "evidence" / "照片.jpg").write_bytes(b"jpg")
        git(workspace, "add", "evidence")
        git(workspace, "commit", "-q", "-m", "evidence")
    path = tmp_path / "台账.xlsx"
    clerk_book(path, rows, merge_org=False)
    out = refused(run, workspace, "import", str(path))
    assert said in out, out
    assert f"问题清单!{COL[column]}{index + 3}" in out, out


def test_a_new_organization_needs_its_township(workspace: Path, run: Run,
                                               tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[3][1] = None
    path = tmp_path / "台账.xlsx"
    clerk_book(path, rows, merge_org=False)
    out = refused(run, workspace, "import", str(path))
    assert "问题清单!A6" in out and "后沟村是新的村(社区)，但没有填写乡镇" in out


def test_an_existing_organization_in_another_township(chengdong: Any, workspace: Path,
                                                      tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    for row in rows[:3]:
        row[1] = "河口镇"
    path = tmp_path / "台账.xlsx"
    clerk_book(path, rows)
    out = refused(chengdong, workspace, "import", str(path))
    assert "城东社区已在台账中，属于“城关镇”" in out


def test_hand_edits_are_not_imported_over(chengdong: Any, workspace: Path, book: Path) -> None:
    ledger = workspace / "ledgers" / "chengdong.yaml"
    ledger.write_text(ledger.read_text(encoding="utf-8") + "# 手工修改\n", encoding="utf-8")
    head = git(workspace, "rev-parse", "HEAD")
    result = chengdong("import", str(book))
    assert result.exit_code == 1 and "有未记录的手工修改" in result.output
    assert git(workspace, "rev-parse", "HEAD") == head
    assert git(workspace, "status", "--porcelain") == " M ledgers/chengdong.yaml\n"
    assert not (workspace / "ledgers" / "hougou.yaml").exists()


def test_map_files_that_are_wrong(workspace: Path, run: Run, book: Path, tmp_path: Path) -> None:
    assert "--map 文件" in refused(run, workspace, "import", str(book), "--map",
                                   str(tmp_path / "无.yaml"))
    listed = tmp_path / "列表.yaml"
    listed.write_text("- 问题描述\n", encoding="utf-8")
    assert "应是“栏目: 表头”的对照表" in refused(run, workspace, "import", str(book), "--map",
                                              str(listed))
    typed = tmp_path / "数字.yaml"
    typed.write_text("title: 12\n", encoding="utf-8")
    assert "应写成文字或文字列表" in refused(run, workspace, "import", str(book), "--map",
                                           str(typed))


def test_a_header_without_required_columns(workspace: Path, run: Run, tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["乡镇", "村(社区)", "存在问题", "整改措施"])
    sheet.append(["城关镇", "城东社区", "停车难", "协调"])
    book.save(path)
    out = refused(run, workspace, "import", str(path))
    assert "Sheet!A1" in out and "表头中没有这些栏目：问题类型、整改时限、责任人" in out


def test_event_sheet_errors(workspace: Path, run: Run, tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    book = clerk_book(path, ROWS)
    events = book.create_sheet("督查验收")
    events.append(["督查调度和验收记录"])
    events.append(["序号", "乡镇", "村(社区)", "日期", "事项", "人员或单位", "内容", "验收等次", "得分"])
    events.append([1, "城关镇", "城东社区", "六月", "督查", "督查组", "进度偏慢", None, None])
    events.append([2, "城关镇", "城东社区", "2026-05-10", "座谈", "督查组", "进度偏慢", None, None])
    events.append([3, "城关镇", "城东社区", "2026-10-20", "验收", "县委组织部", None, "优秀", None])
    events.append([4, "城关镇", "城东社区", "2026-05-10", "督查", None, "进度偏慢", None, None])
    events.append([5, "城关镇", "西关社区", "2026-05-10", "督查", "督查组", "进度偏慢", None, None])
    book.save(path)
    out = refused(run, workspace, "import", str(path))
    for where, said in (("督查验收!D3", "日期："), ("督查验收!E4", "事项应为"),
                        ("督查验收!H5", "验收等次应为"), ("督查验收!A6", "不能记为督查验收记录"),
                        ("督查验收!A7", "在问题清单中没有问题")):
        assert where in out and said in out, (where, out)


def test_an_acceptance_before_every_problem_is_closed(workspace: Path, run: Run,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    book = clerk_book(path, ROWS)
    events = book.create_sheet("督查验收")
    events.append(["督查调度和验收记录"])
    events.append(["序号", "乡镇", "村(社区)", "日期", "事项", "人员或单位", "内容", "验收等次", "得分"])
    events.append([1, "城关镇", "城东社区", "2026-10-20", "验收", "县委组织部", None, "合格", 92])
    book.save(path)
    out = refused(run, workspace, "import", str(path))
    assert "问题清单（城东社区）" in out and "验收为合格，但当日仍有问题未销号" in out


# --------------------------------------------------------------------------- hostile workbooks


def test_a_formula_is_refused(workspace: Path, run: Run, tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    book = clerk_book(path, ROWS)
    sheet = book["问题清单"]
    sheet["D4"] = "=CONCAT(\"停车\",\"难\")"
    book.save(path)
    out = refused(run, workspace, "import", str(path))
    assert "问题清单!D4" in out and "公式" in out and "CONCAT" in out


def test_a_merge_across_organizations_is_refused(workspace: Path, run: Run,
                                                 tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    book = clerk_book(path, ROWS)
    sheet = book["问题清单"]
    sheet["I6"] = None
    sheet.merge_cells("I5:I6")  # 责任人 of 城东社区's last problem and 后沟村's
    book.save(path)
    out = refused(run, workspace, "import", str(path))
    assert "问题清单!I5:I6" in out and "跨越了不同的村(社区)" in out and "后沟村" in out


def test_a_hidden_sheet_is_refused(workspace: Path, run: Run, tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    book = clerk_book(path, ROWS)
    hidden = book.create_sheet("备用")
    hidden["A1"] = "不想让人看到的内容"
    hidden.sheet_state = "hidden"
    book.save(path)
    out = refused(run, workspace, "import", str(path))
    assert "备用!A1" in out and "隐藏" in out


def test_ten_thousand_rows_are_refused(workspace: Path, run: Run, tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    rows = [[n, "城关镇", f"村{n % 50}", f"问题{n}", "10", None, None, "2026-06-30", "王五",
             None, None, None, "否"] for n in range(1, 10_001)]
    clerk_book(path, rows, merge_org=False)
    out = refused(run, workspace, "import", str(path))
    assert "10000 行问题" in out and "问题清单!A5003" in out and "上限 5000 行" in out


def test_a_cell_of_a_megabyte_is_refused(workspace: Path, run: Run, tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    book = clerk_book(path, ROWS)
    book["问题清单"]["G3"] = "MEGABYTE"
    book.save(path)
    # openpyxl cuts a text to Excel's 32,767 characters when it writes (and when it reads):
    # the file is edited as Excel's XML, as another program could have written it
    import zipfile

    parts = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            parts[name] = archive.read(name)
    sheet = next(n for n in parts if n.startswith("xl/worksheets/"))
    parts[sheet] = parts[sheet].replace(b"MEGABYTE", ("措施" * 500_000).encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    out = refused(run, workspace, "import", str(path))
    assert "问题清单!G3" in out and "1000000 个字符" in out
    assert len(out) < 5000  # the cell is named and excerpted, never printed


def test_dates_before_1900_are_refused(workspace: Path, run: Run, tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[0][7] = datetime(1899, 12, 30)
    rows[1][7] = "1899.5.1"
    path = tmp_path / "台账.xlsx"
    clerk_book(path, rows)
    out = refused(run, workspace, "import", str(path))
    assert out.count("早于1900年") == 2 and "问题清单!H3" in out and "问题清单!H4" in out


@pytest.mark.parametrize("content, said", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + b"Workbook".ljust(64, b"\0"),
     "Excel 97-2003 格式（.xls）"),
    ("序号,乡镇,村(社区),存在问题\n1,城关镇,城东社区,停车难\n".encode("gb18030"), "CSV 或文本文件"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le")
     + "EncryptedPackage".encode("utf-16-le"), "设有打开密码"),
    (b"PK\x03\x04" + b"\0" * 100, "已损坏"),
])
def test_files_that_are_not_xlsx(workspace: Path, run: Run, tmp_path: Path, content: bytes,
                                 said: str) -> None:
    path = tmp_path / "台账.xlsx"
    path.write_bytes(content)
    out = refused(run, workspace, "import", str(path))
    assert said in out and "台账.xlsx" in out


def test_an_encrypted_workbook_made_by_msoffcrypto(workspace: Path, run: Run, book: Path,
                                                   tmp_path: Path) -> None:
    msoffcrypto = pytest.importorskip("msoffcrypto")
    secret = tmp_path / "加密.xlsx"
    with book.open("rb") as plain, secret.open("wb") as out:
        office = msoffcrypto.format.ooxml.OOXMLFile(plain)
        office.encrypt("123456", out)
    assert "设有打开密码" in refused(run, workspace, "import", str(secret))


def test_files_too_large_or_of_another_kind(workspace: Path, run: Run, tmp_path: Path) -> None:
    import zipfile

    big = tmp_path / "大.xlsx"
    with big.open("wb") as handle:
        handle.write(b"PK\x03\x04")
        handle.truncate(51 * 1024 * 1024)  # sparse: the size is checked before reading
    assert "超过了一份台账的合理大小" in refused(run, workspace, "import", str(big))
    bomb = tmp_path / "炸弹.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            block = b"\0" * (1 << 20)
            for _ in range(501):
                part.write(block)
    assert "解压后有" in refused(run, workspace, "import", str(bomb))
    word = tmp_path / "通报.xlsx"
    with zipfile.ZipFile(word, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    assert "可能是 Word" in refused(run, workspace, "import", str(word))
    broken = tmp_path / "坏.xlsx"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("xl/workbook.xml", "not xml at all")
    assert "无法按 Excel 工作簿读取" in refused(run, workspace, "import", str(broken))
    assert "是一个文件夹" in refused(run, workspace, "import", str(tmp_path))


def test_a_chart_sheet_is_not_a_table(workspace: Path, run: Run, tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    book = clerk_book(path, ROWS)
    from openpyxl.chart import BarChart

    book.create_chartsheet("销号率图").add_chart(BarChart())
    book.save(path)
    out = refused(run, workspace, "import", str(path), "--sheet", "销号率图")
    assert "是图表，不是数据工作表" in out


def test_dry_run_json(workspace: Path, run: Run, book: Path) -> None:
    data = json.loads(ok(run("import", str(book), "--dry-run", "--json")).output)
    assert data["commit"] is None and data["problems"] == 4
    assert [o["name"] for o in data["new_organizations"]] == ["城东社区", "后沟村"]
    assert any("6月底前" in n["text"] for n in data["notes"])
    assert git(workspace, "rev-list", "--count", "HEAD").strip() == "1"


def test_missing_file_and_sheet(workspace: Path, run: Run, book: Path, tmp_path: Path) -> None:
    assert "不存在" in refused(run, workspace, "import", str(tmp_path / "无.xlsx"))
    out = refused(run, workspace, "import", str(book), "--sheet", "第二页")
    assert "没有工作表“第二页”" in out and "问题清单" in out


# --------------------------------------------------------------------------- round trip


def test_round_trip_export_import_board_equal(dated: Any, tmp_path: Path) -> None:
    """A county with steps, closures, a reopening, overdue problems, evidence-free: export,
    import into a fresh workspace with the same catalog, and the board is the same."""
    d = dated
    d("2026-08-01T10:00:00+08:00", "org", "add", "城东社区", "--township", "城关镇", "--kind", "社区",
      "--designated", "2026-03-15", "--category", "10", "--category", "9")
    d("2026-08-01T10:01:00+08:00", "org", "set", "城东社区", "--county-leader", "张三",
      "--first-secretary", "赵六")
    d("2026-08-01T10:02:00+08:00", "org", "add", "后沟村", "--township", "柳林乡", "--kind", "村",
      "--designated", "2026-04-01", "--category", "1")
    d("2026-08-01T10:03:00+08:00", "add", "城东社区", "小区停车位不足", "--category", "10",
      "--source", "群众反映", "--found", "2026-03-10", "--due", "2026-06-30", "--owner", "王五",
      "--measure", "协调物业新增停车位", "--measure", "规范停放")
    d("2026-08-01T10:04:00+08:00", "step", "chengdong/1", "召开居民议事会", "--on", "2026-04-02")
    d("2026-08-01T10:05:00+08:00", "close", "chengdong/1", "--result", "新增停车位120个",
      "--verified-by", "城关镇党委", "--on", "2026-06-20")
    d("2026-08-01T10:06:00+08:00", "reopen", "chengdong/1", "--reason", "车位被占用",
      "--on", "2026-07-01")
    d("2026-08-01T10:07:00+08:00", "add", "城东社区", "=党群服务中心面积不足", "--category", "9",
      "--found", "2026-03-20", "--due", "2026-07-15", "--owner", "赵鹏")
    d("2026-08-01T10:08:00+08:00", "add", "后沟村", "书记长期缺职", "--category", "1",
      "--found", "2026-04-01", "--due", "2026-12-31", "--owner", "李四")
    d("2026-08-01T10:09:00+08:00", "step", "hougou/1", "第一书记到任", "--on", "2026-05-10")
    d("2026-08-01T10:10:00+08:00", "close", "hougou/1", "--result", "选派到位", "--on",
      "2026-07-20")
    out = tmp_path / "台账.xlsx"
    d("2026-11-21T09:00:00+08:00", "export", "-o", str(out))
    original = json.loads(str(d.run("board", "--json").output))  # type: ignore[attr-defined]

    fresh = tmp_path / "新工作区"
    ok(Run(tmp_path)("init", str(fresh), "--county", "示范县", "--issuer", "中共示范县委组织部"))
    again = Run(fresh)
    ok(again("import", str(out)))
    assert json.loads(ok(again("board", "--json")).output) == original
    # every problem the same, but for 发现日期: not a column of the 台账, it comes back as the
    # earliest of the organization's 认定日期 and the row's dates
    problems = json.loads(ok(again("list", "--json")).output)["problems"]
    before = json.loads(str(d.run("list", "--json").output))["problems"]  # type: ignore[attr-defined]
    assert [p.pop("found_on") for p in problems] == ["2026-03-15", "2026-03-15", "2026-04-01"]
    assert [p.pop("found_on") for p in before] == ["2026-03-10", "2026-03-20", "2026-04-01"]
    assert problems == before
    ok(again("check"))


def test_round_trip_of_the_demo_county(demo_county: Path, demo_export: Path,
                                       tmp_path: Path) -> None:
    """The demo county (visits, acceptances, evidence-free closures, local categories): the
    new workspace takes its catalog, imports the export, and has the same board."""
    fresh = tmp_path / "新台账"
    ok(Run(tmp_path)("init", str(fresh), "--county", "演示县", "--issuer", "中共演示县委组织部"))
    shutil.copy(demo_county / "zhengdun.yaml", fresh / "zhengdun.yaml")
    again = Run(fresh)
    ok(again("commit", "-m", "沿用演示县的类型目录"))
    ok(again("import", str(demo_export)))
    assert json.loads(ok(again("board", "--json")).output) == json.loads(
        ok(Run(demo_county)("board", "--json")).output)
    ok(again("check"))
    visits = json.loads(ok(again("show", "城东社区", "--json")).output)
    recorded = json.loads(ok(Run(demo_county)("show", "城东社区", "--json")).output)
    assert [v["on"] for v in visits["visits"]] == [v["on"] for v in recorded["visits"]]
    assert visits["acceptances"] == recorded["acceptances"]
    # the 四个一 come back whole from the 挂图作战 sheet (no 四个一不全 on the new board)
    forces = ("county_leader", "township_lead", "first_secretary", "paired_units")
    assert recorded["responsibility"]["paired_units"]
    assert {k: visits["responsibility"][k] for k in forces} == \
        {k: recorded["responsibility"][k] for k in forces}


# --------------------------------------------------------------------------- light paths


def test_only_the_excel_modules_import_openpyxl() -> None:
    from test_layers import MODULES

    users = [m for m in MODULES if uses(m, "openpyxl")]
    assert users == ["xlsx", "xlsx_import"]


def test_board_and_close_do_not_import_openpyxl(chengdong: Any, workspace: Path) -> None:
    for argv in (["board"], ["board", "--format", "csv"],
                 ["close", "chengdong/1", "--result", "已解决", "--on", "2026-06-20"]):
        result, modules = _imported_by_a_command(workspace, argv)
        assert result.returncode == 0, result.stderr[-2000:]
        assert not {m for m in modules if m.split(".")[0] == "openpyxl"}, argv
        assert "zhengdun.xlsx" not in modules and "zhengdun.xlsx_import" not in modules
    _, modules = _imported_by_a_command(workspace, ["export", "-o", str(workspace.parent / "a.xlsx")])
    assert "openpyxl" in modules  # the scan sees it when it is there


# --------------------------------------------------------------------------- README and demo


def test_readme_xlsx_block_runs(tmp_path: Path, demo_county: Path) -> None:
    from test_readme import block, run_block

    shutil.copytree(demo_county, tmp_path / "演示县", symlinks=True)
    result = run_block(block("xlsx"), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "README command failed" not in result.stderr
    assert (tmp_path / "演示县" / "台账.xlsx").is_file()
    assert {r[1] for r in cells(tmp_path / "演示县" / "城关镇台账.xlsx", "问题清单")[2:]} == {"城关镇"}
    assert "将要导入" in result.stdout and "已导入" in result.stdout and "导入过" in result.stdout
    fresh = tmp_path / "新台账"
    assert git(fresh, "rev-list", "--count", "HEAD").strip() == "3"  # init, config, import
    board = json.loads(ok(Run(fresh)("board", "--json")).output)
    assert board["count"] == 15 and sum(o["problems"] for o in board["organizations"]) == 68


def test_make_demo_writes_the_workbook() -> None:
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text(encoding="utf-8")
    demo = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert "zhengdun export -o 台账.xlsx" in demo
