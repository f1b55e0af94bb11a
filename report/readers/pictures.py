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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, unquote_to_bytes, urljoin, urlsplit
from urllib.request import url2pathname

from nianbao.report.limits import MAX_PICTURE_BYTES, MAX_PICTURE_PIXELS, MAX_PICTURES, MIN_PICTURE_SIDE

# Characters left as they are in a part's Content-Location (the URL's own syntax and its %-escapes).
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
_LINE = 76  # base64 line length of MIME


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

def saved_pictures(page_path: Path, urls: Iterable[str]) -> list[tuple[str, bytes, str | None]]:
    """The pictures a browser saved beside a page (its "_files" folder; relative paths): (url, bytes, None)
    for each file: URL that names a file inside the page's folder, at most MAX_PICTURES, each within
    MAX_PICTURE_BYTES (checked before it is read). Links out of the folder (.., symlinks) are not followed."""
    folder = page_path.resolve().parent
    found: list[tuple[str, bytes, str | None]] = []
    for url in urls:
        if len(found) >= MAX_PICTURES:
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
