"""The command line: parse options, call one service function, print the result.

Only this module and ``console`` import typer and rich. Each command imports the services it
needs when it runs, so ``zhengdun close`` does not pay for jinja2 or pypinyin (and Tab
completion, which runs the program, stays fast). One place, :class:`ZhengdunGroup.main`, maps
exceptions to exit codes: 0 success, 1 a user or data error, 2 usage, 130 interrupted.
"""

# No ``from __future__ import annotations`` here: Typer reads every command's annotations on
# every start, and as strings they would be compiled again each time (~30 ms per command).

import functools
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

# pydantic looks for plugins through every installed package's entry points on first use
# (~20 ms per command); zhengdun uses none.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer
from typer.core import TyperGroup

from zhengdun import __version__, boundary
from zhengdun.errors import UserError

if TYPE_CHECKING:
    from zhengdun.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])

_USAGE_ZH = [
    (r"Missing argument '(.+?)'\.?", r"缺少参数 \1"),
    (r"Missing option '(.+?)'\.?", r"缺少选项 \1"),
    (r"Missing parameter: (\S+)", r"缺少 \1"),
    (r"No such option: (\S+)", r"没有这个选项：\1"),
    (r"No such command '(.+?)'\.?", r"没有命令“\1”"),
    (r"Option '(.+?)' requires an argument\.?", r"选项 \1 后面要写一个值"),
    (r"Option '(.+?)' requires (\d+) arguments\.?", r"选项 \1 后面要写 \2 个值"),
    (r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", r"多余的参数：\1（文字中有空格时请加引号）"),
    (r"Invalid value for '(.+?)': ", r"\1 的值不对："),
    (r"Input should be a valid integer[^.]*\.?", "应为整数"),
    (r"Input should be a valid number[^.]*\.?", "应为数字"),
    (r"Input should be a valid boolean[^.]*\.?", "应为 true 或 false"),
    (r"'(.+?)' is not one of (.+)\.", r"“\1”不在可选值中：\2"),
    (r"\(Possible options: (.+?)\)", r"（可选：\1）"),
    (r"Did you mean (.+?)\?", r"是不是要用 \1？"),
]


def _translate_usage(text: str) -> str:
    import re

    for english, chinese in _USAGE_ZH:
        text = re.sub(english, chinese, text)
    return text


def _command_path(group: Any, argv: list[str]) -> str:
    """``zhengdun close``: the deepest command named on the command line (for the hint)."""
    path = ["zhengdun"]
    command = group
    for word in argv:
        commands = getattr(command, "commands", None)
        if not commands or word not in commands:
            break
        command = commands[word]
        path.append(word)
    return " ".join(path)


_COMPLETION_HELP = {
    "install_completion": "为当前使用的 shell（bash、zsh、fish）安装命令补全：按 Tab 键补全命令、"
                          "村(社区)简称和问题编号；安装后重新打开终端生效",
    "show_completion": "显示命令补全脚本（可自行加入 shell 的配置文件）",
}


def _chinese_completion_options() -> tuple[Any, Any]:
    """Typer's ``--install-completion`` / ``--show-completion``, with Chinese help."""
    params: tuple[Any, Any] = _typer_completion_options()
    for param in params:
        param.help = _COMPLETION_HELP.get(param.name or "", param.help)
    return params


_typer_completion_options = typer.main.get_install_completion_arguments
typer.main.get_install_completion_arguments = _chinese_completion_options


def _localize_commands(command: Any) -> None:
    """``[选项]`` and ``命令 [参数]...`` in every usage line."""
    if getattr(command, "options_metavar", None) == "[OPTIONS]":
        command.options_metavar = "[选项]"
    if getattr(command, "subcommand_metavar", None) == "COMMAND [ARGS]...":
        command.subcommand_metavar = "命令 [参数]..."
    for sub in getattr(command, "commands", {}).values():
        _localize_commands(sub)


def _localize_help() -> None:
    """Chinese headings in ``--help`` (typer's defaults are English)."""
    from typer import rich_utils
    from typer._click import core as click_core

    rich_utils.ARGUMENTS_PANEL_TITLE = "参数"
    rich_utils.OPTIONS_PANEL_TITLE = "选项"
    rich_utils.COMMANDS_PANEL_TITLE = "命令"
    rich_utils.ERRORS_PANEL_TITLE = "错误"
    rich_utils.REQUIRED_LONG_STRING = "[必填]"
    rich_utils.DEFAULT_STRING = "[默认：{}]"
    from typer._click import formatting

    write_usage = formatting.HelpFormatter.write_usage
    if not getattr(write_usage, "_zh", False):
        def usage_zh(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
            write_usage(self, prog, args, "用法：" if prefix is None else prefix)

        usage_zh._zh = True  # type: ignore[attr-defined]
        formatting.HelpFormatter.write_usage = usage_zh  # type: ignore[method-assign]
    _quiet_help_types()
    original = click_core.Command.get_help_option
    if getattr(original, "_zh", False):
        return

    def get_help_option(self: Any, ctx: Any) -> Any:
        option = original(self, ctx)
        if option is not None:
            option.help = "显示本帮助并退出"
        return option

    get_help_option._zh = True  # type: ignore[attr-defined]
    click_core.Command.get_help_option = get_help_option  # type: ignore[method-assign]


def _quiet_help_types() -> None:
    """No ``<bool>`` beside a flag nor ``<str>`` beside an argument in ``--help``: the
    argument's name already says what to write, and a flag takes no value."""
    from typer import core as typer_core

    shown = typer_core.TyperOption.display_type_rich
    if getattr(shown, "_zh", False):
        return

    def option_type(self: Any, ctx: Any) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    def argument_type(self: Any, ctx: Any) -> str | None:
        return None

    option_type._zh = True  # type: ignore[attr-defined]
    typer_core.TyperOption.display_type_rich = option_type  # type: ignore[method-assign]
    typer_core.TyperArgument.display_type_rich = argument_type  # type: ignore[method-assign]


def _ledger_slugs(incomplete: str) -> list[str]:
    """The slugs of the workspace's ledgers starting with ``incomplete`` (file names only:
    Tab completion runs the program on every key press, so no ledger is parsed)."""
    from zhengdun.place import LEDGERS, find_root

    try:
        folder = find_root(STATE.directory) / LEDGERS
        return sorted(p.stem for p in folder.glob("*.yaml")
                      if p.stem.startswith(incomplete) and not p.stem.startswith("."))
    except (UserError, OSError):
        return []


def complete_org(incomplete: str) -> list[str]:
    """Tab completion of a 村(社区) argument."""
    return _ledger_slugs(incomplete)


def complete_ref(incomplete: str) -> list[str]:
    """Tab completion of ``ORG/N``: the slugs, then the problem numbers of that ledger (read
    from its ``- id:`` lines)."""
    import re

    if "/" not in incomplete:
        return [f"{slug}/" for slug in _ledger_slugs(incomplete)]
    slug, _, number = incomplete.partition("/")
    if slug not in _ledger_slugs(slug):
        return []
    from zhengdun.place import LEDGERS, find_root

    try:
        text = (find_root(STATE.directory) / LEDGERS / f"{slug}.yaml").read_text("utf-8")
    except (UserError, OSError, UnicodeDecodeError):
        return []
    ids = re.findall(r"^\s*- id: *(\d+)\s*$", text, re.MULTILINE)
    return [f"{slug}/{n}" for n in dict.fromkeys(ids) if n.startswith(number)]


class ZhengdunGroup(TyperGroup):
    """The top-level group: the single error boundary of the program."""

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        from typer._click import exceptions as click_exc

        argv = list(sys.argv[1:] if args is None else args)
        boundary.begin()
        _localize_commands(self)
        if len(argv) <= 1 or "--help" in argv or "-h" in argv:
            _localize_help()  # help may be shown: a bare command or a group without subcommand
        try:
            result = super().main(argv, prog_name or "zhengdun", complete_var,
                                  standalone_mode=False, windows_expand_args=windows_expand_args,
                                  **extra)
            code = result if isinstance(result, int) else 0
            if code == 130:  # Typer's silent answer to a Ctrl-C outside a command body
                code = boundary.interrupted()
        except click_exc.NoArgsIsHelpError:
            code = 0  # the help has been shown: that is the whole answer
        except click_exc.UsageError as exc:
            usage = exc.ctx.get_usage() if exc.ctx is not None else ""
            hint = f"运行 {_command_path(self, argv)} --help 查看用法"
            if usage:
                usage = usage.replace("Usage: ", "用法：").replace("[OPTIONS]", "[选项]")
                sys.stderr.write(usage.replace("COMMAND [ARGS]...", "命令 [参数]...") + "\n")
            problem = _translate_usage(exc.format_message()).rstrip(".")
            sys.stderr.write(f"错误：{problem}\n{hint}\n")
            code = 2
        except typer.Abort:  # Ctrl-C at a prompt (click turns it into Abort)
            code = boundary.interrupted()
        except UserError as exc:  # raised outside a command body (e.g. while parsing)
            boundary.report_error(exc)
            code = 1
        except KeyboardInterrupt:
            code = boundary.interrupted()
        if standalone_mode:
            sys.exit(code)
        return code


def guarded(func: F) -> F:
    """Run a command body through the one boundary (:func:`zhengdun.boundary.guarded`)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        returned: list[Any] = []
        code = boundary.guarded(lambda: returned.append(func(*args, **kwargs)))
        if code:
            raise typer.Exit(code)
        return returned[0] if returned else None

    return wrapper  # type: ignore[return-value]


app = typer.Typer(
    cls=ZhengdunGroup,
    name="zhengdun",
    help="整顿台账：软弱涣散基层党组织整顿的问题登记、整改进展、销号、督查和验收记录。"
    "台账是 ledgers/ 中每个村(社区)一个 YAML 文件，每条记录都是一次 git 提交。",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
org_app = typer.Typer(help="村(社区)：登记、列表、修改基本信息和责任清单。", no_args_is_help=True)
app.add_typer(org_app, name="org")
templates_app = typer.Typer(help="报告模板：查看有哪些模板、模板文件在哪里（复制到工作区 templates/ 中即可修改）。",
                            no_args_is_help=True)
app.add_typer(templates_app, name="templates")


class State:
    """Options of the top level, shared with every command."""

    directory: Path | None = None


STATE = State()


def _version(value: bool) -> None:
    if value:
        print(f"zhengdun {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    directory: Annotated[Path | None, typer.Option(
        "-C", metavar="目录", help="在指定的工作区中运行（默认：从当前文件夹向上查找）", show_default=False)] = None,
    version: Annotated[bool, typer.Option(
        "--version", help="显示版本号并退出", callback=_version, is_eager=True)] = False,
) -> None:
    """整顿台账命令行工具。"""
    STATE.directory = directory


def _workspace(at: str | None = None) -> "Workspace":
    from zhengdun.commands import workspace

    return workspace(STATE.directory, at)


def _day(value: str | None, option: str) -> date | None:
    from zhengdun.commands import day

    return day(value, option)


def _required_day(value: str, option: str) -> date:
    day = _day(value, option)
    assert day is not None
    return day


def _print_json(data: Any) -> None:
    from zhengdun.commands import json_text

    sys.stdout.write(json_text(data))


def _said(receipt: Any, as_json: bool = False) -> None:
    if as_json:
        _print_json({"action": receipt.action, "ref": receipt.ref, "commit": receipt.commit,
                     **receipt.data})
        return
    sys.stdout.write(f"{receipt.said}（提交 {receipt.commit[:8]}）\n")


JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON（供脚本和其他工具读取）")]
RoundOpt = Annotated[str | None, typer.Option(
    "--round", metavar="批次", help="整顿批次（zhengdun.yaml 的 rounds 中的名称），默认为当前批次",
    show_default=False)]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", metavar="日期", help="按这一天判断状态和逾期（默认今天），格式 YYYY-MM-DD",
    show_default=False)]
AtOpt = Annotated[str | None, typer.Option(
    "--at", metavar="日期或提交", help="按当时已记录的台账显示：日期（当天日终）或 git 提交，如 2026-09-30、HEAD~3",
    show_default=False)]
OnOpt = Annotated[str | None, typer.Option(
    "--on", metavar="日期", help="发生日期 YYYY-MM-DD（默认今天）", show_default=False)]
EvidenceOpt = Annotated[list[str] | None, typer.Option(
    "--evidence", metavar="文件", help="佐证材料文件（须在工作区内，如 evidence/照片.jpg），可写多次",
    show_default=False)]


# --------------------------------------------------------------------------- init


@app.command()
@guarded
def init(
    directory: Annotated[Path, typer.Argument(
        metavar="目录", help="新工作区的文件夹（不存在则新建）", show_default=False)],
    county: Annotated[str, typer.Option("--county", metavar="县名", help="县(市、区)名称，如 示范县")],
    issuer: Annotated[str, typer.Option(
        "--issuer", metavar="机关", help="发文机关，如 中共示范县委组织部")],
    prefix: Annotated[str | None, typer.Option(
        "--prefix", metavar="代字", help="文号代字，如 示组通（通报文号为 示组通〔2026〕10号）；"
        "默认取县名首字加“组通”", show_default=False)] = None,
    timezone: Annotated[str, typer.Option(
        "--timezone", metavar="时区", help="判断日期所用的时区")] = "Asia/Shanghai",
) -> None:
    """新建台账工作区：配置文件、ledgers/ 等文件夹、git 仓库和第一次提交。

    例：zhengdun init 示范县台账 --county 示范县 --issuer 中共示范县委组织部
    """
    from zhengdun.ledger import init_workspace

    receipt = init_workspace(directory, county, issuer, prefix, timezone)
    _said(receipt)
    sys.stdout.write(f"下一步：cd {directory}，再用 zhengdun org add 登记村(社区)。\n")


# --------------------------------------------------------------------------- org


@org_app.command("add")
@guarded
def org_add(
    name: Annotated[str, typer.Argument(metavar="名称", help="村(社区)名称，如 城东社区",
                                        show_default=False)],
    designated: Annotated[str, typer.Option(
        "--designated", metavar="日期", help="认定日期 YYYY-MM-DD")],
    category: Annotated[list[str], typer.Option(
        "--category", metavar="代码", help="软弱涣散类型代码（见 zhengdun.yaml），可写多次")],
    township: Annotated[str | None, typer.Option(
        "--township", metavar="乡镇", help="所属乡镇(街道)；新登记时必填，再次认定时可不写",
        show_default=False)] = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", metavar="村/社区", help="类别：村 或 社区；新登记时必填，再次认定时可不写",
        show_default=False)] = None,
    round_name: Annotated[str | None, typer.Option(
        "--round", metavar="批次", help="整顿批次（zhengdun.yaml 的 rounds 中的名称；"
        "默认为认定日期所在的批次）", show_default=False)] = None,
    proposed: Annotated[str | None, typer.Option(
        "--proposed", metavar="日期", help="乡镇党委提出的日期", show_default=False)] = None,
    proposed_doc: Annotated[str | None, typer.Option(
        "--proposed-doc", metavar="文号", help="乡镇党委提出的文号", show_default=False)] = None,
    preliminary: Annotated[str | None, typer.Option(
        "--preliminary", metavar="日期", help="县委组织部初定的日期", show_default=False)] = None,
    preliminary_doc: Annotated[str | None, typer.Option(
        "--preliminary-doc", metavar="文号", help="县委组织部初定的文号",
        show_default=False)] = None,
    approved: Annotated[str | None, typer.Option(
        "--approved", metavar="日期", help="县委常委会审定的日期", show_default=False)] = None,
    approved_doc: Annotated[str | None, typer.Option(
        "--approved-doc", metavar="文号", help="县委常委会审定的文号", show_default=False)] = None,
    slug: Annotated[str | None, typer.Option(
        "--slug", metavar="简称", help="文件名用的拼音简称（默认由名称自动生成，如 chengdong）",
        show_default=False)] = None,
) -> None:
    """认定一个整顿对象：新登记村(社区)并建立台账文件；已登记的，在新的批次再次认定。

    再次认定（整顿后反弹、新一轮排查）只在台账的认定记录末尾增加一批，以往批次的
    认定、问题、验收都不改动；同一批次不能认定两次。

    例：zhengdun org add 城东社区 --township 城关镇 --kind 社区 --designated 2026-03-15 --category 10

    例（第二年再次认定）：zhengdun org add 马家坪村 --round 2027 --designated 2027-03-10 --category 2 --approved 2027-03-20 --approved-doc 演常〔2027〕3号
    """
    from zhengdun.ledger import org_add as add

    chain: dict[str, tuple[date, str | None]] = {}
    for key, typed, doc, option in (("proposed", proposed, proposed_doc, "--proposed"),
                                    ("preliminary", preliminary, preliminary_doc,
                                     "--preliminary"),
                                    ("approved", approved, approved_doc, "--approved")):
        if doc is not None and typed is None:
            raise UserError(f"写了 {option}-doc 文号，但没有写 {option} 日期",
                            f"例如 {option} 2026-03-20 {option}-doc 文号")
        if typed is not None:
            chain[key] = (_required_day(typed, option), doc)
    ws = _workspace()
    receipt = add(ws, name, township, kind, _required_day(designated, "--designated"),
                  category, slug, round_name, chain)
    _said(receipt)


@org_app.command("list")
@guarded
def org_list(as_of: AsOfOpt = None, at: AtOpt = None, as_json: JsonOpt = False) -> None:
    """列出全部整顿对象：所属乡镇、阶段、问题数、已销号、逾期。"""
    from zhengdun.queries import list_orgs

    data = list_orgs(_workspace(at), _day(as_of, "--as-of"))
    if as_json:
        _print_json(data)
        return
    from zhengdun.console import print_orgs

    print_orgs(data)


@org_app.command("set")
@guarded
def org_set(
    org: Annotated[str, typer.Argument(metavar="村(社区)", autocompletion=complete_org, help="名称、拼音简称或其开头部分",
                                       show_default=False)],
    name: Annotated[str | None, typer.Option("--name", metavar="名称", help="更正名称",
                                             show_default=False)] = None,
    township: Annotated[str | None, typer.Option("--township", metavar="乡镇",
                                                 help="所属乡镇", show_default=False)] = None,
    kind: Annotated[str | None, typer.Option("--kind", metavar="村/社区", help="类别",
                                             show_default=False)] = None,
    designated: Annotated[str | None, typer.Option(
        "--designated", metavar="日期", help="当前批次的认定日期（只改当前批次，以往批次不变）",
        show_default=False)] = None,
    category: Annotated[list[str] | None, typer.Option(
        "--category", metavar="代码", help="当前批次的软弱涣散类型（写多次；替换原有类型）",
        show_default=False)] = None,
    county_leader: Annotated[str | None, typer.Option(
        "--county-leader", metavar="姓名", help="包联县级领导", show_default=False)] = None,
    township_lead: Annotated[str | None, typer.Option(
        "--township-lead", metavar="姓名", help="包村乡镇领导", show_default=False)] = None,
    branch_secretary: Annotated[str | None, typer.Option(
        "--branch-secretary", metavar="姓名", help="村(社区)党组织书记", show_default=False)] = None,
    first_secretary: Annotated[str | None, typer.Option(
        "--first-secretary", metavar="姓名", help="驻村第一书记", show_default=False)] = None,
    paired_unit: Annotated[list[str] | None, typer.Option(
        "--paired-unit", metavar="单位", help="结对帮扶单位（写多次；替换原有单位）",
        show_default=False)] = None,
    work_team: Annotated[str | None, typer.Option(
        "--work-team", metavar="名称", help="驻村工作队", show_default=False)] = None,
    first_secretary_unit: Annotated[str | None, typer.Option(
        "--first-secretary-unit", metavar="单位", help="第一书记的派出单位",
        show_default=False)] = None,
    first_secretary_since: Annotated[str | None, typer.Option(
        "--first-secretary-since", metavar="日期", help="第一书记驻村起始日期",
        show_default=False)] = None,
    first_secretary_until: Annotated[str | None, typer.Option(
        "--first-secretary-until", metavar="日期", help="第一书记驻村结束日期",
        show_default=False)] = None,
) -> None:
    """修改整顿对象的基本信息和当前批次的认定信息、责任清单（“四个一”力量），只改写明的项目。

    认定日期、类型和责任清单只改当前批次（最后一次认定）；以往批次不能用本命令修改。

    例：zhengdun org set 城东社区 --county-leader 张三 --first-secretary 赵六 --paired-unit 县住建局
    """
    from zhengdun.ledger import org_set as set_fields

    changes: dict[str, Any] = {
        "name": name, "township": township, "kind": kind,
        "designated_on": _day(designated, "--designated"),
        "categories": list(dict.fromkeys(category)) if category else None,
        "county_leader": county_leader, "township_lead": township_lead,
        "branch_secretary": branch_secretary, "first_secretary": first_secretary,
        "paired_units": list(dict.fromkeys(paired_unit)) if paired_unit else None,
        "work_team": work_team, "first_secretary_unit": first_secretary_unit,
        "first_secretary_since": _day(first_secretary_since, "--first-secretary-since"),
        "first_secretary_until": _day(first_secretary_until, "--first-secretary-until"),
    }
    _said(set_fields(_workspace(), org, changes))


# --------------------------------------------------------------------------- reading


@app.command()
@guarded
def show(
    org: Annotated[str, typer.Argument(metavar="村(社区)", autocompletion=complete_org, help="名称、拼音简称或其开头部分",
                                       show_default=False)],
    as_of: AsOfOpt = None,
    at: AtOpt = None,
    round_name: RoundOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """显示一个整顿对象一个批次的台账：责任清单、问题清单及整改进展、销号、督查、验收。

    默认显示它最近一次认定的批次；各批次的概况用 zhengdun org history 查看。
    例：zhengdun show 马家坪村 --round 2025
    """
    from zhengdun.commands import show as run_show

    data = run_show(STATE.directory, org, as_of, at, round_name)
    if as_json:
        _print_json(data)
        return
    from zhengdun.console import print_ledger

    print_ledger(data)


@app.command("list")
@guarded
def list_(
    org: Annotated[str | None, typer.Option("--org", metavar="村(社区)", help="只列这个村(社区)",
                                            show_default=False)] = None,
    township: Annotated[str | None, typer.Option("--township", metavar="乡镇",
                                                 help="只列这个乡镇", show_default=False)] = None,
    category: Annotated[str | None, typer.Option("--category", metavar="代码",
                                                 help="只列这个类型", show_default=False)] = None,
    open_: Annotated[bool, typer.Option("--open", help="只列未销号的（含反弹）")] = False,
    closed: Annotated[bool, typer.Option("--closed", help="只列已销号的")] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="只列逾期未整改的")] = False,
    due_within: Annotated[int | None, typer.Option(
        "--due-within", metavar="天数", help="只列今后几天内到期、尚未销号的", show_default=False)] = None,
    leader: Annotated[str | None, typer.Option("--leader", metavar="姓名",
                                               help="只列这位包联领导（县级领导或包村乡镇领导）包联的村（社区）",
                                               show_default=False)] = None,
    as_of: AsOfOpt = None,
    at: AtOpt = None,
    round_name: RoundOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """列出问题，可按村(社区)、乡镇、包联领导、类型、状态筛选；只列一个整顿批次的问题（默认当前批次）；
    --overdue 按逾期天数从长到短排列。

    例：zhengdun list --overdue --as-of 2026-09-01
    """
    from zhengdun.commands import problems

    chosen = [flag for flag, on in (("open", open_), ("closed", closed), ("overdue", overdue)) if on]
    data = problems(STATE.directory, org, township, category, chosen, due_within, as_of, at,
                    leader, round_name)
    if as_json:
        _print_json(data)
        return
    from zhengdun.console import print_problems

    print_problems(data)


@app.command()
@guarded
def check(as_json: JsonOpt = False) -> None:
    """检查全部台账文件：格式、日期先后、类型和来源、佐证材料。一次列出所有问题，有错误时退出码为 1。"""
    from zhengdun.commands import check as run_check
    from zhengdun.commands import emit

    code = emit(run_check(STATE.directory, as_json))
    if code:
        raise typer.Exit(code)


def _workspace_root() -> Path:
    """The workspace folder, found even when its config is broken (so check can report it)."""
    from zhengdun.place import find_root

    return find_root(STATE.directory)


# --------------------------------------------------------------------------- recording


@app.command()
@guarded
def add(
    org: Annotated[str, typer.Argument(metavar="村(社区)", autocompletion=complete_org, help="名称、拼音简称或其开头部分",
                                       show_default=False)],
    title: Annotated[str, typer.Argument(metavar="问题", help="问题表述", show_default=False)],
    category: Annotated[str, typer.Option("--category", metavar="代码", help="软弱涣散类型代码")],
    due: Annotated[str, typer.Option("--due", metavar="日期", help="整改时限 YYYY-MM-DD")],
    owner: Annotated[str, typer.Option("--owner", metavar="姓名", help="责任人")],
    source: Annotated[str | None, typer.Option(
        "--source", metavar="来源", help="问题来源（见 zhengdun.yaml 的 sources）",
        show_default=False)] = None,
    found: Annotated[str | None, typer.Option(
        "--found", metavar="日期", help="发现日期（默认今天）", show_default=False)] = None,
    measure: Annotated[list[str] | None, typer.Option(
        "--measure", metavar="措施", help="整改措施，可写多次", show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """登记一个问题到问题清单，输出它的编号（如 chengdong/3）。

    例：zhengdun add 城东社区 "小区停车位不足" --category 10 --due 2026-06-30 --owner 王五
    """
    from zhengdun.ledger import add_problem

    receipt = add_problem(_workspace(), org, title, category, _required_day(due, "--due"),
                          owner, source, _day(found, "--found"), measure or [])
    _said(receipt, as_json)


@app.command()
@guarded
def step(
    ref: Annotated[str, typer.Argument(metavar="问题编号", autocompletion=complete_ref, help="村(社区)/编号，如 chengdong/1",
                                       show_default=False)],
    text: Annotated[str, typer.Argument(metavar="进展", help="整改进展内容", show_default=False)],
    on: OnOpt = None,
    evidence: EvidenceOpt = None,
) -> None:
    """记录一条整改进展。

    例：zhengdun step chengdong/1 "召开居民议事会，确定改造方案" --on 2026-04-02
    """
    from zhengdun.ledger import record_step

    _said(record_step(_workspace(), ref, text, _day(on, "--on"), evidence or []))


@app.command()
@guarded
def close(
    ref: Annotated[str, typer.Argument(metavar="问题编号", autocompletion=complete_ref, help="村(社区)/编号，如 chengdong/1",
                                       show_default=False)],
    result: Annotated[str, typer.Option("--result", metavar="结果", help="整改结果（必填）")],
    on: OnOpt = None,
    verified_by: Annotated[str | None, typer.Option(
        "--verified-by", metavar="单位", help="验收确认的单位或人员，如 城关镇党委",
        show_default=False)] = None,
    evidence: EvidenceOpt = None,
) -> None:
    """销号：问题整改到位，写明结果、验收人和佐证材料。

    例：zhengdun close chengdong/1 --result "新增停车位120个" --verified-by 城关镇党委
    """
    from zhengdun.ledger import close_problem

    _said(close_problem(_workspace(), ref, result, _day(on, "--on"), verified_by, evidence or []))


@app.command()
@guarded
def reopen(
    ref: Annotated[str, typer.Argument(metavar="问题编号", autocompletion=complete_ref, help="村(社区)/编号，如 chengdong/1",
                                       show_default=False)],
    reason: Annotated[str, typer.Option("--reason", metavar="原因", help="反弹原因（必填）")],
    on: OnOpt = None,
) -> None:
    """已销号的问题反弹，重新打开。原销号记录保留。

    例：zhengdun reopen chengdong/1 --reason "回头看发现新增车位被占用"
    """
    from zhengdun.ledger import reopen_problem

    _said(reopen_problem(_workspace(), ref, reason, _day(on, "--on")))


@app.command()
@guarded
def visit(
    org: Annotated[str, typer.Argument(metavar="村(社区)", autocompletion=complete_org, help="名称、拼音简称或其开头部分",
                                       show_default=False)],
    text: Annotated[str, typer.Argument(metavar="内容", help="情况和要求", show_default=False)],
    kind: Annotated[str, typer.Option("--kind", metavar="类别",
                                      help="督查、调度、约谈 或 回头看")],
    by: Annotated[str, typer.Option("--by", metavar="单位", help="开展的单位或人员")],
    on: OnOpt = None,
    evidence: EvidenceOpt = None,
) -> None:
    """记录一次督查、调度、约谈或回头看。

    例：zhengdun visit 城东社区 --kind 督查 --by 县委组织部督查组 "进度偏慢，限期整改"
    """
    from zhengdun.ledger import record_visit

    _said(record_visit(_workspace(), org, kind, by, text, _day(on, "--on"), evidence or []))


@app.command()
@guarded
def accept(
    org: Annotated[str, typer.Argument(metavar="村(社区)", autocompletion=complete_org, help="名称、拼音简称或其开头部分",
                                       show_default=False)],
    grade: Annotated[str, typer.Option("--grade", metavar="等次", help="合格、基本合格 或 不合格")],
    by: Annotated[str, typer.Option("--by", metavar="单位", help="验收单位，如 县委组织部")],
    on: OnOpt = None,
    score: Annotated[float | None, typer.Option(
        "--score", metavar="分数", help="得分（0–100）", show_default=False)] = None,
    note: Annotated[str | None, typer.Option(
        "--note", metavar="备注", help="备注", show_default=False)] = None,
    stage: Annotated[str | None, typer.Option(
        "--stage", metavar="环节", help="初验（乡镇党委）或 复核（县委组织部）；不写视为县级验收结论",
        show_default=False)] = None,
    satisfied: Annotated[int | None, typer.Option(
        "--satisfied", metavar="票数", help="民主测评：满意票数", show_default=False)] = None,
    basic: Annotated[int | None, typer.Option(
        "--basic", metavar="票数", help="民主测评：基本满意票数", show_default=False)] = None,
    unsatisfied: Annotated[int | None, typer.Option(
        "--unsatisfied", metavar="票数", help="民主测评：不满意票数", show_default=False)] = None,
    redo_by: Annotated[str | None, typer.Option(
        "--redo-by", metavar="日期", help="不合格时：重新整顿的时限 YYYY-MM-DD", show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """记录验收结果：乡镇初验、县委组织部复核。复核合格即转化（摘牌），要求问题全部销号；基本合格继续巩固；不合格重新整顿。

    得分与等次须符合 zhengdun.yaml 中 acceptance 的合格分数线，民主测评不满意票超过否决比例的只能评为不合格。

    例：zhengdun accept 城东社区 --stage 复核 --grade 合格 --by 县委组织部 --score 86 --satisfied 40 --basic 8 --unsatisfied 2
    """
    from zhengdun.ledger import record_acceptance

    counts = None if satisfied is None and basic is None and unsatisfied is None else (
        satisfied or 0, basic or 0, unsatisfied or 0)
    _said(record_acceptance(_workspace(), org, grade, by, _day(on, "--on"), score, note,
                            stage, counts, _day(redo_by, "--redo-by")), as_json)


@app.command()
@guarded
def commit(
    message: Annotated[str, typer.Option("-m", "--message", metavar="说明",
                                         help="这次手工修改的说明")],
) -> None:
    """检查并记录对台账文件或配置的手工修改（一次提交）。有错误时不记录。

    例：zhengdun commit -m "更正城东社区1号问题的整改时限"
    """
    from zhengdun.ledger import commit_hand_edits

    _said(commit_hand_edits(_workspace(), message))


# --------------------------------------------------------------------------- reports

OutputOpt = Annotated[Path | None, typer.Option(
    "-o", "--output", metavar="文件", help="写入文件（默认输出到屏幕）", show_default=False)]


def _write_output(text: str, output: Path | None, what: str) -> None:
    from zhengdun.commands import Output, emit

    emit(Output(text, output, what))


@app.command()
@guarded
def bulletin(
    month: Annotated[str | None, typer.Option(
        "--month", metavar="月份", help="通报的月份 YYYY-MM", show_default=False)] = None,
    number: Annotated[str | None, typer.Option(
        "--number", metavar="号", help="文号中的序号，如 10（生成 代字〔2026〕10号）",
        show_default=False)] = None,
    issued: Annotated[str | None, typer.Option(
        "--date", metavar="日期", help="落款日期（默认为该月最后一天）", show_default=False)] = None,
    template: Annotated[str | None, typer.Option(
        "--template", metavar="模板", help="使用的模板名（默认：月度通报 bulletin，季度/年度总结 summary）",
        show_default=False)] = None,
    fmt: Annotated[str, typer.Option(
        "--format", metavar="格式", help="md（Markdown）或 docx（Word 公文，须加 -o）")] = "md",
    quarter: Annotated[str | None, typer.Option(
        "--quarter", metavar="季度", help="季度总结，如 2026Q3", show_default=False)] = None,
    year: Annotated[str | None, typer.Option(
        "--year", metavar="年份", help="年度总结，如 2026", show_default=False)] = None,
    township: Annotated[str | None, typer.Option(
        "--township", metavar="乡镇", help="乡镇党委对所辖村（社区）的通报", show_default=False)] = None,
    at: AtOpt = None,
    output: OutputOpt = None,
    round_name: RoundOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """生成月度通报（Markdown 或 Word 公文）：总体进展、乡镇排名、逾期问题、预警、本月销号、工作停滞对象、
    下步要求，明细表作附件。

    数字按台账中事项的发生日期统计，逾期按月末判断；当月尚未结束时按截至今天统计。只统计一个整顿批次
    （默认为月末所在的批次），以往批次已转化、本批次未再认定的村(社区)不计入。
    --quarter、--year 生成季度总结、年度总结（含逐月进展表）；--township 生成乡镇对所辖村（社区）的通报。
    例：zhengdun bulletin --month 2026-10 --number 10 -o 通报-2026-10.md
    例：zhengdun bulletin --month 2026-10 --number 10 --format docx -o 通报-2026-10.docx
    """
    from zhengdun.commands import bulletin as run_bulletin
    from zhengdun.commands import bulletin_docx, document_format, emit

    if document_format(fmt, output, as_json) and output is not None:
        if month is None or township is not None:
            raise UserError("Word 公文目前只有月度通报（--month）",
                            "季度、年度总结和乡镇通报请用 Markdown：去掉 --format docx")
        emit(bulletin_docx(STATE.directory, month, number, issued, template or "bulletin", at,
                           output, round_name))
        return
    emit(run_bulletin(STATE.directory, month, number, issued, template, at, output, as_json,
                      quarter, year, township, round_name))


@app.command()
@guarded
def board(
    as_of: AsOfOpt = None,
    fmt: Annotated[str, typer.Option(
        "--format", metavar="格式", help="table（屏幕表格）、md、csv 或 json")] = "table",
    township: Annotated[str | None, typer.Option("--township", metavar="乡镇",
                                                 help="只列这个乡镇", show_default=False)] = None,
    leader: Annotated[str | None, typer.Option("--leader", metavar="姓名",
                                               help="只列这位包联领导（县级领导或包村乡镇领导）包联的村（社区）",
                                               show_default=False)] = None,
    at: AtOpt = None,
    output: OutputOpt = None,
    round_name: RoundOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """挂图作战：当前批次每个整顿对象一行，逾期标红、14天内到期标黄、已转化标绿。

    例：zhengdun board --format md -o 挂图作战.md
    """
    from zhengdun.commands import Output, emit
    from zhengdun.commands import board as run_board

    answer = run_board(STATE.directory, as_of, fmt, at, output, as_json, township, leader,
                       round_name)
    if isinstance(answer, Output):
        emit(answer)
        return
    from zhengdun.console import print_board

    print_board(answer)


@app.command()
@guarded
def report(
    name: Annotated[str, typer.Argument(
        metavar="模板", help="stats（党内统计）、leaders（全部包联领导）、leader（一位领导，后写姓名）、"
        "ledger（一村一档）或其他模板名", show_default=False)],
    subject: Annotated[str | None, typer.Argument(
        metavar="[姓名]", help="report leader 的领导或第一书记姓名", show_default=False)] = None,
    org: Annotated[str | None, typer.Option(
        "--org", metavar="村(社区)", help="只针对这个村(社区)（ledger 模板必填）",
        show_default=False)] = None,
    as_of: AsOfOpt = None,
    fmt: Annotated[str, typer.Option(
        "--format", metavar="格式", help="md（Markdown）或 docx（Word，须加 -o）")] = "md",
    at: AtOpt = None,
    output: OutputOpt = None,
    round_name: RoundOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """用模板生成报告：stats 党内统计，leaders / leader 姓名 包联情况，ledger 一村一档，rounds 按各批次把
    村(社区)分为由好变差、转化后反复、一直未转化、一次转化；其他模板可使用一个批次的全部台账数据。

    例：zhengdun report stats；zhengdun report leader 刘建国
    例：zhengdun report ledger --org 城东社区 --format docx -o 城东社区台账.docx
    例：zhengdun report rounds -o 历年整顿分析.md
    """
    from zhengdun.commands import emit
    from zhengdun.commands import report as run_report

    emit(run_report(STATE.directory, name, subject, org, as_of, at, output, as_json, fmt,
                    round_name))


@templates_app.command("list")
@guarded
def templates_list(as_json: JsonOpt = False) -> None:
    """列出可用的模板，以及各自使用的是工作区中的本地模板还是自带模板。"""
    from zhengdun.render import available

    root = _workspace_root_or_none()
    items = available(root)
    if as_json:
        _print_json(items)
        return
    for item in items:
        sys.stdout.write(f"{item['name']:<10} {item['origin']}  {item['path']}\n")


@templates_app.command("path")
@guarded
def templates_path(
    name: Annotated[str, typer.Argument(metavar="模板", help="模板名，如 bulletin",
                                        show_default=False)],
    shipped: Annotated[bool, typer.Option("--shipped", help="显示自带模板的位置（忽略本地模板）")] = False,
) -> None:
    """显示模板文件的位置。修改模板：复制到工作区 templates/ 中再编辑，同名的本地模板优先。

    例：cp "$(zhengdun templates path bulletin)" templates/
    """
    from zhengdun.render import find_template

    sys.stdout.write(f"{find_template(name, _workspace_root_or_none(), shipped)}\n")


def _workspace_root_or_none() -> Path | None:
    try:
        return _workspace_root()
    except UserError:
        return None


@app.command()
@guarded
def demo(
    directory: Annotated[Path, typer.Argument(
        metavar="目录", help="新建演示工作区的文件夹（须不存在或为空）", show_default=False)],
) -> None:
    """用自带的演示县数据新建一个工作区，按事项日期逐条回放，生成完整的 git 历史。

    例：zhengdun demo 演示县 && cd 演示县 && zhengdun bulletin --month 2026-10
    """
    from zhengdun.demo import build_demo

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r正在回放演示数据：{done}/{total}")
            if done == total:
                sys.stderr.write("\n")

    demo = build_demo(directory, progress)
    ws, commits = demo.workspace, demo.commits
    sys.stdout.write(f"已建立演示工作区 {directory}（{ws.config.county}，{len(ws.slugs())} 个村(社区)，"
                     f"{commits} 次提交）。\n"
                     f"试试：cd {directory} && zhengdun bulletin --month 2026-10\n")


# --------------------------------------------------------------------------- history


@app.command()
@guarded
def diff(
    start: Annotated[str, typer.Argument(metavar="起点", help="日期（当天日终）或 git 提交",
                                         show_default=False)],
    end: Annotated[str | None, typer.Argument(metavar="终点", help="日期或提交（默认：现在）",
                                              show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="格式", help="text 或 md")] = "text",
    as_json: JsonOpt = False,
) -> None:
    """两个时间点之间台账记录了哪些变化：新增问题、进展、销号、反弹、督查、验收，以及销号率变化。

    按记录（提交）时间划分：日期指当天日终已记录的台账。
    例：zhengdun diff 2026-09-30 2026-10-31
    """
    from zhengdun.timeline import diff as run_diff

    if fmt not in ("text", "md"):
        raise UserError(f"格式“{fmt}”不支持", "可用的格式：text、md")
    data = run_diff(_workspace(), start, end)
    if as_json:
        _print_json(data)
        return
    from zhengdun.console import format_diff, write_long

    write_long(format_diff(data, markdown=fmt == "md"))


@app.command("log")
@guarded
def log_(
    target: Annotated[str, typer.Argument(metavar="对象", autocompletion=complete_ref, help="村(社区)，或问题编号如 chengdong/1",
                                          show_default=False)],
    as_json: JsonOpt = False,
) -> None:
    """一个村(社区)或一个问题的全部记录历史：何时、何人、记了什么；事项日期早于记录日期的标为补录。

    例：zhengdun log chengdong/1
    """
    from zhengdun.commands import emit
    from zhengdun.commands import log as run_log

    emit(run_log(STATE.directory, target, as_json))


@app.command()
@guarded
def audit(
    since: Annotated[str | None, typer.Option(
        "--since", metavar="日期", help="只审查这一天以后的记录", show_default=False)] = None,
    backfill_days: Annotated[int | None, typer.Option(
        "--backfill-days", metavar="天数", help="记录晚于事项日期多少天算补录（默认取配置，7天）",
        show_default=False)] = None,
    witness: Annotated[list[str] | None, typer.Option(
        "--witness", metavar="文件", help="印发的通报（zhengdun bulletin 生成的 .md），核对它出自的"
        "台账版本仍在历史中、数字不变；可写多次", show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """审查台账历史是否可信：每次提交（含合并）、撤销、两种时间、配置和佐证材料、被改写的历史、远程、印发文件。

    发现严重问题（删除、改动、未经 zhengdun 的修改、改写历史等）时退出码为 1。
    例：zhengdun audit --witness 通报-2026-10.md
    """
    from zhengdun.audit import audit as run_audit
    from zhengdun.audit import checked_witnesses

    if backfill_days is not None and backfill_days < 0:
        raise UserError("--backfill-days 不能为负数")
    data = run_audit(_workspace(), _day(since, "--since"), backfill_days,
                     checked_witnesses(witness or []))
    if as_json:
        _print_json(data)
    else:
        from zhengdun.console import format_audit, write_long

        write_long(format_audit(data))
    if data["serious"]:
        raise typer.Exit(1)


@app.command()
@guarded
def maintain() -> None:
    """整理仓库：打包 git 对象、建立提交图，让 diff、log、audit 等查历史的命令在大的工作区中保持快速。

    不改动任何台账和历史记录（提交和编号都不变）。zhengdun check 在需要时会提示运行。
    """
    from zhengdun.console import maintenance_progress, maintenance_summary
    from zhengdun.housekeeping import maintain as run_maintain
    from zhengdun.place import find_root

    root = find_root(STATE.directory)
    with maintenance_progress() as on_step:
        summary = run_maintain(root, on_step)
    sys.stdout.write(maintenance_summary(summary))


@app.command()
@guarded
def undo(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="不询问，直接撤销（供脚本使用）")] = False,
) -> None:
    """撤销最近一次 zhengdun 命令：先显示将撤销的内容并询问，然后以一次新的提交撤销（历史中两者都保留）。"""
    from zhengdun.timeline import UndoPlan
    from zhengdun.timeline import undo as run_undo

    def confirm(plan: UndoPlan) -> bool:
        sys.stdout.write(plan.describe() + "\n")
        if yes:
            return True
        if not sys.stdin.isatty() and not os.environ.get("ZHENGDUN_ASSUME_TTY"):
            raise UserError("需要确认才能撤销，但当前不是在终端中运行", "确认无误的，加 --yes 再运行")
        return typer.confirm("确认撤销？", default=False)

    receipt = run_undo(_workspace(), confirm)
    if receipt is None:
        sys.stdout.write("未撤销，台账未改动。\n")
        return
    _said(receipt)


# --- rounds (批次), migrate (h1) ---


@app.command()
@guarded
def migrate(
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="只显示每个文件将怎样修改，不写入、不提交")] = False,
    round_name: Annotated[str | None, typer.Option(
        "--round", metavar="批次", help="原有认定记入的批次名称（默认为最早认定日期的年份，如 2026）",
        show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """把第1版格式的工作区升级为第2版（按整顿批次记录），一次提交，不丢失任何记录和注释。

    原有的认定、类型和责任清单记为第一个批次；问题、督查、验收都记入这一批次；配置增加
    rounds。先用 --dry-run 查看；已是第2版的，不做任何修改。

    例：zhengdun migrate --dry-run
    """
    from zhengdun.migrate import migrate as run_migrate

    done = run_migrate(STATE.directory, dry_run, round_name)
    if as_json:
        _print_json(done.to_json())
        return
    if not done.files:
        sys.stdout.write("工作区已是第2版格式，无需迁移，未作修改。\n")
        return
    for change in done.files:
        sys.stdout.write("\n".join(change.diff()) + "\n")
    names = "、".join(f.rel for f in done.files)
    if done.dry_run:
        sys.stdout.write(f"以上为将要修改的 {len(done.files)} 个文件（批次 {done.round}）：{names}。"
                         "未作修改；确认无误后运行 zhengdun migrate。\n")
        return
    assert done.commit is not None
    sys.stdout.write(f"已把 {len(done.files)} 个文件升级为第2版格式（批次 {done.round}）"
                     f"（提交 {done.commit[:8]}）\n")


@org_app.command("history")
@guarded
def org_history(
    org: Annotated[str, typer.Argument(metavar="村(社区)", autocompletion=complete_org,
                                       help="名称、拼音简称或其开头部分", show_default=False)],
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """一个村(社区)历次认定的情况：每个批次的认定程序、问题发现和销号、验收结果，及历年分类。

    例：zhengdun org history 马家坪村
    """
    from zhengdun.campaign import format_history
    from zhengdun.campaign import org_history as history_of

    data = history_of(_workspace(), org, _day(as_of, "--as-of"))
    if as_json:
        _print_json(data)
        return
    sys.stdout.write(format_history(data))


# --- merging (h5) ---


@app.command("merge-driver", hidden=True)
@guarded
def merge_driver(
    base: Annotated[str, typer.Argument(metavar="BASE", help="共同的上一版（git 的 %O）")],
    ours: Annotated[str, typer.Argument(metavar="OURS", help="本方版本，合并结果写回这里（%A）")],
    theirs: Annotated[str, typer.Argument(metavar="THEIRS", help="对方版本（%B）")],
    path: Annotated[str, typer.Argument(metavar="PATH", help="台账在工作区中的路径（%P）")],
) -> None:
    """git 合并台账时调用：按记录合并两个版本（由 zhengdun init 登记，不需要手工运行）。"""
    from zhengdun.merging import run_driver

    code = run_driver([base, ours, theirs, path])
    if code:
        raise typer.Exit(code)


# --- sync: several clerks over a git server (issue 13) ---


@app.command()
@guarded
def sync() -> None:
    """同步：取回其他同志已发布的记录，把本地尚未发布的记录接在其后，再推送到服务器。

    多名同志共用一个工作区（一个 git 服务器上的仓库）时使用。已发布的历史从不改写；
    服务器拒绝时照录服务器的说明，本地记录不会丢失。
    """
    from zhengdun.console import transfer_progress
    from zhengdun.place import find_root
    from zhengdun.sync import sync as run_sync

    root = find_root(STATE.directory)
    with transfer_progress() as show:
        done = run_sync(root, show)
    sys.stdout.write(done.said() + "\n")


@app.command("server-hook")
@guarded
def server_hook(
    install: Annotated[Path | None, typer.Option(
        "--install", metavar="服务器仓库", help="把检查装为这个服务器裸仓库的 pre-receive 钩子")] = None,
) -> None:
    """服务器端检查（pre-receive 钩子）：拒绝改写已发布历史、超出分工、签名不符或检查不通过的推送。

    在服务器上运行 zhengdun server-hook --install 仓库.git 安装；git 在每次推送时调用它。
    """
    from zhengdun import server_hook as hook

    if install is not None:
        path = hook.install(install)
        sys.stdout.write(f"已安装服务器检查：{path}\n")
        return
    code = hook.run_hook(sys.stdin)
    if code:
        raise typer.Exit(code)


# --- Word 公文与图表 (issue 12: charts) ---


@app.command()
@guarded
def chart(
    kind: Annotated[str, typer.Argument(
        metavar="图表", help="burndown（逐月销号进度）或 townships（各乡镇销号率）",
        show_default=False)],
    output: Annotated[Path, typer.Option(
        "-o", "--output", metavar="文件", help="图片文件：.png 或 .svg", show_default=False)],
    month: Annotated[str | None, typer.Option(
        "--month", metavar="月份", help="截至哪个月 YYYY-MM（默认本月）", show_default=False)] = None,
) -> None:
    """画图表：逐月销号进度（burndown）或各乡镇销号率排名（townships），与 Word 通报中的图相同。

    图中汉字用 zhengdun.yaml 的 chart_font，未设时自动选用已安装的中文字体（黑体、Noto Sans CJK SC 等）。
    例：zhengdun chart burndown --month 2026-10 -o 销号进度.png
    """
    from zhengdun.commands import Output, emit
    from zhengdun.office import chart as draw

    data, what = draw(STATE.directory, kind, month, output)
    emit(Output("", output, what, data=data))


# --- Excel 台账: export and import (issue 12) ---


@app.command()
@guarded
def export(
    output: Annotated[Path, typer.Option(
        "-o", "--output", metavar="文件", help="写入的 Excel 文件，如 台账.xlsx", show_default=False)],
    township: Annotated[str | None, typer.Option(
        "--township", metavar="乡镇", help="只导出这个乡镇的村(社区)", show_default=False)] = None,
    round_name: RoundOpt = None,
) -> None:
    """导出 Excel 台账：挂图作战、问题清单、逾期清单、图表（各乡镇销号率、月度销号进度）和督查验收五个工作表。

    只导出一个整顿批次（默认为当前批次）的村(社区)及其问题、督查验收记录。
    日期、百分比是真正的日期和百分比单元格；没有任何公式。
    例：zhengdun export -o 台账.xlsx；zhengdun export -o 2025年台账.xlsx --round 2025
    """
    from zhengdun.commands import Output, emit
    from zhengdun.xlsx import Scope, export_workbook

    if output.suffix.lower() != ".xlsx":
        raise UserError(f"{output} 不是 .xlsx 文件名", "请写成 -o 台账.xlsx")
    data = export_workbook(_workspace(), Scope(township=township, round=round_name))
    emit(Output("", output, "Excel 台账", data=data))


@app.command("import")
@guarded
def import_(
    workbook: Annotated[Path, typer.Argument(metavar="文件", help="Excel 台账（.xlsx）",
                                             show_default=False)],
    sheet: Annotated[str | None, typer.Option(
        "--sheet", metavar="工作表", help="读取的工作表（默认：问题清单，没有时取第一个）",
        show_default=False)] = None,
    map_file: Annotated[Path | None, typer.Option(
        "--map", metavar="文件", help="表头对照表（YAML：栏目: 表头名称），补充 zhengdun.yaml 的 import_columns",
        show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查并显示将要记录的内容，不记录")] = False,
    as_json: JsonOpt = False,
) -> None:
    """导入 Excel 台账：每行一个问题，村(社区)可以是合并单元格；新的村(社区)自动登记。一次导入一次提交。

    所有问题一次列出（工作表!单元格 和其中的内容），有任何错误时什么也不记录。同一文件不会导入两次。
    例：zhengdun import 台账.xlsx --dry-run
    """
    from zhengdun.xlsx_import import import_workbook

    outcome = import_workbook(_workspace(), workbook, sheet, map_file, dry_run)
    if as_json:
        _print_json(outcome.to_json())
        return
    sys.stdout.write(outcome.said + "\n")
    if outcome.commit:
        sys.stdout.write(f"已记录到历史中（提交 {outcome.commit[:8]}）。\n")


# --- campaign records (issue 11: 延期, 验收, 巩固, 通知书) ---


@app.command()
@guarded
def extend(
    ref: Annotated[str, typer.Argument(metavar="问题编号", autocompletion=complete_ref,
                                       help="村(社区)/编号，如 chengdong/1", show_default=False)],
    to: Annotated[str, typer.Option("--to", metavar="日期", help="延期后的整改时限 YYYY-MM-DD")],
    reason: Annotated[str, typer.Option("--reason", metavar="理由", help="延期理由（必填）")],
    approved_by: Annotated[str, typer.Option("--approved-by", metavar="批准人",
                                             help="批准延期的领导或单位（必填）")],
    on: Annotated[str | None, typer.Option(
        "--on", metavar="日期", help="批准日期 YYYY-MM-DD（默认今天）", show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """延期：经批准推后一个问题的整改时限。原整改时限保留，每次延期都有记录，逾期按最近一次延期判断。

    例：zhengdun extend chengdong/1 --to 2026-12-31 --reason "施工受雨季影响" --approved-by 县委组织部
    """
    from zhengdun.campaign_records import extend_problem

    _said(extend_problem(_workspace(), ref, _required_day(to, "--to"), reason, approved_by,
                         _day(on, "--on")), as_json)


notice_app = typer.Typer(help="整改通知书、督办单：发出（文号、回复期限）和记录回复。",
                         no_args_is_help=True)
app.add_typer(notice_app, name="notice")


@notice_app.command("issue")
@guarded
def notice_issue(
    org: Annotated[str, typer.Argument(metavar="村(社区)", autocompletion=complete_org,
                                       help="名称、拼音简称或其开头部分", show_default=False)],
    text: Annotated[str, typer.Argument(metavar="内容", help="存在的问题和整改要求",
                                        show_default=False)],
    number: Annotated[str, typer.Option("--number", metavar="文号", help="文号，如 示组督〔2026〕3号")],
    reply_by: Annotated[str, typer.Option("--reply-by", metavar="日期",
                                          help="回复期限 YYYY-MM-DD")],
    kind: Annotated[str, typer.Option("--kind", metavar="类别",
                                      help="整改通知书 或 督办单")] = "整改通知书",
    on: Annotated[str | None, typer.Option(
        "--on", metavar="日期", help="发出日期 YYYY-MM-DD（默认今天）", show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """向村(社区)发出整改通知书或督办单，写明文号和回复期限；逾期未回复的在挂图作战表上提醒。

    例：zhengdun notice issue 马家坪村 "整改进度滞后，限期整改" --number "示组督〔2026〕3号" --kind 督办单 --reply-by 2026-11-30
    """
    from zhengdun.campaign_records import issue_notice

    _said(issue_notice(_workspace(), org, number, kind, _required_day(reply_by, "--reply-by"),
                       text, _day(on, "--on")), as_json)


@notice_app.command("reply")
@guarded
def notice_reply(
    org: Annotated[str, typer.Argument(metavar="村(社区)", autocompletion=complete_org,
                                       help="名称、拼音简称或其开头部分", show_default=False)],
    number: Annotated[str, typer.Argument(metavar="文号", help="所回复通知书的文号",
                                          show_default=False)],
    text: Annotated[str, typer.Argument(metavar="内容", help="回复的整改情况", show_default=False)],
    on: Annotated[str | None, typer.Option(
        "--on", metavar="日期", help="回复日期 YYYY-MM-DD（默认今天）", show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """记录村(社区)对整改通知书或督办单的回复。

    例：zhengdun notice reply 马家坪村 "示组督〔2026〕3号" "已召开专题会议，制定整改方案" --on 2026-11-28
    """
    from zhengdun.campaign_records import record_reply

    _said(record_reply(_workspace(), org, number, text, _day(on, "--on")), as_json)


def main(argv: list[str] | None = None) -> NoReturn:
    """Console entry point."""
    app(argv, prog_name="zhengdun")
    raise SystemExit(0)  # pragma: no cover - app() always exits
