"""Plain-text documents and the shared byte-to-str decoding (UTF-8, BOMs, GBK/GB18030)."""

from __future__ import annotations

import codecs
import re
from datetime import date

from charset_normalizer import from_bytes

from nianbao.report import labels
from nianbao.report.readers import Document, UnreadableDocument

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Control bytes that never occur in text (TAB, LF, FF, CR and ESC excluded).
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def read_text(data: bytes) -> Document:
    if _looks_binary(data):
        raise UnreadableDocument("二进制数据，不是 PDF、Word、网页或文本文件")
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    return Document(text=text, source_format="text")


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode bytes of unknown encoding. Chinese government pages are UTF-8 or GBK/GB18030."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    wide = _utf16_without_bom(data)
    if wide is not None:
        return wide
    candidates = [declared] if declared else []
    candidates += ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(_canonical(encoding))
        except (LookupError, UnicodeDecodeError):
            continue
        return _big5_instead(data, text) if encoding == "gb18030" and not declared else text
    best = from_bytes(data[:200_000]).best()
    if best is None:
        raise UnreadableDocument("二进制数据，无法按任何已知编码识读为文字")
    return data.decode(best.encoding, errors="replace")


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 saved without a BOM: every ASCII character (digits, spaces, line ends) leaves a zero byte,
    all on the same side of the pair. The text, or None when the bytes do not look like that."""
    sample = data[:8192]
    pairs = len(sample) // 2
    if pairs < 8:
        return None
    zeros = (sample[0::2].count(0), sample[1::2].count(0))  # (first byte, second byte) of each pair
    for encoding, text_zeros, other in (("utf-16-le", zeros[1], zeros[0]), ("utf-16-be", zeros[0], zeros[1])):
        if text_zeros >= pairs // 10 and other <= pairs // 100:
            try:
                text = data[: len(data) // 2 * 2].decode(encoding)
            except UnicodeDecodeError:
                return None
            return None if _CONTROL.search(text.encode("utf-8", errors="replace")) else text
    return None


def _big5_instead(data: bytes, text: str) -> str:
    """Big5 (traditional, Taiwan/Hong Kong style pages) also decodes as GB18030, into nonsense. Simplified
    text keeps almost all of its characters inside GB2312; Big5 read as GB18030 does not."""
    hanzi = [ch for ch in text[:20_000] if ch >= "\u4e00"]
    if len(hanzi) < 20 or sum(not _in_gb2312(ch) for ch in hanzi) < len(hanzi) // 10:
        return text
    try:
        return data.decode("cp950")
    except UnicodeDecodeError:
        return text


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _looks_binary(data: bytes) -> bool:
    if data.startswith(tuple(bom for bom, _ in _BOMS)) or _utf16_without_bom(data) is not None:
        return False
    sample = data[:8192]
    return len(_CONTROL.findall(sample)) > max(4, len(sample) // 100)


def _canonical(encoding: str) -> str:
    # GB2312 and GBK are subsets of GB18030; pages that declare them often use GBK characters.
    lowered = encoding.lower().strip()
    if lowered in {"gb2312", "gbk", "x-gbk", "gb_2312-80", "cp936"}:
        return "gb18030"
    return lowered


def page_date_in_text(text: str) -> str | None:
    """The date a page shows for itself, ISO: labelled (发布时间…) anywhere, else a shorter form
    ("时间：2024-01-31", "2024-01-31 来源：") before the report's first heading."""
    match = labels.PAGE_DATE.search(text)
    if match is None:
        head = labels.REPORT_START.search(text)
        end = head.start() if head else len(text)
        found = [m for pattern in labels.PAGE_DATE_NEAR if (m := pattern.search(text, 0, end))]
        match = min(found, key=lambda m: m.start(), default=None)
    return iso_date(match)


def iso_date(match: re.Match[str] | None) -> str | None:
    """The ISO date of a (year, month, day) match; None for no match or an impossible date."""
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3))).isoformat()
    except ValueError:
        return None
