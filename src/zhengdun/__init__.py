"""zhengdun (整顿): a command-line ledger for the rectification of weak and lax grassroots
party organizations (软弱涣散基层党组织整顿), with git as the audit trail."""

from __future__ import annotations

import _signal  # the C module: ``signal`` would first import enum and functools (milliseconds)
import sys

__version__ = "0.1.0"


def _interrupted_while_loading(signum: int, frame: object) -> None:
    """Ctrl-C while the program is still importing: nothing can have been written yet, so
    say so and leave at once (a KeyboardInterrupt here would print a traceback)."""
    import os

    os.write(2, "\n已中断。\n".encode())
    os._exit(130)


# Only when this is the program (the ``zhengdun`` script, or ``python -m zhengdun``, whose
# ``argv[0]`` is "-m" while the package loads), never for a library import such as the tests':
# the entry point sets the usual handler back as soon as it runs (``quick._main``).
if sys.argv and (sys.argv[0] == "-m" or sys.argv[0].rsplit("/", 1)[-1] == "zhengdun"):
    _signal.signal(_signal.SIGINT, _interrupted_while_loading)
