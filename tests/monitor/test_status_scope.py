"""`nianbao status --region` and a province's digest read only the agencies of their regions (in the
database, not filtered after): at 300,000 agencies a province's view must not wait for the nation's."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

from nianbao.alerts.digest import build_digests
from nianbao.cli import main
from nianbao.monitor.status import compute_statuses, scope_of
from nianbao.settings import load_settings
from nianbao.storage.store import Store
from tests.conftest import agency_entry

REGIONS = {"gz": "广东省/广州市", "gz-th": "广东省/广州市/天河区", "gd": "广东省", "gdx": "广东省外", "sd": "山东省/济南市"}
AS_OF = dt.date(2024, 3, 1)


def _config(tmp_path: Path, write_settings, **extra: object) -> Path:
    return write_settings(database_url=f"sqlite:///{tmp_path / 'nianbao.db'}",
                          agencies=[agency_entry(i, region=r, added="2020-01-01") for i, r in REGIONS.items()],
                          **extra)


def test_a_region_covers_itself_and_the_regions_below_it_only(tmp_path: Path, write_settings) -> None:
    settings = load_settings(_config(tmp_path, write_settings))
    with Store.from_settings(settings) as store:
        store.sync_agencies(settings.agencies)
        def ids(*regions: str, agencies: tuple[str, ...] = ()) -> set[str]:
            return {s.agency_id for s in compute_statuses(store, 2023, AS_OF, settings, scope_of(regions, agencies))}

        assert ids("广东省") == {"gz", "gz-th", "gd"}  # not 广东省外: a region is a path, not a prefix of text
        assert ids("广东省/广州市/天河区", "山东省") == {"gz-th", "sd"}
        assert ids("河北省", agencies=("gdx",)) == {"gdx"}
        assert ids("河北省") == set()
        every = compute_statuses(store, 2023, AS_OF, settings)
        assert {s.agency_id for s in every} == set(REGIONS)
        # The same verdicts, whichever scope computed them.
        scoped = {s.agency_id: s.status for s in compute_statuses(store, 2023, AS_OF, settings, scope_of(["广东省"]))}
        assert scoped == {s.agency_id: s.status for s in every if s.agency_id in scoped}


def test_status_region_option_lists_the_region_and_below(tmp_path: Path, write_settings) -> None:
    config = _config(tmp_path, write_settings)
    result = CliRunner().invoke(main, ["--config", str(config), "status", "--as-of", AS_OF.isoformat(), "--json",
                                       "--region", "广东省/广州市", "--region", "山东省"])
    assert result.exit_code == 0, result.output
    assert {row["agency_id"] for row in json.loads(result.output)["agencies"]} == {"gz", "gz-th", "sd"}
    whole = CliRunner().invoke(main, ["--config", str(config), "status", "--as-of", AS_OF.isoformat(), "--json"])
    assert {row["agency_id"] for row in json.loads(whole.output)["agencies"]} == set(REGIONS)


def test_a_province_recipients_overall_line_counts_its_agencies_only(tmp_path: Path, write_settings) -> None:
    config = _config(tmp_path, write_settings, recipients=[
        {"email": "gd@example.gov.cn", "regions": ["广东省"]}, {"email": "sd@example.gov.cn", "regions": ["山东省"]}])
    settings = load_settings(config)
    with Store.from_settings(settings) as store:
        store.sync_agencies(settings.agencies)
        built = {b.recipient.email: b.content.overall for b in build_digests(store, settings, as_of=AS_OF,
                                                                              record=False)}
    assert {r.region: r.agencies for r in built["gd@example.gov.cn"].regions} == {
        "广东省/广州市": 1, "广东省/广州市/天河区": 1, "广东省": 1}
    assert {r.region: r.agencies for r in built["sd@example.gov.cn"].regions} == {"山东省/济南市": 1}
