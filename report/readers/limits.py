"""How much a reader may take in: the limits `read_document` passes down to every reader.

A module of its own so that the dispatcher and the readers it calls (office) both import it, not each other.
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


@dataclass(frozen=True)
class Limits:
    max_bytes: int = MAX_INPUT_BYTES
    max_pages: int = MAX_PAGES
    max_decompressed: int = MAX_DECOMPRESSED_BYTES
    max_ratio: int = MAX_COMPRESSION_RATIO
    conversion_timeout: float = CONVERSION_TIMEOUT_S
