"""Writes of the dashboard's status roll-up (tables dashboard_status, dashboard_meta in models.py).

monitor.rollup decides what the rows say (the monitor's status rules); this module only stores them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session

from nianbao.storage.engine import id_batches, insert_rows
from nianbao.storage.models import dashboard_meta, dashboard_status

BATCH_ROWS = 5000  # agencies per DELETE of their rows (a bounded IN list)


def replace_status_rows(s: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    """Every row anew, in the caller's transaction (readers see the old table until it commits)."""
    s.execute(delete(dashboard_status))
    return _insert_all(s, rows)


def replace_agency_rows(s: Session, agency_ids: Collection[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """The rows of `agency_ids` anew (an agency no longer active keeps none), in the caller's transaction."""
    for batch in id_batches(agency_ids, BATCH_ROWS):
        s.execute(delete(dashboard_status).where(dashboard_status.c.agency_id.in_(batch)))
    return _insert_all(s, rows)


def _insert_all(s: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    # By COPY on PostgreSQL: 1,800,000 rows of a national registry's first build as statements cost minutes.
    return insert_rows(s, dashboard_status, rows)


def update_status_row(s: Session, agency_id: str, year: int, **values: Any) -> None:
    s.execute(
        update(dashboard_status)
        .where((dashboard_status.c.agency_id == agency_id) & (dashboard_status.c.year == year))
        .values(**values)
    )


def set_meta(s: Session, key: str, value: str) -> None:
    updated = s.execute(update(dashboard_meta).where(dashboard_meta.c.key == key).values(value=value))
    if getattr(updated, "rowcount", 0) == 0:
        s.execute(insert(dashboard_meta).values(key=key, value=value))
