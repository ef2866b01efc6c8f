"""Random sequences of zhengdun commands, undos and plain-git merges of branches recorded with
zhengdun (what several clerks sharing a workspace make) give histories on which ``audit``
reports nothing serious. Each example runs in a fresh workspace with real git."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Run, git, pinned_env_outside_a_test

ORGS = [("城东社区", "chengdong", "城关镇", "社区"), ("西岭村", "xiling", "柳河乡", "村")]
START = datetime(2026, 9, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

ORG = st.integers(0, len(ORGS) - 1)
PROBLEM = st.integers(1, 3)
STEP = st.one_of(
    st.tuples(st.just("add"), ORG),
    st.tuples(st.just("step"), ORG, PROBLEM, st.booleans()),
    st.tuples(st.just("close"), ORG, PROBLEM, st.booleans()),
    st.tuples(st.just("reopen"), ORG, PROBLEM),
    st.tuples(st.just("visit"), ORG),
    st.tuples(st.just("undo")),
    st.tuples(st.just("merge"), ORG, PROBLEM),
)


class County:
    """A workspace whose clock moves on half a day per command."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.run = Run(root)
        self.moment = START
        self.files = 0

    def __call__(self, *args: str) -> Any:
        self.moment += timedelta(hours=12)
        stamp = self.moment.isoformat()
        os.environ["GIT_AUTHOR_DATE"] = os.environ["GIT_COMMITTER_DATE"] = stamp
        os.environ["ZHENGDUN_TODAY"] = self.moment.date().isoformat()
        return self.run(*args)

    def evidence(self) -> str:
        self.files += 1
        path = self.root / "evidence" / f"材料{self.files}.jpg"
        path.write_bytes(f"照片 {self.files}".encode())
        return f"evidence/{path.name}"

    def apply(self, op: tuple[Any, ...]) -> None:
        kind = op[0]
        if kind == "add":
            name = ORGS[op[1]][0]
            self("add", name, f"问题{self.files}", "--category", "4", "--due", "2027-06-30",
                 "--owner", "王五")
        elif kind in ("step", "close"):
            ref = f"{ORGS[op[1]][1]}/{op[2]}"
            extra = ["--evidence", self.evidence()] if op[3] else []
            if kind == "step":
                self("step", ref, "推进整改", *extra)
            else:
                self("close", ref, "--result", "已整改", "--verified-by", "乡镇党委", *extra)
        elif kind == "reopen":
            self("reopen", f"{ORGS[op[1]][1]}/{op[2]}", "--reason", "问题反弹")
        elif kind == "visit":
            self("visit", ORGS[op[1]][0], "--kind", "督查", "--by", "县委组织部", "督查进度")
        elif kind == "undo":
            self("undo", "--yes")
        elif kind == "merge":
            # another clerk's branch records on the other organization; then a plain merge
            mine, theirs = ORGS[op[1]], ORGS[1 - op[1]]
            git(self.root, "branch", "-f", "side")
            git(self.root, "checkout", "-q", "side")
            self("step", f"{theirs[1]}/{op[2]}", "另一位记录")
            self("visit", theirs[0], "--kind", "调度", "--by", "乡镇党委", "调度")
            git(self.root, "checkout", "-q", "main")
            self("visit", mine[0], "--kind", "督查", "--by", "县委组织部", "同时记录")
            self.moment += timedelta(hours=1)
            os.environ["GIT_COMMITTER_DATE"] = os.environ["GIT_AUTHOR_DATE"] = \
                self.moment.isoformat()
            git(self.root, "merge", "-q", "--no-ff", "side", "-m", "合并另一位的记录")


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(STEP, min_size=4, max_size=14))
def test_zhengdun_histories_audit_clean(ops: list[tuple[Any, ...]]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="zhengdun-audit-"))
    saved = dict(os.environ)
    try:
        with pinned_env_outside_a_test(folder / "home"):
            root = folder / "示范县台账"
            county = County(root)
            county.run = Run(folder)
            assert county("init", str(root), "--county", "示范县",
                          "--issuer", "组织部").exit_code == 0
            county.run = Run(root)
            for name, slug, township, kind in ORGS:
                assert county("org", "add", name, "--township", township, "--kind", kind,
                              "--designated", "2026-09-01", "--category", "4",
                              "--slug", slug).exit_code == 0
                for n in range(1, 3):
                    assert county("add", name, f"问题{n}", "--category", "4", "--found",
                                  "2026-09-01", "--due", "2027-06-30",
                                  "--owner", "王五").exit_code == 0
            for op in ops:
                county.apply(op)
                assert git(root, "status", "--porcelain", "--untracked-files=no") == ""
            result = county("audit", "--json")
            data = json.loads(result.stdout)
            assert data["serious"] == 0, [f["message"] for f in data["findings"] if f["serious"]]
            assert result.exit_code == 0
    finally:
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(folder, ignore_errors=True)
