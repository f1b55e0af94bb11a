"""How much a reader may take in: the limits `read_document` passes down to every reader.

A module of its own, at the top of the library, so that the readers, the budget and the settings (which may
not import the readers) all take the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass

# Real reports are 5 kB - 5 MB and 3-30 pages; these leave a wide margin.
MAX_INPUT_BYTES = 50 * 1024 * 1024
MAX_PAGES = 300
MAX_DECOMPRESSED_BYTES = 200 * 1024 * 1024
# A DOCX compresses text about 5-20x; zeros compress ~1000x. Refuse members that are larger than
# MIN_BOMB_CHECK_BYTES and compress better than this.
MAX_COMPRESSION_RATIO = 200
CONVERSION_TIMEOUT_S = 60.0
# The budget of one document (report.budget): address space of the child that reads it, and wall-clock
# time. A real report needs well under 300 MB and 10 s; the bombs of issue 11 needed over 2 GB. OCR of a
# scanned report (onnxruntime, the recogniser alone) peaks at ~0.7 GB of address space (~0.33 GB resident).
MAX_MEMORY_BYTES = 1024 * 1024 * 1024
CHECK_TIMEOUT_S = 90.0  # LibreOffice alone may take CONVERSION_TIMEOUT_S
# Pictures of a web page read by OCR (each takes seconds): how many, how large a file, how many pixels (a
# decompression bomb is refused from its header, before it is decoded), and the smallest side of a picture
# that may hold a table (smaller ones are icons, logos, spacers).
MAX_PICTURES = 20
MAX_PICTURE_BYTES = 8 * 1024 * 1024
MAX_PICTURE_PIXELS = 40_000_000  # a scanned A4 page at 600 dpi: 35 M
MIN_PICTURE_SIDE = 150


@dataclass(frozen=True)
class Limits:
    max_bytes: int = MAX_INPUT_BYTES
    max_pages: int = MAX_PAGES
    max_decompressed: int = MAX_DECOMPRESSED_BYTES
    max_ratio: int = MAX_COMPRESSION_RATIO
    conversion_timeout: float = CONVERSION_TIMEOUT_S
    max_memory: int = MAX_MEMORY_BYTES
    check_timeout: float = CHECK_TIMEOUT_S
