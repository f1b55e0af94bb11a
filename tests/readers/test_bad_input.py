"""Bad input: each gives UnreadableDocument with a clear reason, quickly and without huge memory."""

from __future__ import annotations

import io
import os
import re
import resource
import zipfile
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from nianbao.report import NotAReport, UnreadableDocument, check_bytes
from nianbao.report.readers import read_document
from nianbao.report.readers.dispatch import read_path, sniff_format
from tests.readers.render import ENCRYPTED_PDF, convert_many

CORPUS = Path(__file__).parents[1] / "fixtures" / "corpus"
REAL_PDF = CORPUS / "huaian_hongze_district_2023.pdf"


def _reason(data: bytes, filename: str | None = None) -> str:
    with pytest.raises(UnreadableDocument) as caught:
        read_document(data, filename)
    return str(caught.value)


@pytest.mark.timeout(10)
def test_empty_file() -> None:
    assert _reason(b"", "report.pdf") == "空文件（没有任何内容）"
    assert _reason(b"  \n\t ", None) == "空文件（没有任何内容）"


@pytest.mark.timeout(20)
def test_truncated_pdf() -> None:
    data = REAL_PDF.read_bytes()
    assert _reason(data[: len(data) // 2], "report.pdf") == "PDF 文件不完整（缺少文件结束标记，可能未下载完整）"


@pytest.mark.timeout(20)
def test_garbage_with_pdf_header() -> None:
    assert "PDF 文件已损坏（" in _reason(b"%PDF-1.7\n" + os.urandom(5000) + b"\n%%EOF\n", "x.pdf")


@pytest.mark.timeout(10)
def test_random_binary() -> None:
    reason = _reason(bytes(range(256)) * 64 + os.urandom(4096), "download.bin")
    assert reason.startswith("二进制数据")


@pytest.mark.timeout(10)
def test_zip_that_is_not_docx() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert _reason(buffer.getvalue(), "files.zip") == "ZIP 压缩包，不是 Word 文档（.docx）"


@pytest.mark.timeout(30)
def test_docx_zip_bomb_is_refused_without_inflating(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    chunk = b" " * (1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(1024):  # 1 GiB of spaces, written streaming
                member.write(chunk)
    assert path.stat().st_size < 5 * 1024 * 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    reason = _reason(path.read_bytes(), "bomb.docx")
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert "压缩炸弹" in reason or "解压后" in reason
    assert grown_kb < 100 * 1024


@pytest.mark.timeout(10)
def test_200_mb_file_refused_from_stat(tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    with open(path, "wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: no disk, no memory
    with pytest.raises(UnreadableDocument, match="文件过大"):
        read_path(path)


@pytest.mark.timeout(10)
def test_size_limit_is_overridable() -> None:
    with pytest.raises(UnreadableDocument, match="文件过大"):
        read_document(b"x" * 2000, "a.txt", max_bytes=1000)


@pytest.mark.timeout(20)
def test_page_limit() -> None:
    with pytest.raises(UnreadableDocument, match=re.escape("PDF 文件页数过多：5 页（上限 2 页）")):
        read_document(REAL_PDF.read_bytes(), "r.pdf", max_pages=2)


@pytest.mark.timeout(20)
def test_image_only_pdf(tmp_path: Path) -> None:
    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(595, 842)
    image = pdfium.PdfImage.new(pdf)
    bitmap = pdfium.PdfBitmap.from_pil(Image.new("RGB", (200, 100), "black"))
    image.set_bitmap(bitmap)
    image.set_matrix(pdfium.PdfMatrix().scale(200, 100).translate(50, 600))
    page.insert_obj(image)
    page.gen_content()
    out = io.BytesIO()
    pdf.save(out)
    assert "没有文字层（可能是扫描图片）" in _reason(out.getvalue(), "scan.pdf")


@pytest.mark.libreoffice
@pytest.mark.timeout(120)
def test_encrypted_pdf(tmp_path: Path) -> None:
    source = tmp_path / "secret.txt"
    source.write_text("2020年政府信息公开工作年度报告\n", encoding="utf-8")
    (encrypted,) = convert_many([source], ENCRYPTED_PDF, tmp_path / "out")
    assert _reason(encrypted.read_bytes(), "secret.pdf") == "已加密的 PDF（需要密码才能打开）"


@pytest.mark.timeout(20)
def test_news_article_is_not_a_report() -> None:
    page = (
        "<html><head><meta charset='utf-8'><title>我市召开防汛工作会议</title></head><body>"
        "<div class='nav'><a href='/'>首页</a></div><div class='article'><h1>我市召开防汛工作会议</h1>"
        "<p>7月3日，我市召开防汛工作会议，部署近期防汛抗旱工作。</p><p>会议要求各地压实责任。</p>"
        "</div></body></html>"
    ).encode()
    with pytest.raises(UnreadableDocument) as caught:
        check_bytes(page, "news.html")
    assert isinstance(caught.value, NotAReport) and str(caught.value).startswith("不是年度报告：")


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("head", "name", "kind"),
    [
        (b"%PDF-1.4\n", None, "pdf"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "a.doc", "doc"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "a.wps", "wps"),
        (b"<!DOCTYPE html><html><body>x</body></html>", None, "html"),
        ("一、总体情况\n".encode(), "a.txt", "text"),
    ],
)
def test_sniffing(head: bytes, name: str | None, kind: str) -> None:
    assert sniff_format(head, name) == kind


@pytest.mark.libreoffice
@pytest.mark.timeout(60)
def test_broken_doc_is_unreadable() -> None:
    # LibreOffice may import the noise as text; then the parser finds no report in it.
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(20000)
    with pytest.raises(UnreadableDocument):
        check_bytes(data, "broken.doc")


@pytest.mark.libreoffice
@pytest.mark.timeout(180)
def test_a_failed_conversion_does_not_break_the_next(seed_bytes) -> None:
    """The LibreOffice profile is kept between conversions; one that failed is thrown away and rebuilt."""
    from tests.farm.documents import doc_bytes

    good = doc_bytes(seed_bytes("003").decode("utf-8"))
    with pytest.raises(UnreadableDocument):
        check_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(20000), "broken.doc")
    first = check_bytes(good, "good.doc")
    second = check_bytes(good, "good.doc")  # the kept profile
    assert first.report.applications == second.report.applications
    assert first.report.applications["new_received"]["total"] is not None
