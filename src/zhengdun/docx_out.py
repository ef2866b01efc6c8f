"""Word documents (.docx): the only module that imports docxtpl and python-docx.

A Word template is an ordinary .docx the clerk opens in Word or WPS, with docxtpl's Jinja
tags in its text (``{{ title }}``, ``{%p for … %}`` around paragraphs, ``{%tr for … %}``
around table rows). It is rendered with the same sandboxed Jinja environment, filters and
bounds as the Markdown templates (:func:`zhengdun.render.docx_environment`).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import datetime
from typing import Any

from zhengdun.errors import UserError

#: Millimetres per inch; images are placed by width in the document (版心 is 156 mm wide).
IMAGE_WIDTH_MM = 150


def _template(source: bytes, display: str) -> Any:
    from docx.opc.exceptions import PackageNotFoundError
    from docxtpl import DocxTemplate

    if not zipfile.is_zipfile(io.BytesIO(source)):
        raise UserError(f"Word 模板 {display} 不是 .docx 文件（可能是 .doc 或已损坏）",
                        "请在 Word 或 WPS 中打开后“另存为” Word 文档（*.docx），再放回 templates/")
    try:
        template = DocxTemplate(io.BytesIO(source))
        template.init_docx()
    # a broken package: a part missing (KeyError), bad XML (lxml's is a SyntaxError), …
    except (PackageNotFoundError, KeyError, ValueError, OSError, SyntaxError,
            zipfile.BadZipFile) as exc:
        raise UserError(f"Word 模板 {display} 无法打开：{exc}",
                        "请在 Word 或 WPS 中打开后重新保存为 .docx") from None
    return template


def render(source: bytes, display: str, context: dict[str, Any],
           pictures: dict[str, Callable[[], bytes]], properties: dict[str, Any]) -> bytes:
    """The rendered document: ``context``, plus those of ``pictures`` (PNG bytes, drawn only
    when the template names them) inserted where the template names them, with
    ``properties`` set as the document's core properties."""
    from docx.shared import Mm
    from docxtpl import InlineImage

    from zhengdun.render import docx_environment

    template = _template(source, display)
    full = dict(context)
    with docx_environment(display) as env:
        wanted = template.get_undeclared_template_variables(env)
        for name, draw in pictures.items():
            if name in wanted:
                full[name] = InlineImage(template, io.BytesIO(draw()), width=Mm(IMAGE_WIDTH_MM))
        template.render(full, jinja_env=env, autoescape=True)
    core = template.docx.core_properties
    for key, value in properties.items():
        setattr(core, key, value)
    core.last_modified_by = "zhengdun"
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def moment(day: str) -> datetime:
    """A date as the datetime the document's properties hold (noon, so no zone moves it)."""
    return datetime.fromisoformat(f"{day}T12:00:00")
