"""HTML report pages whose tables are pictures (issue 12): the article's pictures are read by OCR in their
places, from data: URIs, from a web archive's parts, or from the "_files" folder of a saved page, their cells
marked as OCR. Pictures are bounded: an icon is skipped, a broken picture, a decompression bomb or too many
pictures are said, and the rest of the page is read. A page whose text holds the tables never looks at its
pictures.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image

from nianbao.report.check import CheckResult, check_bytes
from nianbao.report.limits import MAX_PICTURES
from nianbao.report.model import get_path
from nianbao.report.readers import read_document
from nianbao.report.readers.pictures import saved_pictures, web_archive
from nianbao.report.walk import iter_cells
from tests.readers.producers import expected
from tests.readers.scanned import consistent_report, picture_page, report_page, table_pictures

REPORT = consistent_report(5)


@pytest.fixture(scope="module")
def pictures() -> list[bytes]:
    return table_pictures(report_page(REPORT))


def data_uri(data: bytes, kind: str = "image/png") -> str:
    return f"data:{kind};base64," + base64.b64encode(data).decode("ascii")


def wrong_cells(result: CheckResult) -> list[tuple[str, object, object]]:
    model = result.report.to_dict()
    return [(c.path, c.value, get_path(model, c.path)) for c in iter_cells(expected(REPORT))
            if get_path(model, c.path) != c.value]


def assert_read_by_ocr(result: CheckResult) -> None:
    assert not wrong_cells(result)
    ocr = result.report.to_dict()["ocr"]
    assert ocr["pages"] == [1, 2, 3]
    assert {c.path for c in iter_cells(expected(REPORT))} <= set(ocr["cells"])
    assert all(0 < value <= 1 for value in ocr["cells"].values())
    assert result.fully_read and not result.findings  # every sum of the consistent report holds


@pytest.mark.browser
@pytest.mark.timeout(600)
def test_a_page_whose_tables_are_data_uri_pictures_is_read_cell_for_cell_and_marked_as_ocr(
        pictures: list[bytes]) -> None:
    assert_read_by_ocr(check_bytes(picture_page(REPORT, [data_uri(p) for p in pictures]), "nb.html"))


@pytest.mark.browser
@pytest.mark.timeout(600)
def test_nianbao_check_reads_a_saved_page_with_its_files_folder(pictures: list[bytes], tmp_path: Path) -> None:
    folder = tmp_path / "年报_files"
    folder.mkdir()
    for index, data in enumerate(pictures, start=1):
        (folder / f"image{index:03d}.png").write_bytes(data)
    page = tmp_path / "年报.html"
    page.write_bytes(picture_page(REPORT, [f"./年报_files/image{i:03d}.png" for i in (1, 2, 3)]))
    run = subprocess.run([sys.executable, "-m", "nianbao.cli", "check", "--json", str(page)], capture_output=True,
                         text=True, timeout=500, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    line = json.loads(run.stdout)
    assert line["fully_read"] and len(line["ocr"]["cells"]) >= len(list(iter_cells(expected(REPORT))))
    model = line
    assert all(get_path(model, c.path) == c.value for c in iter_cells(expected(REPORT)))


@pytest.mark.browser
@pytest.mark.timeout(600)
def test_a_web_archive_carries_the_pictures_of_a_crawled_page(pictures: list[bytes]) -> None:
    base = "http://example.gov.cn/art/2025/"
    sources = ["../../upload/t%201.png", "/upload/t2.png", "http://example.gov.cn/upload/%E8%A1%A83.png"]
    urls = ["http://example.gov.cn/upload/t 1.png", "http://example.gov.cn/upload/t2.png",
            "http://example.gov.cn/upload/表3.png"]
    archive = web_archive(picture_page(REPORT, sources), base + "nb.html",
                          [(url, data, None) for url, data in zip(urls, pictures, strict=True)], 50 * 2**20)
    assert archive == web_archive(picture_page(REPORT, sources), base + "nb.html",
                                  [(url, data, None) for url, data in zip(urls, pictures, strict=True)], 50 * 2**20)
    assert_read_by_ocr(check_bytes(archive, "nb.html"))


# --- bounded: hostile and broken pictures -------------------------------------------------------------------

def png(width: int, height: int, colour: str = "white") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def bomb_png(side: int = 100_000) -> bytes:
    """A PNG whose header announces side x side pixels (40 GB decoded), with a few bytes of data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
            + chunk(b"IEND", b""))


def hostile_page(images: list[str]) -> bytes:
    """The report's text with its tables replaced by the given pictures (and more after them)."""
    first, rest = images[:3], images[3:]
    extra = "".join(f'<p><img src="{src}"></p>' for src in rest)
    return picture_page(REPORT, first, extra)


@pytest.mark.timeout(120)
def test_a_broken_picture_a_bomb_and_too_many_pictures_are_said_and_the_page_is_read() -> None:
    broken = png(400, 300)[:200]  # cut short
    blank = data_uri(png(300, 200))
    images = [data_uri(broken), data_uri(bomb_png()), data_uri(b"GIF89a not a picture", "image/gif"),
              *[blank] * (MAX_PICTURES + 5)]
    document = read_document(hostile_page(images), "nb.html")
    notes = " ".join(document.notes)
    assert "图片无法读取" in notes and "图片像素过多" in notes and f"图片超过{MAX_PICTURES}张" in notes
    assert "三、收到和处理政府信息公开申请情况" in document.text and REPORT.agency in document.text
    assert document.ocr_pages == [] and document.ocr_cells == {}  # blank pictures hold no table: nothing read
    result = check_bytes(hostile_page(images), "nb.html")
    assert not result.fully_read and any("图片无法读取" in gap for gap in result.gaps)


def test_icons_and_spacers_are_skipped_without_a_word() -> None:
    page = hostile_page([data_uri(png(16, 16)), data_uri(png(1, 1)), data_uri(png(600, 40))])
    document = read_document(page, "nb.html")
    assert document.notes == [] and document.ocr_pages == []


def test_a_picture_not_at_hand_is_said() -> None:
    page = hostile_page(["/upload/t1.png", "/upload/t2.png", "/upload/t3.png"])
    assert read_document(page, "nb.html").notes == ["正文中的图片（可能是表格）未随网页取得，未识读"]
    archive = web_archive(page, "http://example.gov.cn/art/nb.html",
                          [("http://example.gov.cn/upload/t2.png", png(100, 100), None)], 2**20)  # an icon
    assert read_document(archive).notes == ["图片未取得，未识读：t1.png", "图片未取得，未识读：t3.png"]
    result = check_bytes(page, "nb.html")
    assert not result.fully_read and result.gaps[-1] == "正文中的图片（可能是表格）未随网页取得，未识读"


def test_a_page_whose_text_holds_the_tables_never_looks_at_its_pictures() -> None:
    html = report_page(REPORT).replace(b"</h1>", b'</h1><p><img src="data:image/png;base64,AAAA"></p>'
                                       b'<p><img src="/upload/banner.png"></p>')
    document = read_document(html, "nb.html")
    assert document.notes == [] and document.ocr_pages == []
    assert not wrong_cells(check_bytes(html, "nb.html"))


def test_a_saved_page_reads_pictures_only_inside_its_own_folder(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    (folder / "nb_files").mkdir(parents=True)
    (folder / "nb_files" / "t1.png").write_bytes(png(300, 200))
    (tmp_path / "secret.png").write_bytes(png(300, 200))
    (folder / "nb_files" / "link.png").symlink_to(tmp_path / "secret.png")
    page = folder / "nb.html"
    base = page.resolve().as_uri()
    urls = [f"{base.rsplit('/', 1)[0]}/{name}" for name in ("nb_files/t1.png", "../secret.png", "nb_files/link.png",
                                                             "nb_files/absent.png")]
    assert [url for url, _, _ in saved_pictures(page, urls)] == urls[:1]
    assert saved_pictures(page, ["http://example.gov.cn/t1.png"]) == []
