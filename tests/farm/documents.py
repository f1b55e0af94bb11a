"""Report documents for the farm, made from the seed texts: HTML, DOCX (python-docx), PDF and DOC (LibreOffice).

LibreOffice is slow to start (~2-4 s), so converted files are cached on disk by the hash of their input;
each conversion gets its own -env:UserInstallation profile so concurrent runs do not collide.
"""

from __future__ import annotations

import hashlib
import html
import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"
CACHE_DIR = Path(os.environ.get("NIANBAO_FARM_CACHE", Path(tempfile.gettempdir()) / "nianbao-farm-cache"))

# seed file -> (agency, year) as published (see tests/fixtures/seeds/README.md)
SEEDS: dict[str, tuple[str, str, int]] = {
    "dongguan": ("000_46a99d63eeadd252.txt", "东莞市统计局", 2020),
    "shizhong": ("001_e370c3ecf5653fbd.txt", "市中区统计局", 2020),
    "guangzhou": ("002_4e4a82637444ff61.txt", "广州市统计局", 2021),
    "lishui": ("003_42b58c5e892ac5fe.txt", "丽水市统计局", 2020),
    "wuzhong": ("004_b1f2095ac2ccdacd.txt", "吴忠市利通区统计局", 2020),
}


def seed_text(key: str) -> str:
    text = (SEEDS_DIR / SEEDS[key][0]).read_text(encoding="utf-8")
    return text.replace("[bookmark: _GoBack]", "")


def changed_text(text: str, marker: str = "（本报告于发布后更正）") -> str:
    """A corrected edition: same report, one more sentence at the end (a new content hash)."""
    return text.rstrip("\n") + "\n" + marker + "\n"


def year_text(text: str, year: int, seed_year: int = 2021) -> str:
    """The seed's report as if written for `year` (its year and the year before both move)."""
    before, mark = str(seed_year - 1), "\x00"
    return text.replace(before, mark).replace(str(seed_year), str(year)).replace(mark, str(year - 1))


def html_article(title: str, text: str, date: str = "2021-01-20") -> str:
    """A CMS article page whose body is the report itself, one paragraph per line, cells kept by tabs."""
    paragraphs = "\n".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines())
    return (f"<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<meta name='ArticleTitle' content='{html.escape(title)}'><meta name='PubDate' content='{date}'></head>"
            f"<body><div class='article'><h1>{html.escape(title)}</h1><div class='info'>发布时间：{date}</div>"
            f"<div class='content'>{paragraphs}</div></div></body></html>")


def docx_bytes(text: str) -> bytes:
    import docx  # python-docx

    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip_times(buffer.getvalue())


def _fixed_zip_times(data: bytes) -> bytes:
    """The same text gives the same bytes (zip entries carry the time they were written)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2021, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def _cached(key: str, suffix: str) -> Path:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    return CACHE_DIR / f"{key}{suffix}"


def convert_with_libreoffice(text: str, target: str, timeout: float = 120) -> bytes:
    """Text -> DOCX -> pdf|doc with soffice --headless, cached by the hash of the text (DOCX zips carry times)."""
    digest = hashlib.sha256((text + "\0" + target).encode()).hexdigest()[:24]
    cached = _cached(digest, "." + target)
    if cached.exists():
        return cached.read_bytes()
    soffice = shutil.which("soffice")
    if soffice is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="farm-lo-") as tmp:
        src = Path(tmp) / "report.docx"
        src.write_bytes(docx_bytes(text))
        profile = Path(tmp) / "profile"
        filt = {"pdf": "pdf:writer_pdf_Export", "doc": "doc:MS Word 97"}[target]
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", filt,
             "--outdir", tmp, str(src)],
            check=True, capture_output=True, timeout=timeout,
        )
        data = (Path(tmp) / f"report.{target}").read_bytes()
    tmp_cached = cached.with_suffix(".part")
    tmp_cached.write_bytes(data)
    tmp_cached.replace(cached)  # atomic: a concurrent run never reads half a file
    return data


def pdf_bytes(text: str) -> bytes:
    return convert_with_libreoffice(text, "pdf")


def doc_bytes(text: str) -> bytes:
    return convert_with_libreoffice(text, "doc")
