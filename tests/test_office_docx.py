"""The bulletin as a Word 公文, 一村一档 in Word, and the charts (issue 12, items 1 and 4).

Every document is built by the real command, read back with python-docx, and opened by a real
LibreOffice (headless, with its own temporary profile) that converts it to PDF; pdftotext must
find the title, the 文号 and the numbers in it, and page 1 is rendered to PNG by pdftoppm.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from conftest import Run, git, pinned_env_outside_a_test

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "templates"
MONTH = "2026-10"
TITLE = "关于2026年10月软弱涣散基层党组织整顿工作进展情况的通报"


def ok(result: Any) -> str:
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def fails(result: Any) -> str:
    """Exit 1 with a message on stderr, no traceback: return the message."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("错误："), result.stderr
    return str(result.stderr)


def text_of(doc: Any) -> str:
    """Every paragraph's text, the tables' cells included, one a line."""
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines += [cell.text for cell in row.cells]
    return "\n".join(lines)


def snapshot(root: Path) -> tuple[str, str, dict[str, bytes]]:
    """HEAD, git status and every file outside .git: what an error must leave as it was."""
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
             if p.is_file() and ".git" not in p.relative_to(root).parts}
    return git(root, "rev-parse", "HEAD"), git(root, "status", "--porcelain"), files


@pytest.fixture(scope="module")
def mpl_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One matplotlib config/cache folder for the module (its font list is built once)."""
    return tmp_path_factory.mktemp("mpl")


@pytest.fixture(autouse=True)
def _matplotlib_cache(monkeypatch: pytest.MonkeyPatch, mpl_home: Path) -> None:
    monkeypatch.setenv("MPLCONFIGDIR", str(mpl_home))


@pytest.fixture(scope="module")
def built(demo_county: Path, tmp_path_factory: pytest.TempPathFactory,
          mpl_home: Path) -> dict[str, Path]:
    """The demo county's October bulletin and 城东社区's 一村一档 as Word documents."""
    out = tmp_path_factory.mktemp("docx")
    with pinned_env_outside_a_test(out / "home"), pytest.MonkeyPatch.context() as mp:
        mp.setenv("MPLCONFIGDIR", str(mpl_home))
        run = Run(demo_county)
        ok(run("bulletin", "--month", MONTH, "--number", "10", "--format", "docx",
               "-o", str(out / "通报-2026-10.docx")))
        ok(run("report", "ledger", "--org", "城东社区", "--format", "docx",
               "-o", str(out / "城东社区台账.docx")))
        numbers = json.loads(ok(run("bulletin", "--month", MONTH, "--json")))
    (out / "numbers.json").write_text(json.dumps(numbers, ensure_ascii=False), encoding="utf-8")
    return {"bulletin": out / "通报-2026-10.docx", "ledger": out / "城东社区台账.docx",
            "numbers": out / "numbers.json"}


def numbers(built: dict[str, Path]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(built["numbers"].read_text(encoding="utf-8"))
    return data


# --------------------------------------------------------------------------- the shipped template


def _style_fonts(style: Any) -> dict[str, str]:
    rfonts = style.element.rPr.find(qn("w:rFonts"))
    return {key: rfonts.get(qn(f"w:{key}")) for key in ("ascii", "hAnsi", "eastAsia")}


def test_the_shipped_template_is_laid_out_after_gb_t_9704() -> None:
    doc = Document(str(SHIPPED / "bulletin.docx"))
    section = doc.sections[0]
    def mm(*lengths: Any) -> list[float]:  # Word keeps twips: 210 mm is 11906 of them
        return [round(length.mm, 1) for length in lengths]

    assert mm(section.page_width, section.page_height) == [210, 297]
    assert mm(section.top_margin, section.bottom_margin) == [37, 35]
    assert mm(section.left_margin, section.right_margin) == [28, 26]
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == "579"  # 225 mm / 22 lines
    normal = doc.styles["Normal"]
    assert normal.paragraph_format.line_spacing == Pt(28.95)
    # 28 characters to the 156 mm line: 3号 set 0.25 pt tighter
    spacing = normal.element.rPr.find(qn("w:spacing"))
    tighter = int(spacing.get(qn("w:val"))) / 20
    assert 28 * (16 + tighter) <= 156 / 25.4 * 72 < 29 * (16 + tighter)
    expected = {"公文正文": ("仿宋_GB2312", 16), "一级标题": ("黑体", 16),
                "二级标题": ("楷体_GB2312", 16), "公文标题": ("方正小标宋简体", 22),
                "发文机关标志": ("方正小标宋简体", 36), "发文字号": ("仿宋_GB2312", 16),
                "版记": ("仿宋_GB2312", 14), "页码": ("宋体", 14)}
    for name, (font, size) in expected.items():
        style = doc.styles[name]
        assert _style_fonts(style)["eastAsia"] == font, name
        assert style.font.size == Pt(size), name
    assert str(doc.styles["发文机关标志"].font.color.rgb) == "FF0000"
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    assert defaults.find(f".//{qn('w:rFonts')}").get(qn("w:eastAsia")) == "仿宋_GB2312"
    # the red separator line is the 文号 paragraph's bottom border
    docno = next(p for p in doc.paragraphs if "docno" in p.text)
    bottom = docno._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert bottom.get(qn("w:color")) == "FF0000"
    # page numbers — N —: odd pages right, even pages left
    assert doc.settings.odd_and_even_pages_header_footer
    for footer, align in ((section.footer, "right"), (section.even_page_footer, "left")):
        paragraph = footer.paragraphs[0]
        assert paragraph.text.startswith("— ") and paragraph.text.endswith(" —")
        assert paragraph._p.find(qn("w:fldSimple")).get(qn("w:instr")).strip() == "PAGE"
        assert paragraph.alignment is not None and paragraph.alignment.name.lower() == align


# --------------------------------------------------------------------------- the Word bulletin


def test_the_word_bulletin_says_what_the_markdown_bulletin_says(built: dict[str, Path],
                                                              demo_county: Path) -> None:
    doc = Document(str(built["bulletin"]))
    data = numbers(built)
    totals = data["totals"]
    text = text_of(doc)
    assert "{{" not in text and "{%" not in text
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == "中共演示县委组织部文件"
    assert doc.paragraphs[0].style.name == "发文机关标志"
    assert paragraphs[1] == "演组通〔2026〕10号"
    assert paragraphs[2] == TITLE and doc.paragraphs[2].style.name == "公文标题"
    assert "各乡镇党委，县委各包联领导，各结对帮扶单位：" in paragraphs
    assert (f"共梳理问题{totals['problems']}个，已整改销号{totals['closed']}个，"
            f"销号率{totals['rate']:.1f}%") in text
    headings = [p.text for p in doc.paragraphs if p.style.name == "一级标题"]
    assert headings == ["一、总体进展", "二、各乡镇进展排名", "三、逾期未整改问题", "四、本月销号问题",
                        "五、工作停滞的对象", "六、下步工作要求"]
    body = next(p for p in doc.paragraphs if p.text.startswith("截至"))
    assert body.style.name == "公文正文"
    assert paragraphs[-1] == "" or "印发" not in paragraphs[-1]
    assert "中共演示县委组织部" in paragraphs and "2026年10月31日" in paragraphs
    # the ranking table, then 附件1: one row per overdue problem, with its days
    ranking, annex, record = doc.tables
    assert [c.text for c in ranking.rows[0].cells][:3] == ["排名", "乡镇", "整顿对象"]
    assert len(ranking.rows) == 1 + len(data["townships"])
    assert ranking.rows[-1].cells[1].text.endswith("（末位）")
    assert "附件1" in paragraphs and "附件：1．2026年10月逾期未整改问题清单" in paragraphs
    assert len(annex.rows) == 1 + len(data["overdue"]) > 1
    for row, problem in zip(annex.rows[1:], data["overdue"], strict=True):
        cells = [c.text for c in row.cells]
        assert cells[1:3] == [problem["township"], problem["org_name"]]
        assert cells[3].startswith(problem["title"]) and cells[6] == str(problem["days_overdue"])
    # 版记 and the document properties name the ledger commit
    head = git(demo_county, "rev-parse", "HEAD").strip()
    record_text = "\n".join(c.text for row in record.rows for c in row.cells)
    assert f"台账版本：{head[:12]}" in record_text and "抄送：" in record_text
    assert "2026年10月31日印发" in record_text
    assert doc.core_properties.identifier == f"zhengdun:{head}"
    assert head in doc.core_properties.comments and doc.core_properties.title == TITLE
    # two charts, PNG, placed in the text
    assert len(doc.inline_shapes) == 2
    blobs = [rel.target_part.blob for rel in doc.part.rels.values() if "image" in rel.reltype]
    assert len(blobs) == 2 and all(b.startswith(b"\x89PNG") for b in blobs)


def test_every_run_names_its_east_asian_font(built: dict[str, Path]) -> None:
    """Word and WPS take Chinese text's font from w:eastAsia: every style used says it."""
    doc = Document(str(built["bulletin"]))
    used = {p.style.name for p in doc.paragraphs if p.text}
    for table in doc.tables:
        used |= {p.style.name for row in table.rows for c in row.cells for p in c.paragraphs
                 if p.text}
    for name in used:
        style = doc.styles[name]
        while style is not None and (style.element.rPr is None
                                     or style.element.rPr.find(qn("w:rFonts")) is None):
            style = style.base_style
        assert style is not None, name
        assert _style_fonts(style)["eastAsia"], name


# --------------------------------------------------------------------------- LibreOffice


def _office_tools() -> None:
    missing = [tool for tool in ("soffice", "pdftotext", "pdftoppm") if not shutil.which(tool)]
    assert not missing, (f"{missing} not installed: apt-get install libreoffice-writer-nogui "
                         "fonts-noto-cjk poppler-utils (.ci/run does)")


def to_pdf(document: Path, folder: Path) -> Path:
    """LibreOffice headless converts ``document`` to PDF in ``folder`` (own profile)."""
    _office_tools()
    profile = folder / "lo-profile"
    result = subprocess.run(
        ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(folder), str(document)],
        capture_output=True, text=True, timeout=240, check=False)
    pdf = folder / f"{document.stem}.pdf"
    assert result.returncode == 0 and pdf.is_file(), result.stdout + result.stderr
    return pdf


def _count(picture: Any, wanted: Callable[[int, int, int], bool]) -> int:
    """How many pixels of an RGB picture are ``wanted``."""
    data = picture.tobytes()
    return sum(1 for i in range(0, len(data), 3) if wanted(data[i], data[i + 1], data[i + 2]))


def pdf_text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                         check=True, timeout=60).stdout.decode("utf-8")
    return re.sub(r"\s+", "", out)


@pytest.fixture(scope="module")
def pdfs(built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pdf")
    return {name: to_pdf(built[name], folder) for name in ("bulletin", "ledger")}


def test_libreoffice_opens_the_word_bulletin(built: dict[str, Path], pdfs: dict[str, Path],
                                             demo_county: Path) -> None:
    text = pdf_text(pdfs["bulletin"])
    totals = numbers(built)["totals"]
    for wanted in (TITLE, "演组通〔2026〕10号", "中共演示县委组织部文件",
                   f"共梳理问题{totals['problems']}个", f"已整改销号{totals['closed']}个",
                   f"逾期未整改{totals['overdue']}个", "附件1", "2026年10月31日印发",
                   git(demo_county, "rev-parse", "HEAD")[:12], "—1—", "—2—"):
        assert wanted in text, wanted
    # page 1 as a picture (looked at by eye when this was written: red 发文机关标志, red line)
    page = pdfs["bulletin"].with_name("page")
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdfs["bulletin"]),
                    str(page)], check=True, timeout=60)
    png = next(pdfs["bulletin"].parent.glob("page*.png"))
    from PIL import Image

    with Image.open(png) as picture:
        rgb = picture.convert("RGB")
        width, height = rgb.size
        assert abs(width / height - 210 / 297) < 0.01  # A4
        top = rgb.crop((0, 0, width, height // 4))
        reds = _count(top, lambda r, g, b: r > 200 and g < 80 and b < 80)
        assert reds > 500  # the red 发文机关标志 and separator line are there, and red


def test_libreoffice_opens_the_word_ledger(pdfs: dict[str, Path]) -> None:
    text = pdf_text(pdfs["ledger"])
    assert "城东社区软弱涣散基层党组织整顿台账" in text
    assert "小区停车位不足，居民反映近两年未解决" in text and "台账版本：" in text


def test_the_word_ledger_lists_every_problem(built: dict[str, Path], demo_county: Path) -> None:
    doc = Document(str(built["ledger"]))
    shown = json.loads(ok(Run(demo_county)("show", "城东社区", "--json")))
    problems, _record = doc.tables
    assert len(problems.rows) == 1 + len(shown["problems"])
    assert problems.rows[1].cells[1].text == shown["problems"][0]["title"]
    assert doc.paragraphs[0].text == "城东社区软弱涣散基层党组织整顿台账"
    head = git(demo_county, "rev-parse", "HEAD").strip()
    assert doc.core_properties.identifier == f"zhengdun:{head}"


# --------------------------------------------------------------------------- the clerk's own template


def _own_template(path: Path, *lines: str) -> None:
    doc = Document()
    for line in lines:
        doc.add_paragraph(line)
    doc.save(str(path))


def test_a_docx_in_templates_overrides_the_shipped_one(demo_copy: Path, tmp_path: Path) -> None:
    run = Run(demo_copy)
    local = demo_copy / "templates" / "bulletin.docx"
    local.parent.mkdir(exist_ok=True)
    _own_template(local, "本县格式：{{ title }}", "问题{{ totals.problems }}个 & 逾期{{ totals.overdue }}个",
                  "{{ burndown_chart }}")
    listing = {t["name"]: t for t in json.loads(ok(run("templates", "list", "--json")))}
    assert listing["bulletin.docx"] == {"name": "bulletin.docx", "path": str(local),
                                        "origin": "本地"}
    assert listing["ledger.docx"]["origin"] == "自带"
    assert Path(ok(run("templates", "path", "bulletin.docx")).strip()) == local
    out = tmp_path / "本县.docx"
    ok(run("bulletin", "--month", MONTH, "--format", "docx", "-o", str(out)))
    doc = Document(str(out))
    totals = json.loads(ok(run("bulletin", "--month", MONTH, "--json")))["totals"]
    assert [p.text for p in doc.paragraphs][:2] == [
        f"本县格式：{TITLE}", f"问题{totals['problems']}个 & 逾期{totals['overdue']}个"]
    assert len(doc.inline_shapes) == 1  # only the chart this template names is drawn


# --------------------------------------------------------------------------- refusals


def test_docx_refusals_change_nothing(demo_copy: Path, tmp_path: Path) -> None:
    run = Run(demo_copy)
    before = snapshot(demo_copy)
    target = tmp_path / "通报.docx"
    cases = [
        (("bulletin", "--month", MONTH, "--format", "docx"), "Word 文档不能显示在屏幕上"),
        (("bulletin", "--month", MONTH, "--format", "docx", "-o", str(tmp_path / "通报.md")),
         "Word 文档的文件名应以 .docx 结尾"),
        (("bulletin", "--month", MONTH, "--format", "pdf", "-o", str(target)), "格式“pdf”不支持"),
        (("report", "ledger", "--org", "城东社区", "--format", "docx"), "Word 文档不能显示在屏幕上"),
        (("bulletin", "--month", MONTH, "--format", "docx", "--template", "nosuch",
          "-o", str(target)), "找不到模板“nosuch.docx”"),
    ]
    for args, message in cases:
        assert message in fails(run(*args)), args
        assert not target.exists() and not (tmp_path / "通报.md").exists()
    assert snapshot(demo_copy) == before


def test_a_broken_word_template_is_named(demo_copy: Path, tmp_path: Path) -> None:
    run = Run(demo_copy)
    (demo_copy / "templates").mkdir(exist_ok=True)
    local = demo_copy / "templates" / "bulletin.docx"
    target = tmp_path / "通报.docx"
    local.write_text("这不是 Word 文件", encoding="utf-8")
    git(demo_copy, "add", "templates")
    git(demo_copy, "commit", "-qm", "clerk's template")
    before = snapshot(demo_copy)
    message = fails(run("bulletin", "--month", MONTH, "--format", "docx", "-o", str(target)))
    assert f"Word 模板 {local} 不是 .docx 文件" in message and "另存为" in message
    _own_template(local, "{{ totals.nosuch }}")
    message = fails(run("bulletin", "--month", MONTH, "--format", "docx", "-o", str(target)))
    assert f"Word 模板 {local} 用到了不存在的数据" in message and "nosuch" in message
    _own_template(local, "{{ title ")
    message = fails(run("bulletin", "--month", MONTH, "--format", "docx", "-o", str(target)))
    assert f"Word 模板 {local} 中的模板标记有语法错误" in message
    assert not target.exists()
    git(demo_copy, "checkout", "--", "templates")
    assert snapshot(demo_copy) == before


# --------------------------------------------------------------------------- charts


def test_charts_as_png_and_svg(demo_copy: Path, tmp_path: Path) -> None:
    run = Run(demo_copy)
    before = snapshot(demo_copy)
    for kind in ("burndown", "townships"):
        png, svg = tmp_path / f"{kind}.png", tmp_path / f"{kind}.svg"
        ok(run("chart", kind, "--month", MONTH, "-o", str(png)))
        ok(run("chart", kind, "--month", MONTH, "-o", str(svg)))
        assert png.read_bytes().startswith(b"\x89PNG")
        assert b"<svg" in svg.read_bytes()[:400]
        # the same numbers draw the same picture
        again = tmp_path / f"{kind}-again.png"
        ok(run("chart", kind, "--month", MONTH, "-o", str(again)))
        assert again.read_bytes() == png.read_bytes()
    from PIL import Image

    with Image.open(tmp_path / "townships.png") as picture:
        rgb = picture.convert("RGB")
        reds = _count(rgb, lambda r, g, b: r > 170 and g < 40 and b < 40)
        assert reds > 100  # the last township's bar is red
    assert snapshot(demo_copy) == before


def test_the_burndown_is_the_bulletins_month_by_month(demo_county: Path) -> None:
    from zhengdun.office import burndown_points
    from zhengdun.reports import Month
    from zhengdun.workspace import find, load_all

    ws = find(demo_county)
    items = load_all(ws)
    points = burndown_points(ws, Month(2026, 10), items)
    assert points[0]["month"] <= "2026-03" and points[-1]["month"] == "2026-10"
    run = Run(demo_county)
    for point in (points[len(points) // 2], points[-1]):
        totals = json.loads(ok(run("bulletin", "--month", point["month"], "--json")))["totals"]
        assert {k: point[k] for k in ("problems", "closed", "open", "overdue")} == {
            k: totals[k] for k in ("problems", "closed", "open", "overdue")}
    assert all(a["problems"] <= b["problems"] for a, b in itertools.pairwise(points))


def test_chart_refusals(demo_copy: Path, workspace: Path, tmp_path: Path) -> None:
    run = Run(demo_copy)
    before = snapshot(demo_copy)
    out = tmp_path / "图.png"
    assert "没有“pie”这种图表" in fails(run("chart", "pie", "-o", str(out)))
    assert "扩展名应是 .png 或 .svg" in fails(run("chart", "burndown", "-o", str(tmp_path / "a.jpg")))
    assert "还没有认定的整顿对象" in fails(Run(workspace)("chart", "burndown", "-o", str(out)))
    assert "还没有认定的整顿对象" in fails(Run(workspace)("chart", "townships", "-o", str(out)))
    assert not out.exists()
    assert snapshot(demo_copy) == before


@pytest.mark.parametrize(("font", "message"), [
    ("某某不存在体", "chart_font 指定的字体“某某不存在体”没有安装"),
    ("DejaVu Sans", "缺少图表中的汉字，画出来会是方框"),
])
def test_a_configured_chart_font_is_checked(demo_copy: Path, tmp_path: Path, font: str,
                                            message: str) -> None:
    config = demo_copy / "zhengdun.yaml"
    config.write_text(config.read_text(encoding="utf-8") + f"chart_font: {font}\n",
                      encoding="utf-8")
    git(demo_copy, "commit", "-qam", "chart font")
    before = snapshot(demo_copy)
    out = tmp_path / "通报.docx"
    assert message in fails(Run(demo_copy)("chart", "burndown", "-o", str(tmp_path / "a.png")))
    assert message in fails(Run(demo_copy)("bulletin", "--month", MONTH, "--format", "docx",
                                           "-o", str(out)))
    assert not out.exists() and not (tmp_path / "a.png").exists()
    assert snapshot(demo_copy) == before


def test_without_a_chinese_font_the_chart_is_refused(demo_copy: Path, tmp_path: Path) -> None:
    """A matplotlib font cache that knows no CJK font (as on a machine without one): the
    chart is refused with the font to install, never drawn with empty boxes."""
    config = tmp_path / "mpl-no-cjk"
    config.mkdir()
    env = {**os.environ, "MPLCONFIGDIR": str(config)}
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env,
                   check=True, timeout=300)
    (cache,) = config.glob("fontlist-*.json")
    fonts = json.loads(cache.read_text(encoding="utf-8"))
    from zhengdun.plots import CJK_FAMILIES

    def chinese(entry: dict[str, Any]) -> bool:
        return entry["name"] in CJK_FAMILIES or any(
            word in entry["name"] for word in ("CJK", "Han", "Hei", "WenQuanYi", "Song", "Kai"))

    assert any(chinese(e) for e in fonts["ttflist"])  # the test removes something
    fonts["ttflist"] = [e for e in fonts["ttflist"] if not chinese(e)]
    cache.write_text(json.dumps(fonts), encoding="utf-8")
    before = snapshot(demo_copy)
    out = tmp_path / "图.png"
    result = subprocess.run([sys.executable, "-m", "zhengdun", "chart", "burndown", "-o",
                             str(out)], cwd=demo_copy, env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stderr
    assert "没有找到可显示汉字的字体" in result.stderr and "fonts-noto-cjk" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()
    assert snapshot(demo_copy) == before


# --------------------------------------------------------------------------- the program


def _program(root: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "zhengdun", *args],
                            cwd=root, capture_output=True, text=True, timeout=300,
                            check=False)
    modules = {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
               if line.startswith("import time:") and "|" in line}
    return result, modules


OFFICE_LIBRARIES = {"docxtpl", "docx", "matplotlib", "lxml", "PIL", "numpy"}


def test_board_and_close_do_not_import_the_office_libraries(chengdong: Any,
                                                           workspace: Path) -> None:
    for args in (["board"], ["board", "--json"], ["bulletin", "--month", "2026-06"],
                 ["close", "chengdong/1", "--result", "新增停车位120个", "--on", "2026-06-20"]):
        result, modules = _program(workspace, *args)
        assert result.returncode == 0, (args, result.stderr[-2000:])
        assert not {m.split(".")[0] for m in modules} & OFFICE_LIBRARIES, args
    # the scan sees them where they are used
    result, modules = _program(workspace, "chart", "burndown", "-o", "进度.png")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "matplotlib" in {m.split(".")[0] for m in modules}
    result, modules = _program(workspace, "bulletin", "--month", "2026-06", "--format", "docx",
                               "-o", "通报.docx")
    assert result.returncode == 0, result.stderr[-2000:]
    assert {"docxtpl", "docx", "matplotlib"} <= {m.split(".")[0] for m in modules}
    assert Document(str(workspace / "通报.docx")).paragraphs[0].text == "中共示范县委组织部文件"


# --------------------------------------------------------------------------- README


def test_readme_office_block_runs(tmp_path: Path, demo_county: Path) -> None:
    """README's "Word 公文与图表" commands, run as written in a copy of the demo county."""
    from test_readme import block, run_block

    shutil.copytree(demo_county, tmp_path / "演示县", symlinks=True)
    result = run_block(block("office"), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "README command failed" not in result.stderr
    root = tmp_path / "演示县"
    for name in ("通报-2026-10.docx", "城东社区台账.docx", "销号进度.png", "乡镇销号率.svg"):
        assert (root / name).is_file() and (root / name).stat().st_size > 1000, name
    assert (root / "templates" / "bulletin.docx").read_bytes() == (
        SHIPPED / "bulletin.docx").read_bytes()
    assert Document(str(root / "通报-2026-10.docx")).paragraphs[2].text == TITLE


def test_at_names_the_commit_read_and_uses_the_template_committed_then(
        demo_copy: Path, tmp_path: Path) -> None:
    run = Run(demo_copy)
    local = demo_copy / "templates" / "bulletin.docx"
    local.parent.mkdir(exist_ok=True)
    _own_template(local, "当时的模板：{{ totals.problems }}")
    git(demo_copy, "add", "templates")
    git(demo_copy, "commit", "-qm", "clerk's template")
    committed = git(demo_copy, "rev-parse", "HEAD").strip()
    _own_template(local, "后来改的模板")  # changed on disk, not committed
    out = tmp_path / "当时.docx"
    ok(run("bulletin", "--month", "2026-09", "--at", committed[:10], "--format", "docx",
           "-o", str(out)))
    doc = Document(str(out))
    totals = json.loads(ok(run("bulletin", "--month", "2026-09", "--at", committed[:10],
                               "--json")))["totals"]
    assert [p.text for p in doc.paragraphs] == [f"当时的模板：{totals['problems']}"]
    assert doc.core_properties.identifier == f"zhengdun:{committed}"
    # without --at: the file on disk, and the 版记 line says the ledgers are HEAD's
    ok(run("bulletin", "--month", "2026-09", "--format", "docx", "-o", str(out)))
    assert [p.text for p in Document(str(out)).paragraphs] == ["后来改的模板"]


def test_uncommitted_ledger_edits_are_noted_in_the_record(demo_copy: Path,
                                                          tmp_path: Path) -> None:
    ledger = demo_copy / "ledgers" / "chengdong.yaml"
    ledger.write_text(ledger.read_text(encoding="utf-8") + "# 手工备注\n", encoding="utf-8")
    out = tmp_path / "通报.docx"
    ok(Run(demo_copy)("bulletin", "--month", MONTH, "--format", "docx", "-o", str(out)))
    doc = Document(str(out))
    record = "\n".join(c.text for row in doc.tables[-1].rows for c in row.cells)
    head = git(demo_copy, "rev-parse", "HEAD").strip()
    assert f"台账版本：{head[:12]}（另有未提交的修改）" in record
    assert "未提交的修改" in doc.core_properties.comments
