"""The agencies table: the registry of bodies that owe a report.

Two sources feed it. The settings' agencies file is synced on every start (`sync_agencies`): its rows
have source "settings", and an agency dropped from the file is marked inactive. `nianbao agencies import`
upserts rows with source "registry" (`import_agencies`): the registry of a province or of the nation, far
too large for one YAML file; the file never deactivates them. An id belongs to one source: the settings
file wins (import refuses ids the file lists), so the two never fight over a row.

The crawl reads every active agency from here (`agency_rows`), by id or by host: the host of the first start
URL is the cluster's shard key (one host, one worker at a time).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nianbao.storage.engine import dialect_insert
from nianbao.storage.models import Agency

if TYPE_CHECKING:
    from nianbao.settings import AgencyConfig

SETTINGS, REGISTRY = "settings", "registry"
BATCH = 2000  # rows per INSERT … ON CONFLICT: flat memory at 300,000 agencies
COLUMNS = ("name", "region", "level", "kind", "start_urls", "render", "selectors", "allowed_domains", "added",
           "host")


def host_of(start_urls: Sequence[str]) -> str:
    """The shard key: the host (with its port) of the first start URL, lower case."""
    return (urlsplit(start_urls[0]).netloc.lower() if start_urls else "")


def row_values(cfg: AgencyConfig) -> dict[str, Any]:
    """The columns of one configured agency."""
    return {
        "name": cfg.name,
        "region": cfg.region,
        "level": cfg.level,
        "kind": cfg.kind,
        "start_urls": list(cfg.start_urls),
        "render": cfg.render,
        "selectors": cfg.selectors.model_dump(exclude_none=True) or None,
        "allowed_domains": list(cfg.allowed_domains) or None,
        "added": cfg.added,
        "host": host_of(cfg.start_urls),
    }


def sync_agencies(s: Session, agencies: Iterable[AgencyConfig]) -> dict[str, int]:
    """Make the settings' rows match the configured list; agencies no longer listed are kept
    (their reports stay) but marked inactive. Imported rows are left alone, except that an id the file
    now lists becomes the file's. Returns counts added/updated/deactivated."""
    counts = {"added": 0, "updated": 0, "deactivated": 0}
    configured = list(agencies)
    ids = [cfg.id for cfg in configured]
    existing = {a.id: a for a in _rows_by_id(s, ids)}
    for cfg in configured:
        values = {**row_values(cfg), "active": True, "source": SETTINGS}
        row = existing.get(cfg.id)
        if row is None:
            # ON CONFLICT DO NOTHING: another process (the daemon and a crawl by hand) may add
            # the same agency between our read and our insert; both then agree on its values.
            insert = dialect_insert(s.get_bind().dialect.name)(Agency.__table__).values(id=cfg.id, **values)
            inserted = s.execute(insert.on_conflict_do_nothing(index_elements=["id"]).returning(Agency.id))
            counts["added"] += len(inserted.all())  # rowcount is -1 here on PostgreSQL
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            counts["updated"] += 1
    listed = set(ids)
    for agency_id in s.scalars(select(Agency.id).where(Agency.source == SETTINGS, Agency.active)):
        if agency_id not in listed:
            s.execute(update(Agency).where(Agency.id == agency_id).values(active=False))
            counts["deactivated"] += 1
    return counts


def _rows_by_id(s: Session, ids: Sequence[str]) -> Iterator[Agency]:
    for start in range(0, len(ids), BATCH):
        yield from s.scalars(select(Agency).where(Agency.id.in_(ids[start:start + BATCH])))


def settings_ids(s: Session, ids: Sequence[str]) -> set[str]:
    """Which of `ids` the settings file owns."""
    found: set[str] = set()
    for start in range(0, len(ids), BATCH):
        found.update(s.scalars(select(Agency.id).where(Agency.id.in_(ids[start:start + BATCH]),
                                                       Agency.source == SETTINGS)))
    return found


def import_agencies(s: Session, agencies: Iterable[AgencyConfig]) -> dict[str, int]:
    """Upsert imported agencies (source "registry", active). Returns counts added/updated."""
    dialect = s.get_bind().dialect.name
    counts = {"added": 0, "updated": 0}
    batch: list[dict[str, Any]] = []
    for cfg in agencies:
        batch.append({"id": cfg.id, **row_values(cfg), "active": True, "source": REGISTRY})
        if len(batch) >= BATCH:
            _upsert(s, dialect, batch, counts)
            batch = []
    _upsert(s, dialect, batch, counts)
    return counts


def _upsert(s: Session, dialect: str, batch: list[dict[str, Any]], counts: dict[str, int]) -> None:
    if not batch:
        return
    ids = [row["id"] for row in batch]
    before = set(s.scalars(select(Agency.id).where(Agency.id.in_(ids))))
    insert = dialect_insert(dialect)(Agency.__table__)
    update_columns = {name: insert.excluded[name] for name in (*COLUMNS, "active", "source")}
    update_columns["updated_at"] = func.now()
    s.execute(insert.on_conflict_do_update(index_elements=["id"], set_=update_columns), batch)
    counts["updated"] += len(before)
    counts["added"] += len(batch) - len(before)


def agency_rows(s: Session, *, ids: Sequence[str] | None = None, hosts: Sequence[str] | None = None,
                include_inactive: bool = False) -> list[dict[str, Any]]:
    """Registry rows as plain mappings (the fields of an AgencyConfig, plus source and active), ordered by id;
    only those of `ids` or of `hosts` when given."""
    query = select(Agency).order_by(Agency.id)
    if not include_inactive:
        query = query.where(Agency.active)
    if ids is not None:
        query = query.where(Agency.id.in_(list(ids)))
    if hosts is not None:
        query = query.where(Agency.host.in_(list(hosts)))
    return [as_mapping(row) for row in s.scalars(query)]


def as_mapping(row: Agency) -> dict[str, Any]:
    data: dict[str, Any] = {"id": row.id, "name": row.name, "region": row.region, "level": row.level,
                            "kind": row.kind, "start_urls": list(row.start_urls or []), "render": row.render}
    if row.selectors:
        data["selectors"] = dict(row.selectors)
    if row.allowed_domains:
        data["allowed_domains"] = list(row.allowed_domains)
    if row.added is not None:
        data["added"] = row.added
    return {**data, "source": row.source, "active": row.active}


def host_counts(s: Session) -> list[tuple[str, int]]:
    """Active agencies per host, most first: what the coordinator cuts into shards."""
    count = func.count(Agency.id)
    query = select(Agency.host, count).where(Agency.active).group_by(Agency.host).order_by(count.desc(),
                                                                                         Agency.host)
    return [(host or "", n) for host, n in s.execute(query)]
