"""Where the shipped templates, demo ledgers and demo config live.

In an installed wheel they are package data under ``zhengdun/_shipped``; in a checkout they
are the repository's own top-level ``templates/``, ``ledgers/`` and ``zhengdun.yaml`` (the
repository is itself a demo workspace).
"""

from __future__ import annotations

from pathlib import Path

from zhengdun.errors import UserError


def shipped_dir() -> Path:
    """The folder holding ``templates/``, ``ledgers/`` and ``zhengdun.yaml`` as shipped."""
    packaged = Path(__file__).resolve().parent / "_shipped"
    if (packaged / "templates").is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "templates").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout
    raise UserError("找不到 zhengdun 自带的模板和演示数据，安装可能不完整",
                    "请重新安装 zhengdun（pip install --force-reinstall zhengdun）")


def shipped_templates() -> Path:
    """The shipped templates folder."""
    return shipped_dir() / "templates"
