"""Benchmark: reports per second per core, per input format, for raw extraction and for check_bytes.

    python3 bench/parse.py                 # 200 documents per format (generated once into bench/.cache)
    python3 bench/parse.py --count 50 --formats html,pdf
    python3 bench/parse.py --formats ocr --ocr-count 3   # scanned PDFs read by OCR only

The documents are the five seeds with their numbers varied, rendered by tests/readers/render.py; DOC and
PDF come from LibreOffice (one batch conversion). "raw" is the underlying library alone (decode, lxml
text_content, python-docx text, LibreOffice conversion, pypdfium2 text); "check" is nianbao.report.check_bytes
(read + parse + validate). Runs in one process, so the figures are per core.

"ocr" is a second table: the PDFs above rasterised at 150 dpi and wrapped as image-only PDFs (scans), read
by check_bytes through OCR (onnxruntime on one thread): reports/s, pages/s and the peak resident memory.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nianbao.report import UnreadableDocument, check_bytes  # noqa: E402
from tests.readers.render import (  # noqa: E402
    NUMBER,
    StructuredReport,
    Table,
    convert_many,
    parse_seed,
    seed_paths,
    to_docx,
    to_html,
)

CACHE = ROOT / "bench" / ".cache"
FORMATS = ("text", "html", "docx", "doc", "pdf", "ofd", "ocr")
SCAN_DPI = 150


def vary(report: StructuredReport, rng: random.Random) -> StructuredReport:
    blocks: list[str | Table] = []
    for block in report.blocks:
        if isinstance(block, Table):
            block = Table([[str(rng.randint(0, 500)) if NUMBER.match(c) else c for c in row] for row in block.rows])
        blocks.append(block)
    return StructuredReport(report.title, blocks)


def to_text(report: StructuredReport) -> bytes:
    lines: list[str] = []
    for block in report.blocks:
        if isinstance(block, Table):
            lines.extend("\t".join(c.replace("\n", "") for c in row) for row in block.rows)
        else:
            lines.append(block)
    return "\n".join(lines).encode()


def generate(count: int, formats: tuple[str, ...]) -> dict[str, list[Path]]:
    seeds = [parse_seed(p.read_text(encoding="utf-8")) for p in seed_paths()]
    rng = random.Random(20240101)
    out: dict[str, list[Path]] = {}
    for fmt in ("text", "html", "docx"):
        (CACHE / fmt).mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")
    reports = [vary(seeds[i % len(seeds)], rng) for i in range(count)]
    writers: dict[str, Callable[[StructuredReport], bytes]] = {"text": to_text, "html": to_html, "docx": to_docx}
    for fmt, write in writers.items():
        out[fmt] = []
        for i, report in enumerate(reports):
            path = CACHE / fmt / f"r{i:04d}.{'txt' if fmt == 'text' else fmt}"
            if not path.exists():
                path.write_bytes(write(report))
            out[fmt].append(path)
    if "ofd" in formats:
        out["ofd"] = ofd_files(reports)
    for fmt in ("doc", "pdf"):
        if fmt not in formats:
            continue
        targets = [CACHE / fmt / f"{p.stem}.{fmt}" for p in out["docx"]]
        missing = [src for src, dst in zip(out["docx"], targets, strict=True) if not dst.exists()]
        if missing:
            print(f"converting {len(missing)} documents to {fmt} with LibreOffice...", file=sys.stderr)
            convert_many(missing, fmt, CACHE / fmt, timeout=3600)
        out[fmt] = targets
    return out


def ofd_files(reports: list[StructuredReport]) -> list[Path]:
    """OFD packages laid out as printed pages (tests/readers/ofd_writer.py), ruled tables included."""
    from tests.readers.ofd_writer import to_ofd

    (CACHE / "ofd").mkdir(parents=True, exist_ok=True)
    paths = [CACHE / "ofd" / f"r{i:04d}.ofd" for i in range(len(reports))]
    for report, path in zip(reports, paths, strict=True):
        if not path.exists():
            path.write_bytes(to_ofd(report))
    return paths


def raw_ofd(data: bytes) -> str:
    """The OFD's raw text: every TextCode of every page, unzipped and parsed with lxml."""
    import zipfile

    import lxml.etree

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        pages = [archive.read(n) for n in archive.namelist() if n.endswith("Content.xml")]
    return "\n".join("".join(lxml.etree.fromstring(page).itertext()) for page in pages)


def scans(pdfs: list[Path]) -> list[Path]:
    """Each PDF as a scan: its pages rasterised and wrapped in an image-only PDF."""
    import pypdfium2 as pdfium

    (CACHE / "ocr").mkdir(parents=True, exist_ok=True)
    out = []
    for source in pdfs:
        target = CACHE / "ocr" / source.name
        if not target.exists():
            document = pdfium.PdfDocument(source.read_bytes())
            pages = [document[i].render(scale=SCAN_DPI / 72).to_pil().convert("RGB") for i in range(len(document))]
            document.close()
            pages[0].save(target, format="PDF", save_all=True, append_images=pages[1:], resolution=SCAN_DPI)
        out.append(target)
    return out


def measure_ocr(paths: list[Path]) -> None:
    import resource

    import pypdfium2 as pdfium

    pages = sum(len(pdfium.PdfDocument(p.read_bytes())) for p in paths)
    start = time.process_time()
    rate, failures = measure(paths, "ocr", check_bytes)
    cpu = time.process_time() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("\n| scanned PDFs (OCR) | documents | pages | reports/s/core | pages/s/core | peak RSS | unreadable |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {SCAN_DPI} dpi | {len(paths)} | {pages} | {len(paths) / cpu:.3f} | {pages / cpu:.2f} | {rss:.0f} MB "
          f"| {failures} |  (wall: {rate:.3f} reports/s)", flush=True)


def raw_extract(fmt: str) -> Callable[[bytes], object]:
    if fmt == "ofd":
        return raw_ofd
    if fmt == "text":
        return lambda data: data.decode("utf-8")
    if fmt == "html":
        import lxml.html

        return lambda data: lxml.html.document_fromstring(data).text_content()
    if fmt == "docx":
        import docx

        def docx_text(data: bytes) -> str:
            document = docx.Document(io.BytesIO(data))
            cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
            return "\n".join([p.text for p in document.paragraphs] + cells)

        return docx_text
    if fmt == "doc":
        from nianbao.report.readers.office import convert

        return lambda data: convert(data, suffix=".doc", target="txt:Text", timeout=60)
    import pypdfium2 as pdfium

    def pdf_text(data: bytes) -> str:
        document = pdfium.PdfDocument(data)
        try:
            return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
        finally:
            document.close()

    return pdf_text


def measure(paths: list[Path], fmt: str, work: Callable[[bytes, str], object]) -> tuple[float, int]:
    blobs = [(p.read_bytes(), p.name) for p in paths]
    failures = 0
    start = time.perf_counter()
    for data, name in blobs:
        try:
            work(data, name)
        except UnreadableDocument:
            failures += 1
    return len(blobs) / (time.perf_counter() - start), failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--ocr-count", type=int, default=3, help="scanned reports to OCR (seconds each)")
    args = parser.parse_args()
    formats = tuple(f for f in args.formats.split(",") if f)
    ocr = "ocr" in formats
    formats = tuple(f for f in formats if f != "ocr")
    files = generate(max(args.count, args.ocr_count if ocr else 0), formats + (("pdf",) if ocr else ()))
    print("| format | documents | raw extraction (reports/s) | check_bytes (reports/s) | check / raw time | unreadable |")
    print("|---|---|---|---|---|---|")
    for fmt in formats:
        raw = raw_extract(fmt)
        raw_rate, _ = measure(files[fmt], fmt, lambda data, name, raw=raw: raw(data))
        full_rate, failures = measure(files[fmt], fmt, check_bytes)
        print(f"| {fmt} | {len(files[fmt])} | {raw_rate:.1f} | {full_rate:.1f} | {raw_rate / full_rate:.2f}x | {failures} |",
              flush=True)
    if ocr:
        measure_ocr(scans(files["pdf"][:args.ocr_count]))


if __name__ == "__main__":
    main()
