"""``zhengdun maintain``: the git housekeeping a large workspace needs, and when it needs it.

Years of one-file commits leave git with many loose objects and no commit-graph; reading the
history (``diff``, ``log``, ``audit``, ``--at``) then gets slower month by month. Packing the
objects and writing a commit-graph with changed-path filters makes those reads several times
faster. Nothing in the history changes: the same commits, the same ids.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from zhengdun import cache, history, place

#: Beyond this many loose objects, reading them one file each is what costs.
LOOSE_LIMIT = 2000
#: Beyond this many packs, every lookup searches each of them.
PACK_LIMIT = 20
#: From this many commits on, ``log`` of one file pays for a missing commit-graph.
COMMITS_FOR_GRAPH = 1000
#: Results kept in the cache longer than this unused are removed by ``maintain``.
RESULT_DAYS = 30


def reasons(root: Path) -> list[str]:
    """Why the repository needs ``zhengdun maintain`` (empty: it does not)."""
    state = history.storage(root)
    out: list[str] = []
    if state.loose >= LOOSE_LIMIT:
        out.append(f"{state.loose} 个松散对象")
    if state.packs >= PACK_LIMIT:
        out.append(f"{state.packs} 个包文件")
    if not state.changed_paths and history.commit_count(root) >= COMMITS_FOR_GRAPH:
        out.append("没有提交图" if not state.commit_graph else "提交图不含变更路径")
    return out


@dataclass
class Summary:
    """Before and after, for the clerk."""

    before: history.Storage
    after: history.Storage
    cache_removed: int
    seconds: float


def maintain(root: Path, on_step: Callable[[int, int, str], None]) -> Summary:
    """Run every step of :data:`history.HOUSEKEEPING` under the workspace lock.

    ``on_step(done, total, label)`` is called before each step and once at the end.
    """
    started = time.monotonic()
    steps = history.HOUSEKEEPING
    total = len(steps) + 1
    with place.lock(root):
        history.preflight(root)
        before = history.storage(root)
        for done, (label, args) in enumerate(steps):
            on_step(done, total, label)
            history.housekeep(root, args)
        on_step(len(steps), total, "清理缓存")
        removed = _sweep_cache(root)
        on_step(total, total, "完成")
        after = history.storage(root)
    return Summary(before, after, removed, time.monotonic() - started)


def _sweep_cache(root: Path) -> int:
    """Drop cache entries that can no longer be used: verdicts of other code or config
    versions, and results not used for :data:`RESULT_DAYS` days. Returns how many."""
    base = cache.folder(root)
    if base is None or not base.is_dir():
        return 0
    removed = 0
    current = cache.Verdicts(root, (root / place.CONFIG_NAME).read_bytes()).dir
    for entry in base.glob("valid-*"):
        if entry.is_dir() and entry != current:
            removed += sum(1 for _ in entry.iterdir())
            shutil.rmtree(entry, ignore_errors=True)
    index = cache.evidence_index_path(root)
    for entry in base.glob("evidence-*"):
        if entry != index:
            removed += 1
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    models = cache.models_folder(root)
    for entry in base.glob("models-*"):
        if entry.is_dir() and entry != models:
            removed += sum(1 for path in entry.rglob("*") if path.is_file())
            shutil.rmtree(entry, ignore_errors=True)
    limit = time.time() - RESULT_DAYS * 86400
    for kept in (base / "results", models):
        if kept is None or not kept.is_dir():
            continue
        for path in kept.rglob("*"):
            try:
                if path.is_file() and path.stat().st_atime < limit and path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
            except OSError:
                pass
    return removed
