"""The benchmark tables (models.py: benchmark_figures, benchmark_rates, benchmark_regions): writes for the
refresh (monitor/benchmarks.py decides what they say) and the reads of the benchmarks page.

Core statements in batches, as the status roll-up (storage/rollup.py): no row is handled as an object.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text
from sqlalchemy.orm import Session

from nianbao.storage.engine import dialect_insert, id_batches, insert_rows
from nianbao.storage.models import (
    Agency,
    Report,
    Version,
    benchmark_figures,
    benchmark_rates,
    benchmark_regions,
)

BATCH_ROWS = 5000
FIGURES: tuple[str, ...] = tuple(c.name for c in benchmark_figures.c if c.name not in ("agency_id", "year",
                                                                                          "version_id"))
# The columns of a rates row that come from the figures and the agency, not from the computation.
RATE_ROW_FIELDS: tuple[str, ...] = ("agency_id", "year", "name", "region", "level", "report_id", "received",
                                    "handled", "review_total", "litigation_total")


# --- the refresh --------------------------------------------------------------------------------------------


def _latest_versions(agency_ids: Collection[str] | None) -> Any:
    latest = select(Version.report_id, func.max(Version.number).label("number")).group_by(Version.report_id)
    if agency_ids is not None:
        latest = latest.join(Report, Report.id == Version.report_id).where(Report.agency_id.in_(list(agency_ids)))
    found = latest.subquery()
    return (select(Report.agency_id, Report.year, Version.id.label("version_id"), Report.id.label("report_id"))
            .join(found, found.c.report_id == Report.id)
            .join(Version, (Version.report_id == Report.id) & (Version.number == found.c.number)))


def stale_versions(s: Session, agency_ids: Collection[str] | None = None) -> list[tuple[str, int, int]]:
    """(agency, year, latest version id) whose figures are missing or were read from an older version; of
    every agency, or of some (those a new version can have made stale)."""
    f = benchmark_figures
    found: list[tuple[str, int, int]] = []
    for chunk in [None] if agency_ids is None else id_batches(agency_ids):
        latest = _latest_versions(chunk).subquery()
        rows = s.execute(
            select(latest.c.agency_id, latest.c.year, latest.c.version_id)
            .outerjoin(f, and_(f.c.agency_id == latest.c.agency_id, f.c.year == latest.c.year))
            .where(or_(f.c.version_id.is_(None), f.c.version_id != latest.c.version_id))
        ).all()
        found.extend((agency_id, year, version_id) for agency_id, year, version_id in rows)
    return found


def stored_figures(s: Session, agency_ids: Collection[str]) -> dict[tuple[str, int], tuple[int | None, ...]]:
    """(agency, year) -> the stored figures (FIGURES' order) of these agencies."""
    f = benchmark_figures
    found: dict[tuple[str, int], tuple[int | None, ...]] = {}
    for chunk in id_batches(agency_ids):
        rows = s.execute(select(f.c.agency_id, f.c.year, *(f.c[name] for name in FIGURES))
                         .where(f.c.agency_id.in_(chunk)))
        found.update({(row[0], row[1]): tuple(row[2:]) for row in rows})
    return found


def version_models(s: Session, version_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    rows = s.execute(select(Version.id, Version.model).where(Version.id.in_(list(version_ids))))
    return {version_id: model or {} for version_id, model in rows}


def upsert_figures(s: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        return
    statement = dialect_insert(s.get_bind().dialect.name)(benchmark_figures)
    columns = [c for c in rows[0] if c not in ("agency_id", "year")]
    s.execute(statement.on_conflict_do_update(
        index_elements=[benchmark_figures.c.agency_id, benchmark_figures.c.year],
        set_={c: statement.excluded[c] for c in columns}), list(rows))


def figure_rows(s: Session, year: int | None = None, regions: Collection[str] | None = None
                ) -> Iterator[dict[str, Any]]:
    """Every figures row of an active agency, with the agency's name, region and level and the report's id;
    or only those of a year in some regions (an incremental refresh)."""
    f = benchmark_figures
    stmt = (
        select(f, Agency.name, Agency.region, Agency.level, Report.id.label("report_id"))
        .join(Agency, Agency.id == f.c.agency_id)
        .outerjoin(Report, (Report.agency_id == f.c.agency_id) & (Report.year == f.c.year))
        .where(Agency.active.is_(True))
    )
    if year is not None:
        stmt = stmt.where(f.c.year == year)
    if regions is not None:
        stmt = stmt.where(func.coalesce(Agency.region, "").in_(list(regions)))
    for row in s.execute(stmt).yield_per(BATCH_ROWS):
        item = dict(row._mapping)
        item["region"], item["level"] = item["region"] or "", item["level"] or ""
        yield item


Identity = tuple[str, str, str]  # the agency's name, region and level a rates row was written with


def current_identities(s: Session, agency_ids: Collection[str]) -> dict[tuple[str, int], Identity]:
    """(agency, year) -> the registry's name, region and level, for the figures rows of these agencies that a
    full refresh rates (active agencies)."""
    f = benchmark_figures
    found: dict[tuple[str, int], Identity] = {}
    for chunk in id_batches(agency_ids):
        rows = s.execute(select(f.c.agency_id, f.c.year, Agency.name, Agency.region, Agency.level)
                         .join(Agency, Agency.id == f.c.agency_id)
                         .where(Agency.active.is_(True), f.c.agency_id.in_(chunk)))
        found.update({(a, y): (name, region or "", level or "") for a, y, name, region, level in rows})
    return found


def stored_identities(s: Session, agency_ids: Collection[str]) -> dict[tuple[str, int], Identity]:
    """(agency, year) -> the name, region and level of the stored rates rows of these agencies."""
    b = benchmark_rates
    found: dict[tuple[str, int], Identity] = {}
    for chunk in id_batches(agency_ids):
        rows = s.execute(select(b.c.agency_id, b.c.year, b.c.name, b.c.region, b.c.level)
                         .where(b.c.agency_id.in_(chunk)))
        found.update({(a, y): (name, region, level) for a, y, name, region, level in rows})
    return found


def has_rates(s: Session, year: int | None = None) -> bool:
    """Whether any rates row is stored (of a year)."""
    stmt = select(benchmark_rates.c.year).limit(1)
    return s.scalar(stmt if year is None else stmt.where(benchmark_rates.c.year == year)) is not None


def year_values(s: Session, year: int, rates: Sequence[str]) -> list[list[float]]:
    """The rated values of each rate of every stored agency of a year (the quartiles of every region), in one
    query: on PostgreSQL as one array per rate (300,000 rows a year read as rows cost seconds)."""
    b = benchmark_rates
    if s.get_bind().dialect.name == "postgresql":
        arrays = s.execute(select(*(func.array_agg(b.c[rate]).filter(b.c[rate].is_not(None)) for rate in rates))
                           .where(b.c.year == year)).one()
        return [list(values or ()) for values in arrays]
    rows = s.execute(select(*(b.c[rate] for rate in rates)).where(b.c.year == year)).all()
    return [[value for row in rows if (value := row[i]) is not None] for i in range(len(rates))]


def _replace(s: Session, table: Any, rows: Iterable[Mapping[str, Any]]) -> int:
    s.execute(delete(table))
    # Every row is new: without fresh statistics the planner reads the page's indexed lookups as scans
    # until autovacuum gets round to the table (the first minutes after each refresh).
    return _insert(s, table, rows, analyze=True)


def _insert(s: Session, table: Any, rows: Iterable[Mapping[str, Any]], *, analyze: bool) -> int:
    count = insert_rows(s, table, rows)
    if analyze and s.get_bind().dialect.name == "postgresql":
        s.execute(text(f"ANALYZE {table.name}"))
    return count


def replace_rates(s: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    return _replace(s, benchmark_rates, rows)


def replace_regions(s: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    return _replace(s, benchmark_regions, rows)


def replace_group_rates(s: Session, year: int, regions: Collection[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """The rates rows of some regions of a year rewritten. No ANALYZE: a few groups of rows replaced by about
    as many leave the table's statistics as they were."""
    b = benchmark_rates
    s.execute(delete(b).where(b.c.year == year, b.c.region.in_(list(regions))))
    return _insert(s, b, rows, analyze=False)


def replace_group_quartiles(s: Session, year: int, regions: Collection[str],
                            rows: Iterable[Mapping[str, Any]]) -> int:
    """The quartile rows of some regions of a year rewritten ("" among them: every agency's)."""
    r = benchmark_regions
    s.execute(delete(r).where(r.c.year == year, r.c.region.in_(list(regions))))
    return _insert(s, r, rows, analyze=False)


# --- the page's reads ---------------------------------------------------------------------------------------


def years(s: Session) -> list[int]:
    return list(s.scalars(select(benchmark_regions.c.year).where(benchmark_regions.c.region == "")
                          .distinct().order_by(benchmark_regions.c.year.desc())))


def quartile_rows(s: Session, regions: Sequence[str], years: Sequence[int]) -> list[dict[str, Any]]:
    """Quartile rows of the regions ("" = every agency) in the years."""
    r = benchmark_regions
    rows = s.execute(select(r).where(r.c.region.in_(list(regions)), r.c.year.in_(list(years)))).all()
    return [dict(row._mapping) for row in rows]


def region_medians(s: Session, year: int) -> list[dict[str, Any]]:
    """Every region of a year: agencies rated, quartiles of each rate and how many are above the threshold."""
    r = benchmark_regions
    columns = (r.c.region, r.c.year, r.c.rate, r.c.rated, r.c.p25, r.c.p50, r.c.p75, r.c.above)
    rows = s.execute(select(*columns).where(r.c.year == year, r.c.region != "").order_by(r.c.region)).all()
    names = [c.name for c in columns]
    return [dict(zip(names, row, strict=True)) for row in rows]


def agency_rows(s: Session, year: int, region: str, *, limit: int, offset: int = 0) -> tuple[list[dict[str, Any]],
                                                                                             int]:
    """The agencies of a region in a year, by name, one page of them; and how many there are."""
    b = benchmark_rates
    where = (b.c.year == year) & (b.c.region == region)
    total = s.scalar(select(func.count()).select_from(b).where(where)) or 0
    rows = s.execute(select(b).where(where).order_by(b.c.name, b.c.agency_id).limit(limit).offset(offset)).all()
    return [dict(row._mapping) for row in rows], total


def warning_rows(s: Session, year: int, region: str | None, *, limit: int) -> list[dict[str, Any]]:
    """Agencies of a year (in a region, or all) with a rate above its threshold, the furthest above first."""
    b = benchmark_rates
    stmt = select(b).where(b.c.year == year, b.c.excess > 1)
    if region is not None:
        stmt = stmt.where(b.c.region == region)
    stmt = stmt.order_by(b.c.excess.desc(), b.c.agency_id).limit(limit)
    return [dict(row._mapping) for row in s.execute(stmt)]


def agency_history(s: Session, agency_ids: Sequence[str], years: Sequence[int]) -> list[dict[str, Any]]:
    """Rates of some agencies over some years (their trend beside their region's)."""
    b = benchmark_rates
    stmt = select(b).where(b.c.agency_id.in_(list(agency_ids)), b.c.year.in_(list(years)))
    return [dict(row._mapping) for row in s.execute(stmt)]
