"""`nianbao agencies import/export/list`: the registry in the database, from YAML, CSV and Excel."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import openpyxl
import yaml
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.settings import load_settings
from nianbao.storage.store import Store
from tests.conftest import agency_entry

HEADER = ["id", "name", "region", "level", "kind", "start_urls", "render", "allowed_domains", "added",
          "selectors.list_items", "selectors.pagination"]


def _rows(count: int) -> list[list[str]]:
    return [[f"xx-{i}", f"某县{i}局", "广东省/某市/某县", "county", "department",
             f"http://portal.example.gov.cn/col{i}/ http://portal.example.gov.cn/col{i}b/", "", "", "2024-03-01",
             "ul.list li a" if i == 0 else "", ""] for i in range(count)]


def _write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _invoke(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(config), "agencies", *args])
    return result.exit_code, result.output


def _rows_in_db(config: Path) -> dict[str, dict]:
    settings = load_settings(config)
    with Store.from_settings(settings) as store:
        return {row["id"]: row for row in store.agency_rows(include_inactive=True)}


def test_csv_import_adds_agencies_with_every_field_and_a_rerun_updates(
        tmp_path: Path, write_settings: Callable[..., Path]) -> None:
    config = write_settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    source = _write_csv(tmp_path / "registry.csv", HEADER, _rows(3))
    code, out = _invoke(config, "import", str(source))
    assert code == 0, out
    assert "新增 3" in out
    rows = _rows_in_db(config)
    assert rows["xx-0"]["start_urls"] == ["http://portal.example.gov.cn/col0/", "http://portal.example.gov.cn/col0b/"]
    assert rows["xx-0"]["selectors"] == {"list_items": "ul.list li a"}
    assert rows["xx-1"]["source"] == "registry" and str(rows["xx-1"]["added"]) == "2024-03-01"
    assert rows["gz-tjj"]["source"] == "settings"
    code, out = _invoke(config, "import", str(source))
    assert code == 0 and "新增 0 个机构，更新 3 个" in out


def test_bad_rows_import_nothing_and_each_mistake_names_row_agency_and_field(
        tmp_path: Path, write_settings: Callable[..., Path]) -> None:
    config = write_settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    rows = _rows(4)
    rows[1][3] = "省"  # level
    rows[2][5] = "ftp://x"  # start_urls
    rows[3][0] = "xx-0"  # duplicate
    code, out = _invoke(config, "import", str(_write_csv(tmp_path / "bad.csv", HEADER, rows)))
    assert code == 1
    assert 'bad.csv 第 3 行 "xx-1": level must be province|city|county, got "省"' in out
    assert 'bad.csv 第 4 行 "xx-2": start_urls[0] must be an http(s) URL' in out
    assert 'bad.csv 第 5 行 "xx-0": duplicate id (与第 2 行重复)' in out
    assert "xx-0" not in _rows_in_db(config)


def test_an_unknown_column_is_named_with_a_guess(tmp_path: Path, write_settings: Callable[..., Path]) -> None:
    config = write_settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    header = [("regoin" if name == "region" else name) for name in HEADER]
    code, out = _invoke(config, "import", str(_write_csv(tmp_path / "r.csv", header, _rows(1))))
    assert code == 1 and 'unknown column "regoin" (did you mean "region"?)' in out


def test_gb18030_csv_as_excel_saves_it_is_read(tmp_path: Path, write_settings: Callable[..., Path]) -> None:
    config = write_settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    code, out = _invoke(config, "import", str(_write_csv(tmp_path / "g.csv", HEADER, _rows(1), "gb18030")))
    assert code == 0, out
    assert _rows_in_db(config)["xx-0"]["name"] == "某县0局"


def test_xlsx_import_and_export_round_trip_through_yaml_csv_and_xlsx(
        tmp_path: Path, write_settings: Callable[..., Path]) -> None:
    config = write_settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in _rows(2):
        sheet.append(row)
    sheet.append([12345, "数字编号局", "广东省", "city", "government", "http://n.example.gov.cn/"])
    book.save(tmp_path / "in.xlsx")
    code, out = _invoke(config, "import", str(tmp_path / "in.xlsx"))
    assert code == 0, out
    assert _rows_in_db(config)["12345"]["kind"] == "government"
    before = _rows_in_db(config)
    for suffix in ("yaml", "csv", "xlsx"):
        code, out = _invoke(config, "export", str(tmp_path / f"out.{suffix}"))
        assert code == 0 and "导出 4 个机构" in out, out
    exported = yaml.safe_load((tmp_path / "out.yaml").read_text(encoding="utf-8"))["agencies"]
    assert {e["id"] for e in exported} == set(before)
    # The settings' own agency cannot be imported, so re-import the others from each export.
    other = write_settings(database_url=f"sqlite:///{tmp_path / 'db2.sqlite'}", agencies=[agency_entry("zz")])
    for suffix in ("csv", "xlsx"):
        code, out = _invoke(other, "import", str(tmp_path / f"out.{suffix}"))
        assert code == 0, out
    after = _rows_in_db(other)
    for agency_id, row in before.items():
        assert {k: v for k, v in after[agency_id].items() if k != "source"} == \
            {k: v for k, v in row.items() if k != "source"}


def test_ids_of_the_settings_file_are_refused_and_a_settings_sync_keeps_imported_agencies(
        tmp_path: Path, write_settings: Callable[..., Path]) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    config = write_settings(database_url=url)
    rows = _rows(1) + [["gz-tjj", "广州市统计局", "广东省", "city", "department", "http://g.example.gov.cn/"]]
    code, out = _invoke(config, "import", str(_write_csv(tmp_path / "r.csv", HEADER, rows)))
    assert code == 1 and '"gz-tjj" 已在设置的机构文件中定义' in out
    code, out = _invoke(config, "import", str(_write_csv(tmp_path / "r.csv", HEADER, _rows(1))))
    assert code == 0, out
    config = write_settings(database_url=url, agencies=[agency_entry("other")])
    with Store.from_settings(load_settings(config)) as store:
        assert store.sync_agencies(load_settings(config).agencies) == {"added": 1, "updated": 0, "deactivated": 1}
    rows_now = _rows_in_db(config)
    assert rows_now["xx-0"]["active"] and not rows_now["gz-tjj"]["active"]


def test_list_shows_agencies_of_a_host(tmp_path: Path, write_settings: Callable[..., Path]) -> None:
    config = write_settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    _invoke(config, "import", str(_write_csv(tmp_path / "r.csv", HEADER, _rows(3))))
    code, out = _invoke(config, "list", "--json", "--host", "portal.example.gov.cn")
    assert code == 0
    assert sorted(json.loads(line)["id"] for line in out.splitlines()) == ["xx-0", "xx-1", "xx-2"]
    code, out = _invoke(config, "list")
    assert "共 4 个机构" in out
