"""The pager for long output (``less``, as git uses it): the only module that runs a program
other than git."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def page(text: str) -> bool:
    """Show ``text`` through a pager, as git does, when it is longer than the terminal;
    False (nothing shown) when not on a terminal, short enough, or no pager is to be had.

    The pager is ``ZHENGDUN_PAGER``, else ``PAGER``, else ``less`` with git's ``LESS=FRX``
    (quit if one screen, keep colours, leave the text on the screen); ``cat`` or an empty value
    turns paging off.
    """
    if not text or not sys.stdout.isatty():
        return False
    if text.count("\n") < shutil.get_terminal_size().lines - 1:
        return False
    command = os.environ.get("ZHENGDUN_PAGER", os.environ.get("PAGER"))
    if command is None:
        if shutil.which("less") is None:
            return False
        command = "less"
    if command.strip() in ("", "cat"):
        return False
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    sys.stdout.flush()
    try:
        pager = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=env)
    except OSError:
        return False
    try:
        pager.communicate(text.encode("utf-8"))
    except (BrokenPipeError, KeyboardInterrupt):  # the clerk quit the pager early
        pager.wait()
    return True

