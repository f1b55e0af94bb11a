"""The pictures of a web page: their bytes (inline `data:` URIs, the parts of a web archive, the files a
browser saved beside the page), a cheap look at each before OCR, and the web archive that carries a page
with its pictures.

The HTML reader stays pure: it is handed the page's pictures as a mapping of URL -> bytes. A page crawled
with its pictures, or a saved page with its "_files" folder, becomes one web archive (MHTML, RFC 2557: the
page and each picture a part named by its URL), which the dispatcher already reads as a page (`read_mht`).
The archive is written deterministically (its boundary is a hash of its parts), so the same page with the
same pictures gives the same bytes: an unchanged report stays one version.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, unquote_to_bytes, urljoin, urlsplit
from urllib.request import url2pathname

from nianbao.report.limits import MAX_PICTURE_BYTES, MAX_PICTURE_PIXELS, MAX_PICTURES, MIN_PICTURE_SIDE

# Characters left as they are in a part's Content-Location (the URL's own syntax and its %-escapes).
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
_LINE = 76  # base64 line length of MIME
_IMG_SOURCE = re.compile(rb"""<img\b[^>]*?\s(?:data-original|data-src|src)\s*=\s*["']?([^"'\s>]+)""", re.I)


@dataclass(frozen=True)
class Look:
    """What a picture is before it is read: 'table' (may hold one), 'small' (an icon, a logo, a spacer:
    skipped without a word) or 'bad' (cannot be read, or too large to: `reason` says why, in Chinese)."""

    kind: str
    reason: str = ""


def picture_key(url: str) -> str:
    """The form URLs are compared in: %-escapes undone, the fragment dropped."""
    return unquote(url.split("#", 1)[0])


def resolve(src: str, base_url: str | None) -> str:
    return urljoin(base_url or "", src.strip())


def picture_bytes(src: str, base_url: str | None, pictures: Mapping[str, bytes]) -> bytes | None:
    """The bytes of an <img src>: decoded from a data: URI, or the picture handed in for its URL."""
    src = src.strip()
    if src[:5].lower() == "data:":
        return data_uri_bytes(src)
    return pictures.get(picture_key(resolve(src, base_url)))


def data_uri_bytes(uri: str) -> bytes | None:
    """A data: URI's bytes (base64 or %-escaped); None when malformed or over the size of one picture."""
    head, comma, payload = uri.partition(",")
    if not comma or len(payload) > MAX_PICTURE_BYTES * 4 // 3 + 4:
        return None
    if head.lower().endswith(";base64"):
        try:
            return base64.b64decode("".join(payload.split()), validate=False)
        except (binascii.Error, ValueError):
            return None
    return unquote_to_bytes(payload)


def look(data: bytes) -> Look:
    """Opened from its header only (no pixel decoded): its format, its size. A decompression bomb is refused
    here by its announced size; a picture that will not decode is found by decoding it once."""
    from PIL import Image  # only pages with pictures to read pay for Pillow

    if len(data) > MAX_PICTURE_BYTES:
        return Look("bad", f"图片文件过大（{len(data) // 1024} KB，上限 {MAX_PICTURE_BYTES // 1024} KB），未识读")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PICTURE_PIXELS:
                return Look("bad", f"图片像素过多（{width}×{height}），未识读")
            if min(width, height) < MIN_PICTURE_SIDE:
                return Look("small")
            image.load()
    except Image.DecompressionBombError:
        return Look("bad", "图片像素过多（疑似解压炸弹），未识读")
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        return Look("bad", f"图片无法读取（{type(exc).__name__}）")
    return Look("table")


# --- the web archive ------------------------------------------------------------------------------------

def web_archive(page: bytes, page_url: str, pictures: Iterable[tuple[str, bytes, str | None]],
                max_bytes: int) -> bytes:
    """The page and its pictures ((url, bytes, content type)) as one MHTML file of at most `max_bytes`:
    pictures that would not fit are left out (the reader says they could not be had)."""
    parts = [_part(page, page_url, "text/html")]
    size = len(parts[0]) + 400
    for url, data, content_type in pictures:
        part = _part(data, url, content_type or _sniffed_type(data))
        if size + len(part) > max_bytes:
            continue
        parts.append(part)
        size += len(part)
    boundary = "----=_NextPart_" + hashlib.sha256(b"".join(parts)).hexdigest()[:32]
    head = (f'MIME-Version: 1.0\r\nContent-Type: multipart/related; type="text/html"; boundary="{boundary}"\r\n'
            f"Content-Location: {_location(page_url)}\r\n\r\n").encode("ascii")
    body = b"".join(b"--" + boundary.encode("ascii") + b"\r\n" + part for part in parts)
    return head + body + b"--" + boundary.encode("ascii") + b"--\r\n"


def _part(data: bytes, url: str, content_type: str) -> bytes:
    encoded = base64.b64encode(data)
    lines = b"\r\n".join(encoded[i:i + _LINE] for i in range(0, len(encoded), _LINE))
    return (f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: base64\r\n"
            f"Content-Location: {_location(url)}\r\n\r\n").encode("ascii") + lines + b"\r\n"


def _location(url: str) -> str:
    return quote(url, safe=_URL_SAFE)


def _sniffed_type(data: bytes) -> str:
    for magic, kind in ((b"\x89PNG", "image/png"), (b"\xff\xd8", "image/jpeg"), (b"GIF8", "image/gif"),
                        (b"BM", "image/bmp")):
        if data.startswith(magic):
            return kind
    return "application/octet-stream"


# --- a page saved with its pictures ----------------------------------------------------------------------

def saved_page(page_path: Path, page: bytes, max_bytes: int) -> bytes:
    """A page saved from a browser ("网页，全部": the page and a "_files" folder beside it) as a web archive
    with its pictures, for the reader; the page's own bytes when it names no picture found there. The
    page is not parsed here (that is bounded by the reader's budget): its <img> sources are found by a
    pattern, and the reader decides which pictures to read."""
    base = page_path.resolve().as_uri()
    found = saved_pictures(page_path, [resolve(src, base) for src in img_sources(page)])
    return web_archive(page, base, found, max_bytes) if found else page


def img_sources(page: bytes) -> list[str]:
    """The sources of the page's <img> elements (lazy-loading data-* ones too), once each, data: URIs left out."""
    sources: list[str] = []
    for match in _IMG_SOURCE.finditer(page):
        try:
            src = match.group(1).decode("utf-8").strip()
        except UnicodeDecodeError:
            src = match.group(1).decode("gb18030", errors="replace").strip()
        if src and src[:5].lower() != "data:" and src not in sources:
            sources.append(src)
    return sources


def saved_pictures(page_path: Path, urls: Iterable[str]) -> list[tuple[str, bytes, str | None]]:
    """The pictures a browser saved beside a page (its "_files" folder; relative paths): (url, bytes, None)
    for each file: URL that names a file inside the page's folder, at most 4 x MAX_PICTURES (icons among
    them), each within MAX_PICTURE_BYTES (checked before it is read). Paths out of the folder (.., symlinks)
    are not followed."""
    folder = page_path.resolve().parent
    found: list[tuple[str, bytes, str | None]] = []
    for url in urls:
        if len(found) >= 4 * MAX_PICTURES:
            break
        parts = urlsplit(url)
        if parts.scheme != "file":
            continue
        try:
            path = Path(url2pathname(unquote(parts.path))).resolve()
            if not path.is_relative_to(folder) or not path.is_file() or path.stat().st_size > MAX_PICTURE_BYTES:
                continue
            found.append((url, path.read_bytes(), None))
        except (OSError, ValueError):
            continue
    return found
