"""WARC/1.1 evidence of stored versions, written at export time from the captures and the blob store.

Why at export time and not at fetch time: the bytes are already kept once, content-addressed and verified
(storage/blobs.py), and every header of the exchange is kept with its capture (storage/evidence.py); a
WARC written at fetch time would store every report twice and tie the crawler to a file format. Built
from the same rows, an export is the same records every time (record ids are derived from the captures).

What the records say, and how it relates to the wire:
- `warcinfo` first: the software, the format, what was exported;
- per first download: a `request` (the headers the crawler sent) and its concurrent `response` (status,
  headers as received, the stored bytes). The crawler keeps the body as decoded (gzip and chunking
  undone), so the response says so: Content-Encoding and Transfer-Encoding move to `X-Archive-Orig-*`
  headers (the convention of web archive replay tools) and Content-Length is the stored body's;
- per recrawl that found the same bytes: a `revisit` (profile identical-payload-digest for a 200 with the
  same bytes, server-not-modified for a 304) referring to the first download;
- bytes that came by no single exchange (a report joined from its parts, a file imported by hand): a
  `resource` record.
Digests are SHA-256: the payload digest of a response is the version's sha256 (in the base32 WARC form).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from io import BytesIO
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from nianbao.storage.blobs import BlobStore
from nianbao.storage.evidence import CaptureRecord
from nianbao.storage.fetches import header

_ID_NAMESPACE = uuid.UUID("5d1c3a7e-0b7e-4f5e-9a57-6e69616e6261")
# Not true of the stored body any more (the crawler undid them): kept under X-Archive-Orig-*.
_DECODED = ("content-encoding", "transfer-encoding", "content-length")
_PROFILES = {
    "revisit": "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
    "not_modified": "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
}


class _Sha256Writer(WARCWriter):  # type: ignore[misc]  # warcio has no type hints
    """warcio's writer with SHA-256 digests (it uses SHA-1 by default)."""

    def _create_digester(self) -> Digester:
        return Digester("sha256")


def software() -> str:
    try:
        return f"nianbao/{package_version('nianbao')} (warcio/{package_version('warcio')})"
    except PackageNotFoundError:
        return "nianbao"


def write_warc(out: BinaryIO, captures: Sequence[CaptureRecord], blobs: BlobStore, filename: str) -> int:
    """Write `captures` (as storage.evidence.load_captures orders them) to `out`; the number of records."""
    writer = _Sha256Writer(out, gzip=True, warc_version="WARC/1.1")
    info = writer.create_warcinfo_record(filename, {
        "software": software(),
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "description": "政府信息公开工作年度报告的抓取证据（每个版本的请求与响应，及此后复查的记录）",
    })
    writer.write_record(info)
    info_id = info.rec_headers.get_header("WARC-Record-ID")
    count = 1
    firsts: dict[int, CaptureRecord] = {}
    for capture in captures:
        first = firsts.setdefault(capture.version_id, capture)
        for record in _records(writer, capture, first, blobs):
            record.rec_headers.add_header("WARC-Warcinfo-ID", info_id)
            writer.write_record(record)
            count += 1
    return count


def _anchor_role(capture: CaptureRecord) -> str:
    """The record that carries a version's bytes: a response when an HTTP exchange with a body gave them."""
    has_body = capture.kind == "response" and capture.status_code is not None and capture.status_code != 304
    return "response" if has_body else "resource"


def _records(writer: WARCWriter, capture: CaptureRecord, first: CaptureRecord, blobs: BlobStore) -> list[Any]:
    if capture is first and _anchor_role(capture) == "resource":
        return [_resource(writer, capture, blobs)]
    main = _response(writer, capture, blobs) if capture is first else _revisit(writer, capture, first)
    records = [main]
    if capture.request_headers is not None:
        request = _request(writer, capture)
        request.rec_headers.add_header("WARC-Concurrent-To", main.rec_headers.get_header("WARC-Record-ID"))
        records.append(request)
    return records


def _common(capture: CaptureRecord, role: str) -> dict[str, str]:
    return {
        "WARC-Record-ID": f"<urn:uuid:{uuid.uuid5(_ID_NAMESPACE, f'{capture.id}:{role}')}>",
        "WARC-Date": _warc_date(capture.fetched_at),
    }


def _response(writer: WARCWriter, capture: CaptureRecord, blobs: BlobStore) -> Any:
    body = blobs.get(capture.sha256, verify=True)
    status = capture.status_code or 200
    http = StatusAndHeaders(_status_line(status), _response_headers(capture.response_headers, len(body)),
                            protocol="HTTP/1.1")
    return writer.create_warc_record(capture.url, "response", payload=BytesIO(body), length=len(body),
                                     warc_headers_dict=_common(capture, "response"), http_headers=http)


def _revisit(writer: WARCWriter, capture: CaptureRecord, first: CaptureRecord) -> Any:
    # Bytes found again without an HTTP exchange (stored again by hand): no HTTP headers are claimed.
    http = None if capture.status_code is None else StatusAndHeaders(
        _status_line(capture.status_code), _response_headers(capture.response_headers, None), protocol="HTTP/1.1")
    record = writer.create_revisit_record(
        capture.url, _payload_digest(capture.sha256), first.url, _warc_date(first.fetched_at),
        http_headers=http, warc_headers_dict=_common(capture, "revisit"),
    )
    record.rec_headers.replace_header("WARC-Profile", _PROFILES.get(capture.kind, _PROFILES["revisit"]))
    record.rec_headers.add_header("WARC-Refers-To", _common(first, _anchor_role(first))["WARC-Record-ID"])
    return record


def _request(writer: WARCWriter, capture: CaptureRecord) -> Any:
    parts = urlsplit(capture.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = list((capture.request_headers or {}).items())
    if not any(k.lower() == "host" for k, _ in headers):
        headers.insert(0, ("Host", parts.netloc))  # added by the HTTP client, not kept with the request
    http = StatusAndHeaders(f"GET {target} HTTP/1.1", headers, is_http_request=True)
    return writer.create_warc_record(capture.url, "request", warc_headers_dict=_common(capture, "request"),
                                     http_headers=http)


def _resource(writer: WARCWriter, capture: CaptureRecord, blobs: BlobStore) -> Any:
    body = blobs.get(capture.sha256, verify=True)
    content_type = header(capture.response_headers, "content-type") or "application/octet-stream"
    return writer.create_warc_record(capture.url, "resource", payload=BytesIO(body), length=len(body),
                                     warc_content_type=content_type,
                                     warc_headers_dict=_common(capture, "resource"))


def _response_headers(headers: dict[str, str], length: int | None) -> list[tuple[str, str]]:
    """The headers as received; with a body (`length`), those the decoding made untrue renamed."""
    if length is None:
        return list(headers.items())
    untrue = {k for k, v in headers.items() if k.lower() in _DECODED and v != str(length)}
    kept = [(k, v) for k, v in headers.items() if k not in untrue]
    kept += [(f"X-Archive-Orig-{k}", headers[k]) for k in untrue]
    if not any(k.lower() == "content-length" for k, _ in kept):
        kept.append(("Content-Length", str(length)))
    return kept


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _payload_digest(sha256_hex: str) -> str:
    return "sha256:" + base64.b32encode(bytes.fromhex(sha256_hex)).decode("ascii")


def _warc_date(at: datetime) -> str:
    return str(datetime_to_iso_date(at.replace(tzinfo=None) if at.tzinfo else at, use_micros=True))



# --- WACZ: the WARC with its index, pages and a manifest, in one zip (https://specs.webrecorder.net/wacz/1.1.1/)

WACZ_VERSION = "1.1.1"


def write_wacz(out: BinaryIO, captures: Sequence[CaptureRecord], blobs: BlobStore, title: str) -> int:
    """The WARC of `captures` packaged as a WACZ (replayable in ReplayWeb.page); the number of WARC records."""
    warc = BytesIO()
    count = write_warc(warc, captures, blobs, "data.warc.gz")
    files = {
        "archive/data.warc.gz": warc.getvalue(),
        "indexes/index.cdx": _cdxj(warc.getvalue()).encode("utf-8"),
        "pages/pages.jsonl": _pages(captures).encode("utf-8"),
    }
    package = {
        "profile": "data-package", "wacz_version": WACZ_VERSION, "title": title, "software": software(),
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resources": [{"name": path.rsplit("/", 1)[1], "path": path, "hash": f"sha256:{hashlib.sha256(data).hexdigest()}",
                       "bytes": len(data)} for path, data in files.items()],
    }
    with zipfile.ZipFile(out, "w") as archive:
        # The WARC is stored, not compressed again (its records are gzip members already; replay seeks into it).
        archive.writestr(zipfile.ZipInfo("archive/data.warc.gz"), files.pop("archive/data.warc.gz"),
                         compress_type=zipfile.ZIP_STORED)
        for path, data in files.items():
            archive.writestr(path, data, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("datapackage.json", json.dumps(package, ensure_ascii=False, indent=1),
                         compress_type=zipfile.ZIP_DEFLATED)
    return count


def _cdxj(warc: bytes) -> str:
    """One CDXJ line per capture record (SURT, 14-digit time, JSON with offset and length in the WARC), sorted."""
    lines = []
    records = ArchiveIterator(BytesIO(warc))
    for record in records:
        if record.rec_type not in ("response", "revisit", "resource"):
            continue
        url = record.rec_headers.get_header("WARC-Target-URI")
        stamp = "".join(ch for ch in record.rec_headers.get_header("WARC-Date") if ch.isdigit())[:14]
        fields: dict[str, Any] = {"url": url, "digest": record.rec_headers.get_header("WARC-Payload-Digest"),
                                  "filename": "data.warc.gz"}
        if record.http_headers is not None and record.rec_type != "resource":
            fields["status"] = record.http_headers.get_statuscode()
            fields["mime"] = (record.http_headers.get_header("Content-Type") or "").split(";")[0]
        else:
            fields["mime"] = record.rec_headers.get_header("Content-Type")
        if record.rec_type == "revisit":
            fields["mime"] = "warc/revisit"
        record.content_stream().read()  # to the record's end: its length is known then
        fields["offset"], fields["length"] = records.get_record_offset(), records.get_record_length()
        lines.append(f"{_surt(url)} {stamp} {json.dumps(fields, ensure_ascii=False)}")
    return "".join(line + "\n" for line in sorted(lines))


def _surt(url: str) -> str:
    parts = urlsplit(url)
    host = ",".join(reversed((parts.hostname or "").removeprefix("www.").split(".")))
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{port}){(parts.path or '/').lower()}{query.lower()}"


def _pages(captures: Sequence[CaptureRecord]) -> str:
    header = {"format": "json-pages-1.0", "id": "pages", "title": "年度报告"}
    seen: dict[int, CaptureRecord] = {}
    for capture in captures:
        seen.setdefault(capture.version_id, capture)
    rows = [{"url": c.url, "ts": _warc_date(c.fetched_at), "title": f"{c.agency_name} {c.year} 年度报告 第 {c.version_number} 版"}
            for c in seen.values()]
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in [header, *rows])
