"""WARC evidence (storage/evidence.py, storage/warc.py): what a crawl of the test farm leaves can be exported
per agency or per report as a WARC/1.1 file that `warcio check` verifies, whose payload digests are the stored
versions' sha256, with request/response pairs for downloads and revisits for unchanged recrawls."""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from nianbao.crawler.runner import run_crawl
from nianbao.storage.store import ParsedContent, Store
from tests.farm import Farm

SITES = ["trs", "gbk", "split"]


@pytest.fixture
def farm(tmp_path: Path) -> Iterator[Farm]:
    with Farm(tmp_path / "farm", only=SITES) as running:
        yield running


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    """The warcio command line's own verification (digests of every record), as a user would run it."""
    command = shutil.which("warcio")
    args = [command] if command else [sys.executable, "-c", "from warcio.cli import main; main()"]
    return subprocess.run([*args, "check", "-v", str(path)], capture_output=True, text=True, timeout=60)


def read_records(data: bytes) -> list[Any]:
    records = []
    for record in ArchiveIterator(BytesIO(data), check_digests=True):
        body = record.content_stream().read()
        records.append((record, body))
    return records


def payload_hex(record: Any) -> str:
    algorithm, value = record.rec_headers.get_header("WARC-Payload-Digest").split(":", 1)
    assert algorithm == "sha256"
    return base64.b32decode(value).hex()


def export(store: Store, path: Path, **which: Any) -> bytes:
    with path.open("wb") as out:
        store.write_warc(out, filename=path.name, **which)
    return path.read_bytes()


def test_a_crawled_agency_exports_as_a_warc_that_warcio_check_verifies_with_the_stored_digests(
        farm: Farm, database_url: str, tmp_path: Path) -> None:
    config = farm.write_config(database_url)
    assert run_crawl(config).reports_new == 3
    farm.reset_counters()
    assert run_crawl(config).reports_unchanged == 3  # 304s: one not-modified revisit per report
    store = Store(database_url, tmp_path / "farm" / "blobs")
    try:
        for key in ("trs", "gbk"):
            agency_id = farm.spec(key).agency_id
            path = tmp_path / f"{agency_id}.warc.gz"
            data = export(store, path, agency_id=agency_id)
            checked = warcio_check(path)
            assert checked.returncode == 0, checked.stdout + checked.stderr
            records = read_records(data)
            kinds = Counter(r.rec_type for r, _ in records)
            # One download, and a 304 per URL of the report on the recrawl (trs links a second copy).
            assert kinds["warcinfo"] == kinds["response"] == 1 and kinds["revisit"] >= 1, kinds
            assert kinds["request"] == kinds["response"] + kinds["revisit"], kinds
            assert records[0][0].rec_headers.get_header("WARC-Type") == "warcinfo"
            assert b"nianbao" in records[0][1]
            versions = store.get_versions(store.list_reports([agency_id])[0].report_id)
            responses = [(r, body) for r, body in records if r.rec_type == "response"]
            assert [payload_hex(r) for r, _ in responses] == [v.sha256 for v in versions]
            assert [body for _, body in responses] == [store.version_bytes(v.id) for v in versions]
            response = responses[0][0]
            assert response.http_headers.get_statuscode() == "200"
            for revisit in (r for r, _ in records if r.rec_type == "revisit"):
                assert revisit.http_headers.get_statuscode() == "304"
                assert revisit.rec_headers.get_header("WARC-Profile").endswith("/revisit/server-not-modified")
                assert payload_hex(revisit) == versions[0].sha256
                assert revisit.rec_headers.get_header("WARC-Refers-To-Target-URI") == response.rec_headers.get_header(
                    "WARC-Target-URI")
            requests = [r for r, _ in records if r.rec_type == "request"]
            # The second request was conditional: the crawler named the version it had.
            assert any(r.http_headers.get_header("If-None-Match") or r.http_headers.get_header("If-Modified-Since")
                       for r in requests)
            assert all(r.http_headers.get_header("User-Agent") for r in requests)
    finally:
        store.close()


def test_a_report_joined_from_parts_is_a_resource_record(farm: Farm, database_url: str, tmp_path: Path) -> None:
    config = farm.write_config(database_url)
    run_crawl(config)
    store = Store(database_url, tmp_path / "farm" / "blobs")
    try:
        [report] = store.list_reports([farm.spec("split").agency_id])
        path = tmp_path / "split.warc.gz"
        records = read_records(export(store, path, report_id=report.report_id))
        assert warcio_check(path).returncode == 0
        assert [r.rec_type for r, _ in records] == ["warcinfo", "resource"]
        [version] = store.get_versions(report.report_id)
        assert payload_hex(records[1][0]) == version.sha256
    finally:
        store.close()


def test_identical_bytes_stored_again_are_a_revisit_and_new_bytes_a_new_response(store: Store, tmp_path: Path) -> None:
    from nianbao.settings import AgencyConfig

    store.sync_agencies([AgencyConfig(id="a", name="甲市统计局", region="甲省/甲市", level="city", kind="department",
                                      start_urls=["http://a.example/"])])
    sent = {"User-Agent": "nianbao-test", "Accept": "*/*"}
    got = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip", "Content-Length": "12"}

    def save(body: bytes) -> None:
        store.save_version("a", body, url="http://a.example/nb.html", headers=got, fetched_at=datetime.now(UTC),
                           parsed=ParsedContent(model={}, year=2024), status_code=200, request_headers=sent)

    save(b"<p>first</p>")
    save(b"<p>first</p>")
    save(b"<p>second edition</p>")
    path = tmp_path / "a.warc.gz"
    records = read_records(export(store, path, agency_id="a"))
    assert warcio_check(path).returncode == 0
    assert [r.rec_type for r, _ in records] == ["warcinfo", "response", "request", "revisit", "request",
                                                "response", "request"]
    first = records[1][0]
    # The body is kept decoded: the encoding is reported as the original header, the length is the body's.
    assert first.http_headers.get_header("Content-Encoding") is None
    assert first.http_headers.get_header("X-Archive-Orig-Content-Encoding") == "gzip"
    assert first.http_headers.get_header("Content-Length") == str(len(b"<p>first</p>"))
    assert records[3][0].rec_headers.get_header("WARC-Profile").endswith("/revisit/identical-payload-digest")
    assert records[2][0].rec_headers.get_header("WARC-Concurrent-To") == first.rec_headers.get_header("WARC-Record-ID")
    again = tmp_path / "again.warc.gz"
    assert read_records(export(store, again, agency_id="a"))[1][1] == records[1][1]


def test_a_304_after_bytes_stored_without_an_exchange_revisits_the_resource_record(store: Store,
                                                                                  tmp_path: Path) -> None:
    from nianbao.settings import AgencyConfig

    store.sync_agencies([AgencyConfig(id="b", name="乙县政府", region="乙省/乙县", level="county", kind="government",
                                      start_urls=["http://b.example/"])])
    store.save_version("b", b"imported report", url="http://b.example/nb.pdf", headers={"Content-Type": "application/pdf"},
                       fetched_at=datetime(2025, 1, 5, tzinfo=UTC), parsed=ParsedContent(model={}, year=2024))
    [report] = store.list_reports(["b"])
    [version] = store.get_versions(report.report_id)
    assert store.record_revisit("b", version.sha256, "http://b.example/nb.pdf", status_code=304,
                                request_headers={"If-None-Match": '"x"'}, response_headers={"ETag": '"x"'})
    assert not store.record_revisit("b", "0" * 64, "http://b.example/other.pdf", status_code=304)  # not a version
    path = tmp_path / "b.warc.gz"
    records = read_records(export(store, path, report_id=report.report_id))
    assert warcio_check(path).returncode == 0
    assert [r.rec_type for r, _ in records] == ["warcinfo", "resource", "revisit", "request"]
    resource, revisit = records[1][0], records[2][0]
    assert resource.rec_headers.get_header("Content-Type") == "application/pdf" and payload_hex(resource) == version.sha256
    assert revisit.rec_headers.get_header("WARC-Refers-To") == resource.rec_headers.get_header("WARC-Record-ID")
    assert revisit.http_headers.get_statuscode() == "304"
