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


def _fitted(columns: Sequence[Column], rows: Sequence[Sequence[Any]], width: int | None,
            ) -> tuple[list[int], list[int]]:
    """The indexes of the columns to show so that the table fits in ``width`` cells (all of
    them when ``width`` is None: piped output is not cut), and each shown column's width:
    columns are left out from the highest ``keep`` down, never the first-kept ones; wrapping
    columns take the room that is left, never less than ``_WRAP_MIN``."""
    from zhengdun.screen import cells

    natural = [max([cells(column.header), *(cells(str(row[i])) for row in rows)])
               for i, column in enumerate(columns)]
    if width is None:
        return list(range(len(columns))), natural
    least = [min(size, _WRAP_MIN) if columns[i].wrap else size for i, size in enumerate(natural)]
    shown = list(range(len(columns)))

    def total(indexes: list[int]) -> int:
        # drawn, a table is its columns, one space each side inside the rules, and the rules
        return sum(least[i] for i in indexes) + 3 * len(indexes) - 1

    for i in sorted(shown, key=lambda i: -columns[i].keep):
        if total(shown) <= width or columns[i].keep == 0:
            break
        shown.remove(i)
    wrapping = [i for i in shown if columns[i].wrap]
    room = width - sum(natural[i] for i in shown if not columns[i].wrap) - 3 * len(shown) + 1
    sizes = {i: natural[i] for i in shown}
    for n, i in enumerate(wrapping):
        share = room // (len(wrapping) - n)
        sizes[i] = max(least[i], min(natural[i], share))
        room -= sizes[i]
    return shown, [sizes[i] for i in shown]


def _print_table(title: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]],
                 styles: Sequence[str] | None = None) -> None:
    """A screen table that fits the terminal: less important columns left out (and named
    below the table), titles wrapped at a readable width."""
    from zhengdun.screen import colour_wanted, draw, terminal_width, wrap

    width = terminal_width()
    shown, widths = _fitted(columns, rows, width)
    text = draw(title, [columns[i].header for i in shown], [[row[i] for i in shown] for row in rows],
                widths, [columns[i].right for i in shown], [columns[i].wrap for i in shown],
                styles, colour_wanted())
    left_out = [columns[i].header for i in range(len(columns)) if i not in shown]
    if left_out:
        note = (f"（屏幕宽 {width} 列，未显示：{'、'.join(left_out)}。加宽窗口，或加 --json、"
                "--format md 查看全部）")
        text += "".join(line + "\n" for line in wrap(note, width or len(note)))
    sys.stdout.write(text)
    sys.stdout.flush()


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
    if report.uncommitted and not report.unfinished:
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
    from zhengdun.screen import Styled

    columns = [Column("简称", 0), Column("名称", 1), Column("类别", 5), Column("乡镇", 2),
               Column("认定日期", 4), Column("阶段", 1), Column("问题", 3, right=True),
               Column("已销号", 3, right=True), Column("逾期", 1, right=True),
               Column("最近进展", 4)]
    rows = [(org["slug"], org["name"], org["kind"], org["township"], org["designated_on"],
             Styled(org["stage"], "green" if org["stage"] == "已转化" else ""),
             str(org["problems"]), str(org["closed"]),
             Styled(str(org["overdue"]), "bold red" if org["overdue"] else ""),
             org["last_activity"] or "—")
            for org in data["organizations"]]
    _print_table(f"整顿对象 {data['count']} 个（{data['as_of']}）", columns, rows)


def print_problems(data: dict[str, Any]) -> None:
    """The table of ``zhengdun list``."""
    from zhengdun.screen import Styled

    if not data["problems"]:
        print(f"没有符合条件的问题（按 {data['as_of']} 判断）。")
        return
    columns = [Column("编号", 0), Column("乡镇", 4), Column("村(社区)", 3), Column("问题", 0, wrap=True),
               Column("类型", 5), Column("责任人", 4), Column("整改时限", 2), Column("状态", 1),
               Column("逾期天数", 1, right=True)]
    rows = []
    for row in data["problems"]:
        label = f"{row['state_label']} {row['closed_on']}" if row["closed_on"] else row["state_label"]
        state = Styled(label, _STATE_STYLE[row["state"]])
        late = Styled(str(row["days_overdue"]), "bold red") if row["overdue"] else ""
        rows.append((row["ref"], row["township"], row["org_name"], row["title"], row["category"],
                     row["owner"],
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
            out.print(f"    措施：{measure_text(measure)}")
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
            grade = f"{item['stage']}{item['grade']}" if item.get("stage") else item["grade"]
            table.add_row(item["on"], item["by"], grade,
                          "" if score is None else f"{score:g}", item.get("note") or "")
        out.print(table)
    if data.get("notices"):
        out.print()
        table = _table("整改通知书、督办单")
        for header in ("发出日期", "文号", "类别", "内容", "回复期限", "回复"):
            table.add_column(header, overflow="fold")
        for notice in data["notices"]:
            reply = notice.get("reply")
            table.add_row(notice["on"], notice["number"], notice["kind"], notice["text"],
                          notice["reply_by"],
                          f"{reply['on']} {reply['text']}" if reply else "未回复")
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
                     "·".join([row["stage"], *row.get("marks", [])]), str(row["problems"]), str(row["closed"]), str(row["open"]),
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
    for wrong in data.get("out_of_order", []):
        lines.append(f"注意：提交 {wrong['commit'][:8]} 的提交时间 {wrong['committed']} 与记录顺序不符"
                     f"（时钟可能有误），按 {wrong['counted_as']} 计算日界")
    if data.get("shallow"):
        lines.append(f"注意：{data['shallow']}")
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
        if entry.get("dates_out_of_order"):
            lines.append("    注意：这次提交的时间与记录顺序不符（时钟可能有误）")
        if entry.get("shallow"):
            lines.append("    注意：本地历史从这里开始（浅克隆），此前的记录都算在这次提交上")
    if data.get("shallow"):
        lines.append("")
        lines.append(f"注意：{data['shallow']}")
    return "\n".join(lines) + "\n"


def format_audit(data: dict[str, Any]) -> str:
    """``zhengdun audit`` as a report: serious findings first, each with the record, the
    commit, who and when, old → new and what to do; many hints of one kind without a commit
    (closures without evidence) on one line."""
    from zhengdun.audit import GROUP_OVER, LABELS

    lines = []
    scope = f"{data['since']} 以来" if data["since"] else ("已取回" if data.get("shallow") else "全部")
    lines.append(f"审查了{scope}的 {data['commits']} 次台账提交。")
    grouped: dict[str, list[dict[str, Any]]] = {}
    for finding in data["findings"]:
        if not finding["serious"] and finding["commit"] is None:
            grouped.setdefault(finding["kind"], []).append(finding)
    for finding in data["findings"]:
        label = LABELS.get(finding["kind"], finding["kind"])
        group = grouped.get(finding["kind"], [])
        if len(group) > GROUP_OVER and finding in group:
            if finding is group[0]:
                refs = "、".join(f["ref"] for f in group[:10])
                more = " 等" if len(group) > 10 else ""
                lines.append(f"[提示] {label}  当前台账  共 {len(group)} 处：{refs}{more}")
            continue
        level = "严重" if finding["serious"] else "提示"
        where = (f"{finding['commit'][:8]} {(finding['recorded'] or '')[:10]} "
                 f"{finding['author'] or ''}".rstrip() if finding["commit"] else "当前台账")
        lines.append(f"[{level}] {label}  {where}  {finding['message']}")
        if finding.get("how"):
            lines.append(f"    → {finding['how']}")
    for checked in data.get("witnesses", []):
        if checked["verified"]:
            lines.append(f"印证：{checked['file']}（{checked['month']}）与台账版本 "
                         f"{checked['commit'][:8]} 一致。")
    counts = "，".join(f"{LABELS.get(k, k)} {v} 处" for k, v in data["counts"].items())
    hints = data.get("hints", len(data["findings"]) - data["serious"])
    if data["serious"]:
        tail = f"；另有提示 {hints} 处" if hints else ""
        lines.append(f"发现 {data['serious']} 处严重问题{tail}（{counts}）。")
    elif data["findings"]:
        lines.append(f"没有严重问题；提示 {len(data['findings'])} 处（{counts}）。")
    else:
        lines.append("历史记录完整，没有发现问题。")
    return "\n".join(lines) + "\n"


def measure_text(measure: Any) -> str:
    """A measure as shown: plain text, or a mapping's text with its owner and deadline."""
    if isinstance(measure, str):
        return measure
    extra = "，".join(x for x in (measure.get("owner") and f"责任人{measure['owner']}",
                                  measure.get("due") and f"时限{measure['due']}") if x)
    return f"{measure['text']}（{extra}）" if extra else str(measure["text"])
