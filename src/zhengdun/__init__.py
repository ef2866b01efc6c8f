"""zhengdun (整顿): a command-line ledger for the rectification of weak and lax grassroots
party organizations (软弱涣散基层党组织整顿), with git as the audit trail."""

from __future__ import annotations

__version__ = "0.1.0"
