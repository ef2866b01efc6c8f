"""The zhengdun benchmark: every operation timed as a whole process against a measured floor.

    python bench/run.py                 # S and L (L takes a while to build the first time)
    python bench/run.py --quick         # S only, a few minutes at most
    python bench/run.py --sizes L --runs 7 --output /tmp/RESULTS.md

Each operation runs as its own process (``subprocess.Popen`` + ``os.wait4``: wall time and
peak RSS), one warm-up and then ``--runs`` times; its floor — the least any tool doing the
same job on this machine must spend — runs beside it, interleaved run by run, so drift hits
both alike. The table gives medians, the ratio median / floor median, the peak memory and
whether the issue's target is met. Missed targets do not change the exit code: this is a
measurement; the summary line says how many were met.

Workspaces come from ``bench/generate.py`` and are cached under ``bench/.cache/``; each
operation starts from the workspace's base commit (``git reset --hard`` + ``git clean``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # bench/ is not a package: imported from its folder

REPO = generate.REPO
DEFAULT_OUTPUT = REPO / "bench" / "RESULTS.md"
TODAY = generate.TODAY.isoformat()
MONTH = "2026-10"
DIFF_FROM, DIFF_TO = "2026-09-30", "2026-10-31"
ON = TODAY  # the day close/step record (today, after every generated date)


def venv_bin() -> Path:
    """The folder of the venv's ``python`` and ``zhengdun``."""
    for candidate in (REPO / ".venv" / "bin", Path(sys.executable).parent):
        if (candidate / "zhengdun").exists():
            return candidate
    raise SystemExit("zhengdun is not installed: run make install (or pip install -e .)")


BIN = venv_bin()
PYTHON = str(BIN / "python")
ZHENGDUN = str(BIN / "zhengdun")


#: Bytecode of every timed Python process. A clerk's installed zhengdun runs from .pyc files;
#: with PYTHONDONTWRITEBYTECODE set (as in some sandboxes) an editable install would instead
#: compile its sources on every start (~50 ms), so the benchmark keeps bytecode here.
PYCACHE = REPO / "bench" / ".cache" / "pycache"


def bench_env() -> dict[str, str]:
    """The environment every timed process runs in: pinned day, identity and git config."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIT_", "ZHENGDUN_")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update({
        "PYTHONPYCACHEPREFIX": str(PYCACHE),
        "ZHENGDUN_TODAY": TODAY,
        "GIT_AUTHOR_NAME": "基准测试", "GIT_AUTHOR_EMAIL": "bench@example.gov.cn",
        "GIT_COMMITTER_NAME": "基准测试", "GIT_COMMITTER_EMAIL": "bench@example.gov.cn",
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
    })
    return env


ENV = bench_env()


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Sample:
    """One process: wall milliseconds, peak RSS in KB, exit code and the start of stderr."""

    ms: float
    rss_kb: int
    code: int
    error: str = ""


class Spawner:
    """The lean process (``bench/spawn.py``) that starts and times every measured command.

    Started from here, a command's ``ru_maxrss`` would include this process's own memory (see
    spawn.py); started from a process holding only the standard library, it is the command's.
    """

    def __init__(self, scratch: Path) -> None:
        self.stderr = scratch / "stderr.txt"
        self.proc = subprocess.Popen([PYTHON, "-I", "-S", str(Path(__file__).with_name("spawn.py"))],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=ENV,
                                     text=True, encoding="utf-8")

    def measure(self, argv: Sequence[str], cwd: Path) -> Sample:
        """Run one process to its end: wall time around Popen…wait4, ``ru_maxrss`` from wait4."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"argv": list(argv), "cwd": str(cwd),
                                          "stderr": str(self.stderr)}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("bench/spawn.py stopped")
        answer = json.loads(line)
        error = answer.get("error", "")
        if answer["code"] != 0 and not error:  # the end of a traceback says what it was
            error = self.stderr.read_text(encoding="utf-8", errors="replace")[-2000:].strip()
        return Sample(answer["ms"], answer["rss_kb"], answer["code"], error)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait()


SPAWNER: Spawner | None = None


def measure(argv: Sequence[str], cwd: Path) -> Sample:
    """One process, timed by the spawner (started by :func:`main`)."""
    assert SPAWNER is not None, "the spawner is started by main()"
    return SPAWNER.measure(argv, cwd)


def measure_all(argvs: Sequence[Sequence[str]], cwd: Path) -> Sample:
    """Several processes one after the other: times summed, the highest peak, first failure."""
    samples = [measure(argv, cwd) for argv in argvs]
    failed = next((s for s in samples if s.code != 0), None)
    return Sample(sum(s.ms for s in samples), max(s.rss_kb for s in samples),
                  failed.code if failed else 0, failed.error if failed else "")


@dataclass(frozen=True)
class Target:
    """The issue's target: a ratio to the floor, an absolute median, a peak memory."""

    ratio: float | None = None
    ms: float | None = None
    mb: float | None = None
    assumed: bool = False

    @property
    def informative(self) -> bool:
        """No target: the row is shown for what it tells, not counted."""
        return self.ratio is None and self.ms is None and self.mb is None

    def text(self) -> str:
        if self.informative:
            return "—"
        parts = []
        if self.ratio is not None:
            parts.append(f"≤ {self.ratio:g}×")
        if self.ms is not None:
            parts.append(f"≤ {self.ms / 1000:g} s" if self.ms >= 1000 else f"≤ {self.ms:g} ms")
        if self.mb is not None:
            parts.append(f"≤ {self.mb / 1024:g} GiB" if self.mb >= 1024 else f"≤ {self.mb:g} MB")
        return " · ".join(parts) + (" ¹" if self.assumed else "")

    def met(self, median: float, floor: float | None, peak_mb: float) -> bool:
        if self.ratio is not None and (floor is None or median > self.ratio * floor):
            return False
        if self.ms is not None and median > self.ms:
            return False
        return not (self.mb is not None and peak_mb > self.mb)


@dataclass
class Trial:
    """One run of an operation and its floor, with what must happen before each."""

    op: list[list[str]]
    floor: list[list[str]]
    before_op: Callable[[], None] | None = None
    before_floor: Callable[[], None] | None = None


@dataclass
class Bench:
    """An operation to time: its label, workspace size and target, and its runs."""

    label: str
    size: str
    target: Target
    trial: Callable[[int], Trial]  # run index (0 = warm-up) -> what to run
    has_floor: bool = True
    note: str = ""


@dataclass
class Row:
    """One line of the results table."""

    label: str
    size: str
    median: float
    floor: float | None
    peak_mb: float
    target: Target
    met: bool
    runs: int
    error: str = ""
    note: str = ""
    samples: list[float] = field(default_factory=list)
    floor_samples: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        return self.median / self.floor if self.floor else None


def run_bench(bench: Bench, cwd: Path, runs: int, log: Callable[[str], None]) -> Row:
    """Warm-up, then ``runs`` runs, operation and floor interleaved."""
    op: list[Sample] = []
    floor: list[Sample] = []
    error = ""
    for i in range(runs + 1):
        trial = bench.trial(i)
        if trial.before_op:
            trial.before_op()
        sample = measure_all(trial.op, cwd)
        if sample.code != 0 and not error:
            last = sample.error.splitlines()[-1] if sample.error else ""
            error = f"exit {sample.code} in run {i} of {runs} (0 = warm-up): {last}"
        if i:
            op.append(sample)
        if bench.has_floor:
            if trial.before_floor:
                trial.before_floor()
            base = measure_all(trial.floor, cwd)
            if base.code != 0 and not error:
                last = base.error.splitlines()[-1] if base.error else ""
                error = f"floor exit {base.code} in run {i}: {last}"
            if i:
                floor.append(base)
    median = statistics.median(s.ms for s in op)
    floor_median = statistics.median(s.ms for s in floor) if floor else None
    peak = max(s.rss_kb for s in op) / 1024
    met = not error and bench.target.met(median, floor_median, peak)
    row = Row(bench.label, bench.size, median, floor_median, peak, bench.target, met, runs,
              error, bench.note, [s.ms for s in op], [s.ms for s in floor])
    ratio = f" = {row.ratio:.2f}× floor {floor_median:.0f} ms" if floor_median else ""
    verdict = "" if bench.target.informative and not error else (" ✅" if met else " ❌")
    log(f"  {bench.label} [{bench.size}]: {median:.0f} ms{ratio}, peak {peak:.0f} MB"
        f"{verdict}{' ' + error if error else ''}")
    return row


# --------------------------------------------------------------------------- operations


class Context:
    """A cached workspace ready for benchmarking, and the floor scripts beside it."""

    def __init__(self, cached: generate.Cached, size: str, scripts: Path) -> None:
        self.cached = cached
        self.root = cached.root
        self.size = size
        self.scripts = scripts
        self.manifest = cached.manifest

    def reset(self) -> None:
        generate.reset(self.cached)

    def git(self, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=self.root, env=ENV, check=True,
                              capture_output=True, text=True).stdout

    def drop_cache(self) -> None:
        shutil.rmtree(self.root / ".git" / "zhengdun-cache", ignore_errors=True)

    def check(self, log: Callable[[str], None]) -> None:
        """Run ``zhengdun check`` once, untimed, as a clerk does after taking over a ledger,
        and ``zhengdun maintain`` when check suggests it."""
        started = time.perf_counter()
        result = subprocess.run([ZHENGDUN, "check"], cwd=self.root, env=ENV, check=False,
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"zhengdun check failed on the {self.size} workspace:\n"
                             f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
        log(f"  (zhengdun check, untimed: {time.perf_counter() - started:.1f} s)")
        if "zhengdun maintain" in result.stdout:  # check's hint, followed as a clerk would
            started = time.perf_counter()
            subprocess.run([ZHENGDUN, "maintain"], cwd=self.root, env=ENV, check=True,
                           capture_output=True)
            log(f"  (zhengdun maintain, as check suggests; untimed: "
                f"{time.perf_counter() - started:.1f} s)")

    def refs(self, count: int) -> list[dict[str, str]]:
        """``count`` different open problems, spread over as many organizations as possible."""
        by_slug: dict[str, list[dict[str, str]]] = {}
        for problem in self.manifest["open_problems"]:
            by_slug.setdefault(problem["slug"], []).append(problem)
        slugs = sorted(by_slug)
        random.Random(7).shuffle(slugs)
        out: list[dict[str, str]] = []
        depth = 0
        while len(out) < count:
            added = False
            for slug in slugs:
                if depth < len(by_slug[slug]) and len(out) < count:
                    out.append(by_slug[slug][depth])
                    added = True
            if not added:
                raise SystemExit(f"only {len(out)} open problems in the {self.size} workspace")
            depth += 1
        return out

    def append_comment(self, rel: str) -> Callable[[], None]:
        def append() -> None:
            with (self.root / rel).open("a", encoding="utf-8") as handle:
                handle.write("# 基准测试\n")
        return append


def _script(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


PARSE_ALL = """\
import glob
import yaml
for path in sorted(glob.glob("ledgers/*.yaml")):
    with open(path, "rb") as handle:
        yaml.load(handle, Loader=yaml.CSafeLoader)
"""

PARSE_ONE = """\
import sys
import yaml
with open(sys.argv[1], "rb") as handle:
    yaml.load(handle, Loader=yaml.CSafeLoader)
"""

PARSE_OBJECTS = """\
import subprocess
import sys
import yaml
with open(sys.argv[1], encoding="utf-8") as handle:
    names = handle.read().split()
data = subprocess.run(["git", "cat-file", "--batch"], input=("\\n".join(names) + "\\n").encode(),
                      capture_output=True, check=True).stdout if names else b""
pos = 0
for _ in names:
    end = data.index(b"\\n", pos)
    size = int(data[pos:end].split()[2])
    yaml.load(data[end + 1:end + 1 + size], Loader=yaml.CSafeLoader)
    pos = end + 1 + size + 1
"""

PARSE_BOTH = """\
import sys
import yaml
for path in sys.argv[1:]:
    with open(path, "rb") as handle:
        yaml.load(handle, Loader=yaml.CSafeLoader)
"""

MINIMAL_TYPER = """\
import typer

app = typer.Typer()


@app.command()
def hello(name: str = typer.Option("world", help="Who to greet.")) -> None:
    \"\"\"Say hello.\"\"\"
    print(f"hello {name}")


if __name__ == "__main__":
    app()
"""

S_WRITE = Target(ratio=1.5, ms=250)
L_WRITE = Target(ratio=1.5, ms=350)
COLD = Target(ratio=1.5)
WARM = Target(ratio=0.3, ms=500)
COLD_ASSUMED = Target(ratio=1.5, assumed=True)
WARM_ASSUMED = Target(ratio=0.3, ms=500, assumed=True)
BULLETIN_L = Target(ms=5000, mb=1024)
DOCX_S = Target(ms=2000)  # issue 12: bulletin --format docx at S, warm
DIFF = Target(ratio=1.5)
LOG = Target(ratio=2.0)
SHOW = Target()  # no target in the issue: shown for what it tells
INFO = Target()
HELP = Target(ratio=1.2)
RECORD = Target(ratio=3.0)  # one-path issue: ≤ 3 × (python -c pass + git commit)
MERGE = Target(ratio=2.0)  # issue 13: the merge driver ≤ 2 × parsing both versions
TABLE = Target(ratio=1.3)  # one-path issue: a screen table ≤ 1.3 × its --json, warm
LOOK_S = Target(ms=300)  # one-path issue: a look right after one record, S
LOOK_L = Target(ms=3000)  # and at L
EXPORT_S = Target(ms=3000)  # issue 12: export at S ≤ 3 s
EXPORT_L = Target(ms=60000, mb=1024)  # issue 12: export at L ≤ 60 s and 1 GiB
IMPORT = Target(ms=10000)  # issue 12: import of a 3,000-row workbook ≤ 10 s
SYNC = Target(ratio=1.5)  # issue 13: sync with nothing to do ≤ 1.5 × git fetch + git push


def write_benches(ctx: Context, runs: int, target: Target) -> list[tuple[Bench, bool]]:
    """close / step / add, each on a different open problem (organization) every run."""
    picks = ctx.refs(runs + 1)
    commit_floor = [PYTHON, "-c", "import typer, pydantic"]

    def floor_of(rel: str) -> list[list[str]]:
        return [commit_floor, ["git", "commit", "-q", "-m", "x", "--", rel]]

    def close(i: int) -> Trial:
        p = picks[i]
        return Trial([[ZHENGDUN, "close", p["ref"], "--result", "整改到位，群众满意度测评通过",
                       "--on", ON]], floor_of(p["file"]),
                     before_floor=ctx.append_comment(p["file"]))

    def step(i: int) -> Trial:
        p = picks[i]
        return Trial([[ZHENGDUN, "step", p["ref"], "召开支委会研究整改措施，明确责任人和时限",
                       "--on", ON]], floor_of(p["file"]),
                     before_floor=ctx.append_comment(p["file"]))

    def add(i: int) -> Trial:
        p = picks[i]
        return Trial([[ZHENGDUN, "add", p["slug"], "村务公开栏内容长期未更新，群众反映看不到账目",
                       "--category", "7", "--due", "2026-12-31", "--owner", "王建国"]],
                     floor_of(p["file"]), before_floor=ctx.append_comment(p["file"]))

    note = (f"a different open problem of a different organization each run "
            f"(`{picks[1]['ref']}`, `{picks[2 % len(picks)]['ref']}`, …), on ledgers that "
            f"`zhengdun check` has passed (it leaves a verdict per ledger text; every record "
            f"leaves one for the text it writes)")
    benches = [(Bench("close", ctx.size, target, close, note=note), True),
               (Bench("step", ctx.size, target, step), True),
               (Bench("add", ctx.size, target, add), True)]
    bare = [PYTHON, "-c", "pass"]

    def against_bare(trial: Callable[[int], Trial]) -> Callable[[int], Trial]:
        def run(i: int) -> Trial:
            made = trial(i)
            return Trial(made.op, [bare, made.floor[1]], made.before_op, made.before_floor)

        return run

    for label, trial in (("close", close), ("step", step), ("add", add)):
        benches.append((Bench(f"{label} (vs python -c pass + git commit)", ctx.size, RECORD,
                              against_bare(trial),
                              note="the one-path issue's floor: `python -c pass` plus the same "
                                   "`git commit` of a one-line change to another file"
                              if label == "close" else ""), True))
    if ctx.size != "L":
        def first_close(i: int) -> Trial:
            trial = close(i)
            trial.before_op = ctx.drop_cache
            return trial

        benches.append((Bench("close, ledger never checked", ctx.size, INFO, first_close,
                              note="no verdicts (`.git/zhengdun-cache` deleted before each run):"
                                   " the first record on a ledger reads it with the models"),
                        True))
    return benches


READS: list[tuple[str, list[str]]] = [
    ("check", ["check"]),
    ("board --format json", ["board", "--format", "json"]),
    (f"bulletin --month {MONTH}", ["bulletin", "--month", MONTH]),
    ("list --overdue --json", ["list", "--overdue", "--json"]),
]


def read_benches(ctx: Context) -> list[tuple[Bench, bool]]:
    """check / board / bulletin / list --overdue over every ledger, cold then warm."""
    floor = [[PYTHON, _script(ctx.scripts, "parse_all.py", PARSE_ALL)]]
    out: list[tuple[Bench, bool]] = []
    for label, args in READS:
        assumed = label.startswith("list")

        def cold(i: int, args: list[str] = args) -> Trial:
            return Trial([[ZHENGDUN, *args]], floor, before_op=ctx.drop_cache)

        def warm(i: int, args: list[str] = args) -> Trial:
            return Trial([[ZHENGDUN, *args]], floor)

        out.append((Bench(f"{label} (cold)", ctx.size,
                          COLD_ASSUMED if assumed else COLD, cold), True))
        # Warm: the warm-up run leaves whatever cache zhengdun keeps; no reset in between.
        out.append((Bench(f"{label} (warm)", ctx.size,
                          WARM_ASSUMED if assumed else WARM, warm), False))
    return out


TABLES: list[tuple[str, list[str]]] = [
    ("board", ["board"]),
    ("list --overdue", ["list", "--overdue"]),
]


def table_benches(ctx: Context) -> list[tuple[Bench, bool]]:
    """``board`` and ``list --overdue`` as screen tables (piped: 200 columns), warm, against
    the same command with ``--json``, warm (the floor the one-path issue names)."""
    out: list[tuple[Bench, bool]] = []
    for label, args in TABLES:
        def warm(i: int, args: list[str] = args) -> Trial:
            return Trial([[ZHENGDUN, *args]], [[ZHENGDUN, *args, "--json"]])

        out.append((Bench(f"{label} as a table (warm)", ctx.size, TABLE, warm,
                          note="floor: the same command with `--json`, warm; the table is "
                               "drawn from that cached result" if label == "board" else ""),
                    False))
    return out


LOOKS: list[tuple[str, list[str]]] = [
    (f"bulletin --month {MONTH}", ["bulletin", "--month", MONTH]),
    ("board", ["board"]),
    ("list --overdue", ["list", "--overdue"]),
]


def look_benches(ctx: Context, runs: int) -> list[tuple[Bench, bool]]:
    """The clerk's real sequence: one ``step`` on one ledger (not timed), then a look. Every
    look before it has been answered once, so only what the step changed is new."""
    out: list[tuple[Bench, bool]] = []
    picks = ctx.refs(min(runs + 1, len(ctx.manifest["open_problems"])))
    for n, (label, args) in enumerate(LOOKS):
        def look(i: int, args: list[str] = args) -> Trial:
            ref = picks[i % len(picks)]["ref"]  # a step leaves its problem open

            def record() -> None:
                subprocess.run([ZHENGDUN, "step", ref, "召开支委会研究整改措施", "--on", ON],
                               cwd=ctx.root, env=ENV, check=True, capture_output=True)

            return Trial([[ZHENGDUN, *args]], [], before_op=record)

        out.append((Bench(f"{label} right after one step", ctx.size,
                          LOOK_S if ctx.size != "L" else LOOK_L, look, has_floor=False,
                          note="before each run, one `step` on a different ledger (not timed): "
                               "the look re-reads only that ledger" if n == 0 else ""), False))
    return out


def history_benches(ctx: Context) -> list[tuple[Bench, bool]]:
    """diff over October, log of one problem, show and list of one organization."""
    ctx.reset()
    out: list[tuple[Bench, bool]] = []
    c1 = ctx.git("rev-list", "-1", f"--before={DIFF_FROM}T23:59:59+08:00", "HEAD").strip()
    c2 = ctx.git("rev-list", "-1", f"--before={DIFF_TO}T23:59:59+08:00", "HEAD").strip()
    raw = ctx.git("diff-tree", "-r", "--no-abbrev", "--no-renames", c1, c2, "--", "ledgers")
    blobs = [b for line in raw.splitlines() if line.startswith(":")
             for b in line.split()[2:4] if set(b) != {"0"}]
    changed = sum(1 for line in raw.splitlines() if line.startswith(":"))
    blob_list = ctx.scripts / "diff-blobs.txt"
    blob_list.write_text("\n".join(blobs) + "\n", encoding="utf-8")
    parse_objects = _script(ctx.scripts, "parse_objects.py", PARSE_OBJECTS)
    diff_floor = [["git", "diff-tree", "-r", c1, c2, "--", "ledgers"],
                  [PYTHON, parse_objects, str(blob_list)]]
    out.append((Bench(f"diff {DIFF_FROM} {DIFF_TO}", ctx.size, DIFF,
                      lambda i: Trial([[ZHENGDUN, "diff", DIFF_FROM, DIFF_TO]], diff_floor),
                      note=f"{changed} ledger files changed between {c1[:8]} and {c2[:8]}; "
                           f"the floor parses their {len(blobs)} versions"), True))

    orgs = ctx.manifest["orgs"]
    busiest = max(orgs, key=lambda o: o["versions"])
    rel = f"ledgers/{busiest['slug']}.yaml"
    commits = ctx.git("log", "--format=%H", "--", rel).split()
    version_list = ctx.scripts / "log-versions.txt"
    version_list.write_text("".join(f"{c}:{rel}\n" for c in commits), encoding="utf-8")
    log_floor = [["git", "log", "--format=%H", "--", rel],
                 [PYTHON, parse_objects, str(version_list)]]
    target = f"{busiest['slug']}/1"
    out.append((Bench("log ORG/N", ctx.size, LOG,
                      lambda i: Trial([[ZHENGDUN, "log", target]], log_floor),
                      note=f"`log {target}`: {len(commits)} versions of {rel} among "
                           f"{ctx.manifest['size']['commits']} commits; after the warm-up "
                           f"the answer comes from the result cache (keyed by HEAD)"), True))
    out.append((Bench("log ORG/N (cold)", ctx.size, INFO,
                      lambda i: Trial([[ZHENGDUN, "log", target]], log_floor,
                                      before_op=ctx.drop_cache),
                      note="`.git/zhengdun-cache` deleted before each run"), False))

    middle = orgs[len(orgs) // 2]
    one = f"ledgers/{middle['slug']}.yaml"
    one_floor = [[PYTHON, _script(ctx.scripts, "parse_one.py", PARSE_ONE), one]]
    out.append((Bench("show ORG --json", ctx.size, SHOW,
                      lambda i: Trial([[ZHENGDUN, "show", middle["slug"], "--json"]],
                                      one_floor),
                      note=f"ORG = `{middle['slug']}` ({middle['name']}), "
                           f"{(ctx.root / one).stat().st_size / 1000:.1f} KB; after the warm-up "
                           f"`show`/`list --org` answer from the result cache (keyed by that "
                           f"ledger, the config and the day)"), True))
    out.append((Bench("list --org ORG --json", ctx.size, SHOW,
                      lambda i: Trial([[ZHENGDUN, "list", "--org", middle["slug"], "--json"]],
                                      one_floor)), False))
    return out


def bulletin_warm_bench(ctx: Context) -> list[tuple[Bench, bool]]:
    return [(Bench(f"bulletin --month {MONTH} (warm)", ctx.size, BULLETIN_L,
                   lambda i: Trial([[ZHENGDUN, "bulletin", "--month", MONTH]], []),
                   has_floor=False), True)]


def merge_benches(ctx: Context) -> list[tuple[Bench, bool]]:
    """The merge driver (issue 13) on one ledger of this size that two clerks changed: each
    added a visit, a step on one problem and a new problem under the same number."""
    from datetime import date

    from zhengdun import store

    pick = ctx.refs(1)[0]
    folder = ctx.scripts / "merge"
    folder.mkdir(exist_ok=True)
    doc = store.read(ctx.root / pick["file"])
    data = doc.parse().data
    problems, visits = data.get("problems") or [], data.get("visits") or []
    number = int(pick["ref"].rsplit("/", 1)[1])
    index = next(i for i, p in enumerate(problems) if p["id"] == number)

    today = date.fromisoformat(TODAY)  # after every generated date (and acceptance)

    def version(who: str) -> str:
        visit = {"on": today, "kind": "督查", "by": f"{who}督查组", "text": "督查整改进度"}
        step = {"on": today, "text": f"{who}召开支委会研究整改措施"}
        new = {"id": max(p["id"] for p in problems) + 1, "title": f"{who}发现村务公开不及时",
               "category": "7", "found_on": today, "due": date(2026, 12, 31),
               "owner": "王建国"}
        steps = problems[index].get("steps") or []
        edits: list[store.Edit] = [
            store.Append(("problems", index), "steps", step, [*steps, step]),
            store.Append((), "visits", visit, [*visits, visit]),
            store.Append((), "problems", new, [*problems, new])]
        return store.apply_edits(doc, edits, lambda _data: True)

    base, theirs = folder / "base.yaml", folder / "theirs.yaml"
    base.write_bytes(doc.raw)
    theirs.write_text(version("乙"), encoding="utf-8")
    mine = version("甲")
    merged = folder / "merged.yaml"

    def fresh() -> None:
        merged.write_text(mine, encoding="utf-8")

    def trial(i: int) -> Trial:
        return Trial([[ZHENGDUN, "merge-driver", str(base), str(merged), str(theirs),
                       pick["file"]]],
                     [[PYTHON, _script(ctx.scripts, "parse_both.py", PARSE_BOTH), str(merged),
                       str(theirs)]], before_op=fresh, before_floor=fresh)

    return [(Bench("merge-driver (vs parsing both)", ctx.size, MERGE, trial,
                   note=f"`{pick['file']}` changed on two sides (a visit, a step, a problem each: "
                        "one renumbered); the floor parses both versions with libyaml"), False)]


def bulletin_docx_bench(ctx: Context) -> list[tuple[Bench, bool]]:
    """The Word bulletin with its two charts (docxtpl and matplotlib start every run; the
    font list matplotlib keeps is built by the warm-up)."""
    target = str(ctx.scripts / "通报.docx")
    return [(Bench(f"bulletin --month {MONTH} --format docx (warm)", ctx.size, DOCX_S,
                   lambda i: Trial([[ZHENGDUN, "bulletin", "--month", MONTH, "--format", "docx",
                                     "-o", target]], []),
                   has_floor=False), False)]
def office_benches(ctx: Context) -> list[tuple[Bench, bool]]:
    """issue 12: ``export`` of the whole workspace; at S, ``import`` of that export (one row
    per problem: 150 × 20 = 3,000 rows) into a fresh workspace with the same catalog."""
    book = ctx.scripts / f"台账-{ctx.size}.xlsx"
    out: list[tuple[Bench, bool]] = [(Bench(
        "export -o 台账.xlsx", ctx.size, EXPORT_S if ctx.size == "S" else EXPORT_L,
        lambda i: Trial([[ZHENGDUN, "export", "-o", str(book)]], []), has_floor=False,
        note="five sheets with native charts, every problem of every organization"), True)]
    if ctx.size == "L":
        return out
    template = ctx.scripts / "import-template"
    fresh = ctx.scripts / "import-fresh"

    def prepare() -> None:
        if not book.is_file():
            subprocess.run([ZHENGDUN, "export", "-o", str(book)], cwd=ctx.root, env=ENV,
                           check=True, capture_output=True)
        if not template.is_dir():
            subprocess.run([ZHENGDUN, "init", str(template), "--county", "基准县", "--issuer",
                            "中共基准县委组织部"], env=ENV, check=True, capture_output=True)
            shutil.copy(ctx.root / "zhengdun.yaml", template / "zhengdun.yaml")
            subprocess.run([ZHENGDUN, "commit", "-m", "catalog"], cwd=template, env=ENV,
                           check=True, capture_output=True)
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.copytree(template, fresh, symlinks=True)

    out.append((Bench("import 台账.xlsx (3,000 rows)", ctx.size, IMPORT,
                      lambda i: Trial([[ZHENGDUN, "-C", str(fresh), "import", str(book)]], [],
                                      before_op=prepare), has_floor=False,
                      note="the S export into a fresh workspace: 150 organizations created, "
                           "3,000 problems, one commit"), False))
    return out


def help_benches(ctx: Context) -> list[tuple[Bench, bool]]:
    floor = [[PYTHON, _script(ctx.scripts, "minimal_typer.py", MINIMAL_TYPER), "--help"]]
    return [(Bench("--help", "—", HELP, lambda i: Trial([[ZHENGDUN, "--help"]], floor)), False),
            (Bench("--version", "—", HELP,
                   lambda i: Trial([[ZHENGDUN, "--version"]], floor)), False)]


def sync_benches(ctx: Context) -> list[tuple[Bench, bool]]:
    """``sync`` with nothing to do against a real ``git daemon`` on 127.0.0.1 serving a bare
    copy of the workspace (with the server hook), beside ``git fetch`` + ``git push`` of
    nothing against the same server. The daemon is stopped when the benchmark ends."""
    import atexit
    import signal
    import socket

    ctx.reset()
    base = ctx.scripts / "server"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir()
    subprocess.run(["git", "clone", "-q", "--bare", str(ctx.root), str(base / "ws.git")],
                   env=ENV, check=True)
    subprocess.run([ZHENGDUN, "server-hook", "--install", str(base / "ws.git")], env=ENV,
                   check=True, capture_output=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    daemon = subprocess.Popen(["git", "daemon", "--reuseaddr", "--enable=receive-pack",
                               "--export-all", f"--base-path={base}", "--listen=127.0.0.1",
                               f"--port={port}", str(base)], env=ENV, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    atexit.register(lambda: (os.killpg(daemon.pid, signal.SIGTERM), daemon.wait()))
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    branch = ctx.git("symbolic-ref", "--short", "HEAD").strip()
    subprocess.run(["git", "remote", "remove", "origin"], cwd=ctx.root, env=ENV,
                   capture_output=True, check=False)
    ctx.git("remote", "add", "origin", f"git://127.0.0.1:{port}/ws.git")
    ctx.git("fetch", "-q", "origin")
    ctx.git("branch", "-q", f"--set-upstream-to=origin/{branch}")
    floor = [["git", "fetch", "-q", "origin"], ["git", "push", "-q", "origin", f"HEAD:{branch}"]]
    return [(Bench("sync (nothing to do)", ctx.size, SYNC,
                   lambda i: Trial([[ZHENGDUN, "sync"]], floor),
                   note="git daemon on 127.0.0.1 with the pre-receive hook; floor: "
                        "`git fetch` + `git push` of nothing against it"), True)]


def plan_for(ctx: Context, runs: int, with_help: bool) -> list[tuple[Bench, bool]]:
    """The operations for one size; the flag says whether to reset the workspace first."""
    size = ctx.size
    benches: list[tuple[Bench, bool]] = []
    if size == "S":
        benches += write_benches(ctx, runs, S_WRITE)
        benches += read_benches(ctx)
        benches += table_benches(ctx)
        benches += look_benches(ctx, runs)
        benches += bulletin_docx_bench(ctx)
        benches += office_benches(ctx)
        benches += sync_benches(ctx)
    elif size == "L":
        benches += write_benches(ctx, runs, L_WRITE)
        benches += history_benches(ctx)
        benches += bulletin_warm_bench(ctx)
        benches += table_benches(ctx)
        benches += look_benches(ctx, runs)
        benches += merge_benches(ctx)
        benches += office_benches(ctx)
    else:  # tiny: every kind of operation once, to prove the harness works
        benches += write_benches(ctx, runs, S_WRITE)
        benches += read_benches(ctx)
        benches += history_benches(ctx)
        benches += bulletin_warm_bench(ctx)
        benches += table_benches(ctx)
        benches += look_benches(ctx, runs)
        benches += merge_benches(ctx)
        benches += bulletin_docx_bench(ctx)
        benches += sync_benches(ctx)
    if with_help:
        benches += help_benches(ctx)
    return benches


# --------------------------------------------------------------------------- reporting


def _first_line(argv: Sequence[str]) -> str:
    try:
        out = subprocess.run(list(argv), capture_output=True, text=True, check=False, env=ENV)
    except OSError:
        return "?"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) \
        else "?"


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = _first_line(["git", "-C", str(REPO), "rev-parse", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src",
                            "pyproject.toml"], capture_output=True, text=True,
                           check=False).stdout.strip()
    return {
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z"),
        "nproc": _first_line(["nproc"]),
        "cpu": cpu,
        "python": _first_line([PYTHON, "-c", "import sys; print(sys.version.split()[0])"]),
        "git": _first_line(["git", "--version"]).removeprefix("git version "),
        "zhengdun": f"{commit[:12]}" + (" + uncommitted changes in src/" if dirty else ""),
        "zhengdun_version": _first_line([ZHENGDUN, "--version"]),
        "os": f"{platform.system()} {platform.release()}",
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _fmt_ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def notes(rows: list[Row]) -> str:
    lines = [f"- `{r.label}` [{r.size}]: {r.note}" for r in rows if r.note]
    lines += [f"- `{r.label}` [{r.size}] failed: {r.error}" for r in rows if r.error]
    return "\n".join(lines)


def _tally(rows: list[Row]) -> tuple[int, int]:
    """(targets met, targets counted): rows without a target are not counted."""
    counted = [r for r in rows if not r.target.informative or r.error]
    return sum(r.met for r in counted), len(counted)


def table(rows: list[Row]) -> str:
    lines = ["| operation | size | median ms | floor ms | ratio | peak MB | target | met |",
             "|---|---|---:|---:|---:|---:|---|:-:|"]
    for r in rows:
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else "—"
        met = "—" if r.target.informative and not r.error else ("✅" if r.met else "❌")
        if r.error:
            met += f" ({r.error[:80]})"
        lines.append(f"| `{r.label}` | {r.size} | {_fmt_ms(r.median)} | {_fmt_ms(r.floor)} | "
                     f"{ratio} | {r.peak_mb:.0f} | {r.target.text()} | {met} |")
    return "\n".join(lines)


FLOORS = """\
Floors, measured in the same run, interleaved with the operation run by run:

- `close` / `step` / `add`: `python -c "import typer, pydantic"` plus `git commit -q -m x -- <file>`
  after appending a one-line comment to that file (the two processes' times summed).
- `check` / `board` / `bulletin` / `list --overdue`: one Python process parsing every
  `ledgers/*.yaml` with `yaml.load(…, Loader=yaml.CSafeLoader)`. *Cold*: zhengdun's cache
  (`.git/zhengdun-cache`) deleted before every run; *warm*: left as the warm-up run wrote it.
- `diff`: `git diff-tree -r <c1> <c2> -- ledgers` plus one Python process reading both versions
  of every changed file through one `git cat-file --batch` and parsing them.
- `log ORG/N`: `git log --format=%H -- <file>` plus one Python process reading every version of
  the file through one `git cat-file --batch` and parsing them.
- `show` / `list --org`: one Python process parsing that one file.
- `--help` / `--version`: a minimal Typer app's `--help` (one command, one option).

Before timing, each workspace is prepared as a clerk following zhengdun's advice would:
`zhengdun check` once (it leaves a verdict per ledger, used by `close`/`step`/`add`), and
`zhengdun maintain` when check suggests it (git repack and a commit-graph; floors and
operations then read the same repository).

Each median is over the runs after one warm-up; every zhengdun command runs with the venv's
`zhengdun`, `ZHENGDUN_TODAY={today}`, a pinned git identity and `GIT_CONFIG_GLOBAL=/dev/null`,
in the workspace, starting from its base commit. Organizations are named by their slug.
Python bytecode is kept in `bench/.cache/pycache` (`PYTHONPYCACHEPREFIX`, and
`PYTHONDONTWRITEBYTECODE` unset), for zhengdun and the floors alike, as on an installed
machine. Peak memory is `ru_maxrss` of the process (and the children it waited for), started
from a lean helper (`bench/spawn.py`) so that it is not inflated by the benchmark's own memory.
¹ No target given in the issue: `list --overdue` is held to the targets of `check`/`board`/`bulletin`.
Rows whose target is "—" have none in the issue (`show`/`list --org`, and `close` on a ledger
that has no verdict yet): they are shown for what they tell and not counted.
"""


def report(rows: list[Row], info: dict[str, str], sizes: dict[str, dict[str, Any]],
           runs: int, seconds: float, load_before: str) -> str:
    met, counted = _tally(rows)
    lines = [
        "# zhengdun benchmark results",
        "",
        f"- date: {info['date']}",
        f"- machine: {info['nproc']} cores (`nproc`), {info['cpu']}, {info['os']}; "
        f"load average {load_before} before, {info['load']} after",
        f"- Python {info['python']}, git {info['git']}",
        f"- zhengdun commit {info['zhengdun']} ({info['zhengdun_version']})",
        f"- command: `{' '.join(['python bench/run.py', *sys.argv[1:]])}`",
        f"- runs: median of {runs} after 1 warm-up; whole benchmark {seconds:.0f} s",
    ]
    for name, s in sizes.items():
        lines.append(f"- workspace {name}: {s['orgs']} organizations × {s['problems']} problems "
                     f"× {s['steps']} steps ({s['total_problems']} problems, {s['closed']} "
                     f"closed), {s['commits']} commits, {s['mb']:.1f} MB of ledgers; "
                     f"built in {s['build_seconds']:.1f} s (generator v{generate.GENERATOR_VERSION}"
                     f"{', cached' if s['cached'] else ''})")
    lines += ["", f"**{met}/{counted} targets met**", "", table(rows), "", notes(rows), "",
              FLOORS.format(today=TODAY)]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def run_sizes(sizes: list[str], runs: int, cache_dir: Path, tmp: Path,
              size_info: dict[str, dict[str, Any]], log: Callable[[str], None]) -> list[Row]:
    """Build or reuse each size's workspace and time its operations."""
    rows: list[Row] = []
    for n, size in enumerate(sizes):
        cached = generate.workspace(size, cache_dir, log=log)
        spec = generate.SIZES[size]
        manifest = cached.manifest
        size_info[size] = {
            "orgs": spec.orgs, "problems": spec.problems, "steps": spec.steps,
            "commits": spec.commits, "total_problems": manifest["problems"],
            "closed": manifest["closed"], "build_seconds": manifest["build_seconds"],
            "cached": not cached.built_now,
            "mb": sum(p.stat().st_size for p in (cached.root / "ledgers").glob("*.yaml")) / 1e6}
        scripts = tmp / size
        scripts.mkdir()
        ctx = Context(cached, size, scripts)
        ctx.reset()
        log(f"{size}: {cached.root}")
        ctx.drop_cache()
        ctx.check(log)
        for bench, fresh in plan_for(ctx, runs, with_help=n == 0):
            if fresh:
                ctx.reset()
            rows.append(run_bench(bench, cached.root, runs, log))
        ctx.reset()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time zhengdun's operations against measured floors; writes bench/RESULTS.md.")
    parser.add_argument("--quick", action="store_true", help="S only (a few minutes)")
    parser.add_argument("--runs", type=int, default=5, help="measured runs per operation "
                        "(after one warm-up; default 5)")
    parser.add_argument("--sizes", default=None, help="comma-separated: S,L (default both)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="where to write the results table (default bench/RESULTS.md)")
    parser.add_argument("--cache-dir", type=Path, default=generate.CACHE_DIR,
                        help="where built workspaces are kept (default bench/.cache)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    sizes = ["S"] if args.quick else (args.sizes or "S,L").split(",")
    for size in sizes:
        if size not in generate.SIZES:
            parser.error(f"unknown size {size!r} (choose from S, L)")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    size_info: dict[str, dict[str, Any]] = {}
    global SPAWNER
    with tempfile.TemporaryDirectory(prefix="zhengdun-bench-") as tmp:
        SPAWNER = Spawner(Path(tmp))
        try:
            rows = run_sizes(sizes, args.runs, args.cache_dir, Path(tmp), size_info, log)
        finally:
            SPAWNER.close()
            SPAWNER = None
    seconds = time.perf_counter() - started
    text = report(rows, machine(), size_info, args.runs, seconds, load_before)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n", encoding="utf-8")
    print(table(rows))
    met, counted = _tally(rows)
    print(f"\n{met}/{counted} targets met ({seconds:.0f} s; written to {args.output})")
    raw = args.output.with_suffix(".json")  # every run's numbers, for a closer look
    raw.write_text(json.dumps([{"operation": r.label, "size": r.size, "median_ms": r.median,
                                "floor_ms": r.floor, "peak_mb": r.peak_mb, "met": r.met,
                                "error": r.error, "runs_ms": r.samples,
                                "floor_runs_ms": r.floor_samples} for r in rows],
                              ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
