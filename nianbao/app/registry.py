"""`nianbao agencies import FILE | export FILE | list`: the registry of agencies in the database.

A registry of 300,000 agencies is not one YAML file: it arrives as YAML (the agencies file's own shape),
CSV (UTF-8 or GB18030, as Excel saves it) or Excel (.xlsx). Every row is checked against the same model as
the settings' agencies file (nianbao.settings.AgencyConfig), and every mistake is reported at once, one line
each, naming the row, the agency and the field ("agencies.csv 第 3 行 "gd-x": level must be
province|city|county, got "省""). A file with any mistake imports nothing.

Columns of a CSV or Excel sheet (first row): the agency's keys, `selectors.list_items` and
`selectors.pagination` for selectors. A cell of a list (start_urls, allowed_domains) may hold several values
separated by spaces, new lines, ";" or "|".
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import click
import yaml
from pydantic import ValidationError

from nianbao.settings import AgencyConfig, Settings, problem_lines, settings_from_context
from nianbao.storage.store import Store

LIST_FIELDS = ("start_urls", "allowed_domains")
SELECTOR_COLUMNS = ("selectors.list_items", "selectors.pagination")
COLUMNS = ("id", "name", "region", "level", "kind", "start_urls", "render", "allowed_domains", "added",
           *SELECTOR_COLUMNS)
_LIST_SPLIT = re.compile(r"[\s;|；]+")
MAX_PROBLEMS_SHOWN = 50


class RegistryError(Exception):
    """The file cannot be imported; `problems` holds one line per mistake."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


# --- reading ------------------------------------------------------------------------------------------------


def read_registry(path: Path) -> list[AgencyConfig]:
    """The agencies of a YAML, CSV or .xlsx file, validated; RegistryError lists every mistake."""
    suffix = path.suffix.lower()
    readers = {".yaml": _yaml_rows, ".yml": _yaml_rows, ".csv": _csv_rows, ".xlsx": _xlsx_rows}
    if suffix not in readers:
        raise RegistryError([f"{path.name}: 不支持的文件类型 {suffix or '(无扩展名)'}：请用 .yaml、.csv 或 .xlsx"])
    if not path.is_file():
        raise RegistryError([f"{path.name}: 文件不存在：{path}"])
    return validate_rows(path.name, readers[suffix](path))


def validate_rows(where: str, rows: Iterable[tuple[str, Mapping[str, Any]]]) -> list[AgencyConfig]:
    """(row label, mapping) pairs -> agencies; every mistake of every row in one RegistryError."""
    problems: list[str] = []
    agencies: list[AgencyConfig] = []
    first: dict[str, str] = {}
    for row_label, entry in rows:
        agency_id = entry.get("id")
        label = f'{where} {row_label} "{agency_id}"' if isinstance(agency_id, str) and agency_id else \
            f"{where} {row_label}"
        if isinstance(agency_id, str) and agency_id in first:
            problems.append(f"{label}: duplicate id (与{first[agency_id]}重复)")
            continue
        if isinstance(agency_id, str):
            first[agency_id] = row_label
        try:
            agencies.append(AgencyConfig.model_validate(entry))
        except ValidationError as exc:
            problems.extend(problem_lines(exc, AgencyConfig, entry, label))
    if problems:
        raise RegistryError(problems)
    return agencies


def _yaml_rows(path: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RegistryError([f"{path.name}: 不是有效的 YAML：" + " ".join(str(exc).split())]) from None
    entries = data.get("agencies") if isinstance(data, Mapping) else data
    if not isinstance(entries, list):
        raise RegistryError([f"{path.name}: must have a top-level `agencies:` list"])
    for index, entry in enumerate(entries):
        yield f"第 {index + 1} 项", entry if isinstance(entry, Mapping) else {"id": None}


def _csv_rows(path: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")  # what Excel saves as "CSV" on a Chinese Windows
    reader = csv.reader(io.StringIO(text))
    yield from _table_rows(path.name, reader)


def _xlsx_rows(path: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    import openpyxl  # only for Excel files

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a damaged or disguised file: one line, not a traceback
        raise RegistryError([f"{path.name}: 不是有效的 Excel (.xlsx) 文件：{exc}"]) from None
    try:
        sheet = book.worksheets[0]
        yield from _table_rows(path.name, sheet.iter_rows(values_only=True))
    finally:
        book.close()


def _table_rows(where: str, rows: Iterable[Iterable[Any]]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    iterator = iter(rows)
    header = [_cell_text(c) for c in next(iterator, ())]
    _check_header(where, header)
    for number, cells in enumerate(iterator, start=2):  # row numbers as the spreadsheet shows them
        values = list(cells)
        if all(_cell_text(c) == "" for c in values):
            continue
        yield f"第 {number} 行", _entry(header, values)


def _check_header(where: str, header: list[str]) -> None:
    if not any(header):
        raise RegistryError([f"{where}: 第 1 行应为表头（{', '.join(COLUMNS)}）"])
    problems = []
    for name in header:
        if name and name not in COLUMNS:
            guess = difflib.get_close_matches(name, COLUMNS, n=1, cutoff=0.6)
            hint = f' (did you mean "{guess[0]}"?)' if guess else f" (known: {', '.join(COLUMNS)})"
            problems.append(f'{where} 表头: unknown column "{name}"{hint}')
    if problems:
        raise RegistryError(problems)


def _entry(header: list[str], values: list[Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    selectors: dict[str, Any] = {}
    for name, value in zip(header, values, strict=False):
        if not name:
            continue
        value = value.date() if isinstance(value, dt.datetime) else value
        if not isinstance(value, dt.date):
            value = _cell_text(value)
        if name in LIST_FIELDS and isinstance(value, str):
            value = [part for part in _LIST_SPLIT.split(value) if part]
        if name.startswith("selectors."):
            if value:
                selectors[name.split(".", 1)[1]] = value
        else:
            entry[name] = value
    if selectors:
        entry["selectors"] = selectors
    return entry


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an id typed as a number in Excel
    return str(value).strip()


# --- writing ------------------------------------------------------------------------------------------------


def export_rows(rows: Iterable[Mapping[str, Any]], path: Path) -> int:
    """Write agencies (storage.agencies.agency_rows) to `path` in the format of its suffix; returns the count."""
    suffix = path.suffix.lower()
    entries = [{k: v for k, v in row.items() if k not in ("source", "active")} for row in rows]
    if suffix in (".yaml", ".yml"):
        text = yaml.safe_dump({"agencies": entries}, allow_unicode=True, sort_keys=False)
        path.write_text(text, encoding="utf-8")
    elif suffix == ".csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as handle:  # the BOM: Excel reads it as UTF-8
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows(_flat(entry) for entry in entries)
    elif suffix == ".xlsx":
        _write_xlsx(entries, path)
    else:
        raise RegistryError([f"{path.name}: 不支持的文件类型 {suffix or '(无扩展名)'}：请用 .yaml、.csv 或 .xlsx"])
    return len(entries)


def _flat(entry: Mapping[str, Any]) -> list[Any]:
    selectors = entry.get("selectors") or {}
    out: list[Any] = []
    for name in COLUMNS:
        value = selectors.get(name.split(".", 1)[1]) if name.startswith("selectors.") else entry.get(name)
        if isinstance(value, list | tuple):
            value = " ".join(value)
        out.append("" if value is None else value.isoformat() if isinstance(value, dt.date) else value)
    return out


def _write_xlsx(entries: list[dict[str, Any]], path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("agencies")
    sheet.append(list(COLUMNS))
    for entry in entries:
        sheet.append(_flat(entry))
    book.save(path)


# --- the command ----------------------------------------------------------------------------------------------


def _store(settings: Settings) -> Store:
    """The store, with the settings' agencies file synced in: the registry then holds both sources."""
    try:
        store = Store.from_settings(settings)
    except Exception as exc:  # a wrong URL or a stopped server: one line, not a traceback
        raise click.ClickException(f"cannot open the database {settings.database_url}: {exc}") from exc
    store.sync_agencies(settings.agencies)
    return store


def import_file(store: Store, path: Path) -> dict[str, int]:
    """Validate `path` and upsert its agencies; RegistryError (nothing imported) on any mistake."""
    agencies = read_registry(path)
    owned = store.settings_agency_ids([a.id for a in agencies])
    if owned:
        raise RegistryError([f'{path.name}: "{agency_id}" 已在设置的机构文件中定义，请在该文件中修改'
                             for agency_id in sorted(owned)])
    return store.import_agencies(agencies)


@click.group("agencies")
def agencies() -> None:
    """The registry of agencies in the database: import, export, list."""


@agencies.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def import_command(ctx: click.Context, file: Path) -> None:
    """Import agencies from a YAML, CSV or Excel (.xlsx) file (added or updated; nothing on any mistake)."""
    settings = settings_from_context(ctx)
    store = _store(settings)
    try:
        counts = import_file(store, file)
    except RegistryError as exc:
        shown = exc.problems[:MAX_PROBLEMS_SHOWN]
        more = len(exc.problems) - len(shown)
        tail = [f"……另有 {more} 处错误"] if more > 0 else []
        raise click.ClickException("未导入任何机构：\n" + "\n".join(shown + tail)) from None
    finally:
        store.close()
    click.echo(f"{file.name}: 新增 {counts['added']} 个机构，更新 {counts['updated']} 个")


@agencies.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--all", "include_inactive", is_flag=True, help="Also agencies no longer active.")
@click.pass_context
def export_command(ctx: click.Context, file: Path, include_inactive: bool) -> None:
    """Write every agency (settings file and imported) to a YAML, CSV or Excel (.xlsx) file."""
    store = _store(settings_from_context(ctx))
    try:
        rows = store.agency_rows(include_inactive=include_inactive)
        count = export_rows(rows, file)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    click.echo(f"{file.name}: 导出 {count} 个机构")


@agencies.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--host", "hosts", multiple=True, help="Only agencies on this host (repeatable).")
@click.option("--limit", type=int, default=100, show_default=True, help="Rows shown (0: all).")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool, hosts: tuple[str, ...], limit: int) -> None:
    """List the agencies of the registry."""
    store = _store(settings_from_context(ctx))
    try:
        rows = store.agency_rows(hosts=list(hosts) or None)
    finally:
        store.close()
    shown = rows[:limit] if limit else rows
    if as_json:
        for row in shown:
            click.echo(json.dumps(row, ensure_ascii=False, default=str))
        return
    for row in shown:
        click.echo(f"{row['id']}\t{row['name']}\t{row['region']}\t{row['source']}\t{' '.join(row['start_urls'])}")
    click.echo(f"共 {len(rows)} 个机构" + (f"（显示前 {len(shown)} 个）" if len(shown) < len(rows) else ""))
