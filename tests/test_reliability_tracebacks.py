"""Input that used to end in a Python traceback, through the real program on both paths.

An evidence name no disk can hold (over 255 bytes, a NUL), dates past the ends of the
calendar, a workspace folder that cannot be made, and templates that never end or recurse
for ever. Each: exit 1, a Chinese message saying what is wrong and what to do, no traceback,
files, index and history as before; and the same answer with ``ZHENGDUN_QUICK=off``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import (
    CHENGDONG_ADD,
    CHENGDONG_PROBLEM,
    CHENGDONG_STEP,
    built_workspace,
    copy_of,
)
from processes import git, zhengdun
from test_reliability_faults import refused, snapshot

PATHS = [pytest.param("on", id="quick"), pytest.param("off", id="full")]
LONG_NAME = "照" * 90 + ".jpg"  # 274 bytes in UTF-8: no file system holds such a name


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """城东社区 with chengdong/1 (one step), checked once so the quick path may record."""
    return built_workspace(tmp_path_factory, "tracebacks", [CHENGDONG_ADD, CHENGDONG_PROBLEM, CHENGDONG_STEP, ("check",)])


@pytest.fixture
def root(template: Path, tmp_path: Path) -> Path:
    return copy_of(template, tmp_path)


# --------------------------------------------------------------------------- evidence names


@pytest.mark.parametrize("quick", PATHS)
def test_evidence_name_over_255_bytes_on_the_command_line(root: Path, quick: str) -> None:
    env = {"ZHENGDUN_QUICK": quick}
    for args in (["step", "chengdong/1", "落实改造方案", "--evidence", f"evidence/{LONG_NAME}"],
                 ["close", "chengdong/1", "--result", "完成", "--evidence", LONG_NAME]):
        refused(root, args, "有 274 字节，超过了文件名最长 255 字节的限制", "--evidence", env=env)


def hand_write_evidence(root: Path, item: str) -> None:
    """An evidence path typed into the ledger by hand (YAML escapes allowed)."""
    path = root / "ledgers" / "chengdong.yaml"
    text = path.read_text(encoding="utf-8")
    marker = "        text: 召开居民议事会\n"
    assert marker in text
    path.write_text(text.replace(marker, f"{marker}        evidence:\n          - {item}\n"),
                    encoding="utf-8")


@pytest.mark.parametrize("quick", PATHS)
@pytest.mark.parametrize(("item", "words"), [
    pytest.param('"evidence/照片\\0.jpg"', "佐证材料路径 evidence/照片\\0.jpg 中有空字符", id="nul"),
    pytest.param(f"evidence/{LONG_NAME}", "有 274 字节，超过了文件名最长 255 字节的限制",
                 id="long-name"),
])
def test_hand_written_evidence_no_disk_can_hold(root: Path, quick: str, item: str,
                                                words: str) -> None:
    hand_write_evidence(root, item)
    env = {"ZHENGDUN_QUICK": quick}
    before = snapshot(root)
    found = zhengdun(root, "check", env=env)
    assert found.code == 1, found
    found.assert_no_traceback()
    assert "ledgers/chengdong.yaml:" in found.out and words in found.out, found.out
    assert snapshot(root) == before
    refused(root, ["commit", "-m", "补充佐证材料"], "手工修改中有错误，未记录", words, env=env)


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize("quick", PATHS)
@pytest.mark.parametrize(("args", "words"), [
    pytest.param(["list", "--due-within", "99999999"], "--due-within 的天数 99999999 太大",
                 id="due-within"),
    pytest.param(["list", "--due-within", "99999999", "--json"],
                 "--due-within 的天数 99999999 太大", id="due-within-json"),
    pytest.param(["list", "--due-within", "999999", "--json", "--as-of", "9999-01-01"],
                 "从 9999-01-01 算起超过了 9999-12-31", id="due-within-near-the-end"),
    pytest.param(["list", "--due-within", "1" * 30], "太大", id="due-within-past-c-int"),
    pytest.param(["bulletin", "--month", "0001-01"], "月份“0001-01”太早", id="month-0001-01"),
    pytest.param(["bulletin", "--month", "0001-01", "--json"], "月份“0001-01”太早",
                 id="month-json"),
    pytest.param(["bulletin", "--month", "0000-05"], "月份“0000-05”太早", id="year-0"),
])
def test_dates_past_the_ends_of_the_calendar(root: Path, quick: str, args: list[str],
                                             words: str) -> None:
    refused(root, args, words, "请", env={"ZHENGDUN_QUICK": quick})


# --------------------------------------------------------------------------- init and demo


@dataclass
class Unmakeable:
    """A folder ``init``/``demo`` cannot make, what the refusal says, and what to compare."""

    target: Path
    words: str
    around: Path  # the folder whose listing must not change


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture(params=["proc", "through-a-file", "read-only-disk", "immutable-parent",
                        "immutable-grandparent"])
def unmakeable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Unmakeable]:
    kind = request.param
    place = tmp_path / "place"
    place.mkdir()
    if kind == "proc":
        yield Unmakeable(Path("/proc/示范县台账"), "无法建立文件夹 /proc/示范县台账", place)
    elif kind == "through-a-file":
        (place / "通知.txt").write_text("不是文件夹\n", encoding="utf-8")
        yield Unmakeable(place / "通知.txt" / "台账", f"路径中的 {place / '通知.txt'} 是一个文件",
                         place)
    elif kind == "read-only-disk":  # root ignores modes, not a read-only mount
        disk = place / "disk"
        disk.mkdir()
        made = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(disk)],
                              capture_output=True, text=True, check=False)
        if made.returncode != 0:
            pytest.skip(f"cannot mount a read-only file system here: {made.stderr.strip()}")
        try:
            yield Unmakeable(disk / "台账", "文件系统）是只读的", place)
        finally:
            subprocess.run(["umount", "-l", str(disk)], check=False)
    else:  # chattr +i: not even root may add an entry
        sealed = place / "sealed"
        sealed.mkdir()
        made = subprocess.run(["chattr", "+i", str(sealed)], capture_output=True, text=True,
                              check=False) if shutil.which("chattr") else None
        if made is None or made.returncode != 0:
            pytest.skip("chattr +i is not available here")
        target = sealed / "台账" if kind == "immutable-parent" else sealed / "县" / "镇" / "台账"
        try:
            yield Unmakeable(target, "上级文件夹可能被设为不可修改", place)
        finally:
            subprocess.run(["chattr", "-i", str(sealed)], check=False)


@pytest.mark.parametrize("command", ["init", "demo"])
def test_init_and_demo_where_the_folder_cannot_be_made(unmakeable: Unmakeable, tmp_path: Path,
                                                       command: str) -> None:
    args = [command, str(unmakeable.target)]
    if command == "init":
        args += ["--county", "示范县", "--issuer", "组织部"]
    before = listing(unmakeable.around)
    result = zhengdun(tmp_path, *args)
    result.assert_clean_refusal(unmakeable.words, "请换一个可以写入的位置")
    assert result.out == ""
    assert listing(unmakeable.around) == before
    assert not unmakeable.target.exists()


def test_init_under_a_read_only_folder_does_what_the_system_allows(tmp_path: Path) -> None:
    """Mode 555 stops a clerk, not root (root passes permission bits): both see the truth."""
    parent = tmp_path / "只读"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        result = zhengdun(tmp_path, "init", str(parent / "台账"), "--county", "示范县",
                          "--issuer", "组织部")
    finally:
        parent.chmod(0o755)
    if os.geteuid() == 0:
        assert result.code == 0, result
        assert (parent / "台账" / "zhengdun.yaml").is_file()
    else:
        result.assert_clean_refusal("没有权限写入上级文件夹")
        assert listing(parent) == []


# --------------------------------------------------------------------------- templates


TEMPLATES = [  # (template text, the line named, words of the message)
    pytest.param("# 通报\n{% for i in range(100001) %}{{ i }}{% endfor %}\n", 2,
                 "range() 最多只能生成 100000 个数", id="range-100001"),
    pytest.param("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}\n# 通报\n{{ m(1) }}\n", 1,
                 "嵌套太深", id="recursive-macro"),
    pytest.param("# 通报\n\n{% include 'bulletin.md.j2' %}\n", 3, "嵌套太深", id="self-include"),
    pytest.param("# 通报\n{{ 'x' * 3000000000 }}\n", 2, "超过上限 1000000", id="x-times-3e9"),
    pytest.param("# 通报\n{{ [0] * 3000000000 }}\n", 2, "超过上限 1000000", id="list-times-3e9"),
    pytest.param("# 通报\n{{ 7 ** 99999999 }}\n", 2, "次方太大", id="huge-power"),
    pytest.param("# 通报\n{{ 1 | pct(digits=999999999) }}\n", 2,
                 "pct 的小数位数 digits 应在 0 到 20 之间", id="pct-digits"),
    pytest.param("# 通报\n{% for i in range(100000) %}\n{% for j in range(100000) %}"
                 "{% endfor %}\n{% endfor %}\n", 3, "渲染超过 1 秒仍未结束，已停止",
                 id="never-ends"),
    pytest.param("# 通报\n{% set ns = namespace(s='x') %}\n{% for i in range(64) %}"
                 "{% set ns.s = ns.s ~ ns.s %}{% endfor %}\n{{ ns.s | length }}\n", 3,
                 "用掉的内存超过 200 MB，已停止", id="grows-without-end"),
]


@pytest.mark.parametrize("quick", PATHS)
@pytest.mark.parametrize(("text", "line", "words"), TEMPLATES)
def test_templates_that_never_end_are_stopped_naming_file_and_line(
        root: Path, quick: str, text: str, line: int, words: str) -> None:
    path = root / "templates" / "bulletin.md.j2"
    path.write_text(text, encoding="utf-8")
    git(root, "add", "templates")
    git(root, "commit", "-q", "-m", "本地通报模板")  # the snapshot must see a clean tree
    env = {"ZHENGDUN_QUICK": quick, "ZHENGDUN_RENDER_SECONDS": "1",
           "ZHENGDUN_RENDER_MEMORY_MB": "200"}
    if "ns.s" in text:
        env["ZHENGDUN_RENDER_SECONDS"] = "60"  # the memory bound must be what stops it
    started = time.monotonic()
    for args in (["bulletin", "--month", "2026-10"], ["report", "bulletin"]):
        result = refused(root, args, f"模板 {path} 第{line}行", words, env=env)
        assert "Traceback" not in result.err
    assert time.monotonic() - started < 30
