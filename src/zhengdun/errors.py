"""The exceptions zhengdun raises. One root, one user-facing branch.

One boundary (:mod:`zhengdun.boundary`) turns a :class:`UserError` into its message on stderr
and exit code 1; this module only carries the data. Messages are written for the clerk: what is wrong, then what to do.
"""

from __future__ import annotations

from collections.abc import Sequence


class ZhengdunError(Exception):
    """Root of every exception zhengdun raises on purpose."""


class UserError(ZhengdunError):
    """Something the clerk can fix: bad input, bad data, a workspace in the wrong state.

    ``message`` says what is wrong; ``hint`` says what to do about it.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n{self.hint}"
        return self.message


class NotAWorkspace(UserError):
    """The folder is not (inside) a zhengdun workspace."""


class DataError(UserError):
    """A ledger or config file does not validate; carries the findings."""

    def __init__(self, message: str, findings: Sequence[object], hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.findings = list(findings)


class GitError(UserError):
    """git refused or failed; the message is already reworded for the clerk."""


class LockTimeout(UserError):
    """Another zhengdun command holds the workspace lock for too long."""

