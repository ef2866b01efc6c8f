"""Output for people: Rich tables that align Chinese text. Part of the CLI layer."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from zhengdun.check import CheckReport
    from zhengdun.workspace import Located


def _console() -> Console:
    """Rich, imported only by the commands that draw tables (it costs ~50 ms to import).

    Piped output (a file, less, a script) is not cut to 80 columns: Chinese text would be
    truncated.
    """
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False, width=_width())


def _width() -> int | None:
    """The width tables are laid out for: the terminal's on a terminal (None: rich asks it),
    else wide enough for every column (piped output is not cut: ``COLUMNS`` is often left set
    by other programs)."""
    return None if sys.stdout.isatty() else 200



def write_long(text: str) -> None:
    """Long output (diff, log, audit, show): paged on a terminal, else written as it is."""
    from zhengdun.pager import page

    if not page(text):
        sys.stdout.write(text)

@dataclass(frozen=True)
class Column:
    """A column of a screen table: the lower ``keep``, the longer it stays when the screen is
    narrow; ``wrap`` columns (titles) wrap at word boundaries instead of being dropped."""

    header: str
    keep: int
    right: bool = False
    wrap: bool = False


#: the narrowest a wrapping column (a problem's title) may become: 12 Chinese characters
_WRAP_MIN = 24


def _fitted(columns: Sequence[Column], rows: Sequence[Sequence[Any]], width: int,
            ) -> list[int]:
    """The indexes of the columns to show so that the table fits in ``width`` cells: columns
    are left out from the highest ``keep`` down, never the first-kept ones."""
    from rich.cells import cell_len

    def natural(i: int) -> int:
        cells = [cell_len(str(row[i])) for row in rows]
        size = max([cell_len(columns[i].header), *cells])
        return min(size, _WRAP_MIN) if columns[i].wrap else size

    sizes = [natural(i) for i in range(len(columns))]
    shown = list(range(len(columns)))

    def total(indexes: list[int]) -> int:
        return sum(sizes[i] + 3 for i in indexes) + 1  # padding and the rule of each column

    for i in sorted(shown, key=lambda i: -columns[i].keep):
        if total(shown) <= width or columns[i].keep == 0:
            break
        shown.remove(i)
    return shown


def _print_table(title: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]],
                 styles: Sequence[str] | None = None) -> None:
    """A screen table that fits the terminal: less important columns left out (and named
    below the table), titles wrapped at a readable width."""
    out = _console()
    shown = _fitted(columns, rows, out.width)
    table = _table(title)
    for i in shown:
        column = columns[i]
        table.add_column(column.header, justify="right" if column.right else "left",
                         no_wrap=not column.wrap, overflow="fold",
                         min_width=_WRAP_MIN if column.wrap else None)
    for n, row in enumerate(rows):
        table.add_row(*(row[i] for i in shown), style=styles[n] if styles else None)
    out.print(table)
    left_out = [columns[i].header for i in range(len(columns)) if i not in shown]
    if left_out:
        out.print(f"（屏幕宽 {out.width} 列，未显示：{'、'.join(left_out)}。加宽窗口，或加 --json、"
                  "--format md 查看全部）", highlight=False)

_STATE_STYLE = {"open": "", "closed": "green", "reopened": "magenta"}


def _table(title: str | None = None) -> Table:
    from rich.table import Table

    return Table(title=title, title_justify="left", header_style="bold", show_lines=False,
                 pad_edge=False, expand=False)


def format_findings(findings: Sequence[Located]) -> str:
    """``file:line:col: message``, the offending line, and a hint, one block per finding."""
    blocks = []
    for finding in findings:
        level = "错误" if finding.severity == "error" else "提醒"
        lines = [f"{finding.where()}: {level}：{finding.message}"]
        if finding.excerpt is not None and finding.line is not None:
            lines.append(f"  {finding.line:>5} | {finding.excerpt}")
            if finding.column:
                width = sum(2 if ord(ch) > 0x2E7F else 1
                            for ch in finding.excerpt[: finding.column - 1])
                lines.append(f"        | {' ' * width}^")
        if finding.hint:
            lines.append(f"        提示：{finding.hint}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def format_check(report: CheckReport) -> str:
    """The result of ``zhengdun check``, as the text printed."""
    out: list[str] = []
    if report.findings:
        out.append(format_findings(report.findings))
    errors = len(report.errors)
    warnings = len(report.findings) - errors
    summary = (f"检查了 {report.files} 个文件（{report.organizations} 个村(社区)，"
               f"{report.problems} 个问题）：")
    if errors:
        summary += f"发现 {errors} 处错误" + (f"、{warnings} 处提醒" if warnings else "") + "。"
    elif warnings:
        summary += f"没有错误，{warnings} 处提醒。"
    else:
        summary += "全部通过。"
    out.append(summary)
    if report.uncommitted:
        names = report.names
        listed = "、".join(f"{names[p]}（{p}）" if p in names else p for p in report.uncommitted)
        discard = ("运行 git checkout -- 文件 放弃" if not report.new_files
                   else "运行 git checkout -- 文件 放弃（新文件"
                   + "、".join(report.new_files) + " 用 git rm -f 文件 删除）")
        deleted = [p for p in report.uncommitted if p in report.renamed]
        if deleted:  # git checkout -- cannot bring back a file whose deletion is staged
            discard += "；被删除的" + "、".join(deleted) + " 用 git checkout HEAD -- 文件 恢复"
        moved = "".join(f"（其中 {old} 改名为 {new}）" for old, new in report.renamed.items())
        record = ("确认内容无误后运行 zhengdun commit -m \"说明\" 记录" if report.lost is None
                  else "先按下面的提示处理被删除的台账文件，再运行 zhengdun commit -m \"说明\" 记录")
        out.append(f"以下文件已写入、但尚未记录到历史中（手工修改，或上一条命令被中断）：{listed}"
                   f"{moved}。{record}；不要这些修改的，{discard}。")
    if report.lost:
        out.append(f"注意：{report.lost}")
    if report.blocked:
        out.append(f"注意：现在还不能记录新的修改。{report.blocked}")
    if report.maintenance:
        out.append(f"提示：仓库需要整理（{'、'.join(report.maintenance)}），运行 zhengdun maintain "
                   "可让 diff、log、audit 等查历史的命令快起来（不改动台账和历史记录）。")
    return "".join(line + "\n" for line in out)


def print_orgs(data: dict[str, Any]) -> None:
    """The table of ``zhengdun org list``."""
    from rich.text import Text

    _out = _console()
    table = _table(f"整顿对象 {data['count']} 个（{data['as_of']}）")
    for header in ("简称", "名称", "类别", "乡镇", "认定日期", "阶段", "问题", "已销号", "逾期",
                   "最近进展"):
        table.add_column(header, justify="right" if header in ("问题", "已销号", "逾期") else "left")
    for org in data["organizations"]:
        overdue = Text(str(org["overdue"]), style="bold red" if org["overdue"] else "")
        stage = Text(org["stage"], style="green" if org["stage"] == "已转化" else "")
        table.add_row(org["slug"], org["name"], org["kind"], org["township"],
                      org["designated_on"], stage, str(org["problems"]), str(org["closed"]),
                      overdue, org["last_activity"] or "—")
    _out.print(table)


def print_problems(data: dict[str, Any]) -> None:
    """The table of ``zhengdun list``."""
    from rich.text import Text

    if not data["problems"]:
        print(f"没有符合条件的问题（按 {data['as_of']} 判断）。")
        return
    columns = [Column("编号", 0), Column("村(社区)", 3), Column("问题", 0, wrap=True),
               Column("类型", 5), Column("责任人", 4), Column("整改时限", 2), Column("状态", 1),
               Column("逾期天数", 1, right=True)]
    rows = []
    for row in data["problems"]:
        state = Text(row["state_label"], style=_STATE_STYLE[row["state"]])
        if row["closed_on"]:
            state.append(f" {row['closed_on']}")
        late = Text(str(row["days_overdue"]), style="bold red") if row["overdue"] else Text("")
        rows.append((row["ref"], row["org_name"], row["title"], row["category"], row["owner"],
                     row["due"], state, late))
    _print_table(f"问题 {data['count']} 个（按 {data['as_of']} 判断）", columns, rows)


def print_ledger(data: dict[str, Any]) -> None:
    """One organization's whole 台账 (``zhengdun show``), paged on a terminal."""
    out = _console()
    with out.capture() as captured:
        _ledger_lines(out, data)
    write_long(captured.get())


def _ledger_lines(out: Console, data: dict[str, Any]) -> None:
    from rich.text import Text

    summary = data["summary"]
    out.print(Text(f"{data['name']}（{data['slug']}）", style="bold"))
    out.print(*[f"{data['township']} · {data['kind']} · 认定于 {data['designated_on']} · "
              f"阶段：{summary['stage']} · 文件 {data['file']}"], soft_wrap=True)
    names = data["category_names"]
    out.print("软弱涣散类型：" + "；".join(f"{c} {names.get(c, '')}" for c in data["categories"]))
    duty = data.get("responsibility", {})
    labels = [("county_leader", "包联县级领导"), ("township_lead", "包村乡镇领导"),
              ("branch_secretary", "党组织书记"), ("first_secretary", "第一书记"),
              ("work_team", "驻村工作队")]
    parts = [f"{label}：{duty[key]}" for key, label in labels if duty.get(key)]
    if duty.get("paired_units"):
        parts.append("结对帮扶单位：" + "、".join(duty["paired_units"]))
    out.print("责任清单：" + ("；".join(parts) if parts else "（未填写，用 zhengdun org set 补充）"))
    out.print(f"问题 {summary['problems']} 个，已销号 {summary['closed']} 个，"
              f"未销号 {summary['open']} 个，逾期 {summary['overdue']} 个（按 {data['as_of']} 判断）")
    for problem in data.get("problems", []):
        out.print()
        style = "bold red" if problem["overdue"] else "bold"
        head = Text(f"{problem['ref']}  {problem['title']}", style=style)
        out.print(head)
        late = f"，逾期 {problem['days_overdue']} 天" if problem["overdue"] else ""
        out.print(*[f"    类型 {problem['category']} · 来源 {problem.get('source') or '—'} · "
                  f"发现 {problem['found_on']} · 时限 {problem['due']} · 责任人 {problem['owner']}"
                  f" · {problem['state_label']}{late}"], soft_wrap=True)
        for measure in problem.get("measures", []):
            out.print(f"    措施：{measure}")
        events: list[tuple[str, str]] = []
        for step in problem.get("steps", []):
            events.append((step["on"], f"进展：{step['text']}" + _files(step)))
        for closure in problem.get("closures", []):
            who = f"（{closure['verified_by']}验收）" if closure.get("verified_by") else ""
            events.append((closure["on"], f"销号：{closure['result']}{who}" + _files(closure)))
            if closure.get("reopened"):
                events.append((closure["reopened"]["on"], f"反弹：{closure['reopened']['reason']}"))
        for day, text in events:
            out.print(f"    {day}  {text}", soft_wrap=True)
    if data.get("visits"):
        out.print()
        table = _table("督查、调度、约谈、回头看")
        for header in ("日期", "类别", "人员或单位", "内容"):
            table.add_column(header, overflow="fold")
        for visit in data["visits"]:
            table.add_row(visit["on"], visit["kind"], visit["by"], visit["text"])
        out.print(table)
    if data.get("acceptances"):
        out.print()
        table = _table("验收")
        for header in ("日期", "验收单位", "等次", "得分", "备注"):
            table.add_column(header, overflow="fold")
        for item in data["acceptances"]:
            score = item.get("score")
            table.add_row(item["on"], item["by"], item["grade"],
                          "" if score is None else f"{score:g}", item.get("note") or "")
        out.print(table)


def _files(record: dict[str, Any]) -> str:
    files = record.get("evidence") or []
    return f"［佐证：{'、'.join(files)}］" if files else ""


@contextmanager
def maintenance_progress() -> Iterator[Callable[[int, int, str], None]]:
    """A progress bar over the steps of ``zhengdun maintain`` (plain lines when piped)."""
    if not sys.stderr.isatty():
        def line(done: int, total: int, label: str) -> None:
            if done < total:
                sys.stderr.write(f"[{done + 1}/{total}] {label}……\n")

        yield line
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task("整理仓库", total=1)

        def advance(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=label)

        yield advance


@contextmanager
def transfer_progress() -> Iterator[Callable[[str, int, int | None], None]]:
    """A progress bar over a transfer to or from the server (``zhengdun sync``), drawn on a
    terminal only, and only once git reports objects to move: a sync with nothing to move
    shows nothing."""
    if not sys.stderr.isatty():
        yield lambda stage, done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} 个对象"),
                  console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, Any] = {}

        def show(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield show


def maintenance_summary(summary: Any) -> str:
    """What ``zhengdun maintain`` changed, in one short paragraph."""
    before, after = summary.before, summary.after

    def graph(state: Any) -> str:
        if state.changed_paths:
            return "已建立（含变更路径）"
        return "已建立（不含变更路径）" if state.commit_graph else "无"

    lines = [f"仓库整理完成（用时 {summary.seconds:.1f} 秒），历史记录未改动。",
             f"  松散对象：{before.loose} → {after.loose} 个",
             f"  包文件：{before.packs} → {after.packs} 个",
             f"  提交图：{graph(before)} → {graph(after)}"]
    if summary.cache_removed:
        lines.append(f"  清除过期缓存：{summary.cache_removed} 项")
    return "\n".join(lines) + "\n"


def print_board(data: dict[str, Any]) -> None:
    """挂图作战 on screen: overdue red, due soon yellow, transformed green."""

    columns = [Column("乡镇", 2), Column("村(社区)", 0), Column("类别", 6), Column("类型", 5),
               Column("阶段", 1), Column("问题", 3, right=True), Column("已销号", 3, right=True),
               Column("未销号", 2, right=True), Column("逾期", 1, right=True),
               Column("临期", 4, right=True), Column("最近进展", 4), Column("包联县级领导", 7),
               Column("第一书记", 7)]
    colours = {"overdue": "red", "due_soon": "yellow", "accepted": "green", "normal": ""}
    rows, styles = [], []
    for row in data["organizations"]:
        styles.append(colours[row["status"]])
        rows.append((row["township"], row["name"], row["kind"], "、".join(row["categories"]),
                     row["stage"], str(row["problems"]), str(row["closed"]), str(row["open"]),
                     str(row["overdue"]), str(row["due_soon"]), row["last_activity"] or "—",
                     row["county_leader"] or "", row["first_secretary"] or ""))
    _print_table(f"{data['county']}整顿挂图作战（截至 {data['as_of']}，{data['count']} 个对象）",
                 columns, rows, styles)


def format_diff(data: dict[str, Any], markdown: bool = False) -> str:
    """``zhengdun diff`` as text, grouped by township and organization."""
    lines: list[str] = []
    start, end = data["from"], data["to"]
    title = f"{start['label']}（{start['commit'][:8]}）→ {end['label']}（{end['commit'][:8]}）的变化"
    lines.append(f"# {title}" if markdown else title)
    township = None
    for group in data["organizations"]:
        if group["township"] != township:
            township = group["township"]
            lines.append("")
            lines.append(f"## {township}" if markdown else f"【{township}】")
        lines.append(f"### {group['name']}（{group['org']}）" if markdown
                     else f"  {group['name']}（{group['org']}）")
        for change in group["changes"]:
            mark = "⚠ " if change["serious"] else ""
            lines.append(f"- {mark}{change['description']}" if markdown
                         else f"    {mark}{change['description']}")
    if not data["organizations"]:
        lines.append("")
        lines.append("这段时间台账没有变化。")
    s = data["summary"]

    def rate(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f}%"

    lines.append("")
    summary = (f"合计：涉及 {len(data['organizations'])} 个村(社区)；问题 {s['problems_before']} → "
               f"{s['problems_after']} 个，已销号 {s['closed_before']} → {s['closed_after']} 个，"
               f"销号率 {rate(s['rate_before'])} → {rate(s['rate_after'])}")
    lines.append(f"**{summary}**" if markdown else summary)
    return "\n".join(lines) + "\n"


def format_log(data: dict[str, Any]) -> str:
    """``zhengdun log`` as text, oldest first."""
    lines = [f"{data['target']} 的记录历史（共 {len(data['entries'])} 次）"]
    for entry in data["entries"]:
        how = entry["action"] or "手工修改（未经 zhengdun）"
        lines.append("")
        lines.append(f"{entry['recorded_local']}  {entry['author']}  [{how}]  "
                     f"{entry['commit'][:8]}")
        for change in entry["changes"]:
            late = (f"  ← 补录：事项日期 {change['event_date']}，晚 {change['backfill_days']} 天记录"
                    if change.get("backfill_days") else "")
            lines.append(f"    {change['description']}{late}")
        if entry.get("note"):
            lines.append(f"    {entry['note']}")
    return "\n".join(lines) + "\n"


def format_audit(data: dict[str, Any]) -> str:
    """``zhengdun audit`` as text: serious findings first."""
    from zhengdun.timeline import AUDIT_LABELS

    lines = []
    scope = f"{data['since']} 以来" if data["since"] else "全部"
    lines.append(f"审查了{scope}的 {data['commits']} 次台账提交。")
    for finding in data["findings"]:
        level = "严重" if finding["serious"] else "提示"
        where = (f"{finding['commit'][:8]} {finding['recorded'][:10]} {finding['author']}"
                 if finding["commit"] else "当前台账")
        lines.append(f"[{level}] {AUDIT_LABELS.get(finding['kind'], finding['kind'])}  {where}  "
                     f"{finding['message']}")
    counts = "，".join(f"{AUDIT_LABELS.get(k, k)} {v} 处" for k, v in data["counts"].items())
    if data["serious"]:
        lines.append(f"发现 {data['serious']} 处严重问题（{counts}）。")
    elif data["findings"]:
        lines.append(f"没有严重问题；提示 {len(data['findings'])} 处（{counts}）。")
    else:
        lines.append("历史记录完整，没有发现问题。")
    return "\n".join(lines) + "\n"
