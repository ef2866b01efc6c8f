"""Round two: ledgers near the size limit, and hand-made layouts the writer must not disturb.

A record that would make a ledger larger than zhengdun can read back is refused before anything
is written, on the quick and the full path. A record on a hand-written ledger (4-space blocks,
flow-style problems and steps, comments after several spaces) changes only the lines of the
record: every other line stays byte for byte, or the command refuses and names the layout.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import pinned_env_outside_a_test
from processes import git, zhengdun
from test_reliability_faults import refused, snapshot

LEDGER = "ledgers/chengdong.yaml"

# --------------------------------------------------------------------------- the size limit

MIB = 1024 * 1024
LIMIT = 8 * MIB  # store.MAX_FILE_BYTES: what every reader refuses beyond
#: One argument of a command line can hold at most 128 KiB (Linux's MAX_ARG_STRLEN).
BIG = 100_000


def _ok(root: Path, *args: str, **kwargs: Any) -> None:
    result = zhengdun(root, *args, **kwargs)
    assert result.code == 0, result


@pytest.fixture(scope="module")
def near_limit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """城东社区 built with real commands to 100 KB short of the limit: problems with long
    titles and measures, then one step that brings the file to ``LIMIT - BIG``."""
    folder = tmp_path_factory.mktemp("near-limit")
    with pinned_env_outside_a_test(folder / "home"):
        root = folder / "示范县台账"
        _ok(folder, "init", str(root), "--county", "示范县", "--issuer", "组织部")
        _ok(root, "org", "add", "城东社区", "--township", "城关镇", "--kind", "社区",
            "--designated", "2026-03-15", "--category", "10")
        path = root / LEDGER
        number = 0
        while path.stat().st_size < LIMIT - 2 * MIB:
            number += 1
            measures = [arg for i in range(12) for arg in ("--measure", f"{i}" + "措" * (BIG // 3))]
            _ok(root, "add", "城东社区", f"{number}" + "题" * (BIG // 3), "--category", "10",
                "--found", "2026-03-10", "--due", "2026-06-30", "--owner", "王五", *measures)
        while path.stat().st_size < LIMIT - 2 * BIG:  # fill up with steps, short of the end
            _ok(root, "step", "chengdong/1", "进" * (BIG // 3), "--on", "2026-04-02")
        gap = LIMIT - BIG - path.stat().st_size
        _ok(root, "step", "chengdong/1", "a" * (gap - 40), "--on", "2026-04-02")
        assert LIMIT - BIG - 100 <= path.stat().st_size <= LIMIT - BIG
    return root


@pytest.fixture
def big(near_limit: Path, tmp_path: Path) -> Path:
    target = tmp_path / "示范县台账"
    shutil.copytree(near_limit, target, symlinks=True)
    return target


@pytest.mark.parametrize("quick", ["on", "off"])
def test_a_record_that_would_cross_the_size_limit_is_refused(big: Path, quick: str) -> None:
    """Before: the step was written (8.1 MB) and committed; after it every command refused
    the file, and audit reported the tool's own commit as an unreadable version."""
    env = {"ZHENGDUN_QUICK": quick}
    result = refused(big, ["step", "chengdong/1", "b" * (BIG + 10), "--on", "2026-04-03"],
                     f"这样记录后，{LEDGER} 将有 8.01 MB，超过台账文件 8 MB 的上限",
                     "本次未记录", "evidence/", env=env)
    assert "Traceback" not in result.err
    _ok(big, "check", env=env)  # still readable, still recordable below the limit
    _ok(big, "step", "chengdong/1", "c" * 1000, "--on", "2026-04-03", env=env)


def test_the_quick_path_itself_refuses_at_the_size_limit(
        big: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The rule is in the write step both paths share: the quick path refuses by itself
    (it does not hand the command over to the full path)."""
    from zhengdun import quick

    monkeypatch.chdir(big)
    before = snapshot(big)
    code = quick.run(["step", "chengdong/1", "b" * (BIG + 10), "--on", "2026-04-03"])
    assert code == 1
    assert "超过台账文件 8 MB 的上限" in capsys.readouterr().err
    assert snapshot(big) == before
    assert git(big, "status", "--porcelain") == ""
