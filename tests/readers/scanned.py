"""Scanned reports, made the way agencies make them: the report is printed (headless Chromium prints the
HTML page to PDF), the printout is scanned (each page rasterised at a scanner's resolution), the scan gets
paper noise, a slight skew and the agency's red seal over the table, and the scans are wrapped in a PDF
(Pillow), or pasted as pictures into a DOCX.

The figures are made consistent (every sum of the tables holds), so that a misread digit shows as a
failing sum: a noisy scan must come back right, or with its doubtful cells said, never wrong and certain.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from nianbao.crawler.browser import CHROMIUM_LAUNCH_OPTIONS
from tests.readers.producers import Report, cms_page, html_body, make_report

SEAL_FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"
# Many agencies print in a Song face (宋体): thin horizontal strokes and hairline serifs, which a scan's grain
# and a 150 dpi raster thin out further than a sans-serif face's.
SONG_FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
SONG = "body{font-family:'Noto Serif CJK SC',serif}"


@dataclass(frozen=True)
class Noise:
    name: str
    dpi: int = 200
    sigma: float = 0.0  # grey noise, in grey levels
    skew: float = 0.0  # degrees
    seal: bool = False
    blur: float = 0.0


CLEAN = Noise("clean", dpi=200)
LEVELS = (
    CLEAN,
    Noise("150dpi+seal", dpi=150, seal=True),
    Noise("200dpi+noise+skew1°+seal", dpi=200, sigma=18, skew=1.0, seal=True),
    Noise("150dpi+noise+skew2°+seal+blur", dpi=150, sigma=28, skew=-2.0, seal=True, blur=0.8),
)
OFFICE = Noise("200dpi+noise+skew0.5°+seal", dpi=200, sigma=12, skew=0.5, seal=True)  # an office scanner's


def consistent_report(seed: int) -> Report:
    """make_report's figures made to satisfy every rule of table three and four: row totals, 一+二 = （七）+四
    per column, （七）总计 = the sum of the outcome rows. No blank cells."""
    report = make_report(seed, blanks=0)
    rows = report.applications
    outcomes = [p for p in rows if p not in ("new_received", "carried_over", "total_handled", "carried_forward")]
    handled = [sum(rows[p][c] or 0 for p in outcomes) for c in range(6)]
    forward = [v or 0 for v in rows["carried_forward"][:6]]
    carried = [min(v or 0, h + f) for v, h, f in zip(rows["carried_over"][:6], handled, forward, strict=True)]
    new = [h + f - c for h, f, c in zip(handled, forward, carried, strict=True)]
    for path, values in (("total_handled", handled), ("carried_forward", forward), ("carried_over", carried),
                         ("new_received", new)):
        rows[path] = list(values)
    for path, values in rows.items():
        rows[path] = [v or 0 for v in values[:6]] + [sum(v or 0 for v in values[:6])]
    return report


def print_pdf(html: bytes) -> bytes:
    """The page as headless Chromium prints it (A4)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**CHROMIUM_LAUNCH_OPTIONS)
        try:
            page = browser.new_page()
            page.set_content(html.decode())
            return page.pdf(format="A4")
        finally:
            browser.close()


def report_page(report: Report, css: str = "") -> bytes:
    return cms_page(report, html_body(report), head=("<style>body{font-size:13px} td{padding:1px 3px} table{break-inside:avoid}"
                                                 f"{css}</style>"))


def scan_pages(printed: bytes, noise: Noise, seed: int = 0) -> list[Image.Image]:
    """Each printed page as a scanner gives it back."""
    document = pdfium.PdfDocument(printed)
    rng, grain = random.Random(seed), np.random.default_rng(seed)
    pages = []
    for index in range(len(document)):
        page = document[index].render(scale=noise.dpi / 72).to_pil().convert("RGB")
        pages.append(_scanned(page, noise, rng, grain, seal=noise.seal and index == 1))
    document.close()
    return pages


def _scanned(page: Image.Image, noise: Noise, rng: random.Random, grain: np.random.Generator, *,
             seal: bool) -> Image.Image:
    if seal:
        page = _stamp(page, rng)
    if noise.blur:
        page = page.filter(ImageFilter.GaussianBlur(noise.blur))
    if noise.skew:
        page = page.rotate(noise.skew, resample=Image.Resampling.BILINEAR, fillcolor=(255, 255, 255))
    if noise.sigma:
        # A grey cast and speckle, as a cheap scanner's.
        page = Image.blend(page, _grain(page.size, noise.sigma, grain), 0.5)
        page = page.point(lambda v: min(255, int(v * 1.6)))  # levels back up: paper near white
    return page


def _grain(size: tuple[int, int], sigma: float, grain: np.random.Generator) -> Image.Image:
    """Grey Gaussian noise about mid-grey, as Image.effect_noise makes it, but drawn from the scan's seed:
    effect_noise draws from the C library's rand(), whose state moves with whatever ran before in the
    process, so the same test scanned a different page from one run to the next."""
    width, height = size
    return Image.fromarray(np.clip(grain.normal(128.0, sigma, (height, width)), 0, 255).astype(np.uint8),
                           "L").convert("RGB")


def _stamp(page: Image.Image, rng: random.Random) -> Image.Image:
    """A red seal (ring, star, agency name in an arc) over the upper middle of the table."""
    layer = Image.new("RGBA", page.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    radius = page.width // 7
    cx, cy = int(page.width * rng.uniform(0.55, 0.7)), int(page.height * rng.uniform(0.3, 0.45))
    red = (220, 30, 30, 170)
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=red, width=max(3, radius // 18))
    star = [(cx + radius * 0.3 * math.cos(math.radians(90 + 72 * k * 2)),
             cy - radius * 0.3 * math.sin(math.radians(90 + 72 * k * 2))) for k in range(5)]
    draw.polygon(star, fill=red)
    font = ImageFont.truetype(SEAL_FONT, max(10, radius // 5))
    for k, char in enumerate("示例市人民政府办公室"):
        angle = math.radians(200 - k * 24)
        x, y = cx + radius * 0.72 * math.cos(angle), cy - radius * 0.72 * math.sin(angle)
        draw.text((x, y), char, fill=red, font=font, anchor="mm")
    return Image.alpha_composite(page.convert("RGBA"), layer).convert("RGB")


def to_pdf(pages: list[Image.Image], dpi: int) -> bytes:
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return out.getvalue()


def table_pictures(html: bytes) -> list[bytes]:
    """Each <table> of the page as Chromium shows it, a PNG at about 190 dpi (a screenshot pasted in Word)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**CHROMIUM_LAUNCH_OPTIONS)
        try:
            page = browser.new_page(device_scale_factor=2, viewport={"width": 900, "height": 1200})
            page.set_content(html.decode())
            return [table.screenshot() for table in page.query_selector_all("table")]
        finally:
            browser.close()


def docx_with_pictures(report: Report, pictures: list[bytes]) -> bytes:
    """The report as a DOCX whose tables are pictures, in their places."""
    import docx as python_docx
    from docx.shared import Cm

    from tests.readers.producers import blocks

    document = python_docx.Document()
    document.add_paragraph(report.title)
    remaining = iter(pictures)
    for block in blocks(report):
        if isinstance(block, str):
            document.add_paragraph(block)
        else:
            document.add_picture(io.BytesIO(next(remaining)), width=Cm(16))
    document.add_paragraph(report.agency)
    y, m, d = report.date.split("-")
    document.add_paragraph(f"{y}年{int(m)}月{int(d)}日")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def picture_page(report: Report, sources: list[str], extra: str = "") -> bytes:
    """The report as a CMS article page whose tables are pictures (<img src> each, in their places), as county
    sites publish a Word table pasted as a screenshot. `extra`: more HTML at the end of the article."""
    remaining = iter(sources)
    body = html_body(report, table=lambda rows: f'<p style="text-align:center"><img src="{next(remaining)}"'
                                                ' style="width:600px"></p>')
    return cms_page(report, body + extra)
