"""The fast entry point (``zhengdun.quick``): it must give exactly the answers of the full CLI.

- its option table (``quick.SPECS``) names the Typer commands, and ``parse`` hands every
  unusual command line over to the full CLI (equality with click: ``test_quick_parity.py``);
- a scripted history recorded through the quick path is the history the full CLI records:
  the same output, exit codes, files and commit ids (dates and identity are pinned);
- a verdict is only ever used for the exact ledger text, ``zhengdun.yaml`` and day it was
  given for, and deleting the cache changes nothing;
- the result cache answers byte for byte what the reports and check compute without it, and
  is never stale after a ledger, a template, the day or (for check) an evidence file changes,
  nor hurt by a corrupt entry.

Everything runs as the real program (``python -m zhengdun``, i.e. ``zhengdun.quick:main``) in
real git repositories, with ``-X importtime`` telling which path a command took.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer

from conftest import Run, git
from processes import environment
from zhengdun import cache, cli, quick
from zhengdun.quick import SPECS, Decline, parse
from zhengdun.resources import shipped_templates

#: Commits made by the scripted runs: pinned, so the same history has the same commit ids.
COMMIT_DATES = {"GIT_AUTHOR_DATE": "2026-11-21T10:00:00+08:00",
                "GIT_COMMITTER_DATE": "2026-11-21T10:00:00+08:00"}
QUICK_OFF = {"ZHENGDUN_QUICK": "off"}
CACHE_OFF = {"ZHENGDUN_CACHE": "off"}
#: Modules only the full path loads: a command that imported none of them took the quick path.
FULL_PATH_MODULES = {"pydantic", "zhengdun.cli", "zhengdun.model", "zhengdun.ledger"}


# --------------------------------------------------------------------------- running the program


@dataclass(frozen=True)
class Answer:
    """A finished ``zhengdun`` process: exit code, output, and the modules it imported."""

    code: int
    out: str
    err: str  # stderr without the ``-X importtime`` lines
    modules: frozenset[str]

    @property
    def seen(self) -> tuple[int, str, str]:
        """What the clerk sees: exit code, stdout, stderr."""
        return self.code, self.out, self.err

    @property
    def quick(self) -> bool:
        """Whether the command was answered without the full CLI and the models."""
        return not self.modules & FULL_PATH_MODULES


def program(root: Path, *args: str, env: dict[str, str] | None = None) -> Answer:
    """Run the installed entry point (``python -m zhengdun`` → ``zhengdun.quick:main``) in
    ``root`` with the pinned environment plus ``env``, noting what it imported."""
    full = environment(**(env or {}))
    for switch in ("ZHENGDUN_QUICK", "ZHENGDUN_CACHE"):
        if switch not in (env or {}):
            full.pop(switch, None)
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "zhengdun", *args],
                            cwd=root, env=full, capture_output=True, timeout=120, check=False)
    err: list[str] = []
    modules: set[str] = set()
    for line in result.stderr.decode("utf-8", "replace").splitlines(keepends=True):
        if line.startswith("import time:"):
            if "|" in line:
                modules.add(line.rsplit("|", 1)[1].strip())
        else:
            err.append(line)
    return Answer(result.returncode, result.stdout.decode("utf-8", "replace"), "".join(err),
                  frozenset(modules))


def files_of(root: Path) -> dict[str, bytes]:
    """Every file of the workspace outside ``.git``, by relative path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def cache_dir(root: Path) -> Path:
    return root / ".git" / cache.NAME


def verdict_folders(root: Path) -> set[str]:
    return {p.name for p in cache_dir(root).glob("valid-*") if p.is_dir()}


def verdict_for(root: Path, rel: str) -> list[str]:
    """The verdicts held for the current bytes of ``rel`` (their contents: the latest date)."""
    blob = cache.blob_id((root / rel).read_bytes())
    return [(cache_dir(root) / folder / blob).read_text("ascii")
            for folder in sorted(verdict_folders(root))
            if (cache_dir(root) / folder / blob).is_file()]


def twin(workspace: Path, tmp_path: Path, name: str) -> Path:
    """A copy of ``workspace`` (history and cache included) under the same folder name."""
    target = tmp_path / name / workspace.name
    shutil.copytree(workspace, target, symlinks=True)
    return target


# --------------------------------------------------------------------------- 1. the option table

# The table is held against the click commands by ``test_quick_parity.py`` (generated
# command lines: same values, same refusals), not by comparing flag names here.


def _typer_commands() -> dict[str, Any]:
    group = typer.main.get_command(cli.app)
    commands: dict[str, Any] = group.commands  # type: ignore[attr-defined]
    return commands


def test_every_quick_command_is_a_typer_command() -> None:
    """The quick table names real Typer commands and nothing else."""
    assert set(SPECS) <= set(_typer_commands())
    assert set(SPECS) == set(quick.COMMANDS)


# --------------------------------------------------------------------------- 2. parse()


@pytest.mark.parametrize(("command", "words"), [
    ("close", ["chengdong/1", "--result", "x", "--help"]),
    ("close", ["-h"]),
    ("check", ["--help"]),
    ("bulletin", ["--month", "2026-10", "--colour", "red"]),  # unknown option
    ("close", ["chengdong/1", "--reslut", "x"]),  # a typing mistake
    ("close", ["chengdong/1"]),  # missing required --result
    ("add", ["chengdong", "问题", "--category", "10", "--due", "2026-12-31"]),  # no --owner
    ("bulletin", ["--quarter"]),  # no value (no --month at all: both paths refuse alike)
    ("report", []),  # no template name
    ("report", ["leader", "刘建国", "多余"]),  # too many positionals
    ("close", ["chengdong/1", "--result"]),  # missing value
    ("step", ["chengdong/1", "进展", "--evidence"]),  # missing value of a repeated option
    ("close", ["chengdong/1", "--result", "-x"]),  # value starting with "-"
    ("close", ["chengdong/1", "--result=-x"]),
    ("step", ["chengdong/1", "进展", "--on", "-1"]),
    ("step", ["chengdong/1"]),  # too few positionals
    ("step", ["chengdong/1", "进展", "多余"]),  # too many positionals
    ("check", ["extra"]),
    ("close", ["--", "chengdong/1", "--result", "x"]),  # "--"
    ("close", ["chengdong/1", "--result", "x", "--"]),
    ("check", ["--json=yes"]),  # a flag given a value
    ("bulletin", ["--month", "2026-10", "-o=out.md"]),  # "=" after a short option
    ("list", ["--json", "-j"]),
])
def test_parse_declines_anything_unusual(command: str, words: list[str]) -> None:
    """Help, mistakes, missing or odd values and wrong positionals go to the full CLI."""
    with pytest.raises(Decline):
        parse(SPECS[command], words)


def test_parse_reads_inline_values_and_repeated_options() -> None:
    """``--opt=value`` and repeated ``--evidence``/``--measure`` are read as the CLI reads them."""
    assert parse(SPECS["close"], ["chengdong/1", "--result=新增停车位120个", "--evidence",
                                  "evidence/a.jpg", "--on", "2026-06-20",
                                  "--evidence=evidence/b b.pdf"]) == {
        "ref": "chengdong/1", "result": "新增停车位120个", "on": "2026-06-20",
        "verified_by": None, "evidence": ["evidence/a.jpg", "evidence/b b.pdf"]}
    assert parse(SPECS["add"], ["--json", "chengdong", "停车难", "--category", "10",
                                "--due=2026-12-31", "--owner", "王五", "--measure", "一",
                                "--measure", "二"]) == {
        "org": "chengdong", "title": "停车难", "category": "10", "due": "2026-12-31",
        "owner": "王五", "source": None, "found": None, "measure": ["一", "二"],
        "as_json": True}
    assert parse(SPECS["bulletin"], ["--month", "2026-10", "-o", "通报.md", "--date=2026-11-02"]
                 ) == {"month": "2026-10", "number": None, "issued": "2026-11-02",
                       "template": None, "format": None, "at": None, "output": "通报.md",
                       "as_json": False, "quarter": None, "year": None, "township": None,
                       "round_name": None}
    assert parse(SPECS["list"], ["--overdue", "--json"]) == {
        "org": None, "township": None, "category": None, "due_within": None, "as_of": None,
        "at": None, "open": False, "closed": False, "overdue": True, "as_json": True,
        "leader": None, "round_name": None}
    assert parse(SPECS["report"], ["leader", "刘建国", "--json"]) == {
        "name": "leader", "subject": "刘建国", "org": None, "as_of": None, "at": None,
        "output": None, "fmt": None, "round_name": None, "as_json": True}
    assert parse(SPECS["report"], ["stats"])["subject"] is None
    # the last of a repeated single-value option wins, as in click; "-" is a positional
    assert parse(SPECS["step"], ["chengdong/1", "-", "--on", "2026-01-01", "--on", "2026-02-02"]
                 )["on"] == "2026-02-02"
    assert parse(SPECS["check"], []) == {"as_json": False}


@pytest.mark.parametrize("argv", [[], ["-C"], ["-C", "--json"], ["org", "list"],
                                  ["show", "chengdong"], ["close", "chengdong/1", "--help"]])
def test_run_declines_what_the_table_does_not_know(argv: list[str], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Other commands, options before the command and help never start on the quick path."""
    monkeypatch.chdir(tmp_path)  # not a workspace: a command that did start would fail instead
    with pytest.raises(Decline):
        quick.run(argv)


# --------------------------------------------------------------------------- 3. same history


#: (expected exit code, command line), run in order; the successes use the quick path.
SCRIPT: list[tuple[int, tuple[str, ...]]] = [
    (0, ("check",)),
    (0, ("step", "chengdong/1", "召开居民议事会，确定改造方案", "--on", "2026-04-02")),
    (0, ("step", "chengdong/1", "完成停车场施工招标", "--on", "2026-05-10",
         "--evidence", "evidence/招标公告.pdf")),
    (1, ("step", "chengdong/1", "补记一次协调会", "--on", "2026-04-20")),  # before the last step
    (0, ("add", "chengdong", "楼道照明损坏，夜间出行不便", "--category", "10",
         "--source", "群众反映", "--found", "2026-10-08", "--due", "2026-12-31",
         "--owner", "李四", "--measure", "更换楼道灯具", "--measure", "建立巡查制度", "--json")),
    (1, ("add", "chengdong", "分类不存在", "--category", "99", "--due", "2026-12-31",
         "--owner", "王五")),  # unknown category
    (0, ("close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-06-20",
         "--verified-by", "城关镇党委", "--evidence", "evidence/验收照片.jpg")),
    (1, ("close", "chengdong/1", "--result", "再次销号", "--on", "2026-07-01")),  # closed already
    (1, ("close", "chengdong/2", "--result", "已更换灯具", "--on", "2026-12-01")),  # future
    (1, ("step", "chengdong/2", "")),  # empty text
    (1, ("close", "chengdong/9", "--result", "没有这个问题")),  # unknown problem
    (2, ("close", "chengdong/2")),  # missing --result: Typer's usage error
    (0, ("step", "chengdong/2", "已采购灯具")),  # dated today
    (0, ("close", "chengdong/2", "--result", "已更换全部楼道灯具")),
]
#: After the script: a hand edit left uncommitted, then a recording on that ledger.
AFTER_HAND_EDIT = (1, ("step", "chengdong/2", "巡查一次"))


def _replay(root: Path, env: dict[str, str]) -> list[Answer]:
    (root / "evidence" / "招标公告.pdf").write_bytes(b"%PDF-1.4 tender\n")
    (root / "evidence" / "验收照片.jpg").write_bytes(b"\xff\xd8\xff photo")
    answers = [program(root, *args, env={**COMMIT_DATES, **env}) for _, args in SCRIPT]
    ledger = root / "ledgers" / "chengdong.yaml"
    ledger.write_text(ledger.read_text("utf-8").replace("owner: 王五", "owner: 王五、赵六"),
                      encoding="utf-8")
    answers.append(program(root, *AFTER_HAND_EDIT[1], env={**COMMIT_DATES, **env}))
    return answers


def test_the_quick_path_records_the_same_history_as_the_full_cli(
        chengdong: Run, workspace: Path, tmp_path: Path) -> None:
    """Quick on (with verdicts) and ZHENGDUN_QUICK=off: same output, exit codes, commits, files."""
    fast, slow = twin(workspace, tmp_path, "quick"), twin(workspace, tmp_path, "full")
    quick_answers = _replay(fast, {})
    full_answers = _replay(slow, QUICK_OFF)
    for (code, args), one, other in zip([*SCRIPT, AFTER_HAND_EDIT], quick_answers, full_answers,
                                        strict=True):
        assert one.seen == other.seen, args
        assert one.code == code, (args, one.err)
        assert "Traceback" not in one.err, one.err
        assert "zhengdun.cli" in other.modules, args  # the full run really was the full CLI
        if code == 0:  # (refusals are explained by the full path, on purpose)
            assert "zhengdun.cli" not in one.modules, args
        if code == 0 and args[0] in ("close", "step", "add"):
            assert one.quick, (args, sorted(one.modules & FULL_PATH_MODULES))
    assert head(fast) == head(slow)
    assert files_of(fast) == files_of(slow)
    assert git(fast, "status", "--porcelain") == git(slow, "status", "--porcelain") != ""
    # what was recorded is what the clerk asked for (not only the same both ways)
    text = (fast / "ledgers" / "chengdong.yaml").read_text("utf-8")
    assert "verified_by: 城关镇党委" in text and "evidence/验收照片.jpg" in text
    assert "- 建立巡查制度" in text and "found_on: 2026-10-08" in text
    added = json.loads(quick_answers[4].out)
    assert added["action"] == "add" and added["ref"] == "chengdong/2"
    assert git(fast, "log", "-1", "--format=%s", added["commit"]).strip() == (
        "add chengdong/2: 楼道照明损坏，夜间出行不便")
    committed = git(fast, "-c", "core.quotePath=false", "ls-files", "evidence").split()
    assert {"evidence/招标公告.pdf", "evidence/验收照片.jpg"} <= set(committed)


# --------------------------------------------------------------------------- 4. verdicts


def test_a_ledger_made_invalid_by_plain_git_has_no_verdict(chengdong: Run,
                                                           workspace: Path) -> None:
    """A hand edit committed with git gets no verdict: close is refused with the findings."""
    root = workspace
    ledger = root / "ledgers" / "chengdong.yaml"
    assert program(root, "check").code == 0
    close = ("close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-06-20")
    edits: list[tuple[Callable[[str], str], str]] = [
        (lambda text: text.replace("due: 2026-06-30", "due: 2026-03-01"),
         "整改时限 2026-03-01 早于发现日期 2026-03-10"),
        (lambda text: text + "colour: 红\n", "未知的键“colour”"),
    ]
    for edit, finding in edits:
        ledger.write_text(edit(ledger.read_text("utf-8")), encoding="utf-8")
        git(root, "commit", "-q", "-am", "手工修改")
        assert program(root, "check").code == 1  # check gives no verdict to a failing file
        assert verdict_for(root, "ledgers/chengdong.yaml") == []
        before, raw = head(root), ledger.read_bytes()
        refused = program(root, *close)
        assert refused.code == 1 and finding in refused.err, refused.err
        assert "本次未记录" in refused.err or "无法读取" in refused.err
        assert not refused.quick
        assert refused.seen == program(root, *close, env=QUICK_OFF).seen
        assert (head(root), ledger.read_bytes()) == (before, raw)


def test_a_verdict_is_not_used_on_a_day_before_the_dates_in_the_file(chengdong: Run,
                                                                     workspace: Path) -> None:
    """Judged late, the file holds a date that is in the future of an earlier day: refused."""
    root = workspace
    late, early = {"ZHENGDUN_TODAY": "2026-11-21"}, {"ZHENGDUN_TODAY": "2026-11-10"}
    assert program(root, "add", "chengdong", "议事会议记录不全", "--category", "10", "--due",
                   "2026-12-31", "--owner", "李四", "--found", "2026-11-20", env=late).code == 0
    assert program(root, "check", env=late).code == 0
    assert verdict_for(root, "ledgers/chengdong.yaml") == ["2026-11-20"]
    before, raw = head(root), (root / "ledgers" / "chengdong.yaml").read_bytes()
    # chengdong/1 itself allows this closure: only the verdict's latest date tells
    close = ("close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-11-05")
    refused = program(root, *close, env=early)
    assert refused.seen == program(root, *close, env={**early, **QUICK_OFF}).seen
    assert refused.code == 1 and "2026-11-20 晚于今天（2026-11-10）" in refused.err
    assert not refused.quick
    assert (head(root), (root / "ledgers" / "chengdong.yaml").read_bytes()) == (before, raw)
    # on a day after every date in the file the same verdict is used
    done = program(root, *close, env=late)
    assert done.code == 0 and done.quick, done.err
    assert "chengdong/1 已销号（2026-11-05）" in done.out


def test_an_edited_config_starts_a_new_verdict_folder(chengdong: Run, workspace: Path) -> None:
    """After zhengdun.yaml changes (committed), the first recording reads the ledger with the
    models again (no verdict under the new config); the next ones are quick."""
    root = workspace
    assert program(root, "check").code == 0
    first = verdict_folders(root)
    assert len(first) == 1
    config = root / "zhengdun.yaml"
    config.write_text(config.read_text("utf-8").replace(
        "categories:\n", 'categories:\n  "11": 村霸干扰\n', 1), encoding="utf-8")
    git(root, "commit", "-q", "-am", "增加本地类型")
    step = program(root, "step", "chengdong/1", "召开居民议事会", "--on", "2026-04-02")
    assert step.code == 0 and not step.quick, step.err
    assert len(verdict_folders(root)) == 2 and first < verdict_folders(root)
    again = program(root, "step", "chengdong/1", "确定改造方案", "--on", "2026-04-09")
    assert again.code == 0 and again.quick, again.err
    local = program(root, "add", "chengdong", "村霸干扰换届", "--category", "11", "--due",
                    "2026-12-31", "--owner", "王五")
    assert local.code == 0 and local.quick, local.err
    assert local.out.startswith("已登记问题 chengdong/2（提交 ")
    assert program(root, "check").code == 0


#: Recordings and reports, for the cache-deleted comparison.
MIXED: list[tuple[str, ...]] = [
    ("check",),
    ("step", "chengdong/1", "召开居民议事会，确定改造方案", "--on", "2026-04-02"),
    ("list", "--json"),
    ("list", "--json"),
    ("bulletin", "--month", "2026-06"),
    ("close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-06-20"),
    ("add", "chengdong", "楼道照明损坏", "--category", "10", "--due", "2026-12-31",
     "--owner", "李四", "--json"),
]


def test_deleting_the_cache_never_changes_a_result(chengdong: Run, workspace: Path,
                                                   tmp_path: Path) -> None:
    """The same commands with .git/zhengdun-cache deleted before each: the same everything."""
    kept, wiped = twin(workspace, tmp_path, "kept"), twin(workspace, tmp_path, "wiped")
    answers: list[tuple[Answer, Answer]] = []
    for args in MIXED:
        shutil.rmtree(cache_dir(wiped), ignore_errors=True)
        one = program(kept, *args, env=COMMIT_DATES)
        other = program(wiped, *args, env=COMMIT_DATES)
        assert one.seen == other.seen, args
        assert one.code == 0, (args, one.err)
        answers.append((one, other))
    assert head(kept) == head(wiped)
    assert files_of(kept) == files_of(wiped)
    # both ways were really taken: with the cache, the recordings used their verdicts and the
    # repeated list was answered from the stored result; without it, neither could be
    for (one, other), args in zip(answers, MIXED, strict=True):
        if args[0] in ("step", "close", "add"):
            assert one.quick and not other.quick, args
    assert answers[3][0].quick and not answers[3][1].quick


# --------------------------------------------------------------------------- 5. result cache

REPORTS: list[tuple[str, ...]] = [
    ("bulletin", "--month", "2026-10"),
    ("bulletin", "--month", "2026-10", "--json"),
    ("board", "--format", "md"),
    ("board", "--format", "csv"),
    ("board", "--format", "json"),
    ("list", "--overdue", "--json"),
    ("list", "--json"),
    ("check",),
    ("check", "--json"),
    ("show", "chengdong", "--json"),
    ("list", "--org", "chengdong", "--json"),
    ("log", "chengdong/1"),
    ("bulletin", "--quarter", "2026Q3"),
    ("bulletin", "--month", "2026-10", "--township", "柳林乡"),
    ("board", "--township", "柳林乡", "--leader", "孙明辉", "--format", "md"),
    ("list", "--leader", "孙明辉", "--json"),
    ("report", "stats"),
    ("report", "leader", "孙明辉", "--json"),
    ("report", "ledger", "--org", "chengdong"),
]


def result_files(root: Path) -> list[Path]:
    return sorted(p for p in (cache_dir(root) / "results").rglob("*") if p.is_file())


def uncached(root: Path, args: tuple[str, ...], **env: str) -> Answer:
    return program(root, *args, env={**CACHE_OFF, **env})


def test_the_result_cache_on_the_demo_county(demo_copy: Path) -> None:
    """Cached reports equal uncached ones every way, also written to a file, and never go stale
    (one demo county for the three parts below, which run in this order)."""
    _answers_are_the_same_every_way(demo_copy)
    _files_written_are_the_same_every_way(demo_copy)
    _answers_are_never_stale(demo_copy)


def _answers_are_the_same_every_way(root: Path) -> None:
    """No cache == cold == warm == the full CLI, byte for byte, exit code included."""
    shutil.rmtree(cache_dir(root), ignore_errors=True)
    # check keeps answers from its second run on: the first learns which evidence files the
    # ledgers name (part of the key), and nothing is kept that it could not check before
    first = program(root, "check")
    assert first.code == 0 and not result_files(root)
    for args in REPORTS:
        without = uncached(root, args)
        stored = len(result_files(root))
        cold = program(root, *args)
        warm = program(root, *args)
        full = program(root, *args, env=QUICK_OFF)
        assert without.code == 0 and without.out, (args, without.err)
        assert without.seen == cold.seen == warm.seen == full.seen, args
        assert "zhengdun.cli" in full.modules and "zhengdun.cli" not in cold.modules
        assert len(result_files(root)) == stored + 1, args  # the cold run stored its answer
        assert warm.quick, (args, sorted(warm.modules & FULL_PATH_MODULES))  # and warm used it


def _files_written_are_the_same_every_way(root: Path) -> None:
    """-o: the file holds the uncached stdout, and the "已生成…" line is the same every way."""
    shutil.rmtree(cache_dir(root), ignore_errors=True)
    for args, name, what in [(("bulletin", "--month", "2026-10"), "通报.md", "月度通报"),
                             (("board", "--format", "csv"), "挂图.csv", "挂图作战表")]:
        shown = uncached(root, args)
        assert shown.code == 0 and shown.out
        target = root / name
        for env in (CACHE_OFF, {}, {}, QUICK_OFF):  # no cache, cold, warm, full CLI
            target.unlink(missing_ok=True)
            written = program(root, *args, "-o", name, env=env)
            assert written.seen == (0, "", f"已生成{what}：{name}\n"), (args, env)
            assert target.read_bytes().decode("utf-8") == shown.out  # (csv lines end in CRLF)
        target.unlink()


def _answers_are_never_stale(root: Path) -> None:
    """A changed ledger, template, day or evidence file, or a corrupt entry: the uncached answer."""
    watched = [("bulletin", "--month", "2026-11"), ("board", "--format", "md"),
               ("list", "--json"), ("list", "--overdue", "--json"), ("check",), ("check", "--json")]
    before = {args: program(root, *args) for args in watched}  # now in the cache
    assert all(a.code == 0 for a in before.values())

    # a ledger changes: a step (with a new evidence file) on the first open problem
    first_open = json.loads(program(root, "list", "--open", "--json").out)["problems"][0]
    slug = first_open["ref"].split("/")[0]
    single = {args: program(root, *args)  # kept in the cache before the ledger changes
              for args in [("show", slug, "--json"), ("list", "--org", slug, "--json"),
                           ("log", first_open["ref"])]}
    photo = root / "evidence" / "推进会照片.jpg"
    photo.write_bytes(b"\xff\xd8\xff photo")
    done = program(root, "step", first_open["ref"], "召开专题推进会", "--evidence",
                   "evidence/推进会照片.jpg", env=COMMIT_DATES)
    assert done.code == 0, done.err
    after = {args: program(root, *args) for args in watched}
    for args in watched:
        assert after[args].seen == uncached(root, args).seen, args
    for changed in [("board", "--format", "md"), ("list", "--json")]:
        assert after[changed].out != before[changed].out, changed
    # the single-ledger answers (show, list --org, log) follow that one ledger and HEAD
    for args, earlier in single.items():
        answer = program(root, *args)
        assert answer.seen == uncached(root, args).seen, args
        assert answer.out != earlier.out, args

    # check also answers for what is not in the ledger text: an evidence file, a stray *.yml
    check = ("check",)
    photo.unlink()
    missing = program(root, *check)
    assert missing.seen == uncached(root, check).seen
    assert missing.code == 1 and "推进会照片.jpg" in missing.out
    photo.write_bytes(b"\xff\xd8\xff photo")
    assert program(root, *check).seen == after[check].seen
    (root / "ledgers" / "草稿.yml").write_text("name: 草稿\n", encoding="utf-8")
    stray = program(root, *check)
    assert stray.seen == uncached(root, check).seen and "草稿.yml" in stray.out
    (root / "ledgers" / "草稿.yml").unlink()

    # a workspace template overrides the shipped one
    bulletin = ("bulletin", "--month", "2026-10")
    old = program(root, *bulletin)
    shipped = (shipped_templates() / "bulletin.md.j2").read_text("utf-8")
    assert "一月一通报" in shipped and "一月一通报" in old.out
    (root / "templates" / "bulletin.md.j2").write_text(
        shipped.replace("一月一通报", "一月一通告"), encoding="utf-8")
    new = program(root, *bulletin)
    assert new.seen == uncached(root, bulletin).seen
    assert "一月一通告" in new.out and "一月一通报" not in new.out
    (root / "templates" / "bulletin.md.j2").unlink()
    assert program(root, *bulletin).seen == old.seen

    # another day
    overdue = ("list", "--overdue", "--json")
    later = {"ZHENGDUN_TODAY": "2026-12-31"}
    moved = program(root, *overdue, env=later)
    assert moved.seen == uncached(root, overdue, **later).seen
    assert moved.out != after[overdue].out

    # every stored result overwritten with garbage
    entries = result_files(root)
    assert len(entries) >= len(watched)
    for entry in entries:
        entry.write_bytes(b"\x00garbage\xff" * 3)
    # (the inputs are back as they were when ``after`` and ``old`` were answered)
    for args, answer in [*after.items(), (bulletin, old)]:
        assert program(root, *args).seen == answer.seen, args


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_cache_changes_no_answer(chengdong: Run, workspace: Path) -> None:
    """With .git/zhengdun-cache read-only, reports, check and a recording answer correctly."""
    root = workspace
    reports = [("bulletin", "--month", "2026-06"), ("board", "--format", "md"),
               ("list", "--json"), ("check",)]
    for args in reports:
        program(root, *args)  # entries in the folders
    folders = [cache_dir(root), *sorted(p for p in cache_dir(root).rglob("*") if p.is_dir())]
    for folder in folders:
        folder.chmod(0o500)
    try:
        for args in [*reports, ("bulletin", "--month", "2026-07")]:
            assert program(root, *args).seen == uncached(root, args).seen, args
        done = program(root, "step", "chengdong/1", "召开居民议事会", "--on", "2026-04-02")
        assert done.code == 0, done.err
        assert git(root, "status", "--porcelain") == ""
        assert program(root, "list", "--json").seen == uncached(root, ("list", "--json")).seen
    finally:
        for folder in folders:
            folder.chmod(0o700)


# --------------------------------------------------------------------------- regressions


def test_an_option_not_given_and_the_text_none_are_different_keys(chengdong: Run,
                                                                  workspace: Path) -> None:
    """``list --json`` answered first must not answer ``list --org None --json``."""
    for plain, args in ((("list", "--json"), ("list", "--org", "None", "--json")),
                        (("board", "--format", "md"), ("board", "--format", "md", "--as-of", "None")),
                        (("bulletin", "--month", "2026-06"),
                         ("bulletin", "--month", "2026-06", "--number", "None"))):
        assert program(workspace, *plain).code == 0  # the option left out: answer kept
        assert program(workspace, *args).seen == uncached(workspace, args).seen, args


def test_a_template_outside_the_workspace_is_never_taken_from_the_cache(
        chengdong: Run, workspace: Path, tmp_path: Path) -> None:
    shipped = (Path(__file__).resolve().parents[1] / "templates" / "bulletin.md.j2")
    mine = tmp_path / "我的模板.md.j2"
    mine.write_text(shipped.read_text("utf-8").replace("工作进展情况", "工作进展情况（一）"), "utf-8")
    args = ("bulletin", "--month", "2026-06", "--template", str(tmp_path / "我的模板"))
    first = program(workspace, *args)
    assert first.code == 0 and "工作进展情况（一）" in first.out
    mine.write_text(shipped.read_text("utf-8").replace("工作进展情况", "工作进展情况（二）"), "utf-8")
    again = program(workspace, *args)
    assert "工作进展情况（二）" in again.out and again.seen == uncached(workspace, args).seen


def test_add_beside_an_acceptance(chengdong: Run, workspace: Path, tmp_path: Path) -> None:
    """A 基本合格 acceptance leaves add quick; a 合格 one dated after the problem is found
    makes the new open problem break the rules: refused exactly as by the full path."""
    assert chengdong("accept", "chengdong", "--grade", "基本合格", "--by", "县委组织部",
                     "--on", "2026-07-01").exit_code == 0  # type: ignore[attr-defined]
    new = ("add", "chengdong", "党员活动室漏雨", "--category", "9", "--found", "2026-06-10",
           "--due", "2026-12-31", "--owner", "李四")
    quick_way, full_way = twin(workspace, tmp_path, "quick"), twin(workspace, tmp_path, "full")
    one = program(quick_way, *new, env=COMMIT_DATES)
    other = program(full_way, *new, env={**COMMIT_DATES, **QUICK_OFF})
    assert one.code == 0 and one.quick and one.seen == other.seen
    assert head(quick_way) == head(full_way)

    ledger = workspace / "ledgers" / "chengdong.yaml"
    text = ledger.read_text("utf-8").replace("grade: 基本合格", "grade: 合格")
    ledger.write_text(text, "utf-8")
    git(workspace, "commit", "-qam", "验收等次更正")
    # chengdong/1 is open on 2026-07-01 too: check names that, so no verdict and no quick path;
    # close it first (by hand in the file, committed) so the file is valid again.
    assert chengdong("close", "chengdong/1", "--result", "已整改", "--on",
                     "2026-06-30").exit_code == 0  # type: ignore[attr-defined]
    assert chengdong("check").exit_code == 0  # type: ignore[attr-defined]
    before = head(workspace)
    refused = program(workspace, *new, env=COMMIT_DATES)
    assert refused.code == 1 and "验收为合格，但当日仍有问题未销号" in refused.err
    assert refused.seen == program(workspace, *new, env={**COMMIT_DATES, **QUICK_OFF}).seen
    assert head(workspace) == before
    later = ("add", "chengdong", "验收后发现的新问题", "--category", "9", "--found", "2026-07-02",
             "--due", "2026-12-31", "--owner", "李四")
    after = program(workspace, *later, env=COMMIT_DATES)
    assert after.code == 0 and after.quick, after.err


def test_a_cache_that_cannot_be_written_changes_no_answer(chengdong: Run, workspace: Path) -> None:
    """``.git/zhengdun-cache`` is a file, not a folder (no entry can be read or written, even by
    root): every answer is the uncached one and recording still works."""
    root = workspace
    shutil.rmtree(cache_dir(root))
    cache_dir(root).write_text("not a folder", encoding="utf-8")
    for args in [("bulletin", "--month", "2026-06"), ("board", "--format", "csv"),
                 ("list", "--json"), ("check",), ("check", "--json"), ("log", "chengdong/1")]:
        assert program(root, *args).seen == uncached(root, args).seen, args
    done = program(root, "step", "chengdong/1", "召开居民议事会", "--on", "2026-04-02")
    assert done.code == 0, done.err
    assert git(root, "status", "--porcelain") == ""
    assert cache_dir(root).read_text(encoding="utf-8") == "not a folder"


def test_the_rules_quick_mirrors_have_not_changed_unseen() -> None:
    """quick's close/step/add check a new record against the rules of the models (the fields
    of Step, Closure, Problem, Ledger and the rules of ``ledger_findings``), written out again
    for plain data. When those change, this fails: review ``_close``, ``_step`` and ``_add`` in
    src/zhengdun/quick.py (anything they do not know must make them decline, so the full path
    decides), then put the new fingerprint here. (Issue 11: extensions, measures as mappings, notices,
    service dates and acceptance rules touch no record quick makes. Schema v2: a problem's round
    must be designated, which _add meets by writing the current round; 合格 counts only the
    problems of its own round, where _add still declines on any 合格 since the problem was found.
    Rules once: ledger_findings words its date rules through zhengdun.rules, same findings.)"""
    import hashlib
    import inspect

    from zhengdun import model

    mirrored = (model.ledger_findings, model.Step, model.Closure, model.Reopening,
                model.Problem, model.Ledger, model.Record, model.parse_day)
    source = "".join(inspect.getsource(item) for item in mirrored)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == "e74845dc4ba0328b"


# --------------------------------------------------------------------------- found in review


def test_a_refused_quick_command_leaves_the_index_alone(chengdong: Run, workspace: Path,
                                                        tmp_path: Path) -> None:
    """A change staged by hand, the file itself back as committed: a refused step (a date in
    the future) must not touch git's index, as the full path does not."""
    assert program(workspace, "check").code == 0
    ledger = workspace / "ledgers" / "chengdong.yaml"
    original = ledger.read_bytes()
    ledger.write_bytes(original + b"# staged note\n")
    git(workspace, "add", "ledgers/chengdong.yaml")
    ledger.write_bytes(original)
    one, other = twin(workspace, tmp_path, "quick"), twin(workspace, tmp_path, "full")
    args = ("step", "chengdong/1", "召开会议", "--on", "2099-01-01")
    assert program(one, *args).seen == program(other, *args, env=QUICK_OFF).seen
    for root in (one, other):
        assert git(root, "diff", "--cached", "--name-only") == "ledgers/chengdong.yaml\n"


def test_without_git_the_quick_path_says_what_the_full_path_says(chengdong: Run,
                                                                 workspace: Path) -> None:
    shutil.rmtree(workspace / ".git")
    for args in (("step", "chengdong/1", "召开会议", "--on", "2099-01-01"),
                 ("step", "chengdong/1", "召开会议")):
        assert program(workspace, *args).seen == program(workspace, *args, env=QUICK_OFF).seen


def test_a_linked_ledgers_folder_is_never_answered_from_the_cache(chengdong: Run,
                                                                  workspace: Path) -> None:
    for args in (("show", "chengdong", "--json"), ("list", "--org", "chengdong", "--json")):
        assert program(workspace, *args).code == 0  # kept in the cache
    (workspace / "ledgers").rename(workspace.parent / "台账文件")
    (workspace / "ledgers").symlink_to(workspace.parent / "台账文件")
    for args in (("show", "chengdong", "--json"), ("list", "--org", "chengdong", "--json"),
                 ("list", "--json")):
        answer = program(workspace, *args)
        assert answer.seen == uncached(workspace, args).seen, args
        assert answer.code == 1, args


def test_a_linked_template_folder_is_never_answered_from_the_cache(
        chengdong: Run, workspace: Path, tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[1] / "templates" / "bulletin.md.j2"
    outside = tmp_path / "公共模板"
    outside.mkdir()
    (outside / "落款.j2").write_text("（一）\n", encoding="utf-8")
    (workspace / "templates" / "common").symlink_to(outside)
    (workspace / "templates" / "bulletin.md.j2").write_text(
        shipped.read_text("utf-8") + '{% include "common/落款.j2" %}', encoding="utf-8")
    args = ("bulletin", "--month", "2026-06")
    assert program(workspace, *args).out.endswith("（一）\n")
    (outside / "落款.j2").write_text("（二）\n", encoding="utf-8")
    again = program(workspace, *args)
    assert again.out.endswith("（二）\n") and again.seen == uncached(workspace, args).seen


def test_the_timezone_of_the_key_is_read_by_the_yaml_parser(chengdong: Run,
                                                            workspace: Path) -> None:
    """A line starting with ``timezone:`` inside a quoted text is not the timezone."""
    config = workspace / "zhengdun.yaml"
    text = config.read_text("utf-8")
    config.write_text(text + 'next_steps: "一是加快整改，\n  二是\ntimezone: Pacific/Kiritimati"\n',
                      encoding="utf-8")
    git(workspace, "commit", "-qam", "下步要求")
    assert program(workspace, "check").code == 0
    for _ in range(2):
        assert program(workspace, "bulletin", "--month", "2026-06").code == 0
    zones = {p.read_text("utf-8") for p in cache_dir(workspace).glob("zone-*")}
    assert zones == {"Asia/Shanghai"}


def test_a_bug_on_the_fast_path_is_raised_under_the_strict_switch(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What the full CLI explains declines; anything else is raised where the tests run
    (``ZHENGDUN_QUICK_STRICT=1``, set for every test), and only declined for the clerk."""
    from zhengdun.errors import UserError

    for expected in (UserError("x"), OSError(2, "gone"), UnicodeDecodeError("utf-8", b"\xff", 0,
                     1, "bad"), ValueError("bad date"), quick.Decline()):
        assert isinstance(quick._declined(expected), quick.Decline)
    monkeypatch.setenv(quick.STRICT_ENV, "1")
    with pytest.raises(TypeError):
        quick._declined(TypeError("a bug"))
    with pytest.raises(KeyError):
        quick._expected(KeyError("a bug"))
    monkeypatch.delenv(quick.STRICT_ENV)
    assert isinstance(quick._declined(TypeError("a bug")), quick.Decline)
