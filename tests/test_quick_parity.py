"""The fast parser (``quick.SPECS`` + ``quick.parse``) against the Typer/click commands it
stands in front of, over generated command lines.

The lines are built from the click commands' real parameters (their spellings, ``multiple``,
``is_flag``, ``required``, arguments), mixed with what a clerk mistypes: options in any order,
``--opt=value``, short ``-o``, repeats, missing required options, unknown options, ``--help``,
values starting with ``-``, too many or too few arguments, ``--``, empty strings, CJK text.

- parse: whenever quick accepts, click accepts with the same values (compared through the
  table: each SPECS name is the click parameter its flag or position belongs to); whenever
  click refuses, quick declines;
- end to end: the same ``close``/``step``/``add`` line run by the program as installed (quick
  on) and with ``ZHENGDUN_QUICK=off`` gives the same exit code, stdout and files.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer._click import core as click_core
from typer._click import exceptions as click_exceptions

from conftest import CHENGDONG_ADD, CHENGDONG_PROBLEM, CHENGDONG_STEP, built_workspace
from test_quick import COMMIT_DATES, QUICK_OFF, files_of, program
from zhengdun import cli
from zhengdun.quick import SPECS, Decline, Spec, parse

GROUP: Any = typer.main.get_command(cli.app)
#: Words that are valid somewhere and awkward elsewhere.
WORDS = ["", "城东社区", "chengdong", "chengdong/1", "chengdong/9", "整改完毕，群众满意", "2026-04-02",
         "2026-10", "5", "05", "-", "-x", "--", "--json", "-o", "a=b", "md", "json", "通报.md",
         "a/./b", " ", "第1轮"]
VALUE = st.one_of(st.sampled_from(WORDS), st.text(max_size=4))
NOISE = st.sampled_from([["--help"], ["-h"], ["--"], ["--colour", "red"], ["--reslut", "x"],
                         ["-z"], [""], ["--json=yes"], ["-o=out.md"], ["---"]])


def _context(name: str, args: list[str]) -> Any:
    """click's reading of ``zhengdun name args`` (under the group, so ``-h`` is help too), or
    None when click refuses the line (a usage error, or help/exit before any command runs)."""
    parent = click_core.Context(GROUP, info_name="zhengdun", **GROUP.context_settings)
    try:
        return GROUP.commands[name].make_context(name, list(args), parent=parent)
    except (click_exceptions.ClickException, typer.Exit):
        return None


def _table(name: str) -> dict[str, Any]:
    """SPECS name → the click parameter it stands for: by flag for options, by position for
    arguments. Every click parameter must be reached (an option quick does not know would
    otherwise go unseen)."""
    spec, command = SPECS[name], GROUP.commands[name]
    by_flag = {flag: p for p in command.params for flag in [*p.opts, *p.secondary_opts]
               if p.param_type_name == "option"}
    table: dict[str, Any] = {}
    for flags in (spec.options, spec.many, spec.flags):
        for flag, spec_name in flags.items():
            assert flag in by_flag, f"{name} {flag}: not an option of the click command"
            assert table.setdefault(spec_name, by_flag[flag]) is by_flag[flag], (name, flag)
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    names = (*spec.arguments, *spec.optional)
    assert len(names) == len(arguments), name
    table.update(zip(names, arguments, strict=True))
    assert {p.name for p in table.values()} == {p.name for p in command.params if p.expose_value}
    return table


def _same(param: Any, ctx: Any, quick_value: Any) -> bool:
    """Whether quick's string(s) for ``param`` are the value click converted."""
    value = ctx.params[param.name]
    if param.multiple:
        return isinstance(quick_value, list) and [str(v) for v in value] == quick_value
    if quick_value is None or quick_value is False:  # not given: click's default
        source = ctx.get_parameter_source(param.name)
        return bool(source is click_core.ParameterSource.DEFAULT and value == param.default)
    if isinstance(value, Path):
        return value == Path(quick_value)
    if isinstance(value, int) and not isinstance(value, bool):
        return isinstance(quick_value, str) and value == int(quick_value)
    return bool(value == quick_value)


def _chunks(param: Any) -> st.SearchStrategy[list[str]]:
    """The ways a line may spell ``param``: flag, ``--opt value``, ``--opt=value``, ``-o value``,
    a flag given a value, an option left without its value."""
    longs = [o for o in param.opts if o.startswith("--")]
    if param.is_flag:
        return st.one_of(st.sampled_from([[o] for o in param.opts]),
                         st.sampled_from([f"{o}=1" for o in longs]).map(lambda w: [w]))
    spelled = st.sampled_from(param.opts)
    forms = [st.tuples(spelled, VALUE).map(list),
             st.tuples(st.sampled_from(param.opts), st.just([])).map(lambda t: [t[0]])]
    if longs:
        forms.append(st.tuples(st.sampled_from(longs), VALUE).map(lambda t: [f"{t[0]}={t[1]}"]))
    return st.one_of(*forms)


@st.composite
def command_lines(draw: st.DrawFn, name: str) -> list[str]:
    command = GROUP.commands[name]
    options = [p for p in command.params if p.param_type_name == "option"]
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    chunks: list[list[str]] = []
    if draw(st.booleans()):  # usually a line that could be right: every required option
        chunks += [draw(_chunks(p)) for p in options if p.required]
    if options:
        chunks += draw(st.lists(st.one_of(*map(_chunks, options)), max_size=5))
    chunks += draw(st.lists(NOISE, max_size=1))
    count = draw(st.one_of(st.just(sum(p.required for p in arguments)),
                           st.integers(0, len(arguments) + 1)))
    chunks += [[draw(VALUE)] for _ in range(count)]
    ordered = draw(st.permutations(chunks)) if chunks else []
    return [word for chunk in ordered for word in chunk]


def _agree(name: str, args: list[str]) -> bool:
    """The property for one line; True when both accepted it."""
    ctx = _context(name, args)
    try:
        values = parse(SPECS[name], list(args))
    except Decline:
        return False
    assert ctx is not None, f"quick accepts what click refuses: {name} {args}"
    table = _table(name)
    assert set(values) == set(table), (name, args)
    for spec_name, param in table.items():
        assert _same(param, ctx, values[spec_name]), (name, args, spec_name, values[spec_name],
                                                      ctx.params[param.name])
    return True


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_quick_parser_reads_lines_as_click_does(name: str) -> None:
    @settings(max_examples=250, deadline=None)
    @given(args=command_lines(name))
    def check(args: list[str]) -> None:
        _agree(name, args)

    check()


@pytest.mark.parametrize(("name", "args"), [
    ("close", ["chengdong/1", "--result=新增停车位120个", "--evidence", "a.pdf", "--evidence",
               "b.pdf", "--on", "2026-04-02"]),
    ("add", ["--json", "城东社区", "停车难", "--category", "10", "--due", "2026-12-31",
             "--owner", "王五", "--measure", "划线", "--measure="]),
    ("bulletin", ["--month", "2026-10", "-o", "a/./通报.md", "--date=2026-11-02"]),
    ("list", ["--due-within", "05", "--open", "--overdue"]),
    ("report", ["leader", "刘建国", "--format", "json"]),
    ("check", []),
])
def test_the_comparison_sees_accepted_lines(name: str, args: list[str]) -> None:
    """Lines both accept are really compared (the property is not vacuous)."""
    assert _agree(name, args)


def test_the_comparison_fails_for_a_table_that_is_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    """An option left out of the table, a repeated option read once, or a required option
    forgotten is caught."""
    close = SPECS["close"]
    line = ["chengdong/1", "--result", "x", "--evidence", "a", "--evidence", "b"]
    broken = [
        (Spec(close.arguments, {"--result": "result", "--verified-by": "verified_by"},
              close.many, required=close.required), line),  # --on left out
        (Spec(close.arguments, {**close.options, **close.many}, required=close.required),
         line),  # --evidence read once
        (Spec(close.arguments, close.options, close.many), ["chengdong/1"]),  # --result optional
    ]
    for spec, args in broken:
        monkeypatch.setitem(SPECS, "close", spec)
        with pytest.raises(AssertionError):
            _agree("close", args)


# --------------------------------------------------------------------------- end to end

#: Mostly what the prepared workspace accepts (so most lines record something), and a few refusals.
REFS = st.sampled_from(["chengdong/1", "chengdong/2", "chengdong/2", "chengdong/9", "城东社区"])
TEXT = st.sampled_from(["整改完毕", "召开议事会", "采购材料：防水卷材", "2026-05-01", "", "-x"])
DAY = st.sampled_from(["2026-05-01", "2026-06-10", "2026-08-01", "2026-13-01", "2099-01-01",
                       "-1"])
RECORD = st.one_of(
    st.tuples(REFS, TEXT, st.lists(st.sampled_from(["--on", "--result", "--verified-by",
                                                    "--evidence"]), max_size=3), DAY).map(
        lambda t: ["close", t[0], "--result", t[1], *[w for o in t[2] for w in (o, t[3])]]),
    st.tuples(REFS, TEXT, DAY, st.booleans()).map(
        lambda t: ["step", t[0], t[1], *(["--on", t[2]] if t[3] else [])]),
    st.tuples(st.sampled_from(["城东社区", "chengdong", "无此村"]), TEXT,
              st.sampled_from(["10", "9", "x"]), DAY, st.booleans(), st.booleans()).map(
        lambda t: ["add", t[0], t[1] or "路灯不亮", "--category", t[2], "--due", t[3],
                   *(["--owner", "张三"] if t[4] else []), *(["--json"] if t[5] else [])]),
)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield built_workspace(tmp_path_factory, "quick-parity",
                          [CHENGDONG_ADD, CHENGDONG_PROBLEM, CHENGDONG_STEP,
                           ("add", "城东社区", "党员活动室漏雨", "--category", "9", "--found",
                            "2026-05-01", "--due", "2026-09-30", "--owner", "李四"), ("check",)])


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(args=RECORD)
def test_a_recording_line_does_the_same_quick_and_full(prepared: Path, tmp_path_factory: Any,
                                                       args: list[str]) -> None:
    folder = tmp_path_factory.mktemp("run")
    fast, full = folder / "quick" / prepared.name, folder / "full" / prepared.name
    shutil.copytree(prepared, fast, symlinks=True)
    shutil.copytree(prepared, full, symlinks=True)
    one = program(fast, *args, env=COMMIT_DATES)
    other = program(full, *args, env={**COMMIT_DATES, **QUICK_OFF})
    assert (one.code, one.out) == (other.code, other.out), args
    assert "Traceback" not in one.err, one.err
    assert files_of(fast) == files_of(full), args


def test_the_end_to_end_harness_sees_the_quick_path(prepared: Path, tmp_path: Path) -> None:
    """Lines like the generated ones are answered by quick on one side, the CLI on the other."""
    for args in (["step", "chengdong/2", "召开议事会", "--on", "2026-05-01"],
                 ["close", "chengdong/1", "--result", "整改完毕", "--on", "2026-05-01"],
                 ["add", "chengdong", "路灯不亮", "--category", "10", "--due", "2099-01-01",
                  "--owner", "张三", "--json"]):
        fast, full = tmp_path / "q" / prepared.name, tmp_path / "f" / prepared.name
        for root in (fast, full):
            shutil.rmtree(root.parent, ignore_errors=True)
            shutil.copytree(prepared, root, symlinks=True)
        one = program(fast, *args, env=COMMIT_DATES)
        other = program(full, *args, env={**COMMIT_DATES, **QUICK_OFF})
        assert one.code == 0 and one.quick, (args, one.err)
        assert "zhengdun.cli" in other.modules
        assert (one.code, one.out) == (other.code, other.out)
        assert files_of(fast) == files_of(full)
