"""Build the shipped Word templates templates/bulletin.docx and templates/ledger.docx.

The committed .docx files are the source: a clerk (or a developer) changes them in Word or
WPS. This script is how they were first made, kept so that a change to the layout can be made
again from scratch; run it with the project's venv: ``.venv/bin/python tools/build_docx_templates.py``.

Layout after GB/T 9704-2012 (党政机关公文格式): A4, 天头 37 mm, 下白边 35 mm, 订口 28 mm,
翻口 26 mm; 版心 156 × 225 mm of 22 lines × 28 characters of 3号 (16 pt) 仿宋_GB2312;
红色发文机关标志 and 红色分隔线; 2号 (22 pt) 小标宋 title; 黑体 一级 and 楷体 二级 headings;
page numbers ``— 1 —`` in 4号 宋体, odd pages right, even pages left, one character in; 版记
between a thick first and last line with thin ones between.
"""

from __future__ import annotations

import math
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

FANGSONG = "仿宋_GB2312"
HEITI = "黑体"
KAITI = "楷体_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
SONGTI = "宋体"
LATIN = "Times New Roman"
RED = RGBColor(0xFF, 0x00, 0x00)

BODY_PT = 16  # 3号
LINE_TWIPS = 579  # 225 mm / 22 lines = 28.95 pt
#: 156 mm / 28 characters is 15.79 pt a character: 3号 text is set 0.25 pt tighter (in
#: whole twentieths of a point, ``w:spacing``, rounded down so that 28 fit). A character grid (``w:docGrid`` linesAndChars with a
#: negative ``w:charSpace``) says the same to Word, but LibreOffice gives every 16 pt
#: character two 15.79 pt cells of such a grid, so the line grid alone is used.
BODY_SPACING = math.floor((156 / 25.4 * 72 / 28 - BODY_PT) * 20)


def fonts(rpr_owner: object, east_asia: str, latin: str = LATIN) -> None:
    """Set the run fonts of a style or run: Latin for letters and digits, East-Asian for
    Chinese (``w:eastAsia``, which Word and WPS use for CJK text)."""
    rpr = rpr_owner.get_or_add_rPr()  # type: ignore[attr-defined]
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for key in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(key), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)
    for key in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(key), None)


def no_grid_snap(style: object) -> None:
    """Tables, pictures, 版记: their own line heights, not the 28.95 pt body grid."""
    ppr = style.element.get_or_add_pPr()  # type: ignore[attr-defined]
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    ppr.insert_element_before(
        snap, "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
        "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
        "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
        "w:pPrChange")


def paragraph_style(doc: object, name: str, font: str, size: float, *, bold: bool = False,
                    align: object = None, indent_chars: float = 0, exact: float | None = None,
                    color: RGBColor | None = None, snap: bool = True,
                    latin: str = LATIN) -> object:
    styles = doc.styles  # type: ignore[attr-defined]
    style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles["Normal"]
    style.quick_style = True
    style.font.size = Pt(size)
    style.font.bold = bold
    if color is not None:
        style.font.color.rgb = color
    fonts(style.element, font, latin)
    fmt = style.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    if align is not None:
        fmt.alignment = align
    fmt.first_line_indent = Pt(BODY_PT * indent_chars) if indent_chars else Pt(0)
    if exact is not None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(exact)
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    if not snap:
        no_grid_snap(style)
    return style


def border(element: object, tag: str, edges: dict[str, tuple[int, str]]) -> None:
    """Borders (``w:pBdr`` of a paragraph or ``w:tblBorders`` of a table): edge → (eighths of
    a point, colour)."""
    box = OxmlElement(tag)
    for edge, (size, color) in edges.items():
        line = OxmlElement(f"w:{edge}")
        line.set(qn("w:val"), "single" if size else "nil")
        if size:
            line.set(qn("w:sz"), str(size))
            line.set(qn("w:space"), "1")
            line.set(qn("w:color"), color)
        box.append(line)
    # in the place the schema gives it (Word refuses a document with elements out of order)
    after = (("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
              "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
              "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
              "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
              "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
              "w:rPr", "w:sectPr", "w:pPrChange") if tag == "w:pBdr" else
             ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption",
              "w:tblDescription", "w:tblPrChange"))
    element.insert_element_before(box, *after)  # type: ignore[attr-defined]


def page_number(footer: object, align: object, style: object) -> None:
    """``— N —``, 4号 宋体, one character in from the outer edge."""
    paragraph = footer.paragraphs[0]  # type: ignore[attr-defined]
    paragraph.style = style
    paragraph.alignment = align
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        paragraph.paragraph_format.right_indent = Pt(14)
    else:
        paragraph.paragraph_format.left_indent = Pt(14)
    paragraph.add_run("— ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), " PAGE ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
    paragraph.add_run(" —")


def setup(doc: object) -> dict[str, object]:
    """Page, grid, default fonts, the 公文 styles, footers; the styles by role."""
    section = doc.sections[0]  # type: ignore[attr-defined]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(21)
    sect_pr = section._sectPr
    for old in sect_pr.findall(qn("w:docGrid")):
        sect_pr.remove(old)
    grid = OxmlElement("w:docGrid")
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_TWIPS))
    sect_pr.append(grid)

    # document defaults: 仿宋_GB2312 3号, Chinese language
    defaults = doc.styles.element.find(qn("w:docDefaults"))  # type: ignore[attr-defined]
    rpr_default = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for child in list(rpr_default):
        rpr_default.remove(child)
    rfonts = OxmlElement("w:rFonts")
    for key in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(key), LATIN)
    rfonts.set(qn("w:eastAsia"), FANGSONG)
    rpr_default.append(rfonts)
    for tag in ("w:sz", "w:szCs"):
        size = OxmlElement(tag)
        size.set(qn("w:val"), str(BODY_PT * 2))
        rpr_default.append(size)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr_default.append(lang)

    normal = doc.styles["Normal"]  # type: ignore[attr-defined]
    normal.font.size = Pt(BODY_PT)
    fonts(normal.element, FANGSONG)
    tighter = OxmlElement("w:spacing")
    tighter.set(qn("w:val"), str(BODY_SPACING))
    normal.element.get_or_add_rPr().insert_element_before(
        tighter, "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u",
        "w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em",
        "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath")
    fmt = normal.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(LINE_TWIPS / 20)
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    center, right, left = (WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT,
                           WD_ALIGN_PARAGRAPH.LEFT)
    roles = {
        "mark": paragraph_style(doc, "发文机关标志", XIAOBIAOSONG, 36, align=center, color=RED,
                                latin=XIAOBIAOSONG),
        "docno": paragraph_style(doc, "发文字号", FANGSONG, BODY_PT, align=center,
                                 exact=LINE_TWIPS / 20),
        "title": paragraph_style(doc, "公文标题", XIAOBIAOSONG, 22, align=center, exact=35,
                                 latin=XIAOBIAOSONG),
        "to": paragraph_style(doc, "主送机关", FANGSONG, BODY_PT, exact=LINE_TWIPS / 20),
        "body": paragraph_style(doc, "公文正文", FANGSONG, BODY_PT, indent_chars=2,
                                exact=LINE_TWIPS / 20),
        "h1": paragraph_style(doc, "一级标题", HEITI, BODY_PT, indent_chars=2,
                              exact=LINE_TWIPS / 20),
        "h2": paragraph_style(doc, "二级标题", KAITI, BODY_PT, indent_chars=2,
                              exact=LINE_TWIPS / 20),
        "sign": paragraph_style(doc, "发文机关署名", FANGSONG, BODY_PT, align=right,
                                exact=LINE_TWIPS / 20),
        "annex_mark": paragraph_style(doc, "附件标注", HEITI, BODY_PT, align=left,
                                      exact=LINE_TWIPS / 20),
        "annex_title": paragraph_style(doc, "附件标题", XIAOBIAOSONG, 22, align=center, exact=35,
                                       latin=XIAOBIAOSONG),
        "picture": paragraph_style(doc, "图表", FANGSONG, BODY_PT, align=center, snap=False),
        "cell": paragraph_style(doc, "表格文字", FANGSONG, 10.5, align=center, snap=False),
        "cell_left": paragraph_style(doc, "表格文字居左", FANGSONG, 10.5, align=left, snap=False),
        "cell_head": paragraph_style(doc, "表格标题行", HEITI, 10.5, align=center, snap=False),
        "record": paragraph_style(doc, "版记", FANGSONG, 14, align=left, snap=False),
        "page": paragraph_style(doc, "页码", SONGTI, 14, snap=False, latin=SONGTI),
    }
    for role in ("sign",):
        roles[role].paragraph_format.right_indent = Pt(BODY_PT * 2)  # type: ignore[attr-defined]
    for role in ("record",):
        pf = roles[role].paragraph_format  # type: ignore[attr-defined]
        pf.left_indent = pf.right_indent = Pt(14)
        pf.space_before = pf.space_after = Pt(3)
    roles["annex_title"].paragraph_format.space_before = Pt(14)  # type: ignore[attr-defined]
    roles["annex_title"].paragraph_format.space_after = Pt(14)  # type: ignore[attr-defined]

    doc.settings.odd_and_even_pages_header_footer = True  # type: ignore[attr-defined]
    section.footer.is_linked_to_previous = False
    page_number(section.footer, right, roles["page"])
    page_number(section.even_page_footer, left, roles["page"])
    return roles


def para(doc: object, role: object, text: str = "") -> object:
    paragraph = doc.add_paragraph(style=role)  # type: ignore[attr-defined]
    if text:
        paragraph.add_run(text)
    return paragraph


def tag(doc: object, text: str) -> None:
    """A paragraph holding only a docxtpl block tag (``{%p …%}``): removed when rendered."""
    para(doc, doc.styles["Normal"], text)  # type: ignore[attr-defined]


def widths(grid: object, widths_mm: list[float]) -> None:
    """Fixed column widths (the grid and every cell: Word reads one, LibreOffice the other)."""
    grid.autofit = False  # type: ignore[attr-defined]
    for index, column in enumerate(grid.columns):  # type: ignore[attr-defined]
        column.width = Mm(widths_mm[index])
    for row in grid.rows:  # type: ignore[attr-defined]
        for index, cell in enumerate(row.cells):
            cell.width = Mm(widths_mm[index])


def table(doc: object, roles: dict[str, object], heads: list[str], cells: list[str],
          loop: str, widths_mm: list[float], left: set[int] | None = None) -> object:
    """A bordered table: a header row, then one row per item of ``loop`` (docxtpl ``{%tr``)."""
    grid = doc.add_table(rows=4, cols=len(heads))  # type: ignore[attr-defined]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    tbl_pr = grid._tbl.tblPr
    edge = (4, "000000")
    border(tbl_pr, "w:tblBorders", {"top": edge, "left": edge, "bottom": edge, "right": edge,
                                    "insideH": edge, "insideV": edge})
    widths(grid, widths_mm)
    head = grid.rows[0]
    tr_pr = head._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    tr_pr.append(repeat)
    for cell, text in zip(head.cells, heads, strict=True):
        cell.paragraphs[0].style = roles["cell_head"]
        cell.paragraphs[0].add_run(text)
    grid.rows[1].cells[0].paragraphs[0].add_run(f"{{%tr for {loop} %}}")
    for index, (cell, text) in enumerate(zip(grid.rows[2].cells, cells, strict=True)):
        cell.paragraphs[0].style = roles["cell_left" if index in (left or set()) else "cell"]
        cell.paragraphs[0].add_run(text)
    grid.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    return grid


def record(doc: object, roles: dict[str, object], lines: list[str], issued: tuple[str, str],
           ) -> None:
    """版记: 抄送 and the ledger version across, 印发机关 left and 印发日期 right."""
    grid = doc.add_table(rows=len(lines) + 1, cols=2)  # type: ignore[attr-defined]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    border(grid._tbl.tblPr, "w:tblBorders", {"top": (8, "000000"), "bottom": (8, "000000"),
                                             "insideH": (4, "000000"), "left": (0, ""),
                                             "right": (0, ""), "insideV": (0, "")})
    widths(grid, [90, 66])
    for row, text in zip(grid.rows, lines, strict=False):
        merged = row.cells[0].merge(row.cells[1])
        merged.paragraphs[0].style = roles["record"]
        merged.paragraphs[0].add_run(text)
    last = grid.rows[len(lines)]
    last.cells[0].paragraphs[0].style = roles["record"]
    last.cells[0].paragraphs[0].add_run(issued[0])
    last.cells[1].paragraphs[0].style = roles["record"]
    last.cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    last.cells[1].paragraphs[0].add_run(issued[1])


def red_line(paragraph: object) -> None:
    """The red separator line under the 文号 (a bottom border of its paragraph)."""
    ppr = paragraph._p.get_or_add_pPr()  # type: ignore[attr-defined]
    border(ppr, "w:pBdr", {"bottom": (18, "FF0000")})
    paragraph.paragraph_format.space_after = Pt(24)  # type: ignore[attr-defined]


def bulletin() -> object:
    doc = Document()
    roles = setup(doc)
    para(doc, roles["mark"], "{{ issuer }}文件")
    red_line(para(doc, roles["docno"], "{{ doc_prefix | docno(year, number) }}"))
    para(doc, roles["title"], "{{ title }}")
    para(doc, roles["to"])
    para(doc, roles["to"], "各乡镇党委，县委各包联领导，各结对帮扶单位：")
    para(doc, roles["body"], "按照“一月一调度、一月一督查、一月一通报”的要求，现将{{ month | cn_month }}"
         "全县软弱涣散基层党组织整顿工作进展情况通报如下。")

    para(doc, roles["h1"], "一、总体进展")
    para(doc, roles["body"],
         "截至{{ month_end | cn_date }}，全县共有软弱涣散基层党组织{{ totals.organizations }}个，"
         "其中村{{ totals.villages }}个、社区{{ totals.communities }}个。共梳理问题{{ totals.problems }}个，"
         "已整改销号{{ totals.closed }}个，销号率{{ totals.rate | pct }}；尚未销号{{ totals.open }}个，"
         "其中逾期未整改{{ totals.overdue }}个。本月新登记问题{{ totals.registered_in_month }}个，"
         "本月整改销号{{ totals.closed_in_month }}个{% if totals.reopened_in_month %}，"
         "本月反弹{{ totals.reopened_in_month }}个{% endif %}。已验收合格、实现转化{{ totals.transformed }}个"
         "{% if totals.accepted_in_month %}，本月组织验收{{ totals.accepted_in_month }}个{% endif %}。")
    para(doc, roles["picture"], "{{ burndown_chart }}")

    para(doc, roles["h1"], "二、各乡镇进展排名")
    para(doc, roles["body"], "各乡镇按问题销号率排名如下（销号率相同的，逾期未整改问题少者在前）：")
    table(doc, roles, ["排名", "乡镇", "整顿对象", "问题数", "已销号", "销号率", "逾期未整改", "本月销号"],
          ["{{ t.rank }}", "{{ t.township }}{% if t.last %}（末位）{% endif %}",
           "{{ t.organizations }}", "{{ t.problems }}", "{{ t.closed }}", "{{ t.rate | pct }}",
           "{{ t.overdue }}", "{{ t.closed_in_month }}"],
          "t in townships", [12, 30, 18, 16, 18, 20, 24, 18])
    para(doc, roles["picture"], "{{ townships_chart }}")
    tag(doc, "{%p if last_township %}")
    para(doc, roles["body"],
         "{% for last in townships if last.last %}{{ last_township }}销号率{{ last.rate | pct }}，排名末位"
         "{% if last.overdue %}，逾期未整改问题{{ last.overdue }}个{% endif %}。请{{ last_township }}"
         "党委主要负责同志于下月10日前向县委组织部专题报告整改情况，县委组织部将按规定进行约谈。{% endfor %}")
    tag(doc, "{%p endif %}")

    para(doc, roles["h1"], "三、逾期未整改问题")
    tag(doc, "{%p if overdue %}")
    para(doc, roles["body"], "截至{{ month_end | cn_date }}，逾期未整改问题{{ overdue | length }}个，"
         "涉及{{ overdue | map(attribute='org_name') | unique | list | length }}个村(社区)，"
         "清单见附件1。逾期最久的是{{ overdue[0].township }}{{ overdue[0].org_name }}"
         "“{{ overdue[0].title }}”，已逾期{{ overdue[0].days_overdue }}天。")
    tag(doc, "{%p else %}")
    para(doc, roles["body"], "截至{{ month_end | cn_date }}，没有逾期未整改的问题。")
    tag(doc, "{%p endif %}")

    para(doc, roles["h1"], "四、本月销号问题")
    tag(doc, "{%p if closed_in_month %}")
    para(doc, roles["body"], "本月整改销号问题{{ closed_in_month | length }}个：")
    tag(doc, "{%p for p in closed_in_month %}")
    para(doc, roles["body"], "{{ loop.index }}．{{ p.township }}{{ p.org_name }}“{{ p.title }}”，"
         "{{ p.closed_on | cn_md }}销号。整改结果：{{ p.result }}；验收确认：{{ p.verified_by or '未写明' }}。")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(doc, roles["body"], "本月没有销号的问题。")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if reopened_in_month %}")
    para(doc, roles["body"], "本月有{{ reopened_in_month | length }}个已销号问题出现反弹，已重新纳入整改："
         "{% for p in reopened_in_month %}{{ p.org_name }}“{{ p.title }}”（{{ p.reason }}）"
         "{% if not loop.last %}；{% endif %}{% endfor %}。")
    tag(doc, "{%p endif %}")

    para(doc, roles["h1"], "五、工作停滞的对象")
    tag(doc, "{%p if stalled %}")
    para(doc, roles["body"], "以下{{ stalled | length }}个村(社区)本月没有整改进展、销号和督查记录，工作处于停滞状态：")
    tag(doc, "{%p for s in stalled %}")
    para(doc, roles["body"], "{{ loop.index }}．{{ s.township }}{{ s.org_name }}（最近一次工作记录："
         "{% if s.last_activity %}{{ s.last_activity | cn_date }}{% else %}无{% endif %}；"
         "尚有未销号问题{{ s.open }}个）。")
    tag(doc, "{%p endfor %}")
    para(doc, roles["body"], "请所在乡镇党委逐一分析原因，压实包村领导和第一书记责任，限期拿出整改措施。")
    tag(doc, "{%p else %}")
    para(doc, roles["body"], "本月各村(社区)均有整改进展或督查记录。")
    tag(doc, "{%p endif %}")

    para(doc, roles["h1"], "六、下步工作要求")
    tag(doc, "{%p if next_steps %}")
    tag(doc, '{%p for paragraph in next_steps.strip().split("\\n") if paragraph.strip() %}')
    para(doc, roles["body"], "{{ paragraph.strip() }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(doc, roles["body"], "一是对逾期未整改问题逐项挂牌督办，重新明确整改时限和责任人。二是对工作停滞的村(社区)，"
         "由包联县级领导和乡镇党委书记到村督导。三是严格销号标准，做到整改一个、验收一个、销号一个，杜绝走过场。")
    tag(doc, "{%p endif %}")

    tag(doc, "{%p if overdue %}")
    para(doc, roles["body"])
    para(doc, roles["body"], "附件：1．{{ month | cn_month }}逾期未整改问题清单")
    tag(doc, "{%p endif %}")
    para(doc, roles["body"])
    para(doc, roles["body"])
    para(doc, roles["sign"], "{{ issuer }}")
    para(doc, roles["sign"], "{{ issued_on | cn_date }}")

    tag(doc, "{%p if overdue %}")
    mark = para(doc, roles["annex_mark"], "附件1")
    mark.paragraph_format.page_break_before = True  # type: ignore[attr-defined]
    para(doc, roles["annex_title"], "{{ month | cn_month }}逾期未整改问题清单")
    table(doc, roles, ["序号", "乡镇", "村(社区)", "问题", "责任人", "整改时限", "逾期天数"],
          ["{{ loop.index }}", "{{ p.township }}", "{{ p.org_name }}",
           "{{ p.title }}{% if p.state == 'reopened' %}（反弹）{% endif %}", "{{ p.owner }}",
           "{{ p.due | cn_date }}", "{{ p.days_overdue }}"],
          "p in overdue", [11, 18, 22, 50, 15, 24, 16], left={3})
    tag(doc, "{%p endif %}")

    para(doc, roles["body"])
    record(doc, roles, ["抄送：县委办公室，县委各包联领导，县直各结对帮扶单位。",
                        "{{ ledger_version }}（由 zhengdun 依据台账生成）"],
           ("{{ issuer }}", "{{ issued_on | cn_date }}印发"))
    return doc


def ledger() -> object:
    doc = Document()
    roles = setup(doc)
    para(doc, roles["title"], "{{ title }}")
    para(doc, roles["docno"], "{{ org.township }}　{{ org.kind }}　认定日期{{ org.designated_on | cn_date }}"
         "　截至{{ as_of | cn_date }}")
    para(doc, roles["h1"], "一、基本情况")
    for label, value in (
        ("软弱涣散类型", "{% for c in org.categories %}{{ c }} {{ org.category_names[c] }}"
                        "{% if not loop.last %}；{% endif %}{% endfor %}"),
        ("当前阶段", "{{ org.summary.stage }}"),
        ("包联县级领导", "{{ org.responsibility.county_leader or '' }}"),
        ("包村乡镇领导", "{{ org.responsibility.township_lead or '' }}"),
        ("党组织书记", "{{ org.responsibility.branch_secretary or '' }}"),
        ("第一书记", "{{ org.responsibility.first_secretary or '' }}"),
        ("结对帮扶单位", "{{ org.responsibility.paired_units | join('、') }}"),
        ("问题整改", "共{{ org.summary.problems }}个，已销号{{ org.summary.closed }}个，"
                    "未销号{{ org.summary.open }}个，逾期{{ org.summary.overdue }}个"),
    ):
        para(doc, roles["body"], f"{label}：{value}")
    para(doc, roles["h1"], "二、问题清单")
    table(doc, roles, ["编号", "问题", "类型", "整改时限", "责任人", "状态"],
          ["{{ p.id }}", "{{ p.title }}", "{{ p.category }}", "{{ p.due | cn_date }}",
           "{{ p.owner }}", "{{ p.state_label }}{% if p.overdue %}，逾期{{ p.days_overdue }}天{% endif %}"],
          "p in org.problems if p.found_on <= as_of", [12, 62, 12, 26, 18, 26], left={1})
    para(doc, roles["h1"], "三、整改过程")
    tag(doc, "{%p for p in org.problems if p.found_on <= as_of %}")
    para(doc, roles["h2"], "（{{ p.id }}）{{ p.title }}")
    tag(doc, "{%p if p.measures %}")
    para(doc, roles["body"], "整改措施：{{ p.measures | join('；') }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for s in p.steps %}")
    para(doc, roles["body"], "{{ s.on | cn_date }}，{{ s.text }}{% if s.evidence %}（佐证：{{ s.evidence | join('、') }}）{% endif %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p for c in p.closures %}")
    para(doc, roles["body"], "{{ c.on | cn_date }}销号：{{ c.result }}{% if c.verified_by %}（{{ c.verified_by }}验收）{% endif %}"
         "{% if c.reopened %}；{{ c.reopened.on | cn_date }}反弹：{{ c.reopened.reason }}{% endif %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    para(doc, roles["body"])
    record(doc, roles, ["{{ ledger_version }}（由 zhengdun 依据台账生成）"],
           ("{{ issuer }}", "截至{{ as_of | cn_date }}"))
    return doc


def main() -> None:
    for name, build in (("bulletin", bulletin), ("ledger", ledger)):
        doc = build()
        doc.core_properties.title = f"zhengdun {name} 模板"  # type: ignore[attr-defined]
        doc.core_properties.author = "zhengdun"  # type: ignore[attr-defined]
        doc.save(str(TEMPLATES / f"{name}.docx"))  # type: ignore[attr-defined]
        print(TEMPLATES / f"{name}.docx")


if __name__ == "__main__":
    main()
