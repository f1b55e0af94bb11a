"""The dashboard over real HTTP on SQLite and PostgreSQL, filled through Store.save_version with the seed
reports: statuses and counts, exports, the API and its OpenAPI description, login, sessions, CSRF, roles."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nianbao.dashboard.auth import hash_password, verify_password
from tests.dashboard.conftest import PASSWORD, SEEDS, Client, RunningServer, start_seeded


@pytest.fixture
def served(store: Any, tmp_path: Path, seed_bytes: Callable[[str], bytes]) -> Iterator[RunningServer]:
    server = start_seeded(store, tmp_path, seed_bytes, session_lifetime=3)
    try:
        yield server
    finally:
        server.stop()



def test_statuses_counts_and_exports(served: RunningServer) -> None:
    client = Client(served.base_url)
    assert client.login("viewer") == 200
    data = client.json("/api/overview?year=2020")
    totals = data["totals"]
    assert totals["total"] == 4
    assert totals["counts"]["missing"] == 1  # 沉默县: crawled, nothing found, long past due
    assert totals["counts"]["on_time"] + totals["counts"]["late"] == 3
    assert totals["inconsistent"] == 1  # 市中区统计局: its total row contradicts its rows
    assert data["worst"][0]["agency_id"] == "silent"  # worst offenders first

    agencies = client.json("/api/agencies?year=2020&status=inconsistent")
    assert [r["agency_id"] for r in agencies["rows"]] == ["shizhong"]
    assert client.json("/api/agencies?year=2020&rule=balance")["total"] == 1
    assert client.json("/api/agencies?year=2020&q=丽水")["rows"][0]["name"] == "丽水市统计局"
    assert client.json("/api/agencies?year=2020&region=山东省/济南市")["total"] == 1

    report_id = agencies["rows"][0]["report_id"]
    report = client.json(f"/api/reports/{report_id}")
    locations = {f["location"] for f in report["findings"]}
    assert "applications.total_handled.total" in locations

    status, headers, body = client.request("/export/findings.csv?rule=balance")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][2] == "机关名称" and {r[2] for r in rows[1:]} == {"市中区统计局"}
    status, _, body = client.request("/export/regions.json?year=2020")
    assert {r["key"] for r in json.loads(body)} == {r[2] for r in SEEDS.values()} | {"甘肃省/沉默县"}

    spec = client.json("/api/openapi.json")
    assert spec["openapi"].startswith("3.") and "/api/findings/{finding_id}/review" in spec["paths"]


def test_login_session_expiry_csrf_and_roles(served: RunningServer) -> None:
    anonymous = Client(served.base_url, follow=False)
    status, headers, _ = anonymous.request("/overview")
    assert status == 303 and headers["location"].startswith("/login")
    assert anonymous.request("/api/overview")[0] == 401
    token = anonymous.csrf()
    assert anonymous.request("/login", {"csrf_token": token, "name": "viewer", "password": "wrong"})[0] == 401
    assert anonymous.request("/login", {"name": "viewer", "password": PASSWORD})[0] == 403  # no CSRF token

    reviewer = Client(served.base_url, follow=False)
    assert reviewer.login("reviewer") == 303
    findings = json.loads(reviewer.request("/api/findings?rule=balance")[2])["rows"]
    finding_id = findings[0]["id"]
    body = json.dumps({"action": "false_positive", "note": "原表如此，已核实"}).encode()
    headers = {"content-type": "application/json"}
    assert reviewer.request(f"/api/findings/{finding_id}/review", body, headers)[0] == 403  # no CSRF header
    token = reviewer.csrf("/findings")
    status, _, answer = reviewer.request(f"/api/findings/{finding_id}/review", body,
                                         {**headers, "x-csrf-token": token})
    assert status == 201 and json.loads(answer)["user"] == "reviewer"
    reviewed = json.loads(reviewer.request("/api/findings?review=false_positive")[2])["rows"]
    assert [(r["id"], r["review_note"]) for r in reviewed] == [(finding_id, "原表如此，已核实")]

    viewer = Client(served.base_url, follow=False)
    assert viewer.login("viewer") == 303
    token = viewer.csrf("/findings")
    status, _, _ = viewer.request(f"/api/findings/{finding_id}/review",
                                  json.dumps({"action": "acknowledged"}).encode(),
                                  {**headers, "x-csrf-token": token})
    assert status == 403

    time.sleep(3.5)  # session_lifetime is 3 s in this fixture
    status, headers, _ = viewer.request("/overview")
    assert status == 303 and headers["location"].startswith("/login")


def test_password_hashing() -> None:
    hashed = hash_password("s3cret-密码")
    assert hashed.startswith("$argon2id$") and "s3cret" not in hashed
    assert verify_password(hashed, "s3cret-密码")
    assert not verify_password(hashed, "s3cret")
    assert not verify_password(None, "anything")
