"""``zhengdun demo``: the demo county replayed with real, dated history; and the built wheel.

The replay must lose nothing (every ledger equal, as a model, to the shipped one), make one
commit per recorded event with the ``Zhengdun-Action`` trailer, date each commit on its event
and keep the history in date order. The wheel must carry the shipped templates and demo data
and work on its own, without the checkout.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from conftest import Run, git
from zhengdun import store
from zhengdun.model import Ledger
from zhengdun.resources import shipped_dir

REPO = Path(__file__).resolve().parents[1]


def shipped_ledgers() -> dict[str, Ledger]:
    """The shipped demo county, read with zhengdun's loader, by slug."""
    return {path.stem: Ledger.model_validate(store.load_data(path))
            for path in sorted((REPO / "ledgers").glob("*.yaml"))}


def commits(root: Path) -> list[dict[str, str]]:
    """Every commit, newest first: dates, author, subject and trailers."""
    sep, end = "\x1f", "\x1e"
    fields = ["%H", "%aI", "%cI", "%an", "%ae", "%s",
              "%(trailers:key=Zhengdun-Action,valueonly,separator=%x2C)",
              "%(trailers:key=Zhengdun-Ref,valueonly,separator=%x2C)"]
    out = git(root, "log", f"--format={sep.join(fields)}{end}")
    rows = []
    for record in out.split(end):
        if not record.strip():
            continue
        sha, author_date, commit_date, name, email, subject, action, ref = \
            record.strip("\n").split(sep)
        rows.append({"sha": sha, "author_date": author_date, "commit_date": commit_date,
                     "author": name, "email": email, "subject": subject,
                     "action": action, "ref": ref})
    return rows


def test_shipped_dir_in_a_checkout_is_the_repository() -> None:
    assert shipped_dir() == REPO
    assert (REPO / "templates" / "bulletin.md.j2").is_file()


def test_demo_workspace_passes_check(demo_county: Path) -> None:
    run = Run(demo_county)
    result = run("check")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    result = run("check", "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    report = json.loads(result.stdout)  # type: ignore[attr-defined]
    ledgers = shipped_ledgers()
    assert report["ok"] is True
    # no errors; the one reminder is the seeds' 避重就轻 (青龙村 designated 10, none found)
    assert [(f["file"], f["severity"]) for f in report["findings"]] == [
        ("ledgers/qinglong.yaml", "warning")]
    assert "避重就轻" in report["findings"][0]["message"]
    assert report["organizations"] == len(ledgers) == 15
    assert report["problems"] == sum(len(ledger.problems) for ledger in ledgers.values())
    assert not report["uncommitted"]
    assert git(demo_county, "status", "--porcelain") == ""


def test_replay_lost_nothing(demo_county: Path) -> None:
    shipped = shipped_ledgers()
    replayed = {path.stem: Ledger.model_validate(store.load_data(path))
                for path in sorted((demo_county / "ledgers").glob("*.yaml"))}
    assert sorted(replayed) == sorted(shipped)
    for slug, ledger in shipped.items():
        assert replayed[slug] == ledger, slug
    # The demo's config is the shipped one, byte for byte.
    assert (demo_county / "zhengdun.yaml").read_bytes() == (REPO / "zhengdun.yaml").read_bytes()


def test_one_commit_per_event_with_trailers(demo_county: Path) -> None:
    ledgers = shipped_ledgers()
    log = commits(demo_county)
    assert all(c["action"] for c in log), [c["subject"] for c in log if not c["action"]]
    assert all("," not in c["action"] for c in log)  # exactly one action each
    problems = [p for ledger in ledgers.values() for p in ledger.problems]
    expected = Counter({
        "init": 1,
        # one designation each round (``org add`` again), its forces set after it
        "org-add": sum(len(x.designations) for x in ledgers.values()),
        "org-set": len([d for x in ledgers.values() for d in x.designations
                        if d.responsibility.to_data()]),
        "add": len(problems),
        "step": sum(len(p.steps) for p in problems),
        "close": sum(len(p.closures) for p in problems),
        "reopen": sum(1 for p in problems for c in p.closures if c.reopened is not None),
        "visit": sum(len(x.visits) for x in ledgers.values()),
        "accept": sum(len(x.acceptances) for x in ledgers.values()),
    })
    assert Counter(c["action"] for c in log) == expected
    assert len(log) == sum(expected.values())
    assert git(demo_county, "rev-list", "--count", "HEAD").strip() == str(len(log))
    # Each subject starts with its action and ref, as the trailers say.
    for c in log[:-1]:
        assert c["subject"].startswith(f"{c['action']} {c['ref']}: "), c
    assert log[-1]["action"] == "init" and log[-1]["subject"].startswith("init workspace")


def expected_dates(ledgers: dict[str, Ledger]) -> Counter[tuple[str, str, date]]:
    """(action, ref, day) of every event. What happened before designation is entered on the
    designation day; problems are registered in the order of their numbers, so one found
    before the problem numbered before it is entered with (after) that one."""
    out: Counter[tuple[str, str, date]] = Counter()
    for slug, ledger in ledgers.items():
        registered = ledger.designations[0].on
        for designation in ledger.designations:
            start = designation.on
            out[("org-add", slug, start)] += 1
            if designation.responsibility.to_data():
                out[("org-set", slug, start)] += 1
            registered = max(registered, start)
            view = ledger.in_round(designation.round)
            for p in view.problems:
                ref = f"{slug}/{p.id}"
                registered = max(registered, p.found_on)
                out[("add", ref, registered)] += 1
                for s in p.steps:
                    out[("step", ref, max(registered, s.on))] += 1
                for c in p.closures:
                    out[("close", ref, max(registered, c.on))] += 1
                    if c.reopened is not None:
                        out[("reopen", ref, max(registered, c.reopened.on))] += 1
            for v in view.visits:
                out[("visit", slug, max(start, v.on))] += 1
            for a in view.acceptances:
                out[("accept", slug, max(start, a.on))] += 1
    return out


def test_commits_are_dated_on_their_events(demo_county: Path) -> None:
    log = commits(demo_county)
    by_subject = {c["subject"].split(":")[0]: c for c in log}
    close = by_subject["close chengdong/1"]
    assert close["author_date"].startswith("2026-06-20T") and close["author_date"].endswith(
        "+08:00")
    assert close["commit_date"] == close["author_date"]
    assert close["author"] == "城关镇党建办" and close["email"] == "dangjianban@example.gov.cn"
    # chengdong/1 was found on 03-10, before the designation on 03-15: entered on 03-15.
    assert by_subject["add chengdong/1"]["author_date"].startswith("2026-03-15T")
    # gaojiazhai/3 was found (03-05) before gaojiazhai/2 (03-22): registered after it, so
    # that the numbers are the shipped ones.
    assert by_subject["add gaojiazhai/2"]["author_date"].startswith("2026-03-22T09:")
    assert by_subject["add gaojiazhai/3"]["author_date"].startswith("2026-03-22T09:")
    assert by_subject["add gaojiazhai/2"]["author_date"] < by_subject["add gaojiazhai/3"][
        "author_date"]

    ledgers = shipped_ledgers()
    township = {slug: ledger.township for slug, ledger in ledgers.items()}
    got: Counter[tuple[str, str, date]] = Counter()
    for c in log[:-1]:
        stamp = datetime.fromisoformat(c["author_date"])
        assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 8 * 3600
        assert c["commit_date"] == c["author_date"], c
        assert c["author"] == f"{township[c['ref'].split('/')[0]]}党建办", c
        got[(c["action"], c["ref"], stamp.date())] += 1
    assert got == expected_dates(ledgers)
    first = min(ledger.designations[0].on for ledger in ledgers.values())
    assert log[-1]["author_date"].startswith(f"{first.isoformat()}T")
    assert log[-1]["author"] == "演示县委组织部"


def test_history_is_in_date_order(demo_county: Path) -> None:
    for fmt in ("%aI", "%cI"):
        stamps = [datetime.fromisoformat(line)
                  for line in git(demo_county, "log", f"--format={fmt}").split()]
        assert len(stamps) > 100
        assert all(a >= b for a, b in itertools.pairwise(stamps)), fmt
    # A month's events land in that month's commits: 2026-10 has the October closures.
    october = git(demo_county, "log", "--since=2026-10-01T00:00+08:00",
                  "--until=2026-10-31T23:59+08:00", "--format=%s")
    assert "close chengdong/4: " in october and "close lijiazhuang/4: " in october


def test_demo_into_a_non_empty_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "已有"
    folder.mkdir()
    (folder / "笔记.txt").write_text("别动我", encoding="utf-8")
    result = Run(tmp_path)("demo", "已有")
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    assert "不是空的" in result.stderr  # type: ignore[attr-defined]
    assert sorted(p.name for p in folder.iterdir()) == ["笔记.txt"]
    assert (folder / "笔记.txt").read_text(encoding="utf-8") == "别动我"


def test_demo_into_an_existing_workspace_is_refused(workspace: Path, tmp_path: Path) -> None:
    head = git(workspace, "rev-parse", "HEAD")
    result = Run(tmp_path)("demo", str(workspace))
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    assert result.stderr.startswith("错误：")  # type: ignore[attr-defined]
    assert git(workspace, "rev-parse", "HEAD") == head
    assert list((workspace / "ledgers").glob("*.yaml")) == []


# --------------------------------------------------------------------------- the wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout (hatchling, no build isolation: works offline)."""
    if importlib.util.find_spec("hatchling") is None:
        install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "hatchling"],
                                 capture_output=True, text=True, timeout=300)
        if install.returncode != 0:
            pytest.skip("cannot build the wheel: hatchling is not installed in the venv and "
                        f"`pip install hatchling` failed (offline?): {install.stderr[-400:]}")
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "--quiet", "-w", str(out), str(REPO)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    wheels = list(out.glob("zhengdun-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_contains_the_shipped_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("zhengdun/_shipped/templates/bulletin.md.j2",
                 "zhengdun/_shipped/templates/board.md.j2",
                 "zhengdun/_shipped/templates/ledger.md.j2",
                 "zhengdun/_shipped/ledgers/chengdong.yaml",
                 "zhengdun/_shipped/zhengdun.yaml",
                 "zhengdun/cli.py", "zhengdun/resources.py"):
        assert name in names, name
    shipped = {n.removeprefix("zhengdun/_shipped/ledgers/") for n in names
               if n.startswith("zhengdun/_shipped/ledgers/")}
    assert shipped == {p.name for p in (REPO / "ledgers").glob("*.yaml")}
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("zhengdun/_shipped/templates/bulletin.md.j2") == (
            REPO / "templates" / "bulletin.md.j2").read_bytes()
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "zhengdun = zhengdun.quick:main" in archive.read(entry_points).decode()


def test_wheel_works_without_the_checkout(wheel: Path, tmp_path: Path,
                                          demo_county: Path) -> None:
    unzipped = tmp_path / "unzipped"
    zipfile.ZipFile(wheel).extractall(unzipped)
    site_packages = sysconfig.get_paths()["purelib"]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(unzipped), site_packages])
    # -S: no site processing, so the checkout's editable-install .pth is not read either.
    python = [sys.executable, "-S"]
    cwd = tmp_path / "work"
    cwd.mkdir()

    def py(code: str, *args: str, where: Path = cwd) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*python, "-c", code, *args], cwd=where, env=env,
                              capture_output=True, text=True, timeout=300)

    probe = py("import sys, zhengdun, zhengdun.resources as r; print(zhengdun.__file__); "
               "print(r.shipped_dir()); print(sys.path)")
    assert probe.returncode == 0, probe.stderr
    module, shipped, path = probe.stdout.splitlines()
    assert Path(module).is_relative_to(unzipped), module
    assert Path(shipped) == unzipped / "zhengdun" / "_shipped"
    assert str(REPO / "src") not in path

    main = "from zhengdun.cli import main; main()"
    demo = py(main, "demo", "X")
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "已建立演示工作区 X（演示县，15 个村(社区)" in demo.stdout
    workspace = cwd / "X"
    bulletin = py(main, "bulletin", "--month", "2026-10", "--number", "10", where=workspace)
    assert bulletin.returncode == 0, bulletin.stderr
    expected = Run(demo_county)("bulletin", "--month", "2026-10", "--number", "10")
    assert bulletin.stdout == expected.stdout  # type: ignore[attr-defined]
    template = py(main, "templates", "path", "bulletin", where=workspace)
    assert template.returncode == 0, template.stderr
    assert Path(template.stdout.strip()) == unzipped / "zhengdun/_shipped/templates/bulletin.md.j2"
    assert git(workspace, "rev-list", "--count", "HEAD") == git(
        demo_county, "rev-list", "--count", "HEAD")
