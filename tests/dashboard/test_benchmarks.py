"""Benchmarks across agencies (monitor/benchmarks.py, the /benchmarks page): the rates from the model's keys,
who is not rated, quartiles and percentiles of a region, the trend, the warning list and the exports, over
real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nianbao.monitor.benchmarks import RATES, figures, percentiles, quartiles, rates
from nianbao.report import vocabulary as V
from nianbao.settings import AgencyConfig, BenchmarkSettings, DashboardSettings, Settings
from nianbao.storage.store import ParsedContent, Store
from tests.dashboard.conftest import PASSWORD, Client, RunningServer, start_server
from tests.dashboard.test_excel import download, sheet_rows

REGION, OTHER = "江苏省/南京市", "江苏省/苏州市"
YEARS = (2021, 2022, 2023)


def model(granted: int, refused: int, unable: int, other: int, *, received: int | None = None, carried: int = 0,
          review: tuple[int, int] = (0, 0), litigation: tuple[int, int] = (0, 0)) -> dict[str, Any]:
    """A 2021-format model whose totals are what the arguments say (natural persons only)."""
    handled = granted + refused + unable + other
    received = handled + carried if received is None else received

    def row(total: int) -> dict[str, int]:
        return {c: (total if c in ("natural_person", "total") else 0) for c in V.keys(V.APPLICANT_COLUMNS)}

    applications: dict[str, Any] = {"new_received": row(received), "carried_over": row(0), "granted": row(granted),
                                    "partially_granted": row(0), "total_handled": row(handled),
                                    "carried_forward": row(carried)}
    spread = {"refused": refused, "unable": unable, "not_processed": other}
    for term in V.APPLICATION_ROWS:
        if term.group in spread and "2021" in term.formats:
            first = term.key == next(t.key for t in V.APPLICATION_ROWS if t.group == term.group)
            applications.setdefault(term.group, {})[term.key.split(".")[1]] = row(spread[term.group] if first else 0)
    cases = {"review": review, "litigation_direct": litigation, "litigation_after_review": (0, 0)}
    appeals = {g: {"upheld": total - corrected, "corrected": corrected, "other": 0, "pending": 0, "total": total}
               for g, (corrected, total) in cases.items()}
    return {"format_version": "2021", "applications": applications, "appeals": appeals}


def test_each_rate_is_its_printed_numerator_over_its_denominator() -> None:
    figs = figures(model(8, 3, 5, 4, received=22, carried=2, review=(1, 4), litigation=(1, 5)))
    assert figs["handled"] == 20 and figs["refused"] == 3 and figs["unable"] == 5 and figs["received"] == 22
    got = rates(figs, BenchmarkSettings(min_applications=10, min_cases=3))
    assert got == pytest.approx({"granted_rate": 8 / 20, "refused_rate": 3 / 20, "unable_rate": 5 / 20,
                                 "review_corrected_rate": 1 / 4, "litigation_corrected_rate": 1 / 5,
                                 "carry_rate": 2 / 22})


def test_few_applications_or_cases_and_missing_parts_are_not_rated() -> None:
    figs = figures(model(8, 3, 5, 4, received=22, review=(1, 4), litigation=(1, 5)))
    strict = rates(figs, BenchmarkSettings(min_applications=23, min_cases=5))
    assert [k for k, v in strict.items() if v is None] == ["granted_rate", "refused_rate", "unable_rate",
                                                          "review_corrected_rate", "carry_rate"]
    assert set(rates(figures({}), BenchmarkSettings()).values()) == {None}  # a model without tables
    empty = figures(model(0, 0, 0, 0, received=0))
    assert set(rates(empty, BenchmarkSettings(min_applications=1)).values()) == {None}  # 0 / 0


def test_percentiles_are_mid_ranks_and_quartiles_interpolate() -> None:
    assert percentiles([0.1, 0.2, 0.2, 0.4]) == {0.1: 12.5, 0.2: 50.0, 0.4: 87.5}
    values = [0.05, 0.1, 0.3, 0.35, 0.9]
    assert quartiles(values) == tuple(statistics.quantiles(values, n=4, method="inclusive"))
    assert quartiles([0.2]) == (0.2, 0.2, 0.2) and quartiles([]) is None


# --- the page ------------------------------------------------------------------------------------------------

# agency -> (region, granted, refused, unable, other) of each year's report; "tiny" has too few applications.
AGENCIES = {
    "nj-a": (REGION, 18, 1, 1, 0), "nj-b": (REGION, 10, 6, 2, 2), "nj-c": (REGION, 5, 2, 12, 1),
    "nj-d": (REGION, 14, 3, 2, 1), "tiny": (REGION, 1, 2, 0, 0), "sz-a": (OTHER, 12, 4, 4, 0),
}


def _agency(agency_id: str, region: str) -> AgencyConfig:
    return AgencyConfig(id=agency_id, name=f"{agency_id}局", region=region, level="county", kind="department",
                        start_urls=(f"http://{agency_id}.example.gov.cn/",), added=dt.date(2020, 1, 1))


@pytest.fixture
def served(store: Store, tmp_path: Path) -> Iterator[RunningServer]:
    from nianbao.dashboard.users import add_user

    store.sync_agencies([_agency(a, spec[0]) for a, spec in AGENCIES.items()])
    for year in YEARS:
        for agency_id, (_, granted, refused, unable, other) in AGENCIES.items():
            shift = YEARS.index(year)  # refusals grow year by year: a trend to see
            body = f"{agency_id} {year}".encode()
            store.save_version(agency_id, body, url=f"http://{agency_id}.example.gov.cn/{year}.html", headers={},
                               fetched_at=dt.datetime(year + 1, 1, 20, tzinfo=dt.UTC),
                               parsed=ParsedContent(model=model(granted, refused + shift, unable, other), year=year))
    add_user(store, "viewer", PASSWORD, "viewer")
    settings = Settings(database_url=store.database_url, blob_dir=tmp_path / "blobs",
                        dashboard=DashboardSettings(secret_key="test-secret"),
                        benchmarks=BenchmarkSettings(min_applications=10, refused_rate_above=0.3))
    server = start_server(settings, store, today=dt.date(2024, 6, 1))
    try:
        yield server
    finally:
        server.stop()



def expected_rates(year: int, agency_id: str) -> dict[str, float | None]:
    _, granted, refused, unable, other = AGENCIES[agency_id]
    return rates(figures(model(granted, refused + YEARS.index(year), unable, other)), BenchmarkSettings())


def test_a_regions_agencies_with_quartiles_percentiles_trend_and_warnings(served: RunningServer) -> None:
    client = Client(served.base_url)
    assert client.login("viewer") == 200
    page = client.json(f"/api/benchmarks?year=2023&region={REGION}")
    assert page["year"] == 2023 and page["region"] == REGION and page["total"] == 5
    by_id = {a["agency_id"]: a for a in page["agencies"]}
    for agency_id, agency in by_id.items():
        assert {k: v["value"] for k, v in agency["rates"].items()} == pytest.approx(expected_rates(2023, agency_id))
    assert by_id["tiny"]["few_applications"] and by_id["tiny"]["rates"]["refused_rate"]["value"] is None
    refused = sorted(expected_rates(2023, a)["refused_rate"] or 0 for a in by_id if a != "tiny")
    q = page["quartiles"]["refused_rate"]
    assert (q["p25"], q["p50"], q["p75"]) == pytest.approx(quartiles(refused)) and q["rated"] == 4
    # The region's highest refusal rate is above three quarters of its peers.
    worst = max((a for a in by_id.values() if a["rates"]["refused_rate"]["value"] is not None),
                key=lambda a: a["rates"]["refused_rate"]["value"])
    assert worst["rates"]["refused_rate"]["percentile"] == 87.5
    national = page["national"]["refused_rate"]
    assert national["rated"] == 5  # the other region's agency counts nationally
    # Trend: the region's median per year, refusals growing as the reports say.
    medians = [p["p50"] for p in page["trend"]["refused_rate"] if p["year"] in YEARS]
    assert medians == sorted(medians) and medians[0] < medians[-1]
    assert by_id["nj-b"]["trend"]["refused_rate"][-3:] == pytest.approx(
        [expected_rates(y, "nj-b")["refused_rate"] for y in YEARS])
    # Warnings: every rate above its threshold, and only those.
    warned = {(w["agency_id"], w["rate"]) for w in page["warnings"]}
    expected = {(a, k) for a in by_id for k, v in expected_rates(2023, a).items()
                if v is not None and k in ("refused_rate", "unable_rate") and v > {"refused_rate": 0.3,
                                                                                   "unable_rate": 0.5}[k]}
    assert warned == expected and ("nj-b", "refused_rate") in warned

    status, _, html = client.request(f"/benchmarks?year=2023&region={REGION}")
    text = html.decode()
    assert status == 200 and "<svg" in text and "予以公开率" in text and "警示名单" in text
    assert "refused_rate" not in text.replace('class="refused_rate"', "")  # no English key shown


def test_without_a_region_every_regions_medians_and_exports(served: RunningServer) -> None:
    client = Client(served.base_url)
    assert client.login("viewer") == 200
    page = client.json("/benchmarks.json?year=2023")
    assert [r["region"] for r in page["regions"]] == sorted([REGION, OTHER], key=lambda r: r != REGION)
    _, _, body = client.request(f"/export/benchmarks.csv?year=2023&region={REGION}")
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header = table[0]
    assert header[1] == "机关名称" and "不予公开率（%）" in header
    rows = {r[0]: r for r in table[1:]}
    assert set(rows) == {a for a, spec in AGENCIES.items() if spec[0] == REGION}
    refused = expected_rates(2023, "nj-b")["refused_rate"]
    assert refused is not None
    assert float(rows["nj-b"][header.index("不予公开率（%）")]) == pytest.approx(round(refused * 100, 1))
    sheet = sheet_rows(download(client, f"/export/benchmarks.xlsx?year=2023&region={REGION}").active)
    assert sheet[0] == header and len(sheet) == len(table)
    regions = sheet_rows(download(client, "/export/benchmarks.xlsx?year=2023").active)
    assert regions[0][:3] == ["地区", "年度", "比率"] and len(regions) == 1 + 2 * len(RATES)


def test_a_new_version_changes_the_figures_at_the_next_refresh(served: RunningServer, store: Store) -> None:
    client = Client(served.base_url)
    assert client.login("viewer") == 200
    store.save_version("nj-a", b"nj-a 2023 corrected", url="http://nj-a.example.gov.cn/2023.html", headers={},
                       fetched_at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
                       parsed=ParsedContent(model=model(2, 18, 0, 0), year=2023))
    page = client.json(f"/api/benchmarks?year=2023&region={REGION}")
    corrected = next(a for a in page["agencies"] if a["agency_id"] == "nj-a")
    assert corrected["rates"]["refused_rate"]["value"] == pytest.approx(18 / 20)
    assert ("nj-a", "refused_rate") in {(w["agency_id"], w["rate"]) for w in page["warnings"]}
