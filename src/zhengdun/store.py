"""Reading and writing the YAML files: the only module that imports a YAML library.

Reading uses libyaml's C parser (through PyYAML) with the YAML 1.2 core schema, because
parsing dominates every report over many ledgers (see PERF-NOTES). The nodes it composes carry
line and column marks, so every finding can point at the clerk's line.

Writing never re-serialises a whole file the clerk may have touched. A command describes its
change as an :class:`Append` or :class:`Set` at a path; the change is spliced into the text as a
few new or replaced lines, in zhengdun's layout, and everything else — comments, key order,
quoting, blank lines — stays byte for byte. The result is parsed again and must equal what the
command meant to write; if it does not (an unusual hand-made layout), the same change is made
with ruamel.yaml's round-trip dumper instead, and checked the same way. Records that go into a
mapping or list the clerk wrote inline (``{…}``, ``[…]``) are spliced inside its brackets. The
fallback's text is refused when it changes lines the record does not touch: ruamel writes the
whole file in its own layout, and the clerk's other lines must stay as they were.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from zhengdun import faults
from zhengdun.errors import UserError

#: Ledgers are small; a file this large in ledgers/ is a mistake, not a village.
MAX_FILE_BYTES = 8 * 1024 * 1024

DataPath = tuple[str | int, ...]


# --------------------------------------------------------------------------- errors


class YamlError(UserError):
    """A file that cannot be read as YAML (or not as our YAML); points at a line."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.line = line  # 1-based
        self.column = column  # 1-based


# --------------------------------------------------------------------------- reading

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class SpelledInt(int):
    """An integer YAML 1.2 reads from another spelling (``0x9``, ``0o11``, ``010``, ``+9``).

    It equals its number; ``spelling`` keeps what the file says, so that where text is
    expected (a category code) the model can refuse ``0x9`` instead of taking it for ``9``.
    """

    spelling: str

    def __new__(cls, number: int, spelling: str) -> SpelledInt:
        made = super().__new__(cls, number)
        made.spelling = spelling
        return made


class _Core12Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema: ``no``, ``on``, ``010`` and ``1:20`` are what they look like.

    Dates are not resolved: they stay text and the model parses them, so an impossible date
    is reported as such instead of failing inside the parser.
    """

    yaml_implicit_resolvers: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012


_Core12Resolver.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Core12Resolver.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"))
_Core12Resolver.add_implicit_resolver(
    _FLOAT,
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))
_Core12Resolver.add_implicit_resolver(
    _NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])

_BY_FIRST: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    first: list(resolvers) for first, resolvers in _Core12Resolver.yaml_implicit_resolvers.items()
    if first is not None}


def _resolve(self: Any, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
    """The tag of an untagged node, without PyYAML's generic machinery (path resolvers,
    a list copy per call): called once per scalar, it dominated reading (323k calls at S)."""
    if kind is ScalarNode:
        if implicit[0]:
            if not value:
                return _NULL
            for tag, regexp in _BY_FIRST.get(value[0], ()):
                if regexp.match(value):
                    return tag
        return _STR
    return _SEQ if kind is SequenceNode else _MAP


def _no_path(*_args: Any) -> None:
    """Path resolvers are not used: nothing to track while descending."""


_Core12Resolver.resolve = _resolve  # type: ignore[method-assign]
_Core12Resolver.descend_resolver = _no_path  # type: ignore[method-assign,assignment]
_Core12Resolver.ascend_resolver = _no_path  # type: ignore[method-assign,assignment]

try:  # libyaml's parser; the pure-Python one gives the same nodes, only slower
    from yaml._yaml import CParser as _Parser  # libyaml; ``yaml`` does not re-export it

    class _Loader(_Parser, _Core12Resolver):
        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            _Core12Resolver.__init__(self)

except ImportError:  # pragma: no cover - only without libyaml
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Loader(Reader, Scanner, Parser, Composer, _Core12Resolver):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)
            _Core12Resolver.__init__(self)


_PROBLEM_ZH = [
    ("found character '\\t' that cannot start any token", "这里有制表符（Tab），YAML 只能用空格缩进"),
    ("found a tab character", "这里有制表符（Tab），YAML 只能用空格缩进"),
    ("mapping values are not allowed",  # libyaml: "... in this context"; PyYAML: "... here"
     "这里不能出现“: ”：可能是缩进不对，或文字中含有“: ”需要加引号"),
    ("could not find expected ':'", "找不到应有的冒号“:”，可能是缩进不对或引号没有配对"),
    ("did not find expected key", "缩进不一致：这一行与上下文的对齐方式不符"),
    ("did not find expected '-' indicator", "列表缩进不一致：这一行应以“- ”开头或与上一项对齐"),
    ("found undefined alias", "引用了未定义的别名（*）"),
    ("found unexpected end of stream", "文件意外结束：可能是引号或括号没有配对"),
    ("found unknown escape character", "双引号中的转义字符“\\”不正确"),
    ("found character that cannot start any token", "这个字符不能出现在此处，文字中含有特殊符号时请加引号"),
    ("control characters are not allowed", "文件中含有不可见的控制字符"),
    ("expected <block end>, but found", "缩进不一致：这一行与上一层级没有对齐"),
    ("but found another document", "文件中只能有一个文档（不要使用“---”分隔）"),
    ("did not find expected <document start>", "缩进不一致：这一行与上文的对齐方式不符"),
    ("did not find expected ',' or ']'", "方括号没有配对：“[”缺少对应的“]”，或各项之间缺少逗号"),
    ("did not find expected ',' or '}'", "花括号没有配对：“{”缺少对应的“}”，或各项之间缺少逗号"),
    ("exceeded maximum nesting depth",
     "括号或缩进嵌套的层数太多（上千层），台账文件不会有这样的结构：可能是多出了大量“[”或“{”"),
]

# Characters YAML takes for a line break that editors show as nothing (or as a space): a
# parse error after one points at a line number the clerk cannot find.
_INVISIBLE_BREAKS = {"\u2028": "U+2028（行分隔符 LINE SEPARATOR）",
                     "\u2029": "U+2029（段分隔符 PARAGRAPH SEPARATOR）",
                     "\x85": "U+0085（下一行 NEXT LINE）"}
_CONFLICT_MARKER = re.compile(r"^(?:<{7}|={7}|>{7})(?: |$)", re.MULTILINE)


def _unreadable_layout(text: str, error_line: int | None) -> YamlError | None:
    """What an editor hides behind a YAML syntax error: the markers of an unresolved git merge,
    or an invisible line break before the error (``error_line``: 0-based, YAML's counting)."""
    conflict = _CONFLICT_MARKER.search(text)
    if conflict is not None:
        line = text.count("\n", 0, conflict.start()) + 1
        return MergeConflict("这里是 git 合并冲突留下的标记（<<<<<<< / ======= / >>>>>>>），"
                         "合并冲突还没有解决", line, 1, hint=CONFLICT_HINT.format(name="这个文件"))
    found = [i for i in (text.find(ch) for ch in _INVISIBLE_BREAKS) if i >= 0]
    if not found:
        return None
    at = min(found)
    yaml_line = text.count("\n", 0, at) + sum(text.count(ch, 0, at) for ch in _INVISIBLE_BREAKS)
    if error_line is not None and error_line < yaml_line:
        return None  # the error comes before it: it is not the cause
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    return YamlError(f"第 {line} 行第 {column} 列有一个看不见的字符 {_INVISIBLE_BREAKS[text[at]]}，"
                     "YAML 把它当作换行，这一行因此断开、无法读取", line, column,
                     hint="这种字符多半随网页或 Word 中复制的文字而来：在编辑器中把光标移到这一行这一列，"
                          "删去它（看起来像是什么都没有，或一个空格）后保存")


class MergeConflict(YamlError):
    """Markers of a git merge that was not finished, left in the file.

    ``file`` and ``name`` say which file: what to do depends on the state git is in (a merge,
    a rebase, none), which :func:`zhengdun.history.conflict_hint` words; the hint here is the
    fallback for a file outside any repository.
    """

    file: Path | None = None
    name: str = "这个文件"


CONFLICT_HINT = ("用编辑器打开 {name} ，每处冲突在 <<<<<<< 与 ======= 之间、======= 与 >>>>>>> "
                 "之间保留应当保留的行，删去这三种标记行")


def _char_at(text: str, line: int, column: int) -> str:
    """The character at a 0-based (line, column) mark, or "" past the end."""
    lines = text.split("\n")
    return lines[line][column:column + 1] if line < len(lines) else ""


def _translate(problem: str) -> str:
    for english, chinese in _PROBLEM_ZH:
        if english in problem:
            return chinese
    return f"YAML 格式错误（{problem}）"


def _too_large(size: int, name: str) -> YamlError:
    return YamlError(f"{name} 有 {size // (1024 * 1024)} MB，远超一个台账文件应有的大小",
                     hint="请确认放入 ledgers/ 的是台账文件，而不是照片或其他材料"
                          "（佐证材料请放在 evidence/ 中）")


def refuse_unreadable_size(data: bytes, name: str) -> None:
    """Refuse to write a ledger larger than :data:`MAX_FILE_BYTES`: every command (and ``audit``,
    for that version, for good) would refuse to read it back. Called before anything is
    written, by the one write step of the full and the quick path."""
    if len(data) <= MAX_FILE_BYTES:
        return
    mib = 1024 * 1024
    would = math.ceil(len(data) * 100 / mib) / 100  # rounded up: never shown as the limit itself
    raise UserError(f"这样记录后，{name} 将有 {would:.2f} MB，超过台账文件 {MAX_FILE_BYTES // mib} MB "
                    "的上限（超过上限的台账 zhengdun 无法再读取），本次未记录",
                    "请精简这次的文字；较长的材料（会议记录、报告全文等）请放进 evidence/ 文件夹，"
                    "用 --evidence 作为佐证材料引用")


def decode(raw: bytes, name: str) -> tuple[str, bool, str]:
    """Bytes to text: returns (text without BOM, had BOM, newline used)."""
    if len(raw) > MAX_FILE_BYTES:
        raise _too_large(len(raw), name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        try:
            raw.decode("gbk")
            guess = "看起来是 GBK 编码（Windows 中文系统的记事本、Excel 常用）"
        except UnicodeDecodeError:
            guess = "不是 UTF-8 编码"
        raise YamlError(f"{name} {guess}，zhengdun 只读 UTF-8 文件", line, 1,
                        hint="请用编辑器“另存为 UTF-8”，或运行 "
                             f"iconv -f GBK -t UTF-8 {name} -o {name}.utf8 后替换原文件") from None
    bom = text.startswith("\ufeff")
    if bom:
        text = text[1:]
    newline = "\r\n" if "\r\n" in text[:4096] else "\n"
    if newline == "\n" and "\r" in text[:4096] and "\n" not in text:
        # Line ends of old Mac editors (CR alone): read with LF, so the splicer's lines are
        # the file's lines, and written back with CR (Document.encode), never mixed.
        return text.replace("\r", "\n"), bom, "\r"
    return text, bom, newline


@dataclass
class Parsed:
    """A parsed YAML text: the plain data, the node tree, and where each path sits."""

    data: Any
    root: Node | None
    marks: dict[DataPath, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[DataPath, tuple[int, int]] = field(default_factory=dict)


def parse(text: str, *, marks: bool = False) -> Parsed:
    """Parse one YAML document into plain data (dict, list, str, int, float, bool, None)."""
    loader = None
    try:
        loader = _Loader(text)  # the pure-Python reader checks the characters right here
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        problem = str(exc.problem or exc.context)
        if mark is not None and _char_at(text, mark.line, mark.column) == "\t":
            problem = "found a tab character"  # libyaml does not say which character it was
        hidden = _unreadable_layout(text, mark.line if mark else None)
        if hidden is not None:
            raise hidden from None
        raise YamlError(_translate(problem), line, column) from None
    except yaml.YAMLError as exc:
        hidden = _unreadable_layout(text, None)
        if hidden is not None:
            raise hidden from None
        raise YamlError(_translate(str(exc))) from None
    finally:
        if loader is not None:
            loader.dispose()
    parsed = Parsed(None, root)
    if root is not None:
        builder = _Builder(parsed if marks else None)
        if marks or "*" in text:  # an alias needs ``*``: only then track every node
            parsed.data = builder.build(root, ())
        else:
            parsed.data = builder.fast(root)
    return parsed


class _Builder:
    """Nodes to plain data, refusing what our files never hold (tags, aliases, duplicates)."""

    def __init__(self, parsed: Parsed | None) -> None:
        self.parsed = parsed
        self.seen: set[int] = set()

    def fail(self, node: Node, message: str, hint: str | None = None) -> YamlError:
        return YamlError(message, node.start_mark.line + 1, node.start_mark.column + 1, hint)

    def visit(self, node: Node) -> None:
        """Refuse a node met a second time: that is what an alias (``*name``) composes to."""
        if id(node) in self.seen:
            raise self.fail(node, "台账文件中不能使用 YAML 锚点和别名（& 和 *）",
                            "请把别名处的内容直接写出来")
        self.seen.add(id(node))

    def fast(self, node: Node) -> Any:
        """:meth:`build` without marks or alias tracking, for texts that hold no alias."""
        kind = node.__class__
        if kind is ScalarNode:
            return node.value if node.tag == _STR else self.scalar(node)  # type: ignore[arg-type]
        if kind is MappingNode:
            if node.tag != _MAP:
                raise self.unsupported_tag(node)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.__class__ is not ScalarNode:
                    raise self.fail(key_node, "键必须是简单的文字")
                key = key_node.value if key_node.tag == _STR else self.key(key_node)
                if key in out:
                    raise self.duplicate(key_node, key)
                out[key] = self.fast(value_node)
            return out
        if kind is SequenceNode:
            if node.tag != _SEQ:
                raise self.unsupported_tag(node)
            return [self.fast(item) for item in node.value]
        raise self.fail(node, "无法识别的 YAML 内容")  # pragma: no cover

    def key(self, key_node: ScalarNode) -> Any:
        key = self.scalar(key_node)
        if isinstance(key, float | bool) or key is None:
            raise self.fail(key_node, f"键 {key_node.value!r} 无效")
        return key

    def duplicate(self, key_node: Node, key: Any) -> YamlError:
        return self.fail(key_node, f"键“{key}”重复出现",
                         "同一层级中每个键只能出现一次，请删除或合并重复的一项")

    def build(self, node: Node, path: DataPath) -> Any:
        self.visit(node)
        if self.parsed is not None:
            self.parsed.marks[path] = (node.start_mark.line, node.start_mark.column)
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                raise self.unsupported_tag(node)
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            if node.tag != _MAP:
                raise self.unsupported_tag(node)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    raise self.fail(key_node, "键必须是简单的文字")
                self.visit(key_node)
                key = self.scalar(key_node)
                if isinstance(key, float | bool) or key is None:
                    raise self.fail(key_node, f"键 {key_node.value!r} 无效")
                if key in out:
                    raise self.fail(key_node, f"键“{key}”重复出现",
                                    "同一层级中每个键只能出现一次，请删除或合并重复的一项")
                if self.parsed is not None:
                    self.parsed.key_marks[(*path, key)] = (key_node.start_mark.line,
                                                          key_node.start_mark.column)
                out[key] = self.build(value_node, (*path, key))
            return out
        raise self.fail(node, "无法识别的 YAML 内容")  # pragma: no cover

    def unsupported_tag(self, node: Node) -> YamlError:
        return self.fail(node, f"不支持 YAML 标签 {node.tag}",
                         "台账文件中不要使用以“!”开头的标签；如果这是文字，请加引号")

    def scalar(self, node: ScalarNode) -> Any:
        tag, value = node.tag, node.value
        if tag == _STR:
            return value
        if tag == _INT:
            if value.startswith("0o"):
                number = int(value[2:], 8)
            elif value.startswith("0x"):
                number = int(value[2:], 16)
            else:
                number = int(value)
            return number if value == str(number) else SpelledInt(number, value)
        if tag == _FLOAT:
            lowered = value.lower()
            if lowered.endswith("inf"):
                return float("-inf") if value.startswith("-") else float("inf")
            if lowered == ".nan":
                return float("nan")
            return float(value)
        if tag == _BOOL:
            return value.lower() == "true"
        if tag == _NULL:
            return None
        raise self.unsupported_tag(node)


@dataclass
class Document:
    """One file as read: its bytes, its text, and how it was laid out."""

    path: Path
    raw: bytes
    text: str
    bom: bool
    newline: str
    _parsed: Parsed | None = field(default=None, repr=False, compare=False)

    def parse(self, *, marks: bool = False, keep: bool = False) -> Parsed:
        """Parse the text; syntax errors carry the file's line and column.

        ``keep``: remember the plain parse (the text never changes), for a ledger that is
        validated and then edited; bulk reads leave it off so parsed data is not held twice.
        """
        if marks:
            return parse(self.text, marks=True)
        if self._parsed is not None:
            return self._parsed
        try:
            parsed = parse(self.text)
        except YamlError as exc:
            if isinstance(exc, MergeConflict):  # the file's own name, for ``git add``
                name = self.path.name if self.path.parent.name != "ledgers" else \
                    f"ledgers/{self.path.name}"
                from zhengdun.history import conflict_hint

                root = self.path.parent.parent if name.startswith("ledgers/") else self.path.parent
                exc.hint = conflict_hint(root, [name])
                exc.file, exc.name = self.path, name
            raise
        if keep:
            self._parsed = parsed
        return parsed

    def encode(self, text: str) -> bytes:
        """Text in this file's conventions (BOM, line ends) as bytes."""
        if self.newline == "\r":  # read with LF in place of its CR (see ``decode``)
            text = text.replace("\n", "\r")
        return ("\ufeff" if self.bom else "").encode() + text.encode("utf-8")


#: Open without following a symbolic link at the end of the path (not on Windows), and
#: without waiting for a writer if the path is a named pipe.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def read(path: Path, display: str | None = None) -> Document:
    """Read a file (not yet parsed).

    A symbolic link is refused, not followed: a ledger is a file of the workspace, and a link
    could show a file from outside it (its lines would be quoted in findings). A file larger
    than :data:`MAX_FILE_BYTES` is refused before it is read.
    """
    name = display or path.name
    if path.parent.is_symlink():
        raise linked_folder(path.parent)
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except FileNotFoundError:
        raise UserError(f"找不到文件 {name}") from None
    except PermissionError:
        raise UserError(f"没有权限读取 {name}", "请检查文件权限") from None
    except IsADirectoryError:  # pragma: no cover - Linux opens folders for reading
        raise UserError(f"{name} 是一个文件夹，不是台账文件") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _symlink(path, name) from None
        if exc.errno == errno.ENXIO:  # a socket
            raise _not_a_file(name) from None
        raise UserError(f"无法读取 {name}：{exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UserError(f"{name} 是一个文件夹，不是台账文件")
        if not stat.S_ISREG(info.st_mode):
            raise _not_a_file(name)
        if info.st_size > MAX_FILE_BYTES:
            raise _too_large(info.st_size, name)
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise UserError(f"无法读取 {name}：{exc.strerror}") from None
    finally:
        if fd >= 0:
            os.close(fd)
    text, bom, newline = decode(raw, name)
    return Document(path, raw, text, bom, newline)


def _not_a_file(name: str) -> YamlError:
    return YamlError(f"{name} 不是普通文件（是管道、设备或套接字），zhengdun 不读取它",
                     hint="台账文件夹中只应放台账文件；请删除它")


def linked_folder(folder: Path) -> YamlError:
    """The refusal of a ledgers folder that is a symbolic link (it may lead out of the
    workspace: reading would show files from elsewhere, writing would change them)."""
    try:
        target = f"（指向 {os.readlink(folder)}）"
    except OSError:  # pragma: no cover - gone meanwhile
        target = ""
    return YamlError(f"{folder.name}/ 是符号链接{target}，zhengdun 不读取也不写入工作区之外的台账",
                     hint=f"请删除这个链接，把台账文件放在工作区的 {folder.name}/ 文件夹中")


def _symlink(path: Path, name: str) -> YamlError:
    try:
        target = f"（指向 {os.readlink(path)}）"
    except OSError:  # pragma: no cover - gone meanwhile
        target = ""
    return YamlError(f"{name} 是符号链接{target}，zhengdun 不读取也不写入符号链接",
                     hint="台账文件必须是工作区中的普通文件：请删除这个链接；如果它指向的确实是"
                          "本村(社区)的台账，把那个文件复制到这里")


def load_data(path: Path) -> Any:
    """Read and parse a file in one step, without marks (the fast path for reports)."""
    return read(path).parse().data


def peek_top_scalar(path: Path, key: str) -> str | None:
    """The value of a top-level ``key: value`` line, read without parsing the whole file.

    Used to match organization names cheaply; returns None when the line is not plain.
    """
    prefix = f"{key}:"
    try:
        # Not through a symbolic link (see ``read``), and no more than the head of the file.
        with os.fdopen(os.open(path, os.O_RDONLY | _NOFOLLOW), "rb") as handle:
            head = handle.read(_PEEK_BYTES)
        if len(head) == _PEEK_BYTES:
            head = head[:head.rfind(b"\n") + 1]  # the last line may be cut short
        # CR alone ends lines too (old Mac editors); a plain value never holds one
        lines = head.decode("utf-8-sig").replace("\r", "\n").split("\n")
    except (OSError, UnicodeDecodeError):
        return None
    for line in lines[:42]:
        if line.startswith(prefix):
            value = line[len(prefix):].strip()
            if value and value[0] not in "\"'|>&*!{[#" and " #" not in value:
                return value
            return None
    return None


_PEEK_BYTES = 65536


# --------------------------------------------------------------------------- writing

# Characters written escaped inside double quotes: controls, line and paragraph separators
# (YAML line breaks), surrogates, the BOM and non-characters. Written as the small set it is,
# because the complement with astral ranges costs 16 ms to compile on every start.
_SAFE_CHAR = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
_NUMBERISH = re.compile(r"[-+]?(?:[0-9][0-9_.:eE+-]*|\.[0-9_.eE+-]*)|0[xXoObB][0-9a-fA-F_]+")
_DATEISH = re.compile(r"\d{4}-\d\d?-\d\d?(?:[Tt ].*)?")
_WORDS = {
    "y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE",
    "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL",
    "~", "<<", "=", ".inf", ".Inf", ".INF", "-.inf", "-.Inf", "-.INF", "+.inf", "+.Inf",
    "+.INF", ".nan", ".NaN", ".NAN",
}
_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")
_KEY = re.compile(r"[a-z_][a-z0-9_]*")  # our own keys: read as text by YAML 1.2, never quoted


def _plain_ok(text: str) -> bool:
    """Whether ``text`` reads back as the same string when written unquoted.

    Conservative on purpose: anything YAML 1.1 *or* 1.2 would read as a number, boolean,
    null or date is quoted, so any YAML reader returns the text the clerk typed.
    """
    if not text or text[0] in _INDICATORS or text[0] == " " or text[-1] == " ":
        return False
    if _SAFE_CHAR.search(text) or "\t" in text:
        return False
    if ": " in text or " #" in text or text.endswith(":"):
        return False
    return not (text in _WORDS or _NUMBERISH.fullmatch(text) or _DATEISH.fullmatch(text))


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0",
            "\x85": "\\N", "\u2028": "\\L", "\u2029": "\\P"}


def _double_quoted(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif _SAFE_CHAR.match(ch):
            code = ord(ch)
            if code <= 0xFF:
                out.append(f"\\x{code:02x}")
            elif code <= 0xFFFF:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _literal_ok(text: str) -> bool:
    """Multi-line text that a literal block (``|``) keeps exactly."""
    if "\n" not in text or text[0] in " \n" or "\r" in text:
        return False
    body = text[:-1] if text.endswith("\n") else text
    if body.endswith("\n") or _SAFE_CHAR.search(body.replace("\n", "")):
        return False
    return all(line == line.rstrip(" \t") for line in body.split("\n"))


def scalar(value: Any) -> str:
    """One value as an inline YAML scalar."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return "null"
    if isinstance(value, str):
        return value if _plain_ok(value) else _double_quoted(value)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _entry(key: str, value: Any, indent: int) -> list[str]:
    pad = " " * indent
    plain_key = _KEY.fullmatch(key) and key not in ("null", "true", "false")
    head = f"{pad}{key if plain_key else scalar(key)}:"
    if isinstance(value, dict):
        if not value:
            return [f"{head} {{}}"]
        return [head, *_mapping(value, indent + 2)]
    if isinstance(value, list):
        if not value:
            return [f"{head} []"]
        lines = [head]
        for item in value:
            lines += _item(item, indent + 2)
        return lines
    if isinstance(value, str) and _literal_ok(value):
        chomp = "" if value.endswith("\n") else "-"
        body = value[:-1] if value.endswith("\n") else value
        inner = " " * (indent + 2)
        return [f"{head} |{chomp}", *[f"{inner}{line}" if line else "" for line in body.split("\n")]]
    return [f"{head} {scalar(value)}"]


def _mapping(value: dict[str, Any], indent: int) -> list[str]:
    lines: list[str] = []
    for key, item in value.items():
        lines += _entry(key, item, indent)
    return lines


def _item(value: Any, dash: int) -> list[str]:
    """A sequence item whose ``-`` stands at column ``dash``."""
    if isinstance(value, dict) and value:
        lines = _mapping(value, dash + 2)
        lines[0] = " " * dash + "- " + lines[0][dash + 2:]
        return lines
    if isinstance(value, list) and value:
        nested = [line for item in value for line in _item(item, dash + 2)]
        nested[0] = " " * dash + "- " + nested[0][dash + 2:]
        return nested
    if isinstance(value, str) and _literal_ok(value):
        return [" " * dash + "- " + scalar(value)]
    if isinstance(value, dict):
        return [" " * dash + "- {}"]
    if isinstance(value, list):
        return [" " * dash + "- []"]
    return [" " * dash + "- " + scalar(value)]


def dump(data: dict[str, Any], header: str = "") -> str:
    """A whole document in zhengdun's layout (for new files)."""
    return header + "\n".join(_mapping(data, 0)) + "\n"


# --------------------------------------------------------------------------- edits


@dataclass(frozen=True)
class Append:
    """Add ``item`` to the list under ``key`` of the mapping at ``path``.

    ``full`` is the whole list after the change, used when the list must be written anew
    (it did not exist, or was written inline).
    """

    path: DataPath
    key: str
    item: Any
    full: list[Any]


@dataclass(frozen=True)
class Set:
    """Give ``key`` of the mapping at ``path`` the value ``value`` (adding the key if absent)."""

    path: DataPath
    key: str
    value: Any


@dataclass(frozen=True)
class Insert:
    """Put ``items`` before the item at ``index`` of the list under ``key`` of the mapping at
    ``path`` (``index`` past the end: after the last). ``full`` is the whole list after the
    change, for a list that must be written anew. The merge driver's way to keep events in
    date order without rewriting the items already there."""

    path: DataPath
    key: str
    index: int
    items: tuple[Any, ...]
    full: list[Any]


Edit = Append | Set | Insert


def _whole(edit: Edit) -> Any:
    """The value the key has after ``edit``, for when it is written anew."""
    return edit.value if isinstance(edit, Set) else edit.full


class _Lines:
    """Offsets of line starts, to turn (line, column) marks into text positions."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        for match in re.finditer("\n", text):
            self.starts.append(match.end())
        self.text = text

    def offset(self, line: int, column: int) -> int:
        if line >= len(self.starts):
            return len(self.text)
        return self.starts[line] + column

    def line_end(self, offset: int) -> int:
        """Offset just past the line containing ``offset`` (past its newline)."""
        if 0 < offset <= len(self.text) and self.text[offset - 1] == "\n":
            return offset  # a block scalar ends at the start of the next line
        newline = self.text.find("\n", offset)
        return len(self.text) if newline < 0 else newline + 1


class _NotSpliceable(Exception):
    """The layout is not one the line splicer handles; ruamel.yaml takes over."""


def _node_at(root: Node, path: DataPath) -> Node:
    node = root
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, SequenceNode) or part >= len(node.value):
                raise _NotSpliceable(path)
            node = node.value[part]
        else:
            if not isinstance(node, MappingNode):
                raise _NotSpliceable(path)
            for key_node, value_node in node.value:
                if key_node.value == part:
                    node = value_node
                    break
            else:
                raise _NotSpliceable(path)
    return node


def _key_value(mapping: MappingNode, key: str) -> tuple[Node, Node] | None:
    for key_node, value_node in mapping.value:
        if key_node.value == key:
            return key_node, value_node
    return None


def _end_offset(node: Node, lines: _Lines) -> int:
    """Offset where the node's last character ends (ignoring what follows on its line)."""
    while isinstance(node, MappingNode | SequenceNode) and node.value and not node.flow_style:
        last = node.value[-1]
        node = last[1] if isinstance(node, MappingNode) else last
    return lines.offset(node.end_mark.line, node.end_mark.column)


def _is_block(node: Node) -> bool:
    return isinstance(node, MappingNode | SequenceNode) and not node.flow_style and bool(node.value)


def _splice(text: str, root: Node, edit: Edit, newline: str) -> str:
    lines = _Lines(text)
    container = _node_at(root, edit.path)
    if isinstance(container, MappingNode) and container.flow_style:
        return _splice_flow(text, lines, container, edit)
    if not isinstance(container, MappingNode) or container.flow_style or not container.value:
        raise _NotSpliceable(edit.path)
    indent = container.start_mark.column
    pair = _key_value(container, edit.key)

    def insert(at: int, new_lines: Sequence[str]) -> str:
        block = newline.join(new_lines) + newline
        head = text[:at]
        if head and not head.endswith("\n"):
            head += newline
        return head + block + text[at:]

    if pair is None:
        value = _whole(edit)
        at = lines.line_end(_end_offset(container, lines))
        return insert(at, _entry(edit.key, value, indent))

    key_node, value_node = pair
    if isinstance(edit, Append) and isinstance(value_node, SequenceNode) and _is_block(value_node):
        dash = value_node.start_mark.column
        at = lines.line_end(_end_offset(value_node, lines))
        return insert(at, _item(edit.item, dash))
    if isinstance(edit, Insert) and isinstance(value_node, SequenceNode) and _is_block(value_node):
        dash = value_node.start_mark.column
        if edit.index >= len(value_node.value):
            at = lines.line_end(_end_offset(value_node, lines))
        else:
            following = value_node.value[edit.index].start_mark
            if lines.text[lines.starts[following.line]:lines.offset(following.line,
                                                                    following.column)].strip() != "-":
                raise _NotSpliceable(edit.path)  # the item does not start on its own "- " line
            at = lines.starts[following.line]
        return insert(at, [line for item in edit.items for line in _item(item, dash)])
    if isinstance(edit, Append) and isinstance(value_node, SequenceNode) and value_node.value:
        # a list the clerk wrote inline, ``[{…}, {…}]``: the item goes inside its brackets,
        # so that the items already there (maybe over many lines) stay as they were
        at = lines.offset(value_node.value[-1].end_mark.line, value_node.value[-1].end_mark.column)
        return text[:at] + ", " + _flow(edit.item) + text[at:]

    new_value = _whole(edit)
    single_line = (isinstance(value_node, ScalarNode)
                   and value_node.start_mark.line == value_node.end_mark.line
                   and value_node.style in (None, "", "'", '"'))
    if single_line and not isinstance(new_value, dict | list) and not (
            isinstance(new_value, str) and _literal_ok(new_value)) \
            and value_node.value != "":
        start = lines.offset(value_node.start_mark.line, value_node.start_mark.column)
        end = lines.offset(value_node.end_mark.line, value_node.end_mark.column)
        return text[:start] + scalar(new_value) + text[end:]
    # Replace the key's whole entry: from its line to the end of its value.
    start = lines.starts[key_node.start_mark.line]
    if lines.text[start:lines.offset(key_node.start_mark.line, key_node.start_mark.column)].strip():
        raise _NotSpliceable(edit.path)  # the key shares its line with something else
    end = lines.line_end(_end_offset(value_node, lines))
    entry = _entry(edit.key, new_value, key_node.start_mark.column)
    entry[0] += _first_line_comment(lines, key_node, value_node)
    block = newline.join(entry) + newline
    return text[:start] + block + text[end:]


#: Characters a plain scalar cannot hold inside ``{…}`` or ``[…]`` (or that some reader takes
#: for an indicator there): such text is written in double quotes.
_FLOW_UNSAFE = re.compile(r"[,\[\]{}:#]")


def _flow(value: Any) -> str:
    """One value in flow style (``{on: 2026-04-02, text: 排查}``), for a record that goes into a
    mapping or a list the clerk wrote inline."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key if _KEY.fullmatch(key) else _double_quoted(key)}: "
                               f"{_flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    if isinstance(value, str) and (_FLOW_UNSAFE.search(value) or not _plain_ok(value)):
        return _double_quoted(value)
    return scalar(value)


def _splice_flow(text: str, lines: _Lines, container: MappingNode, edit: Edit) -> str:
    """An edit of a mapping written inline (``- {id: 2, title: …}``): the record goes inside
    its braces, in flow style, and every other character of the file stays as it was."""

    def end(node: Node) -> int:
        return lines.offset(node.end_mark.line, node.end_mark.column)

    def after_last(items: Sequence[Node], node: Node, closing: str) -> tuple[int, str]:
        """Where a new entry goes (after the last one, or just inside an empty pair of
        brackets) and the separator it needs."""
        if items:
            return end(items[-1]), ", "
        at = end(node) - 1
        if text[at:at + 1] != closing:
            raise _NotSpliceable(edit.path)
        return at, ""

    pair = _key_value(container, edit.key)
    if pair is None:
        value = _whole(edit)
        at, comma = after_last([v for _, v in container.value], container, "}")
        key = edit.key if _KEY.fullmatch(edit.key) else _double_quoted(edit.key)
        return f"{text[:at]}{comma}{key}: {_flow(value)}{text[at:]}"
    _, value_node = pair
    if isinstance(edit, Append) and isinstance(value_node, SequenceNode):
        at, comma = after_last(value_node.value, value_node, "]")
        return f"{text[:at]}{comma}{_flow(edit.item)}{text[at:]}"
    new_value = _whole(edit)
    start = lines.offset(value_node.start_mark.line, value_node.start_mark.column)
    return text[:start] + _flow(new_value) + text[end(value_node):]


_LINE_COMMENT = re.compile(r"[ \t]*?:?([ \t]+#[^\r\n]*)")


def _first_line_comment(lines: _Lines, key_node: Node, value_node: Node) -> str:
    """The clerk's comment ending an entry's first line (``visits: []  # 说明``), to keep it."""
    if _is_block(value_node) or (isinstance(value_node, ScalarNode)
                                 and value_node.style in ("|", ">")):
        after = key_node.end_mark  # the value starts on a later line: the comment follows ":"
    else:
        after = value_node.end_mark
    match = _LINE_COMMENT.match(lines.text, lines.offset(after.line, after.column))
    return match.group(1) if match else ""


def _ruamel_apply(text: str, edits: Sequence[Edit]) -> str:
    """The same edits through ruamel.yaml's round-trip dumper (comments kept)."""
    from io import StringIO

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 1_000_000
    rt.indent(mapping=2, sequence=4, offset=2)
    rt.representer.ignore_aliases = lambda data: True

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            out = CommentedMap()
            for key, item in value.items():
                out[key] = convert(item)
            return out
        if isinstance(value, list):
            seq = CommentedSeq()
            seq.extend(convert(item) for item in value)
            return seq
        if isinstance(value, str) and not _plain_ok(value):
            # Our quoting rules, not ruamel's: it writes ``no`` bare (YAML 1.1 reads False)
            # and breaks single-quoted text at U+0085, which then reads back as a space.
            return DoubleQuotedScalarString(value)
        return value

    document = rt.load(text)
    for edit in edits:
        node = document
        for part in edit.path:
            node = node[part]
        if isinstance(edit, Append | Insert):
            current = node.get(edit.key)
            if isinstance(current, list) and isinstance(edit, Append):
                current.append(convert(edit.item))
            elif isinstance(current, list) and isinstance(edit, Insert):
                for offset, item in enumerate(edit.items):
                    current.insert(edit.index + offset, convert(item))
            else:
                node[edit.key] = convert(edit.full)
        else:
            node[edit.key] = convert(edit.value)
    out = StringIO()
    rt.dump(document, out)
    return out.getvalue()


@dataclass(frozen=True)
class RoundTrip:
    """What a whole-file change gets to build with: new mappings and lists that keep comments,
    and text quoted as zhengdun writes it."""

    new_map: Callable[[], Any]
    new_list: Callable[[list[Any]], Any]
    quoted: Callable[[str], Any]


def round_trip(text: str, change: Callable[[Any, RoundTrip], None]) -> str:
    """Rewrite a whole file through ruamel.yaml's round trip, comments kept: ``change`` gets
    the loaded document and the builders of :class:`RoundTrip`, and edits in place.
    For changes of a file's layout (``migrate``), not for records (those splice)."""
    from io import StringIO

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 1_000_000
    rt.indent(mapping=2, sequence=4, offset=2)
    rt.representer.ignore_aliases = lambda data: True

    def quoted(value: str) -> Any:
        return value if _plain_ok(value) else DoubleQuotedScalarString(value)

    def new_list(items: list[Any]) -> Any:
        seq = CommentedSeq()
        seq.extend(items)
        return seq

    document = rt.load(text)
    change(document, RoundTrip(CommentedMap, new_list, quoted))
    out = StringIO()
    rt.dump(document, out)
    return out.getvalue()


def appends_in_place(doc: Document, edit: Append) -> bool:
    """Whether ``edit`` adds its item after the items already there, so that its ``full`` list
    is written only where the list is absent or empty (not for a list written inline)."""
    root = doc.parse(keep=True).root
    if root is None:
        return False
    try:
        container = _node_at(root, edit.path)
    except _NotSpliceable:
        return False
    if not isinstance(container, MappingNode):
        return False
    pair = _key_value(container, edit.key)
    if pair is None:
        return True
    value = pair[1]
    if isinstance(value, SequenceNode):
        return not value.flow_style or not value.value
    return isinstance(value, ScalarNode) and value.value in ("", "~", "null", "Null", "NULL")


def _touched_lines(root: Node, edit: Edit) -> set[int]:
    """The 0-based lines an edit may change: the entry it sets or extends, or the whole of an
    inline mapping it goes into. Anywhere else the record may only add lines."""
    try:
        container = _node_at(root, edit.path)
    except _NotSpliceable:
        return set()
    if not isinstance(container, MappingNode):
        return set()
    if container.flow_style:
        return set(range(container.start_mark.line, container.end_mark.line + 1))
    pair = _key_value(container, edit.key)
    if pair is None:
        return set()
    return set(range(pair[0].start_mark.line, pair[1].end_mark.line + 1))


def _refuse_rewritten_lines(doc: Document, text: str, edits: Sequence[Edit]) -> None:
    """Refuse a fallback text that changed lines the record does not touch: ruamel.yaml writes
    the whole file in its own layout (indentation, spaces before comments), and a clerk's
    file must not be rewritten behind their back."""
    import difflib

    root = doc.parse().root
    allowed: set[int] = set()
    if root is not None:
        for edit in edits:
            allowed |= _touched_lines(root, edit)
    old = doc.text.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old, text.splitlines(keepends=True), autojunk=False)
    if all(i in allowed for tag, i1, i2, _, _ in matcher.get_opcodes()
           if tag in ("replace", "delete") for i in range(i1, i2)):
        return
    line = _edit_line(root, edits[0]) if root is not None else 0
    quoted = old[line].strip() if line < len(old) else ""
    raise UserError(f"{doc.path.name} 第 {line + 1} 行“{quoted}”的写法，zhengdun 无法只在这里添加"
                    "这次的记录：只能按自己的格式重写整个文件，会改动其他行（缩进、注释前的空格），"
                    "所以本次未记录，文件未改动",
                    "请参照 zhengdun 自己写入的内容（如 zhengdun add 登记的问题）改写这一处，"
                    "用 zhengdun commit -m \"说明\" 记录后，再运行刚才的命令")


def _edit_line(root: Node, edit: Edit) -> int:
    """The 0-based line where an edit goes: its key, or else the mapping that gets the key."""
    try:
        container = _node_at(root, edit.path)
    except _NotSpliceable:
        return 0
    pair = _key_value(container, edit.key) if isinstance(container, MappingNode) else None
    return (pair[0] if pair is not None else container).start_mark.line


def apply_edits(doc: Document, edits: Sequence[Edit], accept: Callable[[Any], bool]) -> str:
    """The file's new text after ``edits``, checked by ``accept(parsed_data)``.

    Tries the line splicer first; falls back to ruamel.yaml; raises when neither gives a text
    that parses to what ``accept`` expects, so a wrong file is never written.
    """
    text = doc.text
    try:
        for edit in edits:
            root = (doc.parse() if text is doc.text else parse(text)).root
            if root is None:
                raise _NotSpliceable(())
            # a CR-only file is held with LF (its CR comes back in ``encode``)
            text = _splice(text, root, edit, "\n" if doc.newline == "\r" else doc.newline)
        if accept(parse(text).data):
            return text
    except (_NotSpliceable, YamlError):
        pass
    text = _ruamel_apply(doc.text, edits)
    if doc.newline == "\r\n":
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    if accept(parse(text).data):
        _refuse_rewritten_lines(doc, text, edits)
        return text
    raise UserError(f"无法安全地修改 {doc.path.name}：修改后的内容与预期不一致，文件未改动",
                    "请运行 zhengdun check 检查该文件的格式，或把文件发给维护人员")


def iter_ledger_paths(folder: Path) -> Iterator[Path]:
    """Every ``*.yaml`` in a ledgers folder, in name order (none through a linked folder)."""
    if folder.is_symlink():
        raise linked_folder(folder)
    if not folder.is_dir():
        return iter(())
    return iter(sorted(p for p in folder.iterdir()
                       if p.suffix == ".yaml" and not p.name.startswith(".")))


# --------------------------------------------------------------------------- files


def write_atomic(path: Path, data: bytes, display: str | None = None, *,
                 keep_old: bool = False) -> Path | None:
    """Replace ``path`` with ``data`` all at once: a temp file, fsync, rename, fsync the folder.

    A reader (or a crash) sees the old file or the new one, never a mix. ``keep_old``: the
    replaced file stays under a hidden name (a hard link, so it takes no disk space) that is
    returned, for :func:`restore` to put back even on a full disk; :func:`discard` drops it.
    """
    name = display or path.name
    sweep_temps(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    kept: Path | None = None
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    try:
        if path.exists() and not os.access(path, os.W_OK):
            raise PermissionError(errno.EACCES, "read-only", str(path))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        faults.point("after-temp")
        if keep_old and path.exists():
            kept = _kept_name(path)
            kept.unlink(missing_ok=True)
            try:
                os.link(path, kept)
            except OSError:  # no hard links on this file system: restore will write instead
                kept = None
        os.replace(tmp, path)
        _sync_folder(path.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if kept is not None:
            kept.unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
            raise UserError(f"磁盘空间不足，无法写入 {name}，文件未改动",
                            "请清理磁盘空间后重试") from None
        if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM,
                                                              errno.EROFS):
            raise UserError(f"没有权限写入 {name}（文件或文件夹是只读的），文件未改动",
                            f"请检查权限，例如运行 chmod u+w {name}") from None
        if exc.errno == errno.EFBIG:
            raise UserError(f"文件大小超过系统限制，无法写入 {name}，文件未改动",
                            "可能是磁盘配额或系统对文件大小的限制（ulimit -f）；"
                            "请清理磁盘空间或请管理员放宽限制后重试") from None
        raise UserError(f"写入 {name} 失败：{exc.strerror}，文件未改动") from None
    return kept


def _kept_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.old.tmp")


def _sync_folder(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def sweep_temps(path: Path) -> None:
    """Remove temp files of ``path`` left by a writer that was killed (its process is gone):
    ``.NAME.PID.tmp`` (a new version never renamed) and ``.NAME.PID.old.tmp`` (a kept one)."""
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        pid_text = leftover.name[len(path.name) + 2:-4].removesuffix(".old")
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            leftover.unlink(missing_ok=True)
        except OSError:
            pass  # alive but not ours to signal: leave it


def restore(path: Path, raw: bytes | None, display: str | None = None,
            kept: Path | None = None) -> None:
    """Put a file back as it was (``raw``; ``None``: it did not exist), from the version
    :func:`write_atomic` kept when there is one (a rename: works on a full disk too)."""
    if kept is not None:
        try:
            os.replace(kept, path)
            _sync_folder(path.parent)
            return
        except OSError:
            pass
    if raw is None:
        path.unlink(missing_ok=True)
    else:
        write_atomic(path, raw, display)


def remove_keeping(path: Path, display: str | None = None) -> Path | None:
    """Remove ``path`` the way :func:`write_atomic` replaces it with ``keep_old``: renamed to a
    hidden name that is returned (None if there was no file), for :func:`restore`."""
    if not path.exists():
        return None
    name = display or path.name
    kept = _kept_name(path)
    try:
        os.replace(path, kept)
        _sync_folder(path.parent)
    except OSError as exc:
        if isinstance(exc, PermissionError) or exc.errno in (errno.EPERM, errno.EROFS):
            raise UserError(f"没有权限删除 {name}（文件或文件夹是只读的），文件未改动",
                            f"请检查权限，例如运行 chmod u+w {path.parent.name}") from None
        raise UserError(f"删除 {name} 失败：{exc.strerror}，文件未改动") from None
    return kept


def discard(kept: Path | None) -> None:
    """Drop a version :func:`write_atomic` kept, once the new one is recorded."""
    if kept is not None:
        kept.unlink(missing_ok=True)


# --------------------------------------------------------------------------- merging


def mark_conflicts(text: str, conflicts: Sequence[tuple[DataPath, str, Any]],
                   labels: tuple[str, str]) -> str:
    """``text`` with git's conflict markers around each field of ``conflicts`` (the mapping's
    path, the key, the other side's value): the field as ``text`` has it between
    ``<<<<<<< labels[0]`` and ``=======``, the other value up to ``>>>>>>> labels[1]``.

    A field on the line of its record's ``- `` is marked with its whole record. Where two
    marks would overlap, the first is kept (the message names every conflict).
    """
    root = parse(text).root
    if root is None:
        return text
    data = parse(text).data
    lines = _Lines(text)
    spans: list[tuple[int, int, list[str]]] = []
    for path, key, theirs in conflicts:
        try:
            container = _node_at(root, path)
        except _NotSpliceable:
            continue
        pair = _key_value(container, key) if isinstance(container, MappingNode) else None
        if pair is None or container.flow_style:  # type: ignore[attr-defined]
            continue
        key_node, value_node = pair
        start = lines.starts[key_node.start_mark.line]
        end = lines.line_end(_end_offset(value_node, lines))
        if text[start:lines.offset(key_node.start_mark.line, key_node.start_mark.column)].strip():
            if not path or not isinstance(path[-1], int):
                continue
            record = data
            for part in path:
                record = record[part]
            start = lines.starts[container.start_mark.line]
            end = lines.line_end(_end_offset(container, lines))
            other = _item({**record, key: theirs}, container.start_mark.column - 2)
        else:
            other = _entry(key, theirs, key_node.start_mark.column)
        spans.append((start, end, other))
    kept: list[tuple[int, int, list[str]]] = []
    for span in sorted(spans, key=lambda s: s[0]):
        if kept and span[0] < kept[-1][1]:
            continue
        kept.append(span)
    for start, end, other in reversed(kept):
        mine = text[start:end]
        if not mine.endswith("\n"):
            mine += "\n"
        block = (f"<<<<<<< {labels[0]}\n{mine}=======\n" + "".join(f"{line}\n" for line in other)
                 + f">>>>>>> {labels[1]}\n")
        text = text[:start] + block + text[end:]
    return text


def rewrite(doc: Document, data: dict[str, Any], accept: Callable[[Any], bool]) -> str:
    """``doc``'s text changed to hold ``data`` through ruamel.yaml's round trip, comments kept
    where their keys and items remain; the whole file in zhengdun's layout when even that
    does not give ``data`` back. For a merge whose result the splicer cannot say (a field
    removed on one side)."""
    from io import StringIO

    from ruamel.yaml import YAML

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 1_000_000
    rt.indent(mapping=2, sequence=4, offset=2)
    rt.representer.ignore_aliases = lambda data: True

    def update(node: Any, value: Any) -> Any:
        if isinstance(node, dict) and isinstance(value, dict):
            for key in [k for k in node if k not in value]:
                del node[key]
            for key, item in value.items():
                node[key] = update(node[key], item) if key in node else item
            return node
        if isinstance(node, list) and isinstance(value, list) and len(node) == len(value):
            for i, item in enumerate(value):
                node[i] = update(node[i], item)
            return node
        return value

    from ruamel.yaml.error import YAMLError as RuamelError

    with contextlib.suppress(RuamelError, YamlError, TypeError, ValueError):
        document = rt.load(doc.text)
        out = StringIO()
        rt.dump(update(document, data), out)
        text = out.getvalue()
        if accept(parse(text).data):
            return text
    return dump(data)
