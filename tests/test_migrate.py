"""``zhengdun migrate``: a workspace of the first format (schema_version 1) becomes the second
in one commit, nothing recorded lost, the clerk's comments kept; every command meeting a v1
file says to run it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import Run, git
from zhengdun.store import parse

V1_DEMO = Path(__file__).parent / "data" / "v1-demo"
V1_HAND = Path(__file__).parent / "data" / "v1-hand.yaml"


def v1_workspace(tmp_path: Path, ledgers: dict[str, str] | None = None) -> Path:
    """The v1 demo (made by ``zhengdun demo`` before schema v2) committed into a fresh repo;
    ``ledgers``: other ledger files instead of the demo's."""
    root = tmp_path / "演示县"
    root.mkdir()
    shutil.copy(V1_DEMO / "zhengdun.yaml", root / "zhengdun.yaml")
    (root / "ledgers").mkdir()
    if ledgers is None:
        for path in (V1_DEMO / "ledgers").glob("*.yaml"):
            shutil.copy(path, root / "ledgers" / path.name)
    else:
        for name, text in ledgers.items():
            (root / "ledgers" / name).write_text(text, encoding="utf-8")
    shutil.copytree(V1_DEMO / "templates", root / "templates")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "v1 workspace")
    return root


def snapshot(root: Path) -> tuple[dict[str, bytes], str, str]:
    files = {p.relative_to(root).as_posix(): p.read_bytes()
             for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}
    return files, git(root, "rev-parse", "HEAD"), git(root, "status", "--porcelain")


def failed(result: Any) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return str(result.stderr)


def ok(result: Any) -> str:
    assert result.exit_code == 0, result.output
    return str(result.stdout)


@pytest.mark.parametrize("args", [
    ("board",), ("list", "--overdue"), ("bulletin", "--month", "2026-10"), ("show", "majiaping"),
    ("check",), ("add", "majiaping", "新问题", "--category", "2", "--due", "2026-12-31",
                 "--owner", "王五"),
    ("org", "add", "新村", "--township", "柳林乡", "--kind", "村", "--designated",
     "2026-03-01", "--category", "2"),
])
def test_every_command_on_a_v1_workspace_names_migrate(tmp_path: Path, args: tuple[str, ...],
                                                       ) -> None:
    root = v1_workspace(tmp_path)
    before = snapshot(root)
    stderr = failed(Run(root)(*args))
    assert "是第1版格式（schema_version: 1），本版 zhengdun 按整顿批次记录" in stderr
    assert "zhengdun migrate --dry-run" in stderr
    assert snapshot(root) == before


def test_a_v1_ledger_in_a_v2_workspace_is_refused_and_migrated(tmp_path: Path) -> None:
    root = v1_workspace(tmp_path)
    ok(Run(root)("migrate"))
    old = (V1_DEMO / "ledgers" / "majiaping.yaml").read_text(encoding="utf-8")
    (root / "ledgers" / "laojia.yaml").write_text(old.replace("马家坪村", "老家村"), "utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "an old clerk's file")
    before = snapshot(root)
    stderr = failed(Run(root)("show", "laojia"))
    assert "ledgers/laojia.yaml 是第1版格式（schema_version: 1）" in stderr
    assert "zhengdun migrate" in stderr
    assert snapshot(root) == before
    out = ok(Run(root)("migrate"))
    assert "已把 1 个文件升级为第2版格式（批次 2026）" in out
    data = parse((root / "ledgers" / "laojia.yaml").read_text("utf-8")).data
    assert data["designations"][0]["round"] == "2026"


def test_dry_run_shows_each_change_and_writes_nothing(tmp_path: Path) -> None:
    root = v1_workspace(tmp_path)
    before = snapshot(root)
    out = ok(Run(root)("migrate", "--dry-run"))
    assert snapshot(root) == before
    assert "--- a/zhengdun.yaml\n+++ b/zhengdun.yaml\n" in out
    assert "-schema_version: 1\n+schema_version: 2\n" in out
    assert "+rounds:\n+  - name: \"2026\"\n+    start: 2026-01-01\n" in out
    assert "--- a/ledgers/majiaping.yaml" in out
    assert "-designated_on: 2026-03-25\n" in out
    assert "+designations:\n+  - round: \"2026\"\n+    on: 2026-03-25\n" in out
    assert out.endswith("未作修改；确认无误后运行 zhengdun migrate。\n")
    assert "以上为将要修改的 16 个文件（批次 2026）" in out
    data = json.loads(ok(Run(root)("migrate", "--dry-run", "--json")))
    assert data["dry_run"] is True and data["commit"] is None
    assert [f["file"] for f in data["files"]][:2] == ["zhengdun.yaml", "ledgers/baitu.yaml"]
    assert snapshot(root) == before


def test_the_v1_demo_migrates_in_one_commit_and_diff_loses_nothing(tmp_path: Path) -> None:
    root = v1_workspace(tmp_path)
    run = Run(root)
    before = git(root, "rev-parse", "HEAD").strip()
    out = ok(run("migrate"))
    assert out.endswith(f"已把 16 个文件升级为第2版格式（批次 2026）（提交 "
                        f"{git(root, 'rev-parse', 'HEAD')[:8]}）\n")
    assert git(root, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "log", "-1", "--format=%s") == "migrate workspace: 台账格式升级到第2版（整顿批次 2026）\n"
    assert "Zhengdun-Action: migrate" in git(root, "log", "-1", "--format=%B")
    changed = git(root, "diff", "--name-only", "HEAD~1", "HEAD").split()
    assert len(changed) == 16 and "zhengdun.yaml" in changed
    # zhengdun's own diff reads the v1 commit as migrate rewrote it: nothing changed, no event
    # lost (every problem, step, closure, visit and acceptance is still there)
    diff = ok(run("diff", "HEAD~1", "HEAD"))
    assert "这段时间台账没有变化。" in diff
    assert "问题 68 → 68 个，已销号 44 → 44 个" in diff
    # no errors; the one reminder is the seeds' 避重就轻, as for the v1 files (青龙村 designated 10)
    checked = ok(run("check"))
    assert checked.endswith("：没有错误，1 处提醒。\n")
    assert "ledgers/qinglong.yaml" in checked and "认定类型 10 没有登记对应的问题（避重就轻）" in checked
    # every event of every file, counted on both sides
    for path in sorted((V1_DEMO / "ledgers").glob("*.yaml")):
        old = parse(path.read_text("utf-8")).data
        new = parse((root / "ledgers" / path.name).read_text("utf-8")).data
        for key in ("problems", "visits", "acceptances"):
            strip = [{k: v for k, v in item.items() if k != "round"} for item in new.get(key, [])]
            assert strip == old.get(key, []), (path.name, key)
            assert {item["round"] for item in new.get(key, [])} <= {"2026"}
        first = new["designations"][0]
        assert (first["on"], first["categories"]) == (old["designated_on"], old["categories"])
        assert first.get("responsibility") == old.get("responsibility")
    # the demo's October bulletin reads as before
    assert "关于2026年10月软弱涣散基层党组织整顿工作进展情况的通报" in ok(
        run("bulletin", "--month", "2026-10"))


def test_a_second_run_has_nothing_to_do(tmp_path: Path) -> None:
    root = v1_workspace(tmp_path)
    ok(Run(root)("migrate"))
    before = snapshot(root)
    assert ok(Run(root)("migrate")) == "工作区已是第2版格式，无需迁移，未作修改。\n"
    assert json.loads(ok(Run(root)("migrate", "--json")))["files"] == []
    assert snapshot(root) == before


def test_the_clerks_comments_survive(tmp_path: Path) -> None:
    hand = V1_HAND.read_text(encoding="utf-8")
    root = v1_workspace(tmp_path, {"chengdong.yaml": hand})
    config_before = (root / "zhengdun.yaml").read_text("utf-8")
    ok(Run(root)("migrate", "--round", "2026-第一批"))
    after = (root / "ledgers" / "chengdong.yaml").read_text("utf-8")
    comments = [line.split("#", 1)[1] for line in hand.splitlines() if "#" in line]
    assert len(comments) >= 10
    for comment in comments:
        assert comment in after, comment
    config = (root / "zhengdun.yaml").read_text("utf-8")
    for line in config_before.splitlines():
        if line.startswith("#"):
            assert line in config
    assert "  - name: 2026-第一批\n" in config
    data = parse(after).data
    assert data["designations"][0]["round"] == "2026-第一批"
    assert data["designations"][0]["responsibility"]["paired_units"] == ["县住建局"]
    assert [p["round"] for p in data["problems"]] == ["2026-第一批", "2026-第一批"]
    assert data["problems"][1]["owner"] == "on"  # YAML 1.2 text stays text
    # no errors; the hand file's reminders are the seeds' 避重就轻 and 四个一, on its one round
    checked = ok(Run(root)("check"))
    assert checked.endswith("：没有错误，2 处提醒。\n")
    assert "提醒：认定记录第1项·软弱涣散类型第2项：认定类型 9 没有登记对应的问题（避重就轻）" in checked
    assert "提醒：认定记录第1项·责任清单：“四个一”力量未配齐" in checked


def test_uncommitted_edits_are_refused(tmp_path: Path) -> None:
    root = v1_workspace(tmp_path)
    path = root / "ledgers" / "majiaping.yaml"
    path.write_text(path.read_text("utf-8") + "# 手工改动\n", "utf-8")
    before = snapshot(root)
    stderr = failed(Run(root)("migrate"))
    assert "工作区有未记录的修改：ledgers/majiaping.yaml，迁移前需要先处理" in stderr
    assert "git commit" in stderr
    assert snapshot(root) == before


def test_an_empty_round_name_is_refused(tmp_path: Path) -> None:
    root = v1_workspace(tmp_path)
    before = snapshot(root)
    assert "批次名称不能为空" in failed(Run(root)("migrate", "--round", " "))
    assert snapshot(root) == before


def test_a_round_the_v2_config_does_not_name_is_refused(tmp_path: Path) -> None:
    root = v1_workspace(tmp_path)
    ok(Run(root)("migrate"))
    old = (V1_DEMO / "ledgers" / "majiaping.yaml").read_text(encoding="utf-8")
    (root / "ledgers" / "laojia.yaml").write_text(old.replace("马家坪村", "老家村"), "utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "an old clerk's file")
    before = snapshot(root)
    stderr = failed(Run(root)("migrate", "--round", "2030"))
    assert "批次“2030”不在 zhengdun.yaml 的整顿批次中" in stderr
    assert snapshot(root) == before


def test_a_broken_v1_file_is_refused_with_its_name(tmp_path: Path) -> None:
    old = (V1_DEMO / "ledgers" / "majiaping.yaml").read_text(encoding="utf-8")
    root = v1_workspace(tmp_path, {"majiaping.yaml": old.replace("kind: 村", "kind: 镇")})
    before = snapshot(root)
    stderr = failed(Run(root)("migrate"))
    assert "ledgers/majiaping.yaml 有格式错误，无法迁移" in stderr
    assert snapshot(root) == before


@pytest.mark.parametrize(("config", "message"), [
    ("- 不是配置\n", "zhengdun.yaml 的内容格式不对，无法迁移"),
    (None, "zhengdun.yaml 迁移后无法读取：时区 Mars/Olympus 无法识别"),
])
def test_a_broken_v1_config_is_refused(tmp_path: Path, config: str | None, message: str) -> None:
    root = v1_workspace(tmp_path)
    path = root / "zhengdun.yaml"
    text = path.read_text("utf-8")
    path.write_text(config if config is not None
                    else text.replace("timezone: Asia/Shanghai", "timezone: Mars/Olympus"), "utf-8")
    git(root, "commit", "-q", "-am", "broken config")
    before = snapshot(root)
    assert message in failed(Run(root)("migrate"))
    assert snapshot(root) == before


def test_reading_a_commit_from_before_the_migration(tmp_path: Path) -> None:
    root = v1_workspace(tmp_path)
    run = Run(root)
    ok(run("migrate"))
    now = json.loads(ok(run("board", "--json", "--as-of", "2026-11-21")))
    then = json.loads(ok(run("board", "--json", "--as-of", "2026-11-21", "--at", "HEAD~1")))
    assert then["organizations"] == now["organizations"]
    shown = json.loads(ok(run("show", "majiaping", "--json", "--at", "HEAD~1")))
    assert shown["round"] == "2026" and len(shown["problems"]) == 5
