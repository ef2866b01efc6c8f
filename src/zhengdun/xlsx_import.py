"""``zhengdun import``: an existing 台账 workbook (.xlsx) into the ledgers, in one commit.

The layout read is the common one: a title line or two, a header row, then one row per
problem, the organization (and its township) often in merged cells spanning its problems.
Header names are matched as clerks write them (:data:`FIELDS`, or ``import_columns`` in
``zhengdun.yaml``, or ``--map FILE``). Every finding is collected with its ``sheet!cell`` and
the text found there; if any is an error nothing is written.

Decisions (see docs/xlsx.md): organizations not yet in the workspace are created, as ``org
add`` would (an import into a new workspace is the common case, and refusing would make the
clerk type every village first); a row whose problem (same organization, same 存在问题) is
already recorded is left alone when it says the same, and reported when it differs, never
merged; the same file (by sha256) is never imported twice.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError

from zhengdun import history, interrupts, store
from zhengdun.errors import UserError
from zhengdun.model import (
    FIELD_LABELS,
    GRADES,
    KINDS,
    VISIT_KINDS,
    Acceptance,
    Closure,
    Ledger,
    Problem,
    Reopening,
    Step,
    Visit,
    ledger_findings,
)
from zhengdun.place import CONFIG_NAME, check_untouched_by_hooks, put_back
from zhengdun.wording import name_key
from zhengdun.workspace import LoadedLedger, Workspace, load_all, slug_for
from zhengdun.xlsx import ACCEPTANCE, CLOSED_MARK, REOPENED_MARK, SHEETS, VERIFIED_MARK

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

#: field -> the header names clerks use for it (compared without spaces, either kind of
#: bracket). ``import_columns`` in zhengdun.yaml or ``--map`` adds names in front of these.
FIELDS: dict[str, tuple[str, ...]] = {
    "township": ("乡镇", "乡镇(街道)", "所属乡镇", "所属乡镇(街道)", "乡镇名称"),
    "org": ("村(社区)", "村(社区)名称", "村名", "社区", "整顿对象", "村(社区)党组织"),
    "title": ("存在问题", "问题", "存在的问题", "主要问题", "问题表述", "问题清单"),
    "category": ("问题类型", "类型", "软弱涣散类型", "类型代码"),
    "source": ("来源", "问题来源"),
    "measures": ("整改措施", "措施", "任务措施"),
    "due": ("整改时限", "完成时限", "时限", "整改期限"),
    "owner": ("责任人", "整改责任人"),
    "progress": ("整改进展", "进展情况", "整改情况", "整改进度"),
    "closed_on": ("销号时间", "销号日期"),
    "verified_by": ("验收人", "验收单位"),
    "closed": ("是否销号", "销号情况"),
    "evidence": ("佐证", "佐证材料"),
    "found_on": ("发现日期", "发现时间"),
    "designated_on": ("认定日期", "认定时间"),
    "kind": ("类别",),
    "result": ("整改结果", "销号结果"),
}
FIELD_NAMES = {"township": "乡镇", "org": "村(社区)", "title": "存在问题", "category": "问题类型",
               "source": "来源", "measures": "整改措施", "due": "整改时限", "owner": "责任人",
               "progress": "整改进展", "closed_on": "销号时间", "verified_by": "验收人",
               "closed": "是否销号", "evidence": "佐证", "found_on": "发现日期",
               "designated_on": "认定日期", "kind": "类别", "result": "整改结果"}
REQUIRED = ("org", "title", "category", "due", "owner")
#: Columns written by ``export`` that are derived, so read as nothing.
IGNORED = ("序号", "逾期天数")
MAX_ROWS = 5000  # a county's 台账 has a few thousand problems; more is not one 台账
MAX_CELL = 32767  # Excel's own limit for the text of one cell
MAX_FILE = 50 * 1024 * 1024
MAX_UNPACKED = 500 * 1024 * 1024  # a small file that unpacks to more is a zip bomb
HEADER_SEARCH = 10
DEFAULT_RESULT = "已整改销号（据导入的台账）"
YES = ("是", "已销号", "已完成", "√", "✓", "完成")
NO = ("否", "未销号", "未完成", "整改中", "反弹", "")
LONG_TERM = ("长期坚持", "长期", "持续整改", "持续推进", "常态化")

_SPACE = re.compile(r"\s+")
_DAY = re.compile(r"(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})日?|"
                  r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_MONTH_END = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(?:底|末)\s*(?:前|之前)?")
_YEAR_END = re.compile(r"(?:(\d{4})\s*年\s*)?(?:年底|年末|年内|底)\s*(?:前|之前)?")
_DAY_BEFORE = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*(?:前|之前)")
_SPLIT = re.compile(r"[、，,；;/\s]+")
_CODE_NAME = re.compile(r"(\d+)\s*[.、．:：\s]?\s*(.*)")


@dataclass(frozen=True)
class Finding:
    """Something wrong (or worth saying) at ``sheet!cell``, with the text found there."""

    where: str
    text: str
    message: str
    hint: str | None = None
    severity: str = "error"

    def to_json(self) -> dict[str, Any]:
        return {"where": self.where, "text": self.text, "message": self.message,
                "hint": self.hint, "severity": self.severity}


class ImportRefused(UserError):
    """The workbook cannot be imported: every finding, nothing recorded."""

    def __init__(self, name: str, findings: list[Finding]) -> None:
        errors = [f for f in findings if f.severity == "error"]
        lines = [f"{name} 有 {len(errors)} 处问题，本次未导入任何内容："]
        for one in errors:
            shown = f"：“{_excerpt(one.text)}”" if one.text else ""
            lines.append(f"  {one.where}{shown} — {one.message}"
                         + (f"（{one.hint}）" if one.hint else ""))
        super().__init__("\n".join(lines), "改正工作簿中列出的单元格后重新导入；先加 --dry-run 可以只检查不记录")
        self.findings = findings


def _excerpt(text: str, limit: int = 40) -> str:
    flat = text.replace("\n", "⏎")
    return flat if len(flat) <= limit else flat[:limit] + f"…（共 {len(text)} 个字符）"


def _norm(header: str) -> str:
    text = _SPACE.sub("", name_key(header)).replace("（", "(").replace("）", ")")
    return text.replace("：", "").replace(":", "")


# --------------------------------------------------------------------------- the file


def open_workbook(path: Path, display: str) -> tuple[Workbook, bytes, dict[str, int]]:
    """The workbook, the file's bytes and its over-long texts (:func:`_long_texts`); a clear
    refusal for what is not an .xlsx."""
    from openpyxl import load_workbook

    try:
        size = path.stat().st_size
        if size > MAX_FILE:
            raise UserError(f"{display} 有 {size // (1024 * 1024)} MB，超过了一份台账的合理大小"
                            f"（{MAX_FILE // (1024 * 1024)} MB），未导入",
                            "请只保留台账所在的工作表，删除图片等附件后另存，再导入")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"文件 {display} 不存在", "请核对文件名和位置") from None
    except IsADirectoryError:
        raise UserError(f"{display} 是一个文件夹", "请写 Excel 文件的名字，如 台账.xlsx") from None
    except OSError as exc:
        raise UserError(f"无法读取 {display}：{exc.strerror}") from None
    if raw.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE compound file
        if "EncryptionInfo".encode("utf-16-le") in raw:
            raise UserError(f"{display} 设有打开密码（加密的工作簿），zhengdun 无法读取，未导入",
                            "请在 Excel 或 WPS 中用密码打开，在“文件→信息→保护工作簿”中删除密码，"
                            "另存为 .xlsx 后再导入")
        raise UserError(f"{display} 是旧版 Excel 97-2003 格式（.xls），不是 .xlsx，未导入",
                        "请在 Excel 或 WPS 中打开，另存为“Excel 工作簿（*.xlsx）”后再导入")
    if not raw.startswith(b"PK\x03\x04"):
        looks = "CSV 或文本文件" if _texty(raw) else "其他格式的文件"
        raise UserError(f"{display} 不是 Excel 工作簿（看起来是{looks}改了扩展名），未导入",
                        "请在 Excel 或 WPS 中打开，另存为“Excel 工作簿（*.xlsx）”后再导入")
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        raise UserError(f"{display} 已损坏（不是完整的 .xlsx 文件），未导入",
                        "请重新下载或从 Excel 中重新另存") from None
    if "xl/workbook.xml" not in names:
        raise UserError(f"{display} 不是 Excel 工作簿（可能是 Word 或其他软件的文件），未导入",
                        "请写 Excel 台账文件（.xlsx）")
    if unpacked > MAX_UNPACKED:
        raise UserError(f"{display} 解压后有 {unpacked // (1024 * 1024)} MB，不像一份台账，未导入",
                        "请只保留台账所在的工作表后另存，再导入")
    long_texts = _long_texts(raw)
    try:
        book = load_workbook(io.BytesIO(raw), data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise UserError(f"{display} 无法按 Excel 工作簿读取（{type(exc).__name__}），未导入",
                        "请在 Excel 或 WPS 中打开并另存为 .xlsx 后再导入") from None
    return book, raw, long_texts


def _long_texts(raw: bytes) -> dict[str, int]:
    """Texts longer than a cell may hold, by their first :data:`MAX_CELL` characters.

    openpyxl cuts such a text to that length without a word, so the import would record a
    different text from the one in the file: they are found in the file's XML first.
    """
    import io
    from xml.etree.ElementTree import iterparse

    found: dict[str, int] = {}
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        for name in archive.namelist():
            if not (name == "xl/sharedStrings.xml" or name.startswith("xl/worksheets/")):
                continue
            with archive.open(name) as part:
                for _event, element in iterparse(part):
                    if element.tag.endswith("}t") and element.text and len(element.text) > MAX_CELL:
                        found[element.text[:MAX_CELL]] = len(element.text)
                    element.clear()
    return found


def _texty(raw: bytes) -> bool:
    head = raw[:4096]
    for codec in ("utf-8-sig", "gb18030"):
        try:
            head.decode(codec)
            return b"\0" not in head
        except UnicodeDecodeError:
            continue
    return False


# --------------------------------------------------------------------------- reading cells


@dataclass
class Grid:
    """A sheet's values by (row, column), merged ranges filled from their first cell."""

    sheet: str
    values: dict[tuple[int, int], Any]
    merged: list[tuple[str, int, int, int, int]]  # (A1:B2, min_row, min_col, max_row, max_col)
    max_row: int
    max_col: int

    def where(self, row: int, col: int) -> str:
        from openpyxl.utils import get_column_letter

        return f"{self.sheet}!{get_column_letter(col)}{row}"

    def get(self, row: int, col: int) -> Any:
        return self.values.get((row, col))


def read_grid(sheet: Worksheet, findings: list[Finding],
              long_texts: dict[str, int] | None = None) -> Grid:
    """Every value of ``sheet``; formulas and over-long cells as findings."""
    long_texts = long_texts or {}
    values: dict[tuple[int, int], Any] = {}
    name = sheet.title
    for row in sheet.iter_rows():
        for cell in row:
            value = cell.value
            if value is None or not hasattr(cell, "column"):
                continue
            r, c = cell.row, cell.column
            assert isinstance(r, int) and isinstance(c, int)
            where = f"{name}!{cell.coordinate}"
            if cell.data_type == "f" or type(value).__name__ in ("ArrayFormula", "DataTableFormula"):
                findings.append(Finding(where, str(getattr(value, "text", value)),
                                        "单元格是公式，导入只接受填写的值",
                                        "请把公式所在列复制后“选择性粘贴→数值”，再导入"))
                continue
            if isinstance(value, str):
                size = long_texts.get(value, len(value)) if len(value) == MAX_CELL else len(value)
                if size > MAX_CELL:
                    findings.append(Finding(where, value[:40],
                                            f"单元格有 {size} 个字符，超过了 Excel 一个单元格的上限"
                                            f"（{MAX_CELL} 个）", "请核对这个单元格，把内容精简后再导入"))
                    continue
                if not value.strip():
                    continue
            values[(r, c)] = value
    merged = []
    for rng in sheet.merged_cells.ranges:
        merged.append((str(rng), rng.min_row, rng.min_col, rng.max_row, rng.max_col))
        first = values.get((rng.min_row, rng.min_col))
        if first is None:
            continue
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                values[(r, c)] = first
    return Grid(name, values, merged, sheet.max_row, sheet.max_column)


def find_header(grid: Grid, names: dict[str, list[str]]) -> tuple[int, dict[str, int]] | None:
    """The header row (within the first rows) and the column of each field found in it."""
    lookup = {_norm(n): f for f, ns in names.items() for n in reversed(ns)}
    best: tuple[int, dict[str, int]] | None = None
    for row in range(1, min(grid.max_row, HEADER_SEARCH) + 1):
        columns: dict[str, int] = {}
        for col in range(1, grid.max_col + 1):
            value = grid.values.get((row, col))
            if isinstance(value, str) and (field_ := lookup.get(_norm(value))) is not None:
                columns.setdefault(field_, col)
        if "title" in columns and len(columns) >= 3 and (best is None or
                                                         len(columns) > len(best[1])):
            best = (row, columns)
    return best


# --------------------------------------------------------------------------- values


def as_date(value: Any) -> date | str | None:
    """A cell's date: a real Excel date, or text ``2026-6-30``, ``2026.6.30``, ``2026/6/30``,
    ``2026年6月30日``. Returns the text back when it is none of these, None when empty."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, time):  # an Excel date serial below 1: a day before 1900-01-01
        return date(1899, 12, 31)
    text = str(value).strip()
    match = _DAY.fullmatch(text)
    if not match:
        return text
    y, m, d = (int(x) for x in (match.groups()[:3] if match[1] else match.groups()[3:]))
    try:
        return date(y, m, d)
    except ValueError:
        return text


def date_problem(value: Any, day: date | str | None) -> str | None:
    """Why a parsed date is not acceptable (None: it is a date from 1900 on)."""
    if isinstance(day, date):
        return "日期早于1900年，不是整顿工作的日期" if day.year < 1900 else None
    return (f"“{_excerpt(str(value))}”不是日期" if day is not None else None)


def worded_deadline(text: str, reference: date) -> date | None:
    """A deadline written in words, by the stated rule (docs/xlsx.md): ``6月底前`` → the last
    day of June of the reference date's year (of the next year when that is already before
    the reference date); ``年底前`` → 31 December of that year; ``9月15日前`` → that day."""
    import calendar

    text = _SPACE.sub("", text)
    match = _MONTH_END.fullmatch(text)
    if match and 1 <= int(match[2]) <= 12:
        year, month = int(match[1] or reference.year), int(match[2])
        day = date(year, month, calendar.monthrange(year, month)[1])
        if match[1] is None and day < reference:
            day = date(year + 1, month, calendar.monthrange(year + 1, month)[1])
        return day
    match = _YEAR_END.fullmatch(text)
    if match:
        return date(int(match[1] or reference.year), 12, 31)
    match = _DAY_BEFORE.fullmatch(text)
    if match:
        try:
            day = date(int(match[1] or reference.year), int(match[2]), int(match[3]))
        except ValueError:
            return None
        if match[1] is None and day < reference:
            day = day.replace(year=day.year + 1)
        return day
    return None


def categories_of(text: str, catalog: dict[str, str]) -> tuple[list[str], list[str]]:
    """(codes, unknown parts) of a 问题类型 cell: codes, names, ``10 名称``, several as
    ``1、3``."""
    by_name = {_norm(n): c for c, n in catalog.items()}
    whole = by_name.get(_norm(text))
    if whole is not None:
        return [whole], []
    codes: list[str] = []
    unknown: list[str] = []
    for part in (p for p in _SPLIT.split(text.strip()) if p):
        if part in catalog:
            codes.append(part)
        elif _norm(part) in by_name:
            codes.append(by_name[_norm(part)])
        elif (m := _CODE_NAME.fullmatch(part)) and m[1] in catalog and (
                not m[2] or _norm(m[2]) == _norm(catalog[m[1]])):
            codes.append(m[1])
        else:
            unknown.append(part)
    return list(dict.fromkeys(codes)), unknown


def _lines(value: Any) -> list[str]:
    if value is None:
        return []
    return [line.strip() for line in str(value).splitlines() if line.strip()]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return name_key(str(value)) if not isinstance(value, str) else value.strip()


# --------------------------------------------------------------------------- rows


@dataclass
class OrgRows:
    """One organization as the workbook describes it, and its problems' rows."""

    name: str
    township: str
    first_row: int
    kind: str | None = None
    designated_on: date | None = None
    categories: list[str] = field(default_factory=list)
    categories_given: bool = False  # from the board sheet: the problems' types add nothing
    county_leader: str | None = None
    township_lead: str | None = None
    first_secretary: str | None = None
    paired_units: list[str] = field(default_factory=list)
    problems: list[tuple[int, Problem]] = field(default_factory=list)  # (row, problem)
    events: list[tuple[int, Visit | Acceptance, str]] = field(default_factory=list)


@dataclass
class Plan:
    """What an import would record: new organizations, new problems, rows left alone."""

    file: str
    sha256: str
    sheet: str
    new_orgs: list[tuple[str, Ledger]] = field(default_factory=list)  # (slug, ledger)
    added: dict[str, list[Problem]] = field(default_factory=dict)  # existing slug -> problems
    same: int = 0
    changed: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    rows: dict[tuple[str, int], int] = field(default_factory=dict)  # (slug, pid) -> row

    @property
    def problems(self) -> int:
        return sum(len(ledger.problems) for _, ledger in self.new_orgs) + sum(
            len(items) for items in self.added.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file, "sha256": self.sha256, "sheet": self.sheet,
            "new_organizations": [{"slug": slug, "name": ledger.name, "township": ledger.township,
                                   "kind": ledger.kind, "problems": len(ledger.problems)}
                                  for slug, ledger in self.new_orgs],
            "added_problems": {slug: [p.title for p in items] for slug, items in self.added.items()},
            "problems": self.problems, "unchanged_rows": self.same,
            "changed_rows": [f.to_json() for f in self.changed],
            "notes": [f.to_json() for f in self.notes],
        }


def _column_names(ws: Workspace, mapping: dict[str, Any] | None) -> dict[str, list[str]]:
    names = {f: list(ns) for f, ns in FIELDS.items()}
    extra: list[tuple[str, dict[str, Any]]] = []
    if ws.config.import_columns:
        extra.append((f"{CONFIG_NAME} 的 import_columns", ws.config.import_columns))
    if mapping is not None:
        extra.append(("--map 文件", mapping))
    by_label = {label: key for key, label in FIELD_NAMES.items()}
    for origin, table in extra:
        for key, value in table.items():
            field_ = key if key in FIELDS else by_label.get(str(key))
            if field_ is None:
                raise UserError(f"{origin} 中的“{key}”不是可导入的栏目",
                                "可用的栏目：" + "、".join(f"{k}（{v}）" for k, v in FIELD_NAMES.items()))
            given = [value] if isinstance(value, str) else value
            if not isinstance(given, list) or not all(isinstance(v, str) for v in given):
                raise UserError(f"{origin} 中“{key}”的表头应写成文字或文字列表",
                                "例如 title: 问题描述，或 owner: [责任人, 包保责任人]")
            names[field_] = [*given, *names[field_]]
    return names


def read_map(path: Path) -> dict[str, Any]:
    """``--map FILE``: a YAML mapping of field -> header name(s), optionally under
    ``import_columns``."""
    if not path.is_file():
        raise UserError(f"--map 文件 {path} 不存在", "请核对文件名和位置")
    data = store.load_data(path)
    if isinstance(data, dict) and isinstance(data.get("import_columns"), dict):
        data = data["import_columns"]
    if not isinstance(data, dict):
        raise UserError(f"--map 文件 {path} 应是“栏目: 表头”的对照表",
                        "例如：\n  title: 问题描述\n  owner: 包保责任人")
    return data


def plan_import(ws: Workspace, path: Path, display: str, sheet_name: str | None = None,
                mapping: dict[str, Any] | None = None) -> Plan:
    """Read the workbook and decide what it would record; raises :class:`ImportRefused`
    with every finding when any is an error."""
    book, raw, long_texts = open_workbook(path, display)
    findings: list[Finding] = []
    for other in book.worksheets:
        if other.sheet_state != "visible":
            findings.append(Finding(f"{other.title}!A1", "",
                                    f"工作表“{other.title}”是隐藏的：打印和核对时看不到其中的内容",
                                    "请在 Excel 中取消隐藏并核对；不需要的，删除该工作表后再导入"))
    if sheet_name is not None:
        if sheet_name not in book.sheetnames:
            raise UserError(f"{display} 中没有工作表“{sheet_name}”",
                            f"现有工作表：{'、'.join(book.sheetnames)}")
        chosen: Any = book[sheet_name]
    elif SHEETS[1] in book.sheetnames:
        chosen = book[SHEETS[1]]
    else:
        visible = [s for s in book.worksheets if s.sheet_state == "visible"]
        chosen = visible[0] if visible else book.worksheets[0]
    sheet = next((s for s in book.worksheets if s is chosen), None)
    if sheet is None:
        raise UserError(f"{display} 的“{chosen.title}”是图表，不是数据工作表",
                        f"请用 --sheet 指定台账所在的工作表：{'、'.join(book.sheetnames)}")
    names = _column_names(ws, mapping)
    grid = read_grid(sheet, findings, long_texts)
    found = find_header(grid, names)
    if found is None:
        raise ImportRefused(display, [*findings, Finding(
            f"{grid.sheet}!A1", "", f"前 {HEADER_SEARCH} 行中找不到表头（至少要有“存在问题”和另外两栏）",
            f"表头名称与默认不同的，在 {CONFIG_NAME} 的 import_columns 或 --map 文件中写明，"
            "例如 title: 问题描述")])
    header, columns = found
    missing = [FIELD_NAMES[f] for f in REQUIRED if f not in columns]
    if "township" not in columns:
        missing.append(FIELD_NAMES["township"])
    if missing:
        raise ImportRefused(display, [*findings, Finding(
            f"{grid.sheet}!A{header}", "", f"表头中没有这些栏目：{'、'.join(missing)}",
            f"表头名称不同的，在 {CONFIG_NAME} 的 import_columns 或 --map 文件中写明")])
    rows = [r for r in range(header + 1, grid.max_row + 1)
            if any(grid.get(r, c) is not None for c in columns.values())]
    if len(rows) > MAX_ROWS:
        raise ImportRefused(display, [*findings, Finding(
            grid.where(rows[MAX_ROWS], 1), "",
            f"工作表“{grid.sheet}”有 {len(rows)} 行问题，超过了一次导入的上限 {MAX_ROWS} 行",
            "请按乡镇分成几个工作簿，分别导入")])
    board = _board_sheet(book, sheet, findings, long_texts)
    plan = Plan(display, hashlib.sha256(raw).hexdigest(), grid.sheet)
    orgs = _read_rows(ws, grid, columns, rows, board, findings)
    events = _event_sheet(book, sheet, findings, long_texts)
    for org in orgs:
        org.events = events.pop(name_key(org.name), [])
    for rows_left in events.values():
        _row, _event, where = rows_left[0]
        findings.append(Finding(where, "", "这个村(社区)在问题清单中没有问题，它的督查验收记录无法导入",
                                "请在问题清单中列出它的问题，或删除这些记录"))
    _check_merges(grid, columns, rows, header, findings)
    if not any(f.severity == "error" for f in findings):
        _decide(ws, orgs, plan, findings)
    if any(f.severity == "error" for f in findings):
        raise ImportRefused(display, findings)
    plan.notes = [f for f in findings if f.severity != "error"]
    return plan


def _org_of(grid: Grid, columns: dict[str, int], row: int) -> str:
    return _text(grid.get(row, columns["org"]))


def _check_merges(grid: Grid, columns: dict[str, int], rows: list[int], header: int,
                  findings: list[Finding]) -> None:
    """A merged range may hold one organization's problems, or a township's organizations;
    any other merge over rows of different organizations would copy one's words to another."""
    township_col = columns.get("township")
    for text, r1, c1, r2, c2 in grid.merged:
        if r2 <= header or r1 == r2:
            continue
        if c1 == c2 == township_col:
            continue
        spanned = {_org_of(grid, columns, r) for r in range(max(r1, header + 1), r2 + 1)} - {""}
        if len(spanned) > 1:
            findings.append(Finding(f"{grid.sheet}!{text}", _text(grid.get(r1, c1)),
                                    f"合并单元格 {text} 跨越了不同的村(社区)（{'、'.join(sorted(spanned))}），"
                                    "分不清每个村(社区)的内容",
                                    "请取消合并，在每个村(社区)的行中分别填写"))


def _board_sheet(book: Workbook, chosen: Worksheet, findings: list[Finding],
                 long_texts: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Organization facts from an exported 挂图作战 sheet (认定日期, 类别, 类型, 四个一)."""
    if SHEETS[0] not in book.sheetnames or book[SHEETS[0]] is chosen:
        return {}
    board_sheet = next(s for s in book.worksheets if s.title == SHEETS[0])
    grid = read_grid(board_sheet, findings, long_texts)
    wanted = {"org": ["村(社区)"], "kind": ["类别"], "categories": ["软弱涣散类型"],
              "designated_on": ["认定日期"], "county_leader": ["包联县级领导"],
              "first_secretary": ["第一书记"], "township_lead": ["包村乡镇领导"],
              "paired_units": ["结对帮扶单位"], "title": ["阶段"]}  # 阶段 marks the board
    found = find_header(grid, wanted)
    if found is None or "org" not in found[1]:
        return {}
    header, columns = found
    facts: dict[str, dict[str, Any]] = {}
    for row in range(header + 1, grid.max_row + 1):
        name = _text(grid.get(row, columns["org"]))
        if name:
            facts[name_key(name)] = {f: (grid.get(row, c), grid.where(row, c))
                                     for f, c in columns.items()}
    return facts


def _event_sheet(book: Workbook, chosen: Worksheet, findings: list[Finding],
                 long_texts: dict[str, int],
                 ) -> dict[str, list[tuple[int, Visit | Acceptance, str]]]:
    """督查调度 and 验收 records from an exported 督查验收 sheet, by organization."""
    sheet = next((s for s in book.worksheets if s.title == SHEETS[4]), None)
    if sheet is None or sheet is chosen:
        return {}
    grid = read_grid(sheet, findings, long_texts)
    wanted = {"org": ["村(社区)"], "on": ["日期"], "title": ["事项"], "by": ["人员或单位"],
              "text": ["内容"], "grade": ["验收等次"], "score": ["得分"]}
    found = find_header(grid, wanted)
    if found is None or not {"org", "on", "by"} <= set(found[1]):
        return {}
    header, columns = found
    out: dict[str, list[tuple[int, Visit | Acceptance, str]]] = {}
    for row in range(header + 1, grid.max_row + 1):
        def get(name: str, row: int = row) -> tuple[Any, str]:
            return grid.get(row, columns[name]) if name in columns else None, \
                grid.where(row, columns.get(name, 1))
        name = _text(get("org")[0])
        if not name:
            continue
        value, where = get("on")
        day = as_date(value)
        if (why := date_problem(value, day)) is not None or not isinstance(day, date):
            findings.append(Finding(where, _text(value), f"日期：{why or '没有填写'}"))
            continue
        kind, kind_where = _text(get("title")[0]), get("title")[1]
        by, text = name_key(_text(get("by")[0])), _text(get("text")[0])
        event: Visit | Acceptance
        try:
            if kind == ACCEPTANCE:
                grade, grade_where = _text(get("grade")[0]), get("grade")[1]
                if grade not in GRADES:
                    findings.append(Finding(grade_where, grade,
                                            f"验收等次应为 {'、'.join(GRADES)}"))
                    continue
                score = get("score")[0]
                event = Acceptance(round=UNPLACED, on=day, by=by, grade=grade, note=text or None,
                                   score=score if isinstance(score, int | float) else None)
            elif kind in VISIT_KINDS:
                event = Visit(round=UNPLACED, on=day, kind=kind, by=by, text=text)
            else:
                findings.append(Finding(kind_where, kind,
                                        f"事项应为 {'、'.join(VISIT_KINDS)} 或 {ACCEPTANCE}"))
                continue
        except ValidationError as exc:
            findings.append(Finding(grid.where(row, 1), name,
                                    f"这一行不能记为督查验收记录：{exc.errors()[0]['msg']}"))
            continue
        out.setdefault(name_key(name), []).append((row, event, grid.where(row, 1)))
    return out


def _read_rows(ws: Workspace, grid: Grid, columns: dict[str, int], rows: list[int],
               board: dict[str, dict[str, Any]], findings: list[Finding]) -> list[OrgRows]:
    catalog = ws.config.categories
    today = ws.today()
    orgs: dict[str, OrgRows] = {}

    def cell(row: int, name: str) -> tuple[Any, str]:
        col = columns.get(name)
        return (grid.get(row, col), grid.where(row, col)) if col else (None, "")

    def bad(where: str, value: Any, message: str, hint: str | None = None) -> None:
        findings.append(Finding(where, "" if value is None else _text(value), message, hint))

    def a_date(row: int, name: str) -> date | None:
        value, where = cell(row, name)
        day = as_date(value)
        problem = date_problem(value, day)
        if problem:
            bad(where, value, f"{FIELD_NAMES[name]}：{problem}",
                "日期写成 2026-06-30、2026.6.30、2026/6/30 或 2026年6月30日")
            return None
        return day if isinstance(day, date) else None

    for row in rows:
        org_value, org_where = cell(row, "org")
        name = _text(org_value)
        title_value, title_where = cell(row, "title")
        title = _text(title_value)
        if not name:
            bad(org_where or grid.where(row, 1), None, "没有填写村(社区)")
            continue
        key = name_key(name)
        town_value, town_where = cell(row, "township")
        township = _text(town_value)
        org = orgs.get(key)
        if org is None:
            org = orgs[key] = OrgRows(name, township, row)
            _org_facts(org, row, cell, board.get(key), catalog, findings)
        elif township and name_key(township) != name_key(org.township):
            bad(town_where, town_value, f"{name}在第 {org.first_row} 行属于“{org.township}”，"
                "这里写的是另一个乡镇", "同一个村(社区)只能属于一个乡镇")
        if not title:
            bad(title_where, None, "没有填写存在问题")
            continue
        codes: list[str] = []
        cat_value, cat_where = cell(row, "category")
        if cat_value is None:
            bad(cat_where, None, "没有填写问题类型",
                "写类型代码或名称，几个类型写成 1、3")
        else:
            codes, unknown = categories_of(_text(cat_value), catalog)
            if unknown:
                bad(cat_where, cat_value, f"问题类型“{'、'.join(unknown)}”不在类型目录中",
                    f"写类型代码或名称（见 {CONFIG_NAME} 的 categories）；需要本地类型的，在其中增加")
                codes = []
        source_value, source_where = cell(row, "source")
        source = _text(source_value) or None
        if source is not None and source not in ws.config.sources:
            bad(source_where, source_value, f"来源“{source}”不在来源目录中",
                f"可用的来源：{'、'.join(ws.config.sources)}；需要新来源的，在 {CONFIG_NAME} 的 "
                "sources 中增加")
        owner_value, owner_where = cell(row, "owner")
        owner = name_key(_text(owner_value))
        if not owner:
            bad(owner_where, None, "没有填写责任人")
        found_on = a_date(row, "found_on")
        steps, listed = _progress(row, cell, findings)
        # worded deadlines count from the row's 发现日期, else 认定日期, else its first event
        first = min([s.on for s in steps] + [c.on for c in listed], default=None)
        reference = found_on or org.designated_on or first or today
        due_value, due_where = cell(row, "due")
        due = as_date(due_value)
        if isinstance(due, str):
            worded = worded_deadline(due, reference)
            if worded is not None:
                findings.append(Finding(due_where, due, f"整改时限“{due}”按 {reference} 起算记为 "
                                        f"{worded}", severity="note"))
                due = worded
            elif _SPACE.sub("", due) in LONG_TERM:
                bad(due_where, due_value, f"整改时限“{due}”不是一个日期，无法判断是否逾期",
                    "请写明具体的整改时限（如 2026年12月31日）；需要长期坚持的工作，可写进整改措施")
                due = None
            else:
                bad(due_where, due_value, f"整改时限：“{_excerpt(due)}”不是日期",
                    "写成 2026-06-30、2026.6.30、2026年6月30日，或 6月底前、年底前")
                due = None
        elif due is None:
            bad(due_where, None, "没有填写整改时限")
        elif (why := date_problem(due_value, due)) is not None:
            bad(due_where, due_value, f"整改时限：{why}")
            due = None
        closures = _closure_state(row, cell, a_date, listed, findings)
        if closures is None or due is None or not codes or not owner:
            continue
        _attach_evidence(ws, row, cell, steps, closures, findings)
        events = [s.on for s in steps] + [c.on for c in closures] + [due]
        found_on = found_on or min([*events, org.designated_on or today, today])
        measures = _lines(cell(row, "measures")[0])
        try:
            problem = Problem(round=UNPLACED, id=len(org.problems) + 1, title=title,
                              category=codes[0],
                              source=source, found_on=found_on, due=due, owner=owner,
                              measures=measures, steps=steps, closures=closures)
        except ValidationError as exc:
            bad(title_where, title, f"这一行不能记为问题：{exc.errors()[0]['msg']}")
            continue
        if len(codes) > 1:
            findings.append(Finding(cat_where, _text(cat_value),
                                    f"一个问题记一个类型：记为 {codes[0]}，其余类型（{'、'.join(codes[1:])}）"
                                    "记入该村(社区)的软弱涣散类型", severity="note"))
        for code in codes if not org.categories_given else ():
            if code not in org.categories:
                org.categories.append(code)
        org.problems.append((row, problem))
    return list(orgs.values())


def _org_facts(org: OrgRows, row: int, cell: Any, board: dict[str, Any] | None,
               catalog: dict[str, str], findings: list[Finding]) -> None:
    """An organization's kind, 认定日期 and forces: from its first row, else the board sheet."""
    def pick(name: str) -> tuple[Any, str]:
        value, where = cell(row, name)
        if value is None and board is not None and name in board:
            value, where = board[name]
        return value, where

    kind_value, where = pick("kind")
    kind = _text(kind_value)
    if kind and kind not in KINDS:
        findings.append(Finding(where, kind, f"类别“{kind}”不对，应为 村 或 社区"))
    org.kind = kind if kind in KINDS else ("社区" if org.name.endswith("社区") else "村")
    value, where = pick("designated_on")
    day = as_date(value)
    if (problem := date_problem(value, day)) is not None:
        findings.append(Finding(where, _text(value), f"认定日期：{problem}"))
    elif isinstance(day, date):
        org.designated_on = day
    if board is not None:
        if "categories" in board and board["categories"][0] is not None:
            codes, unknown = categories_of(_text(board["categories"][0]), catalog)
            if unknown:
                findings.append(Finding(board["categories"][1], _text(board["categories"][0]),
                                        f"软弱涣散类型“{'、'.join(unknown)}”不在类型目录中",
                                        f"需要本地类型的，在 {CONFIG_NAME} 的 categories 中增加"))
            org.categories, org.categories_given = codes, bool(codes)
        for name in ("county_leader", "township_lead", "first_secretary"):
            if name in board and board[name][0] is not None:
                setattr(org, name, name_key(_text(board[name][0])))
        if "paired_units" in board and board["paired_units"][0] is not None:
            units = _SPLIT.split(_text(board["paired_units"][0]))
            org.paired_units = list(dict.fromkeys(name_key(u) for u in units if u.strip()))


def _progress(row: int, cell: Any, findings: list[Finding]) -> tuple[list[Step], list[Closure]]:
    """整改进展: one event a line, each beginning with its date (``销号：``/``反弹：`` mark
    closures and reopenings, as ``export`` writes them)."""
    value, where = cell(row, "progress")
    steps: list[Step] = []
    closures: list[Closure] = []
    for number, line in enumerate(_lines(value), start=1):
        match = re.match(r"(\d{4}\s*[-./]\s*\d{1,2}\s*[-./]\s*\d{1,2}日?|"
                         r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)[\s，,:：、]*(.*)", line)
        day = as_date(match[1]) if match else None
        if match is None or not isinstance(day, date):
            findings.append(Finding(where, line, f"整改进展第 {number} 行没有以日期开头，不知道是哪天的进展",
                                    "每条进展一行，以日期开头，如 2026-04-02 召开居民议事会"))
            continue
        if day.year < 1900:
            findings.append(Finding(where, line, f"整改进展第 {number} 行的日期早于1900年"))
            continue
        text = match[2].strip()
        if text.startswith(CLOSED_MARK):
            result = text[len(CLOSED_MARK):].strip()
            verified = re.fullmatch(r"(.*?)" + re.escape(VERIFIED_MARK).replace(r"\{\}", "(.+)"),
                                    result)
            by = name_key(verified[2]) if verified else None
            result = verified[1].strip() if verified else result
            closures.append(Closure(on=day, result=result or DEFAULT_RESULT, verified_by=by))
        elif text.startswith(REOPENED_MARK):
            reason = text[len(REOPENED_MARK):].strip()
            if not closures or closures[-1].reopened is not None or not reason:
                findings.append(Finding(where, line, f"整改进展第 {number} 行记了反弹，但此前没有销号，"
                                        "或没有写反弹原因"))
                continue
            closures[-1] = closures[-1].model_copy(
                update={"reopened": Reopening(on=day, reason=reason)})
        elif not text:
            findings.append(Finding(where, line, f"整改进展第 {number} 行只有日期，没有内容"))
        else:
            steps.append(Step(on=day, text=text))
    return steps, closures


def _closure_state(row: int, cell: Any, a_date: Any, closures: list[Closure],
                   findings: list[Finding]) -> list[Closure] | None:
    """是否销号, 销号时间, 验收人 and 整改结果 against the closures in 整改进展."""
    flag_value, flag_where = cell(row, "closed")
    closed_on = a_date(row, "closed_on")
    flag = _text(flag_value)
    standing = bool(closures) and closures[-1].reopened is None
    if flag_value is None:
        closed = standing or closed_on is not None
    elif flag in YES:
        closed = True
    elif flag in NO:
        closed = False
    else:
        findings.append(Finding(flag_where, flag, f"是否销号“{flag}”看不懂，应为 是 或 否"))
        return None
    closed_where = cell(row, "closed_on")[1] or flag_where
    if closed and not standing:
        if closed_on is None:
            findings.append(Finding(flag_where or closed_where, flag, "已销号，但没有销号时间",
                                    "请填写销号时间"))
            return None
        result = _text(cell(row, "result")[0]) or DEFAULT_RESULT
        closures = [*closures, Closure(on=closed_on, result=result)]
    elif closed and closed_on is not None and closures[-1].on != closed_on:
        findings.append(Finding(closed_where, str(closed_on),
                                f"销号时间与整改进展中的销号日期（{closures[-1].on}）不一致"))
        return None
    elif not closed and (standing or closed_on is not None):
        findings.append(Finding(flag_where or closed_where, flag,
                                "是否销号为“否”，但填写了销号时间或整改进展中有销号记录",
                                "已销号的写“是”；销号后反弹的，在整改进展中写一行“日期 反弹：原因”"))
        return None
    verified = name_key(_text(cell(row, "verified_by")[0])) or None
    if verified is not None:
        if not closed:
            findings.append(Finding(cell(row, "verified_by")[1], verified,
                                    "未销号的问题填写了验收人", "验收人在销号时填写"))
            return None
        closures[-1] = closures[-1].model_copy(update={"verified_by": verified})
    return closures


def _attach_evidence(ws: Workspace, row: int, cell: Any, steps: list[Step],
                     closures: list[Closure], findings: list[Finding]) -> None:
    """佐证 goes with the standing closure, else with the last step."""
    value, where = cell(row, "evidence")
    items = _lines(value)
    if not items:
        return
    for item in items:
        problem = ws.evidence_problem(item)
        if problem:
            findings.append(Finding(where, item, problem,
                                    "佐证写工作区中的文件路径，如 evidence/城东/照片.jpg，文件须已放入工作区"))
    if closures and closures[-1].reopened is None:
        closures[-1] = closures[-1].model_copy(update={"evidence": items})
    elif steps:
        steps[-1] = steps[-1].model_copy(update={"evidence": items})
    else:
        findings.append(Finding(where, items[0], "有佐证材料，但没有整改进展或销号记录可以附上"))


def _same(a: Problem, b: Problem) -> list[str]:
    """The Chinese names of the fields in which two problems differ (ids aside)."""
    left, right = a.to_data(), b.to_data()
    keys = [k for k in dict.fromkeys([*left, *right]) if k not in ("id", "found_on", "round")]
    return [FIELD_LABELS.get(k, k) for k in keys if left.get(k) != right.get(k)]


def _decide(ws: Workspace, orgs: list[OrgRows], plan: Plan, findings: list[Finding]) -> None:
    existing = {name_key(item.ledger.name): item for item in load_all(ws)}
    taken = set(ws.slugs())
    today = ws.today()
    for org in orgs:
        item = existing.get(name_key(org.name))
        if item is None:
            _new_org(ws, org, plan, taken, today, findings)
        else:
            _existing_org(item, org, plan, findings)


#: the round of a row read from the workbook, until it is known which organization (and so which
#: round) it belongs to: every item is placed in its organization's round before it is recorded
UNPLACED = "（待定）"

R = TypeVar("R", Problem, Visit, Acceptance)


def placed(item: R, round_name: str) -> R:
    """``item`` in the round ``round_name``."""
    return item.model_copy(update={"round": round_name})


def _new_org(ws: Workspace, org: OrgRows, plan: Plan, taken: set[str], today: date,
             findings: list[Finding]) -> None:
    if not org.township:
        findings.append(Finding(f"{plan.sheet}!A{org.first_row}", org.name,
                                f"{org.name}是新的村(社区)，但没有填写乡镇"))
        return
    if not org.problems:
        return
    # (a 认定日期 after today is one of the rules checked before writing)
    designated = org.designated_on or min(p.found_on for _, p in org.problems)
    round_name = ws.config.round_on(designated)
    if round_name is None:
        findings.append(Finding(f"{plan.sheet}!A{org.first_row}", org.name,
                                f"{org.name}是新的村(社区)，但 zhengdun.yaml 中还没有写整顿批次（rounds），"
                                "无法登记", "请先在 zhengdun.yaml 的 rounds 中写明批次，如 "
                                "- {name: \"2026\", start: 2026-01-01}"))
        return
    slug = slug_for(org.name, taken)
    taken.add(slug)
    from zhengdun.model import SCHEMA_VERSION, Designation, Responsibility

    designation = Designation(round=round_name, on=designated,
                              categories=org.categories or [org.problems[0][1].category],
                              responsibility=Responsibility(county_leader=org.county_leader,
                                                            township_lead=org.township_lead,
                                                            first_secretary=org.first_secretary,
                                                            paired_units=org.paired_units))
    ledger = Ledger(schema_version=SCHEMA_VERSION, name=name_key(org.name),
                    kind=org.kind or "村", township=name_key(org.township),
                    designations=[designation],
                    problems=[placed(p, round_name) for _, p in org.problems],
                    visits=[placed(e, round_name) for _, e, _ in org.events
                            if isinstance(e, Visit)],
                    acceptances=[placed(e, round_name) for _, e, _ in org.events
                                 if isinstance(e, Acceptance)])
    for row, problem in org.problems:
        plan.rows[(slug, problem.id)] = row
    plan.new_orgs.append((slug, ledger))


def _existing_org(item: LoadedLedger, org: OrgRows, plan: Plan, findings: list[Finding]) -> None:
    ledger = item.ledger
    if org.township and name_key(org.township) != name_key(ledger.township):
        findings.append(Finding(f"{plan.sheet}!A{org.first_row}", org.township,
                                f"{ledger.name}已在台账中，属于“{ledger.township}”，工作簿中写的是“{org.township}”",
                                "请核对乡镇名称"))
        return
    recorded = {name_key(p.title): p for p in ledger.problems}
    next_id = ledger.next_problem_id()
    new: list[Problem] = []
    for row, problem in org.problems:
        old = recorded.get(name_key(problem.title))
        if old is None:
            numbered = problem.model_copy(update={"id": next_id, "round": ledger.round})
            plan.rows[(item.slug, next_id)] = row
            next_id += 1
            new.append(numbered)
        elif differs := _same(old, problem):
            plan.changed.append(Finding(
                f"{plan.sheet}!A{row}", problem.title,
                f"与已记录的 {item.slug}/{old.id} 不同（{'、'.join(differs)}），未导入这一行",
                f"已记录的问题用 zhengdun step、close 等命令续记；运行 zhengdun show {item.slug} 查看",
                severity="changed"))
        else:
            plan.same += 1
    if new:
        plan.added[item.slug] = new
    recorded_events: list[Visit | Acceptance] = [*ledger.visits, *ledger.acceptances]
    for _row, event, where in org.events:
        if any(event.model_copy(update={"round": known.round}) == known
               for known in recorded_events):
            continue
        plan.changed.append(Finding(where, ledger.name,
                                    f"{ledger.name}已在台账中，这条督查验收记录与已记录的不同，未导入",
                                    "督查调度用 zhengdun visit、验收用 zhengdun accept 记录",
                                    severity="changed"))


# --------------------------------------------------------------------------- recording


TRAILER_FILE = "Zhengdun-Source"
TRAILER_SHA = "Zhengdun-Source-Sha256"


@dataclass
class Outcome:
    """What ``import`` did (or, with ``--dry-run``, would do)."""

    plan: Plan | None
    commit: str | None
    said: str
    earlier: tuple[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"commit": self.commit, "said": self.said,
                "already_imported": ({"commit": self.earlier[0], "on": self.earlier[1]}
                                     if self.earlier else None),
                **(self.plan.to_json() if self.plan else {})}


def import_workbook(ws: Workspace, path: Path, sheet: str | None = None,
                    map_file: Path | None = None, dry_run: bool = False) -> Outcome:
    """导入台账: record the workbook's organizations and problems in one commit."""
    display = str(path)
    mapping = read_map(map_file) if map_file else None
    _column_names(ws, mapping)  # a wrong mapping is said even for a file imported before
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    except OSError:
        digest = None
    if digest is not None:
        earlier = history.commits_with_trailer(ws.root, TRAILER_SHA, digest)
        if earlier:
            sha, on = earlier[0]
            return Outcome(None, None, f"{path.name} 已于 {on} 导入过（提交 {sha[:8]}），"
                           "内容完全相同，本次未记录", earlier[0])
    plan = plan_import(ws, path, display, sheet, mapping)
    if dry_run:
        return Outcome(plan, None, describe(plan, dry_run=True))
    if not plan.problems:
        return Outcome(plan, None, describe(plan) + "\n没有需要记录的新内容，本次未记录")
    commit = _record(ws, plan, path.name)
    return Outcome(plan, commit, describe(plan))


def describe(plan: Plan, dry_run: bool = False) -> str:
    """What the plan records, in the clerk's words."""
    lead = "将要导入" if dry_run else "已导入" if plan.problems else "已读取"
    lines = [f"{lead} {plan.file}（工作表“{plan.sheet}”）：{plan.problems} 个问题"]
    for slug, ledger in plan.new_orgs:
        lines.append(f"  新登记 {ledger.name}（{ledger.township}，{ledger.kind}，简称 {slug}）："
                     f"{len(ledger.problems)} 个问题")
    for slug, problems in plan.added.items():
        lines.append(f"  {slug} 新增 {len(problems)} 个问题")
    if plan.same:
        lines.append(f"  {plan.same} 行与已记录的相同，未重复记录")
    for note in plan.notes:
        lines.append(f"  说明 {note.where}：{note.message}")
    if plan.changed:
        lines.append(f"  {len(plan.changed)} 行与已记录的问题不同，没有导入：")
        lines += [f"    {f.where}“{_excerpt(f.text)}”：{f.message}" for f in plan.changed]
    return "\n".join(lines)


def _record(ws: Workspace, plan: Plan, file_name: str) -> str:
    """Write every new and changed ledger, check each against the rules, one commit."""
    writes: list[tuple[str, Path, bytes | None, bytes]] = []  # rel, path, old, new
    with ws.lock():
        history.preflight(ws.root)
        rels = [ws.rel(ws.ledger_path(slug)) for slug, _ in plan.new_orgs]
        rels += [ws.rel(ws.ledger_path(slug)) for slug in plan.added]
        dirty = history.resync_index(ws.root, history.status(ws.root, [*rels, CONFIG_NAME]))
        if dirty:
            paths = "、".join(s.path for s in dirty)
            raise UserError(f"{paths} 有未记录的手工修改，导入不会写在它们上面，本次未导入",
                            "请先运行 zhengdun check 查看，再用 zhengdun commit -m \"说明\" 记录，"
                            "或用 git checkout 放弃这些修改")
        errors: list[Finding] = []
        for slug, ledger in plan.new_orgs:
            path = ws.ledger_path(slug)
            if path.exists() or path.is_symlink():
                raise UserError(f"{ws.rel(path)} 已经存在，导入不会覆盖它", "请先运行 zhengdun check 查看")
            errors += _rule_findings(ws, plan, slug, ledger)
            text = store.dump(ledger.to_data())
            writes.append((ws.rel(path), path, None, text.encode()))
        for slug, problems in plan.added.items():
            from zhengdun.workspace import load_ledger

            loaded = load_ledger(ws, slug)
            new = loaded.ledger.model_copy(
                update={"problems": [*loaded.ledger.problems, *problems]})
            errors += _rule_findings(ws, plan, slug, new)
            edits: list[store.Edit] = []
            full = [p.to_data() for p in loaded.ledger.problems]
            for problem in problems:
                full = [*full, problem.to_data()]
                edits.append(store.Append((), "problems", problem.to_data(), list(full)))

            def accept(data: Any, expected: Ledger = new) -> bool:
                try:
                    return Ledger.model_validate(data) == expected
                except ValidationError:
                    return False

            text = store.apply_edits(loaded.doc, edits, accept)
            writes.append((ws.rel(loaded.doc.path), loaded.doc.path, loaded.doc.raw,
                           loaded.doc.encode(text)))
        if errors:
            raise ImportRefused(plan.file, errors)
        ws.ledgers_dir.mkdir(exist_ok=True)
        message = history.message("import", file_name, f"{plan.problems} 个问题",
                                  trailer_refs=[*(s for s, _ in plan.new_orgs), *plan.added])
        message += f"{TRAILER_FILE}: {file_name}\n{TRAILER_SHA}: {plan.sha256}\n"
        interrupts.hold()  # as in place.write_and_commit: the commit decides
        kept: list[tuple[str, Path, bytes | None, Path | None]] = []
        try:
            for rel, path, old, data in writes:
                store.refuse_unreadable_size(data, rel)
                kept.append((rel, path, old, store.write_atomic(path, data, rel,
                                                                keep_old=old is not None)))
            commit = history.commit(ws.root, [w[0] for w in writes], message,
                                    new_paths=[w[0] for w in writes if w[2] is None])
        except BaseException as failure:
            for rel, path, old, keep in reversed(kept):
                put_back(path, old, rel, keep, failure)
            raise
        for _rel, _path, _old, keep in kept:
            store.discard(keep)
        for rel, path, _old, data in writes:
            check_untouched_by_hooks(ws.root, path, rel, data, commit)
    return commit


def _rule_findings(ws: Workspace, plan: Plan, slug: str, ledger: Ledger) -> list[Finding]:
    """The ledger rules ``check`` applies, each finding put back on the row it came from."""
    from zhengdun.model import label

    out = []
    for finding in ledger_findings(ledger, ws.config, ws.today(), ws.evidence_problem):
        if finding.severity != "error":
            continue
        path = finding.path
        row = None
        if len(path) >= 2 and path[0] == "problems" and isinstance(path[1], int):
            row = plan.rows.get((slug, ledger.problems[path[1]].id))
        where = f"{plan.sheet}!A{row}" if row else f"{plan.sheet}（{ledger.name}）"
        out.append(Finding(where, "", f"{label(path)}：{finding.message}", finding.hint))
    return out


def findings_json(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """Findings as plain data, for ``--json``."""
    return [f.to_json() for f in findings]


__all__: Sequence[str] = ("Finding", "ImportRefused", "Plan", "import_workbook", "plan_import")
