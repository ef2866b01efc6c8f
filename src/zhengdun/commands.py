"""The bodies of the report commands, shared by the Typer CLI (``cli``) and the fast entry
(``quick``): the options come in as plain values, the answer goes out as an :class:`Output`.

No typer here, and nothing imported before it is needed.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zhengdun.errors import UserError

if TYPE_CHECKING:
    from zhengdun.workspace import Workspace


@dataclass
class Output:
    """What a command answers: ``text`` for the screen, or for the file ``target``."""

    text: str
    target: Path | None = None
    what: str = ""  # 月度通报, 挂图作战表…: named in the "已生成…" line when written to a file
    code: int = 0
    paged: bool = False  # long text (log, diff, audit): through a pager on a terminal
    data: bytes | None = None  # a binary file (.docx, .xlsx, a chart): written instead of ``text``


def emit(out: Output) -> int:
    """Print ``out`` or write it to its file; returns the exit code."""
    if out.target is None:
        if out.paged:
            from zhengdun.console import write_long

            write_long(out.text)
        else:
            sys.stdout.write(out.text)
        sys.stdout.flush()
        return out.code
    from zhengdun.store import write_atomic

    output = out.target
    target = output if output.is_absolute() else Path.cwd() / output
    if target.is_dir():
        raise UserError(f"{output} 是一个文件夹", "请在 -o 后写文件名，例如 -o 通报-2026-10.md")
    if not target.parent.is_dir():
        raise UserError(f"文件夹 {target.parent} 不存在", "请先建立该文件夹，或换一个位置")
    from zhengdun.place import output_problem

    refused = output_problem(output)
    if refused is not None:
        raise UserError(f"{refused}，不能把{out.what or '报表'}写到那里，未写入",
                        "请在 -o 后换一个文件名，例如 -o 通报-2026-10.md（写在工作区之外，"
                        "或工作区中 ledgers/ 和 .git/ 以外的文件夹中）")
    write_atomic(target, out.data if out.data is not None else out.text.encode("utf-8"),
                 str(output))
    sys.stderr.write(f"已生成{out.what}：{output}\n")
    return out.code


def json_text(data: Any) -> str:
    """``--json`` output: UTF-8 text, indented, dates as ``YYYY-MM-DD``."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"


def day(value: str | None, option: str) -> date | None:
    """A ``YYYY-MM-DD`` option value as a date (None when not given)."""
    if value is None:
        return None
    from zhengdun.clock import typed_date
    from zhengdun.model import parse_day

    try:
        return parse_day(typed_date(value))
    except Exception as exc:  # pydantic's error type, imported lazily
        message = getattr(exc, "message", None)
        text = message() if callable(message) else str(exc)
        raise UserError(f"{option} 的日期不对：{text}", "日期写成 YYYY-MM-DD，例如 2026-03-15") from None


def workspace(directory: Path | None, at: str | None = None) -> Workspace:
    """The workspace (found from ``directory`` or the current folder), as of ``at`` if given."""
    from zhengdun.workspace import find

    ws = find(directory)
    if at is None:
        return ws
    from zhengdun.timeline import at as workspace_at

    return workspace_at(ws, at)


BOARD_FORMATS = ("table", "md", "csv", "json")
#: ``bulletin --format`` and ``report --format``: Markdown from a Jinja template, or Word.
DOCUMENT_FORMATS = ("md", "docx")


def document_format(fmt: str, output: Path | None, as_json: bool) -> bool:
    """Whether a report is to be a Word document (``--format docx``), which goes to a file."""
    if fmt not in DOCUMENT_FORMATS:
        raise UserError(f"格式“{fmt}”不支持", "可用的格式：md（Markdown，默认）、docx（Word 公文）")
    if fmt != "docx" or as_json:
        return False
    if output is None:
        raise UserError("Word 文档不能显示在屏幕上，未生成",
                        "请加 -o 指定文件名，例如 -o 通报-2026-10.docx")
    if output.suffix.lower() != ".docx":
        raise UserError(f"Word 文档的文件名应以 .docx 结尾，而不是“{output.name}”，未生成",
                        f"例如 -o {output.stem or '通报'}.docx（Word 和 WPS 按扩展名打开文件）")
    return True


def bulletin_docx(directory: Path | None, month: str, number: str | None, issued: str | None,
                  template: str, at: str | None, output: Path,
                  round_name: str | None = None) -> Output:
    """``zhengdun bulletin --format docx``: the monthly bulletin as a Word 公文."""
    from zhengdun.clock import typed_date
    from zhengdun.office import bulletin_docx as make
    from zhengdun.reports import Month

    ws = workspace(directory, at)
    data = make(ws, Month.parse(typed_date(month)), number, day(issued, "--date"), template,
                round_name)
    return Output("", output, "月度通报（Word）", data=data)


def bulletin(directory: Path | None, month: str | None, number: str | None, issued: str | None,
             template: str | None, at: str | None, output: Path | None, as_json: bool,
             quarter: str | None = None, year: str | None = None,
             township: str | None = None, round_name: str | None = None) -> Output:
    """``zhengdun bulletin``: the monthly bulletin, or the 季度/年度总结 (or their numbers)."""
    from zhengdun.reports import Month, Period, bulletin_context, summary_context

    chosen = [v for v in (month, quarter, year) if v is not None]
    if len(chosen) != 1:
        raise UserError("--month、--quarter、--year 要写一个，且只能写一个",
                        "例如 zhengdun bulletin --month 2026-10；季度总结 --quarter 2026Q3；"
                        "年度总结 --year 2026")
    ws = workspace(directory, at)
    from zhengdun.clock import typed_date

    if month is not None:
        context = bulletin_context(ws, Month.parse(typed_date(month)), number,
                                   day(issued, "--date"), township=township,
                                   round_name=round_name)
    else:
        period = Period.quarter(quarter) if quarter is not None else Period.year(str(year))
        context = summary_context(ws, period, number, day(issued, "--date"), township,
                                  round_name)
    if as_json:
        return Output(json_text(context))
    from zhengdun.render import render

    name = template or ("bulletin" if month is not None else "summary")
    what = "月度通报" if month is not None else f"{context['period_kind']}总结"
    return Output(render(name, context, ws.root, ws.revision), output, what)


def board(directory: Path | None, as_of: str | None, fmt: str, at: str | None,
          output: Path | None, as_json: bool, township: str | None = None,
          leader: str | None = None, round_name: str | None = None,
          ) -> Output | dict[str, Any]:
    """``zhengdun board``: the text of the md/csv/json board, or the rows for a screen table."""
    from zhengdun.reports import board_csv, board_rows

    if fmt not in BOARD_FORMATS:
        raise UserError(f"格式“{fmt}”不支持", "可用的格式：table、md、csv、json")
    ws = workspace(directory, at)
    data = board_rows(ws, day(as_of, "--as-of"), township=township, leader=leader,
                      round_name=round_name)
    if as_json or fmt == "json":
        return Output(json.dumps(data, ensure_ascii=False, indent=2) + "\n", output, "挂图作战表")
    if fmt == "csv":
        return Output(board_csv(data), output, "挂图作战表")
    if fmt == "md":
        from zhengdun.render import render

        return Output(render("board", data, ws.root, ws.revision), output, "挂图作战表")
    if output is not None:
        raise UserError("屏幕表格不能写入文件", "请加 --format md 或 --format csv")
    return data


#: ``report NAME``: the reports with their own numbers (any other name is a template given
#: the whole workspace); the template each renders with.
REPORTS = {"stats": "stats", "leaders": "leaders", "leader": "leaders"}


def report(directory: Path | None, name: str, subject: str | None, org: str | None,
           as_of: str | None, at: str | None, output: Path | None, as_json: bool,
           fmt: str = "md", round_name: str | None = None) -> Output:
    """``zhengdun report``: 党内统计, 包联 views, 一村一档, the 怀柔 classes across rounds, or
    any template over one round (Markdown, or a Word document with ``--format docx``)."""
    if subject is not None and name != "leader":
        raise UserError(f"report {name} 后面不需要再写“{subject}”",
                        "只有 report leader 后面写姓名，例如 zhengdun report leader 刘建国")
    if name == "leader" and subject is None:
        raise UserError("report leader 后面要写领导或第一书记的姓名",
                        "例如 zhengdun report leader 刘建国；全部领导：zhengdun report leaders")
    word = document_format(fmt, output, as_json)
    ws = workspace(directory, at)
    when = day(as_of, "--as-of")
    context: dict[str, Any]
    if name in REPORTS:
        from zhengdun.county_reports import leaders_context, stats_context

        context = (stats_context(ws, when, round_name) if name == "stats"
                   else leaders_context(ws, when, subject, round_name))
    elif name == "rounds" and org is None:
        from zhengdun.campaign import rounds_context

        context = rounds_context(ws, when)
    elif org is not None:
        from zhengdun.reports import ledger_context

        context = ledger_context(ws, org, when, round_name)
    elif name == "ledger":
        raise UserError("ledger 模板要指定村(社区)", "例如 zhengdun report ledger --org 城东社区")
    else:
        from zhengdun.reports import workspace_context

        context = workspace_context(ws, when, round_name)
    if as_json:
        return Output(json_text(context))
    if word and output is not None:
        from zhengdun.office import report_docx

        return Output("", output, "报告（Word）", data=report_docx(ws, name, context))
    from zhengdun.render import render

    return Output(render(REPORTS.get(name, name), context, ws.root, ws.revision), output, "报告")


def problems(directory: Path | None, org: str | None, township: str | None,
             category: str | None, status: list[str], due_within: int | None,
             as_of: str | None, at: str | None, leader: str | None = None,
             round_name: str | None = None) -> dict[str, Any]:
    """``zhengdun list``: the problems that pass the filter, as data."""
    from zhengdun.queries import ProblemFilter, list_problems

    if len(status) > 1:
        raise UserError("--open、--closed、--overdue 只能选一个")
    flt = ProblemFilter(org=org, township=township, category=category,
                        status=status[0] if status else None, due_within=due_within,
                        leader=leader)
    return list_problems(workspace(directory, at), flt, day(as_of, "--as-of"), round_name)


def show(directory: Path | None, org: str, as_of: str | None, at: str | None,
         round_name: str | None = None) -> dict[str, Any]:
    """``zhengdun show``: one organization's 台账 in one round, as data."""
    from zhengdun.queries import show_org

    return show_org(workspace(directory, at), org, day(as_of, "--as-of"), round_name)


def log(directory: Path | None, target: str, as_json: bool) -> Output:
    """``zhengdun log``: the recorded life of an organization or a problem."""
    from zhengdun.timeline import org_log

    data = org_log(workspace(directory), target)
    if as_json:
        return Output(json_text(data))
    from zhengdun.console import format_log

    return Output(format_log(data), paged=True)


def check(directory: Path | None, as_json: bool) -> Output:
    """``zhengdun check``: every finding; exit code 1 when there is an error."""
    from zhengdun.check import check_workspace
    from zhengdun.place import find_root

    report = check_workspace(find_root(directory))
    if as_json:
        text = json_text({"ok": report.ok, "files": report.files,
                          "organizations": report.organizations, "problems": report.problems,
                          "uncommitted": report.uncommitted, "new_files": report.new_files,
                          "blocked": report.blocked, "maintenance": report.maintenance,
                          "findings": [f.to_json() for f in report.findings]})
    else:
        from zhengdun.console import format_check

        text = format_check(report)
    return Output(text, code=0 if report.ok else 1)
