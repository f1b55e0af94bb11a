"""The agencies table follows the configured list (Store.sync_agencies)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from nianbao.storage.engine import dialect_insert
from nianbao.storage.models import Agency

if TYPE_CHECKING:
    from nianbao.settings import AgencyConfig


def sync_agencies(s: Session, agencies: Iterable[AgencyConfig]) -> dict[str, int]:
    """Make the agencies table match the configured list; agencies no longer listed are kept
    (their reports stay) but marked inactive. Returns counts added/updated/deactivated."""
    counts = {"added": 0, "updated": 0, "deactivated": 0}
    existing = {a.id: a for a in s.scalars(select(Agency))}
    seen: set[str] = set()
    for cfg in agencies:
        seen.add(cfg.id)
        values = {
            "name": cfg.name,
            "region": cfg.region,
            "level": cfg.level,
            "kind": cfg.kind,
            "start_urls": list(cfg.start_urls),
            "render": cfg.render,
            "active": True,
        }
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
    for agency_id, row in existing.items():
        if agency_id not in seen and row.active:
            row.active = False
            counts["deactivated"] += 1
    return counts
