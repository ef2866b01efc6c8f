"""Screen tables drawn by hand: Chinese text measured in terminal cells, titles wrapped at word
and character boundaries, colour only on a terminal. Part of the CLI layer.

``board`` and ``list`` at the size of a province are thousands of rows; laying them out with
rich costs seconds, and importing rich alone costs more than the whole answer from the cache.
This module imports nothing beyond the standard library. The look is rich's ``HEAVY_HEAD``
table, so the clerk's screens did not change when it came in.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

_CODES = {"bold": "1", "italic": "3", "red": "31", "green": "32", "yellow": "33",
          "magenta": "35"}
#: closing punctuation a line never starts with (避头): it stays with the character before it
_NO_LINE_START = frozenset("，。、；：？！）》」』】〕”’…—,.;:?!)]}%")


@dataclass(frozen=True)
class Styled:
    """A cell's text with a style (``"bold red"``, ``"green"``…), shown only on a terminal."""

    text: str
    style: str = ""

    def __str__(self) -> str:
        return self.text


Cell = str | Styled


@lru_cache(maxsize=4096)
def _char_cells(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cells(text: str) -> int:
    """How many terminal cells ``text`` takes: a Chinese character two, a letter one."""
    if text.isascii():
        return len(text)
    return sum(_char_cells(char) for char in text)


def _visible(text: str) -> str:
    """Control characters shown as ``\\x1b``, never sent to the terminal as they are."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape")
                   .decode("ascii") for ch in text.replace("\n", " ").replace("\t", " "))


def _tokens(text: str) -> list[str]:
    """Words of Latin letters and digits stay whole; every Chinese character is its own piece."""
    out: list[str] = []
    word = ""
    for char in text:
        if char.isascii() and not char.isspace():
            word += char
            continue
        if word:
            out.append(word)
            word = ""
        out.append(char)
    if word:
        out.append(word)
    return out


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells; no line starts with a closing mark."""
    if cells(text) <= width:
        return [text]
    lines: list[list[str]] = [[]]
    used = 0
    for token in _tokens(text):
        size = cells(token)
        if size > width:  # a word longer than the column: cut it by characters
            for char in token:
                if used + cells(char) > width:
                    lines.append([])
                    used = 0
                lines[-1].append(char)
                used += cells(char)
            continue
        if used + size > width:
            if token.isspace():
                continue
            moved: list[str] = []
            if (token[0] in _NO_LINE_START and len(lines[-1]) > 1
                    and cells(lines[-1][-1]) + size <= width):
                moved = [lines[-1].pop()]
            lines.append(moved)
            used = sum(cells(piece) for piece in moved)
        if not lines[-1] and token.isspace():
            continue
        lines[-1].append(token)
        used += size
    return ["".join(line).rstrip() for line in lines if line]


def terminal_width() -> int | None:
    """The terminal's width when stdout is one; None when piped (tables are then not cut)."""
    if not sys.stdout.isatty():
        return None
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns or 80
    except OSError:
        return 80


def colour_wanted() -> bool:
    """Colour on a terminal, as rich and git decide it: not with NO_COLOR or TERM=dumb."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


def _paint(text: str, style: str, colour: bool) -> str:
    if not colour or not style or not text:
        return text
    codes = ";".join(_CODES[word] for word in style.split() if word in _CODES)
    return f"\x1b[{codes}m{text}\x1b[0m" if codes else text


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * (width - cells(text))
    return space + text if right else text + space


def draw(title: str | None, headers: Sequence[str], rows: Sequence[Sequence[Cell]],
         widths: Sequence[int], right: Sequence[bool], wrapped: Sequence[bool],
         styles: Sequence[str] | None = None, colour: bool = False) -> str:
    """The table as text: ``widths`` are the columns' content widths in cells; ``wrapped``
    columns wrap at those widths, others are as wide as their widest cell."""
    count = len(headers)
    # rich's pad_edge=False: one space inside each rule, none at the table's outer edges
    left = [0 if i == 0 else 1 for i in range(count)]
    right_pad = [0 if i == count - 1 else 1 for i in range(count)]
    spans = [widths[i] + left[i] + right_pad[i] for i in range(count)]

    def rule(start: str, fill: str, cross: str, end: str) -> str:
        return start + cross.join(fill * span for span in spans) + end

    def line(texts: Sequence[str], bar: str, style: str) -> str:
        parts = []
        for i, text in enumerate(texts):
            body = _pad(text, widths[i], right[i])
            parts.append(" " * left[i] + _paint(body, style, colour) + " " * right_pad[i])
        return bar + bar.join(parts) + bar

    out: list[str] = []
    if title:
        out.append(_paint(_visible(title), "italic", colour))
    out.append(rule("┏", "━", "┳", "┓"))
    out.append(line([_visible(h) for h in headers], "┃", "bold"))
    out.append(rule("┡", "━", "╇", "┩"))
    for n, row in enumerate(rows):
        row_style = styles[n] if styles else ""
        pieces: list[list[str]] = []
        cell_styles: list[str] = []
        for i, cell in enumerate(row):
            text = _visible(str(cell))
            pieces.append(wrap(text, widths[i]) if wrapped[i] else [text])
            own = cell.style if isinstance(cell, Styled) else ""
            cell_styles.append(" ".join(s for s in (row_style, own) if s))
        for k in range(max(len(p) for p in pieces) if pieces else 1):
            parts = []
            for i in range(count):
                text = pieces[i][k] if k < len(pieces[i]) else ""
                body = _pad(text, widths[i], right[i])
                if text:
                    body = _paint(body, cell_styles[i], colour)
                parts.append(" " * left[i] + body + " " * right_pad[i])
            out.append("│" + "│".join(parts) + "│")
    out.append(rule("└", "─", "┴", "┘"))
    return "".join(text + "\n" for text in out)
