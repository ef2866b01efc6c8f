"""The clerk's wording: when a text counts as empty, when two names are the same.

Plain functions over ``str``, without the models, so that the quick path, the full path, the
reports and ``check`` apply each rule from this one place.

Invisible characters are Unicode's format characters (category Cf): the zero-width space
U+200B and joiners, the word joiner U+2060, the BOM U+FEFF, the soft hyphen, the direction
marks. They come in with text pasted from web pages and chat programs, print as nothing, and
yet make "城东社区\u200b" a different string from "城东社区".
"""

from __future__ import annotations

import unicodedata


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf"


def is_blank(text: str) -> bool:
    """Nothing a reader would see: empty, spaces only, or invisible characters only."""
    return all(ch.isspace() or _invisible(ch) for ch in text)


def name_key(text: str) -> str:
    """What a name (of an organization, a township, a person) is compared by: without its
    invisible characters and surrounding spaces, "城关镇 " and "城关镇" are one township."""
    if text.isascii():
        return text.strip()
    return "".join(ch for ch in text if not _invisible(ch)).strip()


def typed_name(text: str) -> str:
    """A name given on the command line, as it is recorded: what :func:`name_key` keeps."""
    return name_key(text)


def name_problem(text: str) -> str | None:
    """Why a name written into a file by hand would be taken for another (None: it is fine)."""
    if text == name_key(text):
        return None
    if is_blank(text):
        return "只有空格或看不见的字符"
    if any(_invisible(ch) for ch in text):
        shown = "、".join(dict.fromkeys(f"U+{ord(ch):04X}" for ch in text if _invisible(ch)))
        return f"“{name_key(text)}”中有看不见的字符（{shown}，多来自网页或聊天软件的复制粘贴）"
    return f"“{text}”前后有空格"


def name_holder(names: dict[str, str | None], name: str, besides: str | None = None,
                ) -> str | None:
    """The key (slug or file) in ``names`` of the organization, other than ``besides``, that
    already has ``name``, compared by :func:`name_key`.

    The one rule that names stay unique (a reference by name must never become ambiguous):
    ``org add``, ``org set --name``, ``commit`` and ``check`` all ask it.
    """
    wanted = name_key(name)
    return next((key for key, held in sorted(names.items())
                 if held is not None and name_key(held) == wanted and key != besides), None)


def duplicate_name(name: str, other: str) -> tuple[str, str]:
    """What ``check`` and ``commit`` say of a file whose name ``other`` already has."""
    return f"名称“{name}”与 {other} 重复", "每个村(社区)只能有一个台账文件"


#: What a spreadsheet program takes for the start of a formula (and ``\t``/``\r``, which
#: some versions strip before looking): OWASP's list for CSV injection.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(text: str) -> bool:
    """Whether Excel or WPS would read ``text`` typed into a cell as a formula.

    The one rule for every file zhengdun writes for a spreadsheet: ``export`` writes such a
    cell as text (its type, not its content, says so), ``board --format csv`` prefixes it
    with ``'`` (:func:`spreadsheet_text`), which Excel shows as text and does not display.
    """
    return text.startswith(FORMULA_STARTS)


def spreadsheet_text(text: str) -> str:
    """A value for a CSV cell that a spreadsheet will show as text, never run as a formula."""
    return "'" + text if formula_like(text) else text
