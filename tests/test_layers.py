"""Import discipline, read from the source with ``ast``; and what ``zhengdun close`` imports.

quick ─► cli ─► services ─► model. One module per outside dependency: store (YAML), history
(git), render (jinja2); typer and rich only in cli and console. Only the entry point (quick)
imports the CLI, to hand over what it does not run itself.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "zhengdun"
MODULES = sorted(p.stem for p in SRC.glob("*.py"))


@cache
def tree(module: str) -> ast.Module:
    return ast.parse((SRC / f"{module}.py").read_text(encoding="utf-8"), filename=module)


@cache
def imported(module: str) -> frozenset[str]:
    """Every module name ``module`` imports, anywhere in the file (functions and
    ``TYPE_CHECKING`` blocks included), plus ``importlib.import_module("...")`` targets."""
    names: set[str] = set()
    for node in ast.walk(tree(module)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = "zhengdun" + (f".{base}" if base else "")
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and _call_name(node.func) in ("import_module", "importlib.import_module",
                                            "__import__")):
            names.add(node.args[0].value)
    return frozenset(names)


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return f"{_call_name(func.value)}.{func.attr}"
    return ""


def uses(module: str, *packages: str) -> list[str]:
    """The imports of ``module`` that are ``packages`` or inside them."""
    return sorted(name for name in imported(module)
                  if any(name == p or name.startswith(p + ".") for p in packages))


def test_the_source_is_where_the_test_looks() -> None:
    assert {"cli", "console", "model", "store", "history", "ledger", "check", "queries",
            "workspace", "__main__"} <= set(MODULES)
    # the scanner sees what is there (so the tests below can fail)
    assert "yaml" in imported("store")
    assert "subprocess" in imported("history")
    assert "typer" in imported("cli")
    assert "zhengdun.quick" in imported("__main__")
    assert "zhengdun.cli" in imported("quick")
    assert "zhengdun.ledger.close_problem" in imported("cli")  # imported inside a function


#: The layers, from the outside in. A module may import its own layer and the ones below it,
#: never one above: the front ends parse and print, the services do the clerk's work, the
#: adapters each wrap one outside thing (YAML, git, Jinja2, the cache folder, the clock,
#: signals), the core is plain data and rules.
LAYERS = {
    "front": {"__main__", "quick", "cli", "boundary", "console", "screen", "commands"},
    "services": {"ledger", "queries", "reports", "check", "timeline", "changes", "demo",
                 "housekeeping", "workspace", "migrate", "campaign", "audit", "merging", "office",
                 "xlsx", "xlsx_import", "county_reports",
                 "campaign_records", "sync", "server_hook"},
    "adapters": {"store", "history", "render", "cache", "place", "clock", "faults",
                 "interrupts", "resources", "pager", "docx_out", "plots"},
    "core": {"model", "errors", "rules", "wording", "__init__"},
}
ORDER = ["front", "services", "adapters", "core"]


def ours(module: str) -> set[str]:
    """The zhengdun modules ``module`` imports, anywhere in the file."""
    found = set()
    for name in imported(module):
        parts = name.split(".")
        if parts[0] != "zhengdun":
            continue
        if len(parts) >= 2 and parts[1] in MODULES:
            found.add(parts[1])
        elif len(parts) == 1:
            found.add("__init__")
    return found - {module}


def layer_of(module: str) -> str:
    return next(name for name, members in LAYERS.items() if module in members)


def test_every_module_has_a_layer() -> None:
    placed = set().union(*LAYERS.values())
    assert set(MODULES) == placed, (set(MODULES) - placed, placed - set(MODULES))


@pytest.mark.parametrize("module", MODULES)
def test_no_module_imports_a_layer_above_its_own(module: str) -> None:
    mine = ORDER.index(layer_of(module))
    above = sorted(m for m in ours(module) if ORDER.index(layer_of(m)) < mine)
    assert above == [], f"{module} ({layer_of(module)}) imports {above}"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    """Function-local imports count: a cycle through them is still one module needing another."""
    assert cycles({m: ours(m) for m in MODULES}) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_rules_import_nothing_but_the_standard_library() -> None:
    """The preconditions are plain functions over plain values (no pydantic, no YAML, no git):
    both paths can ask them."""
    assert uses("rules", "zhengdun") == []
    assert {name.split(".")[0] for name in imported("rules")} <= {
        "__future__", "collections", "dataclasses", "datetime"}


def test_model_imports_nothing_of_ours_but_the_rules() -> None:
    """The model judges state (已转化, 反弹, 回头看 due) by the same plain rules as the
    recording commands; rules import only the standard library, so the model stays pure."""
    assert {name for name in uses("model", "zhengdun")} <= {"zhengdun", "zhengdun.rules"}


@pytest.mark.parametrize("module", [m for m in MODULES if m not in ("cli", "quick")])
def test_nothing_imports_the_cli(module: str) -> None:
    assert uses(module, "zhengdun.cli") == []
    assert "cli" not in {name.rsplit(".", 1)[-1] for name in imported(module)
                         if name.startswith("zhengdun.") and name.count(".") == 1}


@pytest.mark.parametrize("module", [m for m in MODULES if m != "store"])
def test_only_store_imports_yaml_libraries(module: str) -> None:
    assert uses(module, "yaml", "ruamel", "_ruamel_yaml", "strictyaml") == []


@pytest.mark.parametrize("module", [m for m in MODULES if m not in ("history", "pager")])
def test_only_history_runs_git(module: str) -> None:
    """No other program is started outside history (git) and pager (``less``); and sync's
    remote side through GitPython (the ``git`` package, which runs the git program)."""
    assert uses(module, "subprocess", "asyncio.subprocess", "pty", "pygit2",
                "dulwich", "sh", "plumbum") == []
    if module != "sync":
        assert uses(module, "git") == []
    calls = sorted({_call_name(node.func) for node in ast.walk(tree(module))
                    if isinstance(node, ast.Call)})
    spawning = [c for c in calls if c in ("os.system", "os.popen", "system", "popen")
                or c.startswith(("os.exec", "os.spawn", "os.posix_spawn", "subprocess."))]
    assert spawning == []
    # no command line for git is built outside history (e.g. ["git", "commit", ...])
    vectors = [node for node in ast.walk(tree(module))
               if isinstance(node, ast.List | ast.Tuple) and node.elts
               and isinstance(node.elts[0], ast.Constant) and node.elts[0].value == "git"]
    assert vectors == []


@pytest.mark.parametrize("module", [m for m in MODULES if m not in ("cli", "console")])
def test_typer_and_rich_live_only_in_the_cli_layer(module: str) -> None:
    assert uses(module, "typer", "rich", "click") == []


@pytest.mark.parametrize("module", [m for m in MODULES if m != "render"])
def test_only_render_imports_jinja2(module: str) -> None:
    assert uses(module, "jinja2", "markupsafe") == []


def _imported_by_a_command(cwd: Path, argv: list[str]) -> tuple[Any, set[str]]:
    code = ("import sys\nfrom zhengdun.cli import main\n"
            f"sys.argv = {['zhengdun', *argv]!r}\nmain()\n")
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=cwd,
                            capture_output=True, text=True, env=dict(os.environ), check=False)
    modules = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            modules.add(line.rsplit("|", 1)[1].strip())
    return result, modules


def test_close_does_not_import_jinja2_pypinyin_or_ruamel(chengdong: Any, workspace: Path) -> None:
    result, modules = _imported_by_a_command(
        workspace, ["close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-06-20"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert "chengdong/1 已销号（2026-06-20）" in result.stdout
    assert "      - on: 2026-06-20\n        result: 新增停车位120个\n" in (
        workspace / "ledgers" / "chengdong.yaml").read_text(encoding="utf-8")
    assert {"zhengdun.cli", "zhengdun.ledger", "zhengdun.store", "zhengdun.history"} <= modules
    heavy = sorted(m for m in modules if m.split(".")[0] in (
        "jinja2", "pypinyin", "ruamel", "openpyxl", "git", "zhengdun.render"))
    assert heavy == []
    assert not any(m.startswith("zhengdun.render") for m in modules)


def test_reading_commands_do_not_import_jinja2_or_pypinyin(chengdong: Any, workspace: Path,
                                                          ) -> None:
    for argv in (["list", "--json"], ["check"], ["show", "chengdong", "--json"]):
        result, modules = _imported_by_a_command(workspace, argv)
        assert result.returncode == 0, (argv, result.stderr[-2000:])
        assert not {m.split(".")[0] for m in modules} & {"jinja2", "pypinyin"}, argv


def _imported_by_the_program(cwd: Path, argv: list[str]) -> tuple[Any, set[str]]:
    """What the installed entry point (``zhengdun.quick:main``) imports for ``argv``."""
    code = ("import sys\nfrom zhengdun.quick import main\n"
            f"sys.argv = {['zhengdun', *argv]!r}\nmain()\n")
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=cwd,
                            capture_output=True, text=True, env=dict(os.environ), check=False)
    modules = {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
               if line.startswith("import time:") and "|" in line}
    return result, modules


def test_a_quick_close_imports_neither_typer_nor_the_models(chengdong: Any,
                                                            workspace: Path) -> None:
    # check leaves a verdict for every ledger that passes: close then needs no models
    assert chengdong("check").exit_code == 0
    result, modules = _imported_by_the_program(
        workspace, ["close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-06-20"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert "chengdong/1 已销号（2026-06-20）" in result.stdout
    assert "      - on: 2026-06-20\n        result: 新增停车位120个\n" in (
        workspace / "ledgers" / "chengdong.yaml").read_text(encoding="utf-8")
    assert {"zhengdun.quick", "zhengdun.store", "zhengdun.history", "zhengdun.cache"} <= modules
    heavy = sorted(m for m in modules if m.split(".")[0] in (
        "typer", "click", "pydantic", "pydantic_core", "rich", "jinja2", "pypinyin", "ruamel",
        "openpyxl", "git") or m in ("zhengdun.cli", "zhengdun.model", "zhengdun.ledger",
                                    "zhengdun.workspace", "zhengdun.render"))
    assert heavy == []


def test_without_a_verdict_close_checks_the_ledger_with_the_models(chengdong: Any,
                                                                  workspace: Path) -> None:
    """No verdict yet: the quick path checks the ledger as check would (models, no Typer)."""
    shutil.rmtree(workspace / ".git" / "zhengdun-cache")
    result, modules = _imported_by_the_program(
        workspace, ["close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-06-20"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert {"zhengdun.check", "zhengdun.model", "pydantic"} <= modules
    heavy = sorted(m for m in modules if m.split(".")[0] in (
        "typer", "jinja2", "pypinyin", "ruamel") or m in ("zhengdun.cli", "zhengdun.ledger"))
    assert heavy == []


def test_a_report_answered_from_the_cache_imports_no_models(chengdong: Any,
                                                             workspace: Path) -> None:
    argv = ["bulletin", "--month", "2026-06"]
    first, cold = _imported_by_the_program(workspace, argv)
    assert first.returncode == 0, first.stderr[-2000:]
    assert {"jinja2", "pydantic"} <= {m.split(".")[0] for m in cold}
    again, warm = _imported_by_the_program(workspace, argv)
    assert again.returncode == 0 and again.stdout == first.stdout
    assert not {m.split(".")[0] for m in warm} & {"typer", "pydantic", "jinja2", "rich"}


@pytest.mark.parametrize("argv", [["board"], ["list", "--overdue"]], ids=["board", "list"])
def test_screen_tables_are_drawn_from_the_cached_result(chengdong: Any, workspace: Path,
                                                        argv: list[str]) -> None:
    """The table and ``--json`` are two views of one result: once the JSON view is cached, the
    table needs neither the models nor Typer nor rich (``screen`` draws it), and says the same
    as the full CLI."""
    as_json, _ = _imported_by_the_program(workspace, [*argv, "--json"])
    assert as_json.returncode == 0
    table, warm = _imported_by_the_program(workspace, argv)
    assert table.returncode == 0, table.stderr[-2000:]
    loaded = {m.split(".")[0] for m in warm}
    assert "zhengdun.screen" in warm and not loaded & {"typer", "pydantic", "jinja2", "rich"}, \
        loaded
    full = subprocess.run([sys.executable, "-m", "zhengdun", *argv], cwd=workspace,
                          capture_output=True, text=True,
                          env={**os.environ, "ZHENGDUN_QUICK": "off"}, check=True)
    assert table.stdout == full.stdout and table.stdout.strip()


def test_the_pager_runs_no_git() -> None:
    assert uses("pager", "zhengdun") == []
    vectors = [node for node in ast.walk(tree("pager"))
               if isinstance(node, ast.Constant) and node.value == "git"]
    assert vectors == []


def test_gitpython_is_imported_only_inside_sync_commands() -> None:
    """GitPython costs ~90 ms at import (PERF-NOTES): no module imports it at its top, and only
    sync imports it at all; ``sync`` itself runs it (see tests/test_sync.py)."""
    assert uses("sync", "git") != []  # the scanner sees it (so this test can fail)
    for module in MODULES:
        top = [node for node in tree(module).body if isinstance(node, ast.Import | ast.ImportFrom)]
        names = {alias.name for node in top if isinstance(node, ast.Import) for alias in node.names}
        names |= {node.module or "" for node in top if isinstance(node, ast.ImportFrom)}
        assert not {n for n in names if n == "git" or n.startswith("git.")}, module
