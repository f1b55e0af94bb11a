"""Plain-text documents and the shared byte-to-str decoding (UTF-8, BOMs, GBK/GB18030)."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from monitor.readers import UnreadableDocument

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode bytes of unknown encoding. Chinese government pages are UTF-8 or GBK/GB18030."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    candidates = [declared] if declared else []
    candidates += ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return data.decode(_canonical(encoding))
        except (LookupError, UnicodeDecodeError):
            continue
    best = from_bytes(data[:200_000]).best()
    if best is None:
        raise UnreadableDocument("binary data: not text in any known encoding")
    return data.decode(best.encoding, errors="replace")


def _canonical(encoding: str) -> str:
    # GB2312 and GBK are subsets of GB18030; pages that declare them often use GBK characters.
    lowered = encoding.lower().strip()
    if lowered in {"gb2312", "gbk", "x-gbk", "gb_2312-80", "cp936"}:
        return "gb18030"
    return lowered
