"""README's shell sessions run as written, and its ``make`` targets exist.

The blocks between ``<!-- readme-session:start -->`` / ``end`` and ``<!-- readme-reports:start
-->`` / ``end`` are run with bash (``set -e``) in a fresh folder, with the venv's ``bin`` first on
PATH and the pinned date and identity of every test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Run

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
VENV_BIN = Path(sys.executable).parent


def block(name: str) -> str:
    """The shell code between the ``readme-<name>`` markers, continuation lines joined."""
    match = re.search(rf"<!-- readme-{name}:start -->\s*```(?:sh|bash|console)?\n(.*?)```\s*"
                      rf"<!-- readme-{name}:end -->", README, re.S)
    assert match, f"README has no readme-{name} block"
    return re.sub(r"\\\n[ \t]*", " ", match[1])


def commands(code: str) -> list[str]:
    return [line for line in code.splitlines() if line.strip() and not line.startswith("#")]


def run_block(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with bash -e; on failure stderr names the command that failed."""
    script = ("set -e\nshopt -s inherit_errexit\n"
              "trap 'echo \"README command failed (exit $?): $BASH_COMMAND\" >&2' ERR\n" + code)
    env = dict(os.environ)  # the pinned env of conftest.pinned_env
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])
    env.pop("EDITOR", None)
    env.pop("VISUAL", None)
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_blocks_are_found_and_joined() -> None:
    session = commands(block("session"))
    assert session[0].startswith("zhengdun init 示范县台账")
    joined = next(line for line in session if line.startswith("zhengdun add 城东社区"))
    assert "\\" not in joined and joined.endswith('--measure "协调物业新增停车位"')
    reports = commands(block("reports"))
    assert reports[0].startswith("zhengdun demo 演示县")
    assert 'cp "$(zhengdun templates path bulletin)" templates/' in reports


def test_readme_session_runs(tmp_path: Path) -> None:
    code = block("session")
    result = run_block(code, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "README command failed" not in result.stderr
    root = tmp_path / "示范县台账"
    assert (root / "ledgers" / "chengdong.yaml").is_file()
    # `git log` at the end: the init commit and one per recording command.
    recorded = [line for line in commands(code) if line.startswith("zhengdun ")
                and line.split()[1] in ("init", "org", "add", "step", "close", "reopen", "visit")]
    log = [line for line in result.stdout.splitlines()
           if re.fullmatch(r"[0-9a-f]{7,} \d{4}-\d{2}-\d{2} 测试员 \S.*", line)]
    assert len(log) == len(recorded) == 8, result.stdout
    assert " visit chengdong: " in log[0]
    assert log[-1].split(" ", 3)[3].startswith("init workspace")
    # `list --overdue --as-of 2026-09-01`: reopened on 08-01 after its 06-30 deadline.
    assert "chengdong/1" in result.stdout


def test_readme_reports_run(tmp_path: Path, demo_county: Path) -> None:
    result = run_block(block("reports"), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "README command failed" not in result.stderr
    root = tmp_path / "演示县"
    for name in ("通报-2026-10.md", "挂图作战.md", "挂图作战.csv", "城东社区台账.md"):
        assert (root / name).is_file(), name
    assert (root / "templates" / "bulletin.md.j2").read_bytes() == (
        REPO / "templates" / "bulletin.md.j2").read_bytes()
    # The README's demo county gives the same bulletin as the one the other tests use.
    expected = Run(demo_county)("bulletin", "--month", "2026-10", "--number", "10")
    assert (root / "通报-2026-10.md").read_text(encoding="utf-8") == expected.stdout  # type: ignore[attr-defined]
    assert "演组通〔2026〕10号" in (root / "通报-2026-10.md").read_text(encoding="utf-8")


def test_readme_make_targets_exist() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    mentioned = set(re.findall(r"\bmake ([a-z][\w-]*)", README))
    assert {"demo", "test"} <= mentioned
    targets = set(re.findall(r"^([\w.-]+)\s*:(?!=)", makefile, re.M))
    assert mentioned <= targets, mentioned - targets
    phony = set(re.findall(r"^\.PHONY:(.*)$", makefile, re.M)[0].split())
    assert mentioned <= phony
    if shutil.which("make") is None:
        pytest.skip("make is not installed; targets checked by reading the Makefile only")
    dry = subprocess.run(["make", "-n", *sorted(mentioned)], cwd=REPO, capture_output=True,
                         text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert "zhengdun demo" in dry.stdout and "bulletin --month 2026-10" in dry.stdout
    assert "ruff check" in dry.stdout and "pytest" in dry.stdout


def test_readme_history_runs(tmp_path: Path, demo_county: Path) -> None:
    """The history block runs in a copy of the demo county (it starts with ``cd 演示县``)."""
    shutil.copytree(demo_county, tmp_path / "演示县", symlinks=True)
    before = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=tmp_path / "演示县",
                            capture_output=True, text=True, check=True).stdout.strip()
    result = run_block(block("history"), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "README command failed" not in result.stderr
    # diff over October names the October closures; undo made exactly one new commit.
    assert "销号 chengdong/4（2026-10-12）" in result.stdout
    assert "chengdong/1 的记录历史" in result.stdout
    assert "已撤销：" in result.stdout
    after = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=tmp_path / "演示县",
                           capture_output=True, text=True, check=True).stdout.strip()
    assert int(after) == int(before) + 1
    assert "关于2026年9月软弱涣散基层党组织整顿工作进展情况的通报" in result.stdout


def test_readme_sync_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Several clerks: each sets their git identity as the README says (no pinned identity),
    against a ``file://`` bare repository with the server hook installed."""
    for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    result = run_block(block("sync"), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "README command failed" not in result.stderr
    assert "错误：河口乡 不在 城关镇党委 负责的乡镇（城关镇）之内" in result.stderr
    assert "（已拒绝）" in result.stdout
    assert "remote: 错误：zhengdun 服务器检查未通过，这次推送被拒绝：" in result.stderr
    assert "（服务器已拒绝）" in result.stdout
    *_, synced, newest, second, third, fourth, first = result.stdout.splitlines()
    assert synced == "已同步（origin/main）：取回其他同志的 1 次记录"
    assert newest.endswith(" 城关镇党委 add chengdong/1: 小区停车位不足")  # once, not rewritten
    assert [line.split(" ", 2)[1] for line in (second, third, fourth, first)] == ["组织部"] * 4
    assert first.endswith("init workspace: 示范县软弱涣散基层党组织整顿台账")
