"""Every rule once: the maintainer's experiment on a real copy of the package, and each refusal's
words in one file of ``src/``.

The experiment (issue 10): copy ``src/zhengdun`` aside, add one precondition to the rule of
``step`` (and of ``close``, ``add``) in the copy's ``rules.py`` only, and run the copy's program
on a demo county whose ledger has a verdict. The fast path (ZHENGDUN_QUICK on) and the full path
(ZHENGDUN_QUICK=off) must both refuse one character too many, with nothing written or committed,
and both record one character less (the fast path without loading the models). A copy whose
``quick.py`` skips the rule, as a second copy of the rule "for speed" would, must be caught.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import zhengdun
from conftest import git
from processes import environment

SOURCE = Path(zhengdun.__file__).parent
#: Modules only the full path loads: a command that imported none of them took the fast path.
FULL_PATH_MODULES = {"pydantic", "zhengdun.cli", "zhengdun.model", "zhengdun.ledger"}
LIMIT = 30
MESSAGE = "试验规则：文字不超过30个字"
#: (rule in rules.py, its text parameter, the command with TEXT in place of that text)
EXPERIMENTS = {
    "step": ("def step_refusal(", "text", ["step", "hougou/4", "TEXT"]),
    "close": ("def close_refusal(", "result", ["close", "hougou/4", "--result", "TEXT"]),
    "add": ("def add_refusal(", "title",
            ["add", "hougou", "TEXT", "--category", "10", "--due", "2026-12-31",
             "--owner", "张三"]),
}


def with_rule(source: str, head: str, parameter: str) -> str:
    """``rules.py`` with one more precondition at the top of the function ``head`` opens."""
    start = source.index(head)
    body = source.index('"""', source.index('"""', source.index(") -> Refusal | None:", start))
                        + 3) + 3
    rule = (f"\n    if len({parameter}) > {LIMIT}:\n"
            f"        return Refusal(\"{MESSAGE}\", \"请精简\")")
    return source[:body] + rule + source[body:]


def copied_package(tmp_path: Path, command: str, bypass: bool) -> Path:
    """A copy of the package with the experiment's rule; ``bypass``: its quick.py ignores the
    rule's answer (a fast path with its own rules)."""
    parent = tmp_path / "copy"
    package = parent / "zhengdun"
    shutil.copytree(SOURCE, package, ignore=shutil.ignore_patterns("__pycache__"))
    head, parameter, _ = EXPERIMENTS[command]
    rules = package / "rules.py"
    rules.write_text(with_rule(rules.read_text("utf-8"), head, parameter), "utf-8")
    if bypass:
        quick = package / "quick.py"
        name = head.removeprefix("def ").removesuffix("(")
        text = quick.read_text("utf-8")
        assert f"_allowed(rules.{name}(" in text
        quick.write_text(text.replace(f"_allowed(rules.{name}(", f"(rules.{name}("), "utf-8")
    return parent


LAUNCH = """
import sys
import zhengdun
assert zhengdun.__file__.startswith(sys.argv[1]), zhengdun.__file__
sys.argv = ["zhengdun", *sys.argv[2:]]
from zhengdun.quick import main
main()
"""


def program(parent: Path, root: Path, args: list[str], quick: bool) -> tuple[int, str, bool]:
    """Run the copy's entry point in ``root``: exit code, stderr, whether the fast path answered."""
    env = environment(ZHENGDUN_QUICK="on" if quick else "off", PYTHONPATH=str(parent))
    env.pop("ZHENGDUN_CACHE", None)
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", LAUNCH,
                             str(parent / "zhengdun"), *args], cwd=root, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    modules = {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
               if line.startswith("import time:") and "|" in line}
    err = "".join(line + "\n" for line in result.stderr.splitlines()
                  if not line.startswith("import time:"))
    assert "AssertionError" not in err, err  # the copy, not the installed package, ran
    return result.returncode, err, not modules & FULL_PATH_MODULES


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def divergences(parent: Path, demo_county: Path, tmp_path: Path, command: str) -> list[str]:
    """What differs from "both paths obey the copy's rule" for ``command``; empty when held."""
    _, _, args = EXPERIMENTS[command]
    found: list[str] = []
    for quick in (True, False):
        root = tmp_path / f"ws-{quick}" / demo_county.name
        shutil.copytree(demo_county, root, symlinks=True)
        code, err, _ = program(parent, root, ["check"], quick)  # the verdict, by the copy
        assert code == 0, err
        for length, allowed in ((LIMIT + 1, False), (LIMIT, True)):
            text = ("整" * length)
            before = files_of(root), git(root, "log", "--format=%H %s")
            code, err, fast = program(parent, root,
                                      [text if a == "TEXT" else a for a in args], quick)
            after = files_of(root), git(root, "log", "--format=%H %s")
            label = f"{command} quick={quick} len={length}"
            if allowed:
                if code != 0 or after == before:
                    found.append(f"{label}: not recorded ({code}) {err[-500:]}")
                if quick and not fast:
                    found.append(f"{label}: the fast path was not taken")
            elif code != 1 or MESSAGE not in err or after != before:
                found.append(f"{label}: not refused ({code}) {err[-500:]}")
    return found


@pytest.mark.parametrize("command", sorted(EXPERIMENTS))
def test_a_precondition_added_to_the_copy_s_rules_holds_on_both_paths(
        command: str, demo_county: Path, tmp_path: Path) -> None:
    parent = copied_package(tmp_path, command, bypass=False)
    assert divergences(parent, demo_county, tmp_path, command) == []


@pytest.mark.parametrize("command", sorted(EXPERIMENTS))
def test_a_fast_path_that_skips_the_rule_is_caught(command: str, demo_county: Path,
                                                   tmp_path: Path) -> None:
    """The check above can fail: a copy whose quick.py ignores the rule records what the full
    path refuses, and exactly that is found."""
    parent = copied_package(tmp_path, command, bypass=True)
    found = divergences(parent, demo_county, tmp_path, command)
    assert len(found) == 1, found
    assert found[0].startswith(f"{command} quick=True len={LIMIT + 1}: not refused (0)"), found


# --------------------------------------------------------------------------- each message once

CJK = re.compile(r"[\u3400-\u9fff]")
#: A placeholder of an f-string, as another copy may spell it (any name, or a value in place).
HOLE = r"(?:\{[^{}\n]*\}|[^\"\n]{0,40}?)"


def refusal_patterns() -> list[str]:
    """Each refusal message of rules.py as a pattern: its literal words in order, with any
    placeholder between them (leading and trailing placeholders dropped); only those with at
    least six Chinese characters of their own."""
    tree = ast.parse((SOURCE / "rules.py").read_text("utf-8"))
    patterns: list[str] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "Refusal" and node.args):
            continue
        first = node.args[0]
        while isinstance(first, ast.BinOp):  # "…" + (…): the head
            first = first.left
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            parts: list[str | None] = [first.value]
        elif isinstance(first, ast.JoinedStr):
            parts = [v.value if isinstance(v, ast.Constant) and isinstance(v.value, str)
                     else None for v in first.values]
        else:
            continue  # a message made elsewhere in rules.py (its words are counted there)
        while parts and parts[0] is None:
            parts.pop(0)
        while parts and parts[-1] is None:
            parts.pop()
        if len(CJK.findall("".join(p for p in parts if p))) >= 6:
            patterns.append("".join(HOLE if p is None else re.escape(p) for p in parts))
    return patterns


def source_texts() -> dict[str, str]:
    """Every source and template file of the package, adjacent string literals joined (so a
    message split over lines reads as one)."""
    joined = re.compile(r"\"\s*\n\s*[rf]*\"")
    return {p.relative_to(SOURCE).as_posix(): joined.sub("", p.read_text("utf-8", "replace"))
            for p in sorted(SOURCE.rglob("*")) if p.is_file() and "__pycache__" not in p.parts
            and p.suffix in {".py", ".md", ".j2", ".jinja", ".html", ".txt", ".yaml", ".xml"}}


def test_the_scan_finds_the_refusals() -> None:
    patterns = refusal_patterns()
    assert len(patterns) >= 25, patterns
    texts = source_texts()
    assert any(re.search(p, "进展日期 2026-04-01 早于上一条进展（2026-05-01）") for p in patterns)
    assert sum(bool(re.search(p, texts["rules.py"])) for p in patterns) == len(patterns)


@pytest.mark.parametrize("pattern", refusal_patterns())
def test_each_refusal_is_worded_in_one_file_of_src(pattern: str) -> None:
    holding = [name for name, text in source_texts().items() if re.search(pattern, text)]
    assert holding == ["rules.py"], holding
