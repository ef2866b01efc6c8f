"""Ctrl-C around the one moment that decides whether a record exists: ``git commit``.

Before git has committed, an interrupt stops the command and the file is put back: nothing
was recorded. Once git has moved HEAD, the record exists, and putting the file back would
make the working file disagree with the history (``check`` would then call the removal a hand
edit, and committing it would delete the clerk's record). So from the moment ``git commit``
starts until the program's boundary has told the clerk what happened, Ctrl-C is only
remembered (:func:`hold`, from before the ledger file is replaced); the commit's outcome
decides, and the boundary reports a success as a success (:func:`release`).

git itself still gets a Ctrl-C typed at the terminal (it is in the same process group, and a
handler set here is reset to the default in the child): it may die before or after it moved
HEAD, which is why the caller looks at HEAD afterwards instead of trusting git's exit code.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

_previous: Any = None
_holding = False
_received = False


def _remember(signum: int, frame: FrameType | None) -> None:
    global _received
    _received = True


def hold() -> None:
    """From now until :func:`release`, a SIGINT is remembered instead of raised."""
    global _previous, _holding, _received
    if _holding or threading.current_thread() is not threading.main_thread():
        return
    _previous = signal.signal(signal.SIGINT, _remember)
    _holding = True
    _received = False


def shield() -> None:
    """The record is committed: from now on Ctrl-C is ignored, by this process and by the git
    programs it still runs (an ignored signal stays ignored across ``exec``), so that the
    bookkeeping after the commit (``REVERT_HEAD`` removed, the index entry refreshed) is not
    cut short by a Ctrl-C typed at the terminal."""
    if _holding:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def holding() -> bool:
    """Whether Ctrl-C is being held."""
    return _holding


def note() -> None:
    """A git child died of SIGINT: the Ctrl-C was meant for this command too."""
    global _received
    if _holding:
        _received = True


def received() -> bool:
    """Whether a SIGINT arrived while held."""
    return _received


def release() -> bool:
    """Restore the earlier SIGINT handler; returns whether a SIGINT arrived while held.

    Idempotent: the program's boundary calls it whatever happened, so a command that never
    held anything releases nothing.
    """
    global _previous, _holding, _received
    if not _holding:
        return False
    signal.signal(signal.SIGINT, _previous if _previous is not None else signal.SIG_DFL)
    _previous = None
    _holding = False
    arrived, _received = _received, False
    return arrived


def checkpoint() -> None:
    """Between two recordings of a command that makes many (``demo``): end the hold, and stop
    here if Ctrl-C came during the last one (which stands: it was committed)."""
    if release():
        raise KeyboardInterrupt
