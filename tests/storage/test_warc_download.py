"""The dashboard's evidence page and WARC downloads, over real HTTP on the seeded dashboard (SQLite and
PostgreSQL): fetch time, URL and SHA-256 of each capture, and a file that `warcio check` verifies."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.conftest import Client, RunningServer, start_seeded
from tests.storage.test_warc import payload_hex, read_records, warcio_check


@pytest.fixture
def served(store: Any, tmp_path: Path, seed_bytes: Callable[[str], bytes]) -> Iterator[RunningServer]:
    server = start_seeded(store, tmp_path, seed_bytes, session_lifetime=60)
    try:
        yield server
    finally:
        server.stop()


def test_evidence_page_lists_captures_and_downloads_a_checked_warc(served: RunningServer, store: Any,
                                                                  tmp_path: Path) -> None:
    client = Client(served.base_url)
    assert client.login("viewer") == 200
    [report, *_] = store.list_reports(["shizhong"])
    [version] = store.get_versions(report.report_id)
    status, _, body = client.request(f"/api/reports/{report.report_id}/evidence")
    assert status == 200
    context = json.loads(body)
    [capture] = context["captures"]
    assert capture["sha256"] == version.sha256 and capture["url"] == version.url
    assert capture["kind_label"] == "合并或导入的文件（无单一请求）"  # saved with no HTTP exchange
    status, _, html = client.request(f"/reports/{report.report_id}/evidence")
    assert status == 200 and version.sha256 in html.decode() and "下载本报告证据（WARC）" in html.decode()
    assert f"/reports/{report.report_id}/evidence".encode() in client.request(f"/reports/{report.report_id}")[2]
    for url in (context["warc"], context["agency_warc"]):
        status, headers, data = client.request(url)
        assert status == 200 and headers["content-type"] == "application/warc"
        path = tmp_path / "download.warc.gz"
        path.write_bytes(data)
        assert warcio_check(path).returncode == 0
        assert [payload_hex(r) for r, _ in read_records(data) if r.rec_type != "warcinfo"] == [version.sha256]
    assert client.request("/reports/999999/evidence.warc.gz")[0] == 404


def test_the_wacz_holds_the_checked_warc_its_index_pages_and_a_manifest_of_their_digests(
        served: RunningServer, store: Any, tmp_path: Path) -> None:
    import hashlib
    import io
    import zipfile

    client = Client(served.base_url)
    assert client.login("viewer") == 200
    [report, *_] = store.list_reports(["lishui"])
    [version] = store.get_versions(report.report_id)
    status, headers, data = client.request(f"/reports/{report.report_id}/evidence.wacz")
    assert status == 200 and headers["content-type"] == "application/wacz"
    archive = zipfile.ZipFile(io.BytesIO(data))
    package = json.loads(archive.read("datapackage.json"))
    assert package["wacz_version"] and package["software"].startswith("nianbao")
    for resource in package["resources"]:
        assert resource["hash"] == "sha256:" + hashlib.sha256(archive.read(resource["path"])).hexdigest()
    assert archive.getinfo("archive/data.warc.gz").compress_type == zipfile.ZIP_STORED
    warc = tmp_path / "data.warc.gz"
    warc.write_bytes(archive.read("archive/data.warc.gz"))
    assert warcio_check(warc).returncode == 0
    [line] = archive.read("indexes/index.cdx").decode().splitlines()
    fields = json.loads(line.split(" ", 2)[2])
    assert fields["url"] == version.url and line.startswith("cn,gov,example,lishui)/nb.txt ")
    # The index points at the record: read at its offset, it is the version's bytes.
    raw = warc.read_bytes()[fields["offset"]:fields["offset"] + fields["length"]]
    [(record, body)] = read_records(raw)
    assert payload_hex(record) == version.sha256 and body == store.version_bytes(version.id)
    pages = archive.read("pages/pages.jsonl").decode().splitlines()
    assert json.loads(pages[0])["format"] == "json-pages-1.0" and json.loads(pages[1])["url"] == version.url
