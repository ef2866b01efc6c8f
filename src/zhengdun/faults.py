"""Crash points, for the reliability tests.

``ZHENGDUN_FAULT=<stage>`` makes the process kill itself with SIGKILL when it reaches that
stage, exactly as a power cut or ``kill -9`` would stop it there. The stages of a recording
command, in order: ``before-write``, ``after-temp`` (temp file written and synced, not yet
renamed), ``after-rename`` (the ledger is the new one, not yet committed), ``before-commit``
(files staged, ``git commit`` not yet run), ``after-commit``. ``undo`` passes the same
points: ``before-write`` comes before it marks the revert (REVERT_HEAD), ``after-rename`` once
every file is put back. What a kill at each point leaves, and the way out: docs/reliability.md.
"""

from __future__ import annotations

import os

FAULT_ENV = "ZHENGDUN_FAULT"
STAGES = ("before-write", "after-temp", "after-rename", "before-commit", "after-commit")


def point(stage: str) -> None:
    """Die here if the environment asks for it; otherwise do nothing (one dict lookup)."""
    if os.environ.get(FAULT_ENV) == stage:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
