"""The benchmark harness (bench/): the tiny workspace builds, validates and has zhengdun's
history; ``bench/run.py`` completes on it and writes its table. No timing is asserted here:
speed is judged by the benchmark itself (bench/RESULTS.md)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType

import pytest

from conftest import Run, git

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        import generate as module
    finally:
        sys.path.remove(str(BENCH))
    return module


@pytest.fixture(scope="module")
def tiny(generate: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny workspace, every intermediate version validated while it is built."""
    root = tmp_path_factory.mktemp("bench") / "tiny"
    info = generate.build("tiny", root, verify_all=True)
    assert info.commits == 12
    return root


def test_tiny_passes_check(tiny: Path) -> None:
    result = Run(tiny)("check")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "3 个村(社区)" in result.output  # type: ignore[attr-defined]
    assert not git(tiny, "status", "--porcelain")


def test_tiny_history_is_zhengdun_s(tiny: Path) -> None:
    sep = "\x1f"
    out = git(tiny, "log", "--reverse", "--name-only",
              f"--format=%x1e%H{sep}%an{sep}%aI{sep}%cI{sep}%s{sep}"
              f"%(trailers:key=Zhengdun-Action,valueonly,separator=%x2C){sep}"
              f"%(trailers:key=Zhengdun-Ref,valueonly,separator=%x2C){sep}")
    records = [r for r in out.split("\x1e") if r.strip()]
    assert len(records) == 12
    assert git(tiny, "rev-list", "--count", "HEAD").strip() == "12"
    stamps = []
    for n, record in enumerate(records):
        _sha, author, authored, committed, subject, action, ref, files = record.split(sep)
        assert action and ref, subject
        assert subject.startswith(f"{action} {ref}")
        assert authored == committed and authored.endswith("+08:00")
        stamps.append(datetime.fromisoformat(authored))
        changed = files.split()
        if n == 0:
            assert (action, ref) == ("init", "workspace")
            assert sorted(changed) == [".gitignore", "evidence/.gitkeep", "ledgers/.gitkeep",
                                       "templates/.gitkeep", "zhengdun.yaml"]
        else:
            assert author.endswith("党建办")
            assert len(changed) == 1 and changed[0].startswith("ledgers/"), changed
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert (tiny / "zhengdun.yaml").read_bytes() == (REPO / "zhengdun.yaml").read_bytes()


def test_tiny_is_deterministic(generate: ModuleType, tiny: Path, tmp_path: Path) -> None:
    again = generate.build("tiny", tmp_path / "again")
    assert again.base == git(tiny, "rev-parse", "HEAD").strip()
    assert again.manifest["open_problems"], "the benchmark needs open problems to close"


def test_run_on_tiny_writes_a_table(generate: ModuleType, tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    result = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--sizes", "tiny", "--runs", "1",
         "--output", str(output), "--cache-dir", str(tmp_path / "cache")],
        capture_output=True, text=True, check=False, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "targets met" in result.stdout
    text = output.read_text(encoding="utf-8")
    assert "| operation | size | median ms | floor ms | ratio | peak MB | target | met |" in text
    for operation in ("`close`", "`step`", "`add`", "`check (cold)`", "`check (warm)`",
                      "`diff 2026-09-30 2026-10-31`", "`show ORG --json`", "`--help`",
                      "`merge-driver (vs parsing both)`",
                      "`sync (nothing to do)`"):
        assert operation in text, operation
    assert "exit " not in text, text  # every command and floor succeeded
    assert (tmp_path / "RESULTS.json").is_file()
    assert (tmp_path / "cache" / f"tiny-v{generate.GENERATOR_VERSION}" / "base").is_file()
