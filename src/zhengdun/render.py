"""Rendering templates: the only module that imports jinja2.

A template in the workspace's ``templates/`` wins over the shipped one of the same name. Jinja
runs sandboxed with ``StrictUndefined``: a misspelt field is an error naming the template and
line, never a silently empty cell in a bulletin.
"""

from __future__ import annotations

import re
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


def pct(value: Any, digits: int = 1) -> str:
    """A ratio or percentage number as ``62.1%``; ``None`` as ``—``."""
    if value is None:
        return "—"
    return f"{float(value):.{digits}f}%"


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
    """Every template name, the file that will be used, and whether it is the clerk's own."""
    seen: dict[str, dict[str, str]] = {}
    for index, folder in enumerate(search_path(workspace)):
        for file in sorted(folder.glob("*.j2")):
            name = file.name.removesuffix(".j2").removesuffix(".md")
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


def _environment(folder: Path) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
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
            return env.from_string(source).render(**context)
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
        return template.render(**context)
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


def _line_of(exc: BaseException, path: Path) -> str:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in (str(path), "<template>"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return f" 第{line}行" if line else ""
