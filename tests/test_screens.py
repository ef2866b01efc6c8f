"""The clerk's screens on a real terminal (a pseudo-terminal of a given size): ``board`` and
``list`` stay readable at 80 columns, times are shown in the workspace timezone."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
from pathlib import Path

import pytest
from rich.cells import cell_len

from processes import ZHENGDUN, environment

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def on_terminal(root: Path, *args: str, columns: int, rows: int = 50,
                **extra: str) -> str:
    """Run zhengdun with its stdout on a pseudo-terminal ``columns`` wide; the screen text."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = environment(**{"TERM": "xterm-256color", "ZHENGDUN_PAGER": "cat", **extra})
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    process = subprocess.Popen([str(ZHENGDUN), *args], cwd=root, env=env, stdout=follower,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            process.kill()
            raise AssertionError("no output within 60 s")
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(60) in (0, 1), process.stderr.read() if process.stderr else ""
    return ANSI.sub("", b"".join(chunks).decode("utf-8").replace("\r\n", "\n"))


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("screens")
    env = environment()
    subprocess.run([str(ZHENGDUN), "demo", str(folder / "演示县")], env=env, check=True,
                   capture_output=True)
    return folder / "演示县"


@pytest.mark.parametrize("columns", [80, 100])
@pytest.mark.parametrize("command", [("board",), ("list", "--overdue"), ("list",)])
def test_tables_fit_the_terminal(county: Path, command: tuple[str, ...], columns: int) -> None:
    screen = on_terminal(county, *command, columns=columns)
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
    assert all(cell_len(line) <= columns for line in lines), \
        [line for line in lines if cell_len(line) > columns]
    header = lines[2]
    everything = BOARD if command == ("board",) else LIST
    missing = [h for h in everything if h not in header]
    # Whatever was left out is named, with the way to see it; the first columns always stay.
    if missing:
        note = "".join(lines[-2:])
        assert "未显示：" in note and "--json" in note, lines[-2:]
        assert all(h in note for h in missing), (missing, note)
    else:
        assert "未显示" not in screen
    assert ("村(社区)" if command == ("board",) else "编号") in header
    if columns == 80:
        assert missing


BOARD = ("乡镇", "村(社区)", "类别", "类型", "阶段", "问题", "已销号", "未销号", "逾期", "临期",
         "最近进展", "包联县级领导", "第一书记")
LIST = ("编号", "村(社区)", "问题", "类型", "责任人", "整改时限", "状态", "逾期天数")


def test_board_keeps_every_column_when_the_terminal_is_wide(county: Path) -> None:
    screen = on_terminal(county, "board", columns=200)
    assert "未显示" not in screen
    for header in ("乡镇", "类别", "类型", "阶段", "逾期", "包联县级领导", "第一书记"):
        assert header in screen


def test_problem_titles_wrap_at_a_readable_width(county: Path) -> None:
    """At 80 columns a title wraps in pieces of many characters, never one per line."""
    screen = on_terminal(county, "list", "--overdue", columns=80)
    rows = [line.split("│") for line in screen.splitlines() if line.startswith("│")]
    firsts = [cells[2].strip() for cells in rows if cells[1].strip()]  # a problem's first line
    assert len(firsts) >= 5 and min(cell_len(text) for text in firsts) >= 16, firsts
    assert "村干部作风漂浮，群众办事找不到" in screen.replace("\n", "")


def test_board_piped_is_not_cut(county: Path) -> None:
    result = subprocess.run([str(ZHENGDUN), "board"], cwd=county, env=environment(COLUMNS="80"),
                            capture_output=True, text=True, check=True)
    assert "未显示" not in result.stdout
    assert "第一书记" in result.stdout


def test_log_and_undo_show_times_in_the_workspace_timezone(county: Path, tmp_path: Path) -> None:
    """A commit made at 23:30 UTC is 07:30 the next morning in Beijing, as the clerk lived it."""
    env = environment(GIT_AUTHOR_DATE="2026-11-20T23:30:00+00:00",
                      GIT_COMMITTER_DATE="2026-11-20T23:30:00+00:00")
    subprocess.run([str(ZHENGDUN), "step", "chengdong/1", "夜间补记", "--on", "2026-11-20"],
                   cwd=county, env=env, check=True, capture_output=True)
    log = subprocess.run([str(ZHENGDUN), "log", "chengdong/1"], cwd=county, env=environment(),
                         capture_output=True, text=True, check=True).stdout
    assert "2026-11-21 07:30  " in log
    undo = subprocess.run([str(ZHENGDUN), "undo"], cwd=county, env=environment(),
                          capture_output=True, text=True, input="")
    assert "记录于 2026-11-21 07:30，" in undo.stdout, undo


PAGER = "sed 's/^/PAGED:/'"  # a pager that shows it was used


@pytest.mark.parametrize("command", [("log", "城东社区"), ("show", "城东社区"),
                                     ("diff", "2026-09-30", "2026-10-31"), ("audit",)])
def test_long_output_goes_through_a_pager_on_a_terminal(county: Path,
                                                        command: tuple[str, ...]) -> None:
    screen = on_terminal(county, *command, columns=100, rows=10, ZHENGDUN_PAGER=PAGER)
    lines = [line for line in screen.splitlines() if line.strip()]
    assert len(lines) > 10 and all(line.startswith("PAGED:") for line in lines), lines[:5]
    # piped, or short enough for the screen: no pager
    piped = subprocess.run([str(ZHENGDUN), *command], cwd=county, capture_output=True,
                           text=True, env=environment(ZHENGDUN_PAGER=PAGER))
    assert "PAGED:" not in piped.stdout and piped.stdout.strip()
    tall = on_terminal(county, *command, columns=100, rows=1000, ZHENGDUN_PAGER=PAGER)
    assert "PAGED:" not in tall


# The hand-drawn table (zhengdun.screen): measured as rich measures, wrapped as Chinese wraps.

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from zhengdun.screen import Styled, cells, draw, wrap  # noqa: E402


@given(st.text(alphabet=st.sampled_from("整改销号村社区，。、）ab1 2-"), max_size=80),
       st.integers(min_value=2, max_value=40))
def test_wrapped_lines_fit_and_lose_nothing(text: str, width: int) -> None:
    lines = wrap(text, width)
    assert all(cells(line) <= width for line in lines), lines
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_a_line_never_starts_with_a_closing_mark() -> None:
    assert wrap("村干部作风漂浮，群众办事找不到人", 14) == ["村干部作风漂", "浮，群众办事找", "不到人"]
    assert wrap("整改 report 已完成", 10) == ["整改", "report 已", "完成"]


def test_cells_agree_with_rich() -> None:
    for text in ("村(社区)", "“两委”", "abc", "２０２６年", "e\u0301", "—"):
        assert cells(text) == cell_len(text), text


def test_control_characters_never_reach_the_terminal() -> None:
    text = draw(None, ["问题"], [["红\x1b[31m字\x07"]], [16], [False], [True])
    assert "\x1b" not in text and "\x07" not in text and "\\x1b[31m" in text


def test_colour_only_where_asked() -> None:
    rows = [[Styled("逾期", "bold red"), "3"]]
    plain = draw("标题", ["状态", "天数"], rows, [4, 4], [False, True], [False, False])
    painted = draw("标题", ["状态", "天数"], rows, [4, 4], [False, True], [False, False],
                   colour=True)
    assert "\x1b" not in plain and "\x1b[1;31m逾期\x1b[0m" in painted
    assert ANSI.sub("", painted) == plain
    assert plain.splitlines()[4] == "│逾期 │    3│"
