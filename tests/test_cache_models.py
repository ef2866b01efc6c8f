"""The models cache: reports read every ledger, but after one record only the changed file is
parsed and validated again. A kept model is named by the text's blob id, so it can never stand
for a text that changed; a broken, truncated or foreign entry is a miss."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from conftest import Run, git
from zhengdun import cache
from zhengdun import workspace as ws_module


def kept(root: Path) -> list[Path]:
    base = cache.models_folder(root)
    return [p for p in base.rglob("*") if p.is_file()] if base and base.is_dir() else []


def blob_of(root: Path, slug: str) -> str:
    return cache.blob_id((root / "ledgers" / f"{slug}.yaml").read_bytes())


def test_a_report_keeps_each_ledger_once_and_reads_it_back(chengdong: Run, workspace: Path) -> None:
    assert not kept(workspace)
    first = ws_module.load_all(ws_module.find(workspace))
    entries = kept(workspace)
    assert [p.parent.name + p.name for p in entries] == [blob_of(workspace, "chengdong")]
    again = ws_module.load_all(ws_module.find(workspace))
    assert [x.ledger for x in again] == [x.ledger for x in first]
    # the second read came from the kept model: its file was not written again
    assert [p.stat().st_mtime_ns for p in kept(workspace)] == [p.stat().st_mtime_ns
                                                              for p in entries]


def test_a_changed_ledger_is_read_from_its_new_text(chengdong: Run, workspace: Path) -> None:
    assert chengdong("board", "--json").exit_code == 0
    old_blob = blob_of(workspace, "chengdong")
    result = chengdong("step", "chengdong/1", "召开协调会", "--on", "2026-04-01")
    assert result.exit_code == 0, result.output
    board = json.loads(chengdong("board", "--json").output)
    assert board["organizations"][0]["last_activity"] == "2026-04-01"
    names = {p.parent.name + p.name for p in kept(workspace)}
    assert {old_blob, blob_of(workspace, "chengdong")} <= names


def test_a_hand_broken_ledger_is_reported_though_an_older_text_was_kept(
        chengdong: Run, workspace: Path) -> None:
    assert chengdong("board", "--json").exit_code == 0
    path = workspace / "ledgers" / "chengdong.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("township: 城关镇", "township:"),
                    encoding="utf-8")
    result = chengdong("board", "--json")
    assert result.exit_code == 1 and "格式错误" in result.output


def test_a_corrupt_or_foreign_entry_is_a_miss(chengdong: Run, workspace: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert chengdong("board", "--json").exit_code == 0
    expected = chengdong("board", "--json").output
    (entry,) = kept(workspace)
    for junk in (b"", b"\x80\x05truncated", b"not a pickle at all"):
        entry.write_bytes(junk)
        assert chengdong("board", "--json").output == expected
    monkeypatch.setenv(cache.SWITCH_ENV, "off")
    assert cache.models_folder(workspace) is None
    assert chengdong("board", "--json").output == expected


def test_maintain_drops_models_of_other_code_and_old_ones(chengdong: Run, workspace: Path) -> None:
    assert chengdong("board", "--json").exit_code == 0
    (current,) = kept(workspace)
    base = workspace / ".git" / "zhengdun-cache"
    foreign = base / "models-00000000000000000000" / "ab" / ("cd" * 19)
    foreign.parent.mkdir(parents=True)
    foreign.write_bytes(b"x")
    aged = current.parent / ("0" * 38)
    aged.write_bytes(b"x")
    long_ago = time.time() - 40 * 86400
    os.utime(aged, (long_ago, long_ago))
    done = chengdong("maintain")
    assert done.exit_code == 0, done.output
    assert not foreign.parent.parent.exists() and not aged.exists() and current.exists()
    assert git(workspace, "status", "--porcelain") == ""
