"""The program's one error boundary: every front end (the quick entry, the Typer commands, the
Typer group) runs its work through :func:`guarded`, so each kind of exception has one message
and one exit code (the README's: 0, 1 for a clerk's error, 130 interrupted).

Exceptions carry data (:mod:`zhengdun.errors`); the words on stderr are written here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from zhengdun import interrupts
from zhengdun.errors import DataError, UserError

INTERRUPTED = "已中断。"
#: said when Ctrl-C came after git had committed: the command succeeded and says so.
LATE_INTERRUPT = "（中断信号在记录完成后才收到：本次记录已经保存，无需重做。）"


def report_error(exc: UserError) -> None:
    """``错误：…`` on stderr: the message, a data error's findings, and the hint."""
    lines = [f"错误：{exc.message}"]
    if isinstance(exc, DataError):
        from zhengdun.console import format_findings

        lines.append(format_findings(exc.findings))  # type: ignore[arg-type]
    if exc.hint:
        lines.append(exc.hint)
    sys.stderr.write("\n".join(lines) + "\n")


_told: list[bool] = []


def interrupted() -> int:
    """What every front end says and returns for Ctrl-C: said once, whichever layer saw it
    first (Typer turns a Ctrl-C while it parses into a silent exit 130, which the group's
    boundary then explains)."""
    if not _told:
        _told.append(True)
        sys.stderr.write(f"\n{INTERRUPTED}\n")
    return 130


def begin() -> None:
    """A new command begins (the tests run many in one process): nothing said or held yet."""
    _told.clear()
    interrupts.release()


def guarded(body: Callable[[], int | None]) -> int:
    """Run ``body`` and turn what it raises into the message and the exit code."""
    begin()
    try:
        code = body() or 0
    except UserError as exc:
        report_error(exc)
        code = 1
    except BrokenPipeError:  # the reader went away (``zhengdun log | head``): not an error
        code = 0
    except KeyboardInterrupt:
        code = interrupted()
    finally:
        late = interrupts.release()
    if late and code == 0:
        sys.stderr.write(LATE_INTERRUPT + "\n")
    return code

