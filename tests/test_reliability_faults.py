"""Faults and hostile input the other test files do not cover, through the real program.

A full disk (a file size limit, and a small file system filled up), symbolic links leading
out of the workspace, paths like ``../../etc/passwd``, a 50 MB file and a YAML bomb in
``ledgers/``, files with a BOM, CRLF, tabs or GBK, pipes where files should be, and any text a
clerk can type as a title or a step. Each refusal: exit 1, a Chinese message saying what is
wrong and what to do, no traceback, files and history as before, nothing written outside the
workspace. Each accepted text reads back exactly as typed.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import (
    CHENGDONG_ADD,
    CHENGDONG_PROBLEM,
    CHENGDONG_STEP,
    built_workspace,
    copy_of,
)
from processes import (
    ZHENGDUN,
    Done,
    environment,
    events,
    git,
    tree_status,
    zhengdun,
)
from zhengdun.wording import is_blank

LEDGER = "ledgers/chengdong.yaml"
SECRET = "绝密：不得外传的名单"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """城东社区 with chengdong/1 (one step)."""
    return built_workspace(tmp_path_factory, "faults", [CHENGDONG_ADD, CHENGDONG_PROBLEM, CHENGDONG_STEP])


@pytest.fixture
def root(template: Path, tmp_path: Path) -> Path:
    return copy_of(template, tmp_path)


def snapshot(root: Path) -> dict[str, Any]:
    """What a refused command must leave alone: every file (symlinks as links), the index,
    HEAD, the status; and no git lock or revert left behind."""
    files: dict[str, Any] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] == ".git":
            continue
        if path.is_symlink():
            files[rel.as_posix()] = ("link", os.readlink(path))
        elif path.is_file():
            files[rel.as_posix()] = path.read_bytes()
    gdir = root / ".git"
    return {"files": files, "head": git(root, "rev-parse", "HEAD"),
            "index": git(root, "ls-files", "--stage"), "status": tree_status(root),
            "locks": sorted(p.name for p in gdir.iterdir()
                            if p.name.endswith(".lock") and p.name != "zhengdun.lock"),
            "revert": (gdir / "REVERT_HEAD").exists()}


def refused(root: Path, args: tuple[str, ...] | list[str], *fragments: str,
            **kwargs: Any) -> Done:
    """Run a command that must be refused and must change nothing (``undo`` shows what it
    would take back before it tries; nothing else may print on stdout)."""
    before = snapshot(root)
    result = zhengdun(root, *args, **kwargs)
    result.assert_clean_refusal(*fragments)
    assert result.out == "" or (args[0] == "undo" and result.out.startswith("将撤销：")), result
    assert snapshot(root) == before
    return result


# --------------------------------------------------------------------------- full disk


def file_size_limit(limit: int) -> Any:
    """A ``preexec_fn`` that caps the size of any file the process (and git) writes. CPython
    ignores SIGXFSZ, so writes past the cap fail with EFBIG instead of killing it."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_file_size_limit_stops_the_ledger_write(root: Path) -> None:
    size = (root / LEDGER).stat().st_size  # the new version is longer: it cannot be written
    refused(root, ["step", "chengdong/1", "落实停车位改造方案"],
            "文件大小超过系统限制，无法写入 ledgers/chengdong.yaml，文件未改动",
            "可能是磁盘配额或系统对文件大小的限制（ulimit -f）", preexec_fn=file_size_limit(size))


def test_file_size_limit_stops_git(root: Path) -> None:
    """The ledger fits, git's index does not: git fails cleanly (it inherits SIGXFSZ ignored,
    so it is not killed halfway and leaves no index.lock), the file is put back."""
    for i in range(80):
        (root / "evidence" / f"照片-{i:02}.jpg").write_bytes(b"\xff\xd8\xff" + bytes([i]))
    assert zhengdun(root, "commit", "-m", "补充佐证材料").code == 0
    index = (root / ".git" / "index").stat().st_size
    limit = (root / LEDGER).stat().st_size + 200
    assert limit < index
    refused(root, ["step", "chengdong/1", "落实停车位改造方案"],
            "文件大小超过系统限制，git 无法保存，本次修改未保存", "ulimit -f",
            preexec_fn=file_size_limit(limit))
    assert zhengdun(root, "step", "chengdong/1", "落实停车位改造方案").code == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB file system of its own (tmpfs), to fill up."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, pages_left: int) -> None:
    """Fill the small file system until only ``pages_left`` 4 KB pages are free."""
    filler = disk / "填满磁盘的文件"
    filler.unlink(missing_ok=True)
    free = os.statvfs(disk).f_bavail
    filler.write_bytes(b"\0" * 4096 * (free - pages_left))
    assert os.statvfs(disk).f_bavail == pages_left


def on_small_disk(template: Path, disk: Path) -> Path:
    root = disk / "示范县台账"
    shutil.copytree(template, root, symlinks=True)
    return root


ORG_ADD = ("org", "add", "后沟村", "--township", "城关镇", "--kind", "村", "--designated",
           "2026-04-01", "--category", "1")
NO_SPACE_FOR_GIT = "磁盘空间不足，git 无法保存，本次修改未保存"
# (command, what it says when the disk is full before it writes, pages its writes need before
# git's commit: undo's first write is git's REVERT_HEAD, then the ledger)
DISK_COMMANDS = [
    pytest.param(("step", "chengdong/1", "落实停车位改造方案"),
                 "磁盘空间不足，无法写入 ledgers/chengdong.yaml，文件未改动", 1, id="step"),
    pytest.param(ORG_ADD, "磁盘空间不足，无法写入 ledgers/hougou.yaml，文件未改动", 1,
                 id="org-add"),
    pytest.param(("undo", "--yes"), NO_SPACE_FOR_GIT, 2, id="undo"),
]


@pytest.mark.parametrize(("args", "says", "pages"), DISK_COMMANDS)
def test_disk_full_before_the_write(template: Path, small_disk: Path, args: tuple[str, ...],
                                    says: str, pages: int) -> None:
    root = on_small_disk(template, small_disk)
    fill(small_disk, 0)
    refused(root, args, says, "请清理磁盘空间后重试")
    fill(small_disk, 200)
    assert zhengdun(root, *args).code == 0


@pytest.mark.parametrize(("args", "says", "pages"), DISK_COMMANDS)
def test_disk_full_after_the_write(template: Path, small_disk: Path, args: tuple[str, ...],
                                   says: str, pages: int) -> None:
    """Room for the command's own writes, none for git's objects. The ledger is put back by a
    rename (the old version was kept as a hard link), which needs no space."""
    root = on_small_disk(template, small_disk)
    fill(small_disk, pages)
    refused(root, args, NO_SPACE_FOR_GIT, "请清理磁盘空间后重试")
    assert not list((root / "ledgers").glob(".*.tmp"))
    fill(small_disk, 200)
    done = zhengdun(root, *args)
    assert done.code == 0, done
    assert tree_status(root) == ""


def test_first_record_in_a_repository_without_commits(template: Path, tmp_path: Path) -> None:
    """The way preflight names for a folder that is no git repository: ``git init``, then
    ``zhengdun commit``. Files staged by ``git add`` are not taken for a git killed mid-commit
    (there is no HEAD to compare them with)."""
    root = tmp_path / "新台账"
    root.mkdir()
    shutil.copy(template / "zhengdun.yaml", root)
    shutil.copytree(template / "ledgers", root / "ledgers")
    git(root, "init", "-q")
    git(root, "add", ".")
    done = zhengdun(root, "commit", "-m", "建立台账")
    assert done.code == 0, done
    assert "已记录手工修改：" in done.out and "ledgers/chengdong.yaml" in done.out
    assert tree_status(root) == ""


# --------------------------------------------------------------------------- a put-back that fails


def _hook(root: Path, body: str) -> None:
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\n" + body, "utf-8")
    hook.chmod(0o755)


@dataclass(frozen=True)
class Freeze:
    """Shell commands that make the ledgers folder unwritable and writable again: no file can
    be created, renamed or removed in it. ``chattr +i`` for root (who ignores permission bits),
    ``chmod a-w`` for anyone else."""

    on: str
    off: str


@pytest.fixture
def freeze(root: Path) -> Iterator[Freeze]:
    folder = root / "ledgers"
    if os.geteuid() != 0:
        frozen = Freeze(f"chmod a-w '{folder}'", f"chmod u+w '{folder}'")
    else:
        program = shutil.which("chattr")
        if program is None or subprocess.run([program, "+i", str(folder)],
                                             capture_output=True).returncode != 0:
            pytest.skip("running as root on a file system without the immutable attribute "
                        "(chattr +i): nothing stops root from writing")
        subprocess.run([program, "-i", str(folder)], check=True)
        frozen = Freeze(f"{program} +i '{folder}'", f"{program} -i '{folder}'")
    yield frozen
    subprocess.run(frozen.off, shell=True, check=False)


def thaw(frozen: Freeze) -> None:
    subprocess.run(frozen.off, shell=True, check=True)


def test_failed_commit_and_failed_put_back_say_what_the_file_holds(root: Path,
                                                                   freeze: Freeze) -> None:
    """A hook rejects the commit after making the ledger immutable: zhengdun cannot put the
    file back. It must not claim "文件未改动": it says the file holds the new, unrecorded
    version, and how to record or discard it."""
    _hook(root, f"{freeze.on}\necho '钩子：拒绝' >&2\nexit 1\n")
    done = zhengdun(root, "step", "chengdong/1", "落实停车位改造方案")
    done.assert_clean_refusal(
        "git 钩子拒绝了这次提交", "而且 ledgers/chengdong.yaml 没能恢复原样",
        "文件中已是这次的新内容，但尚未记录到历史中",
        "再运行 zhengdun commit -m \"说明\" 记录，或运行 git checkout -- ledgers/chengdong.yaml 放弃")
    thaw(freeze)
    (root / ".git" / "hooks" / "pre-commit").unlink()
    checked = zhengdun(root, "check")
    assert "以下文件已写入、但尚未记录到历史中" in checked.out and "城东社区（ledgers/chengdong.yaml）" in checked.out
    assert zhengdun(root, "commit", "-m", "补记").code == 0
    assert ("step", "chengdong", 1, 1, date(2026, 11, 21), "落实停车位改造方案") in events(root)


def test_undo_rejected_by_a_hook_changes_nothing(root: Path) -> None:
    _hook(root, "echo '钩子：撤销须经审批' >&2\nexit 1\n")
    refused(root, ["undo", "--yes"], "git 钩子拒绝了这次提交，本次修改未保存", "钩子：撤销须经审批")


def test_undo_whose_put_back_fails_stays_resumable(root: Path, freeze: Freeze) -> None:
    _hook(root, f"{freeze.on}\nexit 1\n")
    done = zhengdun(root, "undo", "--yes")
    done.assert_clean_refusal("git 钩子拒绝了这次提交", "而且文件没能恢复原样", "撤销只做了一半",
                              "再运行 zhengdun undo --yes 完成这次撤销")
    assert (root / ".git" / "REVERT_HEAD").exists()
    thaw(freeze)
    (root / ".git" / "hooks" / "pre-commit").unlink()
    finished = zhengdun(root, "undo", "--yes")
    assert finished.code == 0, finished
    assert "上一次撤销这条记录时被中断，这次接着完成" in finished.out
    assert tree_status(root) == "" and not (root / ".git" / "REVERT_HEAD").exists()


def test_undo_that_cannot_remove_a_file(root: Path, freeze: Freeze) -> None:
    assert zhengdun(root, *ORG_ADD).code == 0
    subprocess.run(freeze.on, shell=True, check=True)
    refused(root, ["undo", "--yes"],
            "没有权限删除 ledgers/hougou.yaml（文件或文件夹是只读的），文件未改动",
            "chmod u+w ledgers")


# --------------------------------------------------------------------------- links and paths


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the workspace holding a ledger-like file nobody may see through it."""
    folder = tmp_path / "别处"
    folder.mkdir()
    (folder / "secret.yaml").write_text(
        "schema_version: 2\nname: 机密村\nkind: 村\ntownship: 城关镇\ndesignations:\n  - round: \"2026\"\n    on: 2026-03-15\n"
        f"    categories:\n      - \"1\"\nproblems:\n  - id: 1\n    round: \"2026\"\n    title: {SECRET}\n"
        "    category: \"1\"\n    found_on: 2026-03-10\n    due: 2026-06-30\n    owner: 某人\n"
        "\tbroken: 一行坏掉的内容\n", encoding="utf-8")
    return folder


def assert_not_leaked(result: Done) -> None:
    for text in (SECRET, "机密村", "一行坏掉的内容", "某人"):
        assert text not in result.out + result.err, result


def test_symlinked_ledger_is_neither_read_nor_written(root: Path, outside: Path) -> None:
    link = root / "ledgers" / "jimi.yaml"
    link.symlink_to(outside / "secret.yaml")
    git(root, "add", "ledgers/jimi.yaml")  # committed with plain git: zhengdun sees it as clean
    git(root, "commit", "-q", "-m", "链接")
    outside_before = (outside / "secret.yaml").read_bytes()
    says = "ledgers/jimi.yaml 是符号链接（指向 "
    checked = zhengdun(root, "check")
    assert checked.code == 1, checked
    assert says in checked.out and "zhengdun 不读取也不写入符号链接" in checked.out
    assert "请删除这个链接" in checked.out
    assert_not_leaked(checked)
    for args in (["show", "jimi"], ["step", "jimi/1", "不应写到别处"],
                 ["close", "jimi/1", "--result", "完成"], ["org", "list"], ["board"]):
        assert_not_leaked(refused(root, args, "jimi.yaml"))
    assert_not_leaked(refused(root, ["step", "机密/1", "进展"], "找不到村(社区)“机密”"))
    assert (outside / "secret.yaml").read_bytes() == outside_before
    assert link.is_symlink()


def test_dangling_symlink_is_not_written_through(root: Path, outside: Path) -> None:
    (root / "ledgers" / "hougou.yaml").symlink_to(outside / "新文件.yaml")
    refused(root, ["org", "add", "后沟村", "--township", "城关镇", "--kind", "村",
                   "--designated", "2026-04-01", "--category", "1", "--slug", "hougou"],
            "简称 hougou 已被占用")
    done = zhengdun(root, "org", "add", "后沟村", "--township", "城关镇", "--kind", "村",
                    "--designated", "2026-04-01", "--category", "1")
    assert done.code == 0 and "ledgers/hougou-2.yaml" in done.out, done
    assert sorted(p.name for p in outside.iterdir()) == ["secret.yaml"]
    assert (root / "ledgers" / "hougou.yaml").is_symlink()


def test_symlinked_ledgers_folder_is_refused(root: Path, outside: Path) -> None:
    shutil.rmtree(root / "ledgers")
    (root / "ledgers").symlink_to(outside)
    outside_before = (outside / "secret.yaml").read_bytes()
    says = "ledgers/ 是符号链接（指向 "
    for args in (["check"], ["show", "secret"], ["step", "secret/1", "进展"], ["org", "list"],
                 ["org", "add", "后沟村", "--township", "城关镇", "--kind", "村", "--designated",
                  "2026-04-01", "--category", "1"], ["commit", "-m", "说明"]):
        result = refused(root, args, says, "zhengdun 不读取也不写入工作区之外的台账")
        assert_not_leaked(result)
    assert sorted(p.name for p in outside.iterdir()) == ["secret.yaml"]
    assert (outside / "secret.yaml").read_bytes() == outside_before


@pytest.mark.parametrize(("args", "says"), [
    pytest.param(["org", "add", "后沟村", "--township", "城关镇", "--kind", "村", "--designated",
                  "2026-04-01", "--category", "1", "--slug", "../../etc/passwd"],
                 "简称“../../etc/passwd”不可用", id="slug"),
    pytest.param(["org", "add", "后沟村", "--township", "城关镇", "--kind", "村", "--designated",
                  "2026-04-01", "--category", "1", "--slug", "/etc/passwd"],
                 "简称“/etc/passwd”不可用", id="absolute-slug"),
    pytest.param(["step", "../../etc/passwd/1", "进展"], "找不到村(社区)“../../etc/passwd”",
                 id="problem-ref"),
    pytest.param(["show", "/etc/passwd"], "找不到村(社区)“/etc/passwd”", id="show"),
    pytest.param(["add", "../../../etc/passwd", "问题", "--category", "1", "--due", "2026-12-31",
                  "--owner", "王五"], "找不到村(社区)“../../../etc/passwd”", id="add"),
])
def test_paths_out_of_the_workspace_are_refused(root: Path, args: list[str], says: str) -> None:
    refused(root, args, says)
    assert not (root.parent.parent / "etc").exists()


def test_hand_edited_evidence_leading_out_is_reported(root: Path) -> None:
    (root / "evidence" / "链接.jpg").symlink_to("/etc/passwd")
    path = root / LEDGER
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("        text: 召开居民议事会\n",
                                 "        text: 召开居民议事会\n        evidence:\n"
                                 "          - ../../etc/passwd\n          - /etc/passwd\n"
                                 "          - evidence/链接.jpg\n"), encoding="utf-8")
    checked = zhengdun(root, "check")
    assert checked.code == 1, checked
    assert "佐证材料路径 ../../etc/passwd 指向工作区之外" in checked.out
    assert "佐证材料路径 /etc/passwd 是绝对路径" in checked.out
    assert "佐证材料路径 evidence/链接.jpg 指向工作区之外" in checked.out
    assert "root:" not in checked.out
    refused(root, ["commit", "-m", "补充佐证"], "手工修改中有错误，未记录", "指向工作区之外")


# --------------------------------------------------------------------------- big and nested


#: Starts the program from a small process and reports its peak memory: measured from the
#: test process itself, the RSS of the forked child before ``exec`` (the whole pytest worker,
#: hundreds of MB late in a run) would count as the program's.
_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_pid, status, usage = os.wait4(pid, 0)
sys.stderr.write(f"\\n@@peak {usage.ru_maxrss * 1024} {os.waitstatus_to_exitcode(status)}\\n")
"""


def measured(root: Path, *args: str) -> tuple[Done, float, int]:
    """Run zhengdun and return its result, wall time and peak memory (RSS, bytes)."""
    out, err = root.parent / "out.txt", root.parent / "err.txt"
    start = time.monotonic()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        subprocess.run([sys.executable, "-c", _LAUNCHER, str(ZHENGDUN), *args], cwd=root,
                       env=environment(), stdout=stdout, stderr=stderr, check=False)
    seconds = time.monotonic() - start
    text, _, tail = err.read_text(encoding="utf-8").rpartition("\n@@peak ")
    peak, code = (int(v) for v in tail.split())
    done = Done(code, out.read_text(encoding="utf-8"), text)
    return done, seconds, peak


def test_fifty_megabyte_file_is_refused_in_bounded_time_and_memory(root: Path) -> None:
    line = "  - 这不是台账，而是误放进来的导出数据 0123456789 abcdefghij\n"
    with (root / "ledgers" / "huge.yaml").open("w", encoding="utf-8") as handle:
        handle.write("items:\n")
        handle.write(line * (50 * 1024 * 1024 // len(line.encode()) + 1))
    for args in (("check",), ("org", "list"), ("show", "huge")):
        done, seconds, peak = measured(root, *args)
        assert done.code == 1, done
        assert "ledgers/huge.yaml 有 50 MB，远超一个台账文件应有的大小" in done.out + done.err
        assert "佐证材料请放在 evidence/ 中" in done.out + done.err
        assert seconds < 30 and peak < 300 * 1024 * 1024, (args, seconds, peak)
    # Recording elsewhere, even finding the organization by name past the big file, works.
    done, seconds, peak = measured(root, "step", "城东社区/1", "继续整改")
    assert done.code == 0, done
    assert seconds < 30 and peak < 300 * 1024 * 1024, (seconds, peak)


BOMB = "".join(
    ["a: &a [\"哈\", \"哈\", \"哈\", \"哈\", \"哈\", \"哈\", \"哈\", \"哈\", \"哈\"]\n"]
    + [f"{x}: &{x} [{', '.join([f'*{p}'] * 9)}]\n" for p, x in zip("abcdefgh", "bcdefghi",
                                                                       strict=True)])


def test_yaml_bomb_is_refused_quickly(root: Path) -> None:
    (root / "ledgers" / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    for args in (("check",), ("show", "bomb"), ("board",)):
        done, seconds, peak = measured(root, *args)
        assert done.code == 1, done
        assert "ledgers/bomb.yaml:" in done.out + done.err
        assert "台账文件中不能使用 YAML 锚点和别名（& 和 *）" in done.out + done.err
        assert seconds < 30 and peak < 300 * 1024 * 1024, (args, seconds, peak)


def test_pipe_and_socket_in_ledgers_are_refused_without_hanging(root: Path) -> None:
    os.mkfifo(root / "ledgers" / "pipe.yaml")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(root / "ledgers" / "sock.yaml"))
    try:
        checked = zhengdun(root, "check", timeout=60)
    finally:
        server.close()
    assert checked.code == 1, checked
    for name in ("pipe", "sock"):
        assert f"ledgers/{name}.yaml 不是普通文件（是管道、设备或套接字），zhengdun 不读取它" in checked.out


# --------------------------------------------------------------------------- encodings, layouts

VALID = ("schema_version: 2\nname: 西岭村\nkind: 村\ntownship: 城关镇\ndesignations:\n  - round: \"2026\"\n    on: 2026-03-15\n"
         "    categories:\n      - \"1\"\nproblems:\n  - id: 1\n    round: \"2026\"\n    title: 阵地建设滞后\n    category: \"1\"\n"
         "    found_on: 2026-03-10\n    due: 2026-06-30\n    owner: 王五\n")


def test_bom_and_crlf_ledger_is_recorded_keeping_both(root: Path) -> None:
    path = root / "ledgers" / "xiling.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.replace("\n", "\r\n").encode())
    assert zhengdun(root, "commit", "-m", "西岭村台账（Windows 记事本保存）").code == 0
    done = zhengdun(root, "step", "xiling/1", "完成阵地改造")
    assert done.code == 0, done
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\n") == raw.count(b"\r\n") and "text: 完成阵地改造\r\n" in raw.decode()
    assert zhengdun(root, "check").code == 0


@pytest.mark.parametrize(("content", "says"), [
    pytest.param(VALID.replace("    owner: 王五", "\towner: 王五").encode(),
                 ["ledgers/xiling.yaml:17:1", "这里有制表符（Tab），YAML 只能用空格缩进"], id="tab"),
    pytest.param(VALID.encode("gbk"),
                 ["ledgers/xiling.yaml", "看起来是 GBK 编码（Windows 中文系统的记事本、Excel 常用），"
                  "zhengdun 只读 UTF-8 文件", "iconv -f GBK -t UTF-8"], id="gbk"),
])
def test_unreadable_layouts_are_named(root: Path, content: bytes, says: list[str]) -> None:
    (root / "ledgers" / "xiling.yaml").write_bytes(content)
    git(root, "add", "ledgers/xiling.yaml")
    git(root, "commit", "-q", "-m", "用 git 直接提交的文件")
    checked = zhengdun(root, "check")
    assert checked.code == 1, checked
    for fragment in says:
        assert fragment in checked.out, checked.out
    refused(root, ["step", "xiling/1", "进展"], *says)


# --------------------------------------------------------------------------- any text


ISSUE_TEXTS = [
    "no", "on", "~", "null", "010", "1:20", "- x", "#x", "&a", "*a", "!!python/object",
    "{a: 1}", "整改" * 17_000, "控制字符\x01\x07\x1b[31m红\x1b[0m\x7f", "\u200f\u202e反转文字\u202c",
    "😀🇨🇳👨‍👩‍👧 表情", "整改：“党建引领”（第一阶段）；完成率100％！？、【】《》",
]


def added(result: Done) -> str:
    match = re.search(r"已登记问题 (chengdong/\d+)", result.out)
    assert match, result
    return match[1]


def problems_shown(root: Path) -> dict[str, dict[str, Any]]:
    shown = zhengdun(root, "show", "chengdong", "--json")
    assert shown.code == 0, shown
    return {p["ref"]: p for p in json.loads(shown.out)["problems"]}


def test_issue_texts_are_kept_exactly(root: Path) -> None:
    """The titles the issue names, each as a title and as a step text, through the real argv.
    ``--`` ends the options, so a text starting with "-" is text (as the clerk must type it)."""
    refs = {}
    for text in ISSUE_TEXTS:
        result = zhengdun(root, "add", "chengdong", "--category", "10", "--found", "2026-04-01",
                          "--due", "2026-12-31", "--owner", "王五", "--", text)
        assert result.code == 0, result
        ref = added(result)
        refs[ref] = text
        step = zhengdun(root, "step", ref, "--", text)
        assert step.code == 0, step
    shown = problems_shown(root)
    for ref, text in refs.items():
        assert shown[ref]["title"] == text
        assert [s["text"] for s in shown[ref]["steps"]] == [text]
    assert zhengdun(root, "check").code == 0
    assert tree_status(root) == ""


TOKENS = [*ISSUE_TEXTS[:12], " ", "\t", "\n", "\r\n", "\u2028", "\x85", "\ufeff", "\\", '"',
          "'", "2026-04-02", "--", "-", "|", ">"]
ANY_TEXT = (st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
                    max_size=40)
            | st.lists(st.sampled_from(TOKENS), max_size=4).map("".join))


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=ANY_TEXT)
@example(text="")
@example(text=" \t\n")
@example(text="\x85")
@example(text="\ufeff说明")
@example(text="\u200b\u2060")
def test_any_text_is_kept_exactly_or_refused(root: Path, text: str) -> None:
    """Any text without surrogates (and without NUL, which an argument cannot carry) as a
    title and as a step text: recorded and shown back exactly, or refused with exit 1 and a
    Chinese message — never a traceback, never another exit code."""
    head = git(root, "rev-parse", "HEAD")
    result = zhengdun(root, "add", "chengdong", "--category", "10", "--found", "2026-04-01",
                      "--due", "2026-12-31", "--owner", "王五", "--", text)
    assert result.code in (0, 1), result
    result.assert_no_traceback()
    if result.code == 1:  # only a blank title (nothing a reader would see) may be refused
        result.assert_clean_refusal("问题不能为空")
        assert is_blank(text)
        assert git(root, "rev-parse", "HEAD") == head
        return
    ref = added(result)
    step = zhengdun(root, "step", ref, "--", text)
    assert step.code == 0, step
    shown = problems_shown(root)[ref]
    assert shown["title"] == text
    assert [s["text"] for s in shown["steps"]] == [text]
    assert tree_status(root) == ""
