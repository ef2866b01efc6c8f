"""Rendering templates: the only module that imports jinja2.

A template in the workspace's ``templates/`` wins over the shipped one of the same name. Jinja
runs sandboxed with ``StrictUndefined``: a misspelt field is an error naming the template and
line, never a silently empty cell in a bulletin.
"""

from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from zhengdun.errors import UserError
from zhengdun.resources import shipped_templates

SUFFIXES = (".md.j2", ".j2", "")


def _as_day(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def cn_date(value: Any) -> str:
    """``2026-10-31`` → ``2026年10月31日`` (公文 style: no leading zeros)."""
    day = _as_day(value)
    return f"{day.year}年{day.month}月{day.day}日"


def cn_month(value: Any) -> str:
    """``2026-10`` (or a date) → ``2026年10月``."""
    if isinstance(value, date):
        return f"{value.year}年{value.month}月"
    year, month = str(value).split("-")[:2]
    return f"{int(year)}年{int(month)}月"


def cn_md(value: Any) -> str:
    """``2026-10-31`` → ``10月31日`` (short form for tables)."""
    day = _as_day(value)
    return f"{day.month}月{day.day}日"


#: The most decimal places ``pct`` gives: ``pct(digits=999999999)`` would build a string of a
#: billion digits for minutes.
PCT_MAX_DIGITS = 20


def pct(value: Any, digits: int = 1) -> str:
    """A ratio or percentage number as ``62.1%``; ``None`` as ``—``."""
    try:
        places = int(digits)
    except (TypeError, ValueError):
        raise ValueError(f"pct 的小数位数 digits 应是整数，而不是 {digits!r}") from None
    if not 0 <= places <= PCT_MAX_DIGITS:
        raise ValueError(f"pct 的小数位数 digits 应在 0 到 {PCT_MAX_DIGITS} 之间，而不是 {places}")
    if value is None:
        return "—"
    return f"{float(value):.{places}f}%"


def docno(prefix: str, year: int | str, number: int | str | None) -> str:
    """文号: ``演组通〔2026〕10号``; without a number, a blank for the clerk to fill."""
    if number in (None, ""):
        return f"{prefix}〔{year}〕　号"
    return f"{prefix}〔{year}〕{number}号"


_CELL_ESCAPE = re.compile(r"([\\|*_`\[\]<>#~])")


def md_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell: ``|`` escaped, line breaks as ``<br>``."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = _CELL_ESCAPE.sub(r"\\\1", text)
    return "<br>".join(part.strip() for part in text.split("\n"))


def md_text(value: Any) -> str:
    """Text safe in a Markdown paragraph, heading or list item: the markup characters escaped,
    line breaks as ``<br>`` (a line of the text must not start a heading, list or table)."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return "<br>".join(_CELL_ESCAPE.sub(r"\\\1", part) for part in text.split("\n"))


FILTERS = {"cn_date": cn_date, "cn_month": cn_month, "cn_md": cn_md, "pct": pct,
           "docno": docno, "md_cell": md_cell, "md_text": md_text}


def search_path(workspace: Path | None) -> list[Path]:
    """Where templates are looked for, the clerk's own first."""
    paths = []
    if workspace is not None and (workspace / "templates").is_dir():
        paths.append(workspace / "templates")
    shipped = shipped_templates()
    if not paths or paths[0].resolve() != shipped.resolve():
        paths.append(shipped)
    return paths


def available(workspace: Path | None) -> list[dict[str, str]]:
    """Every template name, the file that will be used, and whether it is the clerk's own
    (Word templates by their file name, ``bulletin.docx``)."""
    seen: dict[str, dict[str, str]] = {}
    for index, folder in enumerate(search_path(workspace)):
        for file in sorted([*folder.glob("*.j2"), *folder.glob("*.docx")]):
            name = file.name if file.suffix == ".docx" else \
                file.name.removesuffix(".j2").removesuffix(".md")
            if name not in seen:
                own = index == 0 and workspace is not None and folder.parent == workspace
                seen[name] = {"name": name, "path": str(file), "origin": "本地" if own else "自带"}
    return list(seen.values())


def find_template(name: str, workspace: Path | None, shipped_only: bool = False) -> Path:
    """The file for template ``name`` (``bulletin`` finds ``bulletin.md.j2``)."""
    folders = [shipped_templates()] if shipped_only else search_path(workspace)
    for folder in folders:
        for suffix in SUFFIXES:
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    names = "、".join(t["name"] for t in available(workspace))
    raise UserError(f"找不到模板“{name}”", f"可用的模板：{names}。运行 zhengdun templates list 查看")


# --------------------------------------------------------------------------- bounds
#
# A template is the clerk's own code: one that never ends (``{{ 'x' * 3000000000 }}``, loops
# in loops) must be stopped with a message naming its file and line, not hang the terminal or
# eat the machine's memory. Three bounds: ``*`` and ``**`` refuse results that are too big
# before they are computed (inside C, where no signal gets through); rendering stops after
# ZHENGDUN_RENDER_SECONDS (default 10) of wall-clock time; and the address space may grow by
# at most ZHENGDUN_RENDER_MEMORY_MB (default 1024) while rendering. The shipped templates
# render the demo county in milliseconds and a few megabytes.

RENDER_SECONDS_ENV = "ZHENGDUN_RENDER_SECONDS"
RENDER_MEMORY_ENV = "ZHENGDUN_RENDER_MEMORY_MB"
#: The longest text or list ``*`` may build (a table rule of dashes needs tens).
MAX_REPEAT = 1_000_000
#: The most binary digits ``**`` may give (2 ** 100000 already has 30103 decimal digits).
MAX_POWER_BITS = 100_000


class RenderStopped(Exception):
    """Rendering ran past its time or memory bound (an ``Exception``, so that Jinja rewrites
    the traceback and the template line can be named)."""


class RenderTooBig(ValueError):
    """An operation in a template would build a value far too big to be meant."""


def _budget(env: str, default: float) -> float:
    try:
        value = float(os.environ.get(env, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def _repeat_size(value: Any) -> int | None:
    return len(value) if isinstance(value, str | list | tuple | bytes) else None


class _BoundedEnvironment(SandboxedEnvironment):
    """The sandbox (no unsafe attributes, ``range`` up to 100000), with ``*`` and ``**``
    refusing results too big to be meant (intercepted, they are not folded at compile time)."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any,
                   right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                size = _repeat_size(seq)
                if size is not None and isinstance(times, int) and size * times > MAX_REPEAT:
                    raise RenderTooBig(f"重复 {times} 次会得到 {size * times} 个字符（或元素），"
                                       f"超过上限 {MAX_REPEAT}")
        if operator == "**" and isinstance(left, int) and isinstance(right, int) \
                and abs(left) > 1 and right > 0 and right * abs(left).bit_length() > MAX_POWER_BITS:
            raise RenderTooBig(f"{left} 的 {right} 次方太大，无法计算")
        return super().call_binop(context, operator, left, right)


@contextmanager
def _bounded() -> Iterator[None]:
    """Rendering under the time and memory bounds (the time bound needs the main thread,
    where signals arrive; elsewhere only the memory bound applies)."""
    seconds = _budget(RENDER_SECONDS_ENV, 10)
    megabytes = _budget(RENDER_MEMORY_ENV, 1024)
    expired = False

    def stop(signum: int, frame: object) -> None:
        nonlocal expired
        expired = True
        raise RenderStopped(f"渲染超过 {seconds:g} 秒仍未结束")

    previous: Any = None
    timed = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if timed:
        previous = signal.signal(signal.SIGALRM, stop)
        # repeating: should Jinja or a filter swallow the first one, the next gets through
        signal.setitimer(signal.ITIMER_REAL, seconds, 0.2)
    limits = _limit_memory(megabytes)
    try:
        yield
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
        if limits is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, limits)
    if expired:  # swallowed somewhere and yet rendering went on: still out of time
        raise RenderStopped(f"渲染超过 {seconds:g} 秒仍未结束")


def _limit_memory(megabytes: float) -> tuple[int, int] | None:
    """Lower the address-space limit to what is used now plus ``megabytes``; the old limits
    (to restore), or None where that cannot be done."""
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        old = resource.getrlimit(resource.RLIMIT_AS)
        wanted = used + int(megabytes * 1024 * 1024)
        soft = wanted if old[0] == resource.RLIM_INFINITY else min(old[0], wanted)
        if old[1] != resource.RLIM_INFINITY:
            soft = min(soft, old[1])
        resource.setrlimit(resource.RLIMIT_AS, (soft, old[1]))
        return old
    except (ImportError, OSError, ValueError):
        return None


def _stopped(exc: BaseException, display: str, path: Path) -> UserError:
    """The clerk's message for a template stopped by a bound (or overflowing)."""
    where = f"模板 {display}{_line_of(exc, path)}"
    if isinstance(exc, RenderStopped):
        return UserError(f"{where}{exc}，已停止",
                         "模板中可能有不会结束的循环或过大的计算，请检查这一行；确实需要更长时间的，"
                         f"可设环境变量 {RENDER_SECONDS_ENV}=秒数")
    if isinstance(exc, MemoryError):
        return UserError(f"{where}用掉的内存超过 {_budget(RENDER_MEMORY_ENV, 1024):g} MB，已停止",
                         "模板中可能有越滚越大的文字或列表，请检查这一行；确实需要更多内存的，"
                         f"可设环境变量 {RENDER_MEMORY_ENV}=兆字节数")
    if isinstance(exc, RecursionError):
        return UserError(f"{where}嵌套太深，已停止：宏在调用自身，或模板在 include 自身",
                         "请检查这一行的宏调用或 include，让它有结束的时候")
    if "MAX_RANGE" in str(exc):  # the sandbox's own OverflowError, in English
        return UserError(f"{where}出错：range() 最多只能生成 100000 个数",
                         "请缩小这一行 range() 的范围")
    return UserError(f"{where}计算出错：{exc}", "请检查模板中的表达式和过滤器")


def _environment(folder: Path) -> SandboxedEnvironment:
    env = _BoundedEnvironment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


def _committed_template(name: str, workspace: Path, revision: str,
                        ) -> tuple[str, str] | None:
    """(display name, source) of the workspace's own template as committed at ``revision``."""
    from zhengdun import history

    files = history.tree_files(workspace, revision, "templates")
    for suffix in SUFFIXES:
        path = f"templates/{name}{suffix}"
        if suffix and path in files:
            raw = history.read_blobs(workspace, [files[path]])[files[path]]
            return f"{revision[:8]}:{path}", raw.decode("utf-8", errors="replace")
    return None


def render(name: str, context: dict[str, Any], workspace: Path | None,
           revision: str | None = None) -> str:
    """Render template ``name`` with ``context``; errors name the template file and line.

    With ``revision`` (``--at``), the clerk's template is the one committed then, so an old
    bulletin is reproduced exactly even after the template was changed.
    """
    committed = (_committed_template(name, workspace, revision)
                 if workspace is not None and revision is not None else None)
    if committed is not None:
        display, source = committed
        path = Path(display)
        env = _environment(shipped_templates())
        try:
            with _bounded():
                return env.from_string(source).render(**context)
        except (RenderStopped, MemoryError, RecursionError, OverflowError) as exc:
            raise _stopped(exc, display, path) from None
        except jinja2.TemplateSyntaxError as exc:
            raise UserError(f"模板 {display} 第{exc.lineno}行有语法错误：{exc.message}") from None
        except jinja2.TemplateError as exc:
            raise UserError(f"模板 {display}{_line_of(exc, path)}出错：{exc}") from None
        except (TypeError, ValueError, KeyError, AttributeError, ZeroDivisionError) as exc:
            raise UserError(f"模板 {display}{_line_of(exc, path)}计算出错：{exc}") from None
    path = find_template(name, None if revision is not None else workspace)
    env = _environment(path.parent)
    try:
        template = env.get_template(path.name)
        with _bounded():
            return template.render(**context)
    except (RenderStopped, MemoryError, RecursionError, OverflowError) as exc:
        raise _stopped(exc, str(path), path) from None
    except jinja2.TemplateSyntaxError as exc:
        raise UserError(f"模板 {path} 第{exc.lineno}行有语法错误：{exc.message}",
                        "请修改模板后重试；可参考自带模板（zhengdun templates path 名称 --shipped）") from None
    except jinja2.UndefinedError as exc:
        raise UserError(f"模板 {path}{_line_of(exc, path)}用到了不存在的数据：{exc.message}",
                        "请检查字段名；运行报告命令加 --json 可查看模板能用的全部数据") from None
    except jinja2.TemplateError as exc:
        raise UserError(f"模板 {path}{_line_of(exc, path)}出错：{exc}") from None
    except (TypeError, ValueError, KeyError, AttributeError, ZeroDivisionError) as exc:
        raise UserError(f"模板 {path}{_line_of(exc, path)}计算出错：{exc}",
                        "请检查模板中的表达式和过滤器") from None


@contextmanager
def docx_environment(display: str) -> Iterator[SandboxedEnvironment]:
    """The Jinja environment a Word template (docxtpl) is rendered with: the same sandbox,
    bounds, filters and ``StrictUndefined`` as for Markdown, and autoescape on (the text goes
    into XML, where ``&`` or ``<`` in a ledger must stay text). Its errors, reworded."""
    env = _environment(shipped_templates())
    env.autoescape = True
    try:
        with _bounded():
            yield env
    except (RenderStopped, MemoryError, RecursionError, OverflowError) as exc:
        raise _stopped(exc, display, Path(display)) from None
    except jinja2.TemplateSyntaxError as exc:
        raise UserError(f"Word 模板 {display} 中的模板标记有语法错误：{exc.message}{_near(exc)}",
                        "请在 Word 中打开模板修改该处的 {{ }} 或 {% %}；可参考自带模板"
                        "（zhengdun templates path bulletin.docx --shipped）") from None
    except jinja2.UndefinedError as exc:
        raise UserError(f"Word 模板 {display} 用到了不存在的数据：{exc.message}{_near(exc)}",
                        "请检查字段名；运行报告命令加 --json 可查看模板能用的全部数据") from None
    except jinja2.TemplateError as exc:
        raise UserError(f"Word 模板 {display} 出错：{exc}{_near(exc)}") from None
    except (TypeError, ValueError, KeyError, AttributeError, ZeroDivisionError) as exc:
        raise UserError(f"Word 模板 {display} 计算出错：{exc}",
                        "请检查模板中的表达式和过滤器") from None


def _near(exc: BaseException) -> str:
    """The document text around a docxtpl error (docxtpl keeps it as ``docx_context``)."""
    lines = [line.strip() for line in getattr(exc, "docx_context", None) or () if line.strip()]
    return f"（出错处附近的文字：{' '.join(lines)[:120]}）" if lines else ""


def _line_of(exc: BaseException, path: Path) -> str:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in (str(path), "<template>"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return f" 第{line}行" if line else ""
