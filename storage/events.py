"""Events: the one list of event kinds and the one way to add an event (idempotent by dedupe_key).

The Store adds new_report/new_version in the transaction of the version; monitor.events derives the others
inside its own write session and calls add_event for each.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nianbao.storage.engine import aware
from nianbao.storage.models import Event, utcnow

EVENT_KINDS = ("new_report", "new_version", "missing", "late", "new_errors", "site_failing", "unreachable")


def add_event(
    s: Session,
    kind: str,
    dedupe_key: str,
    *,
    agency_id: str | None = None,
    year: int | None = None,
    report_id: int | None = None,
    version_id: int | None = None,
    payload: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> bool:
    """Add an event inside session `s` unless its dedupe_key exists; True when added."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"event kind must be one of {EVENT_KINDS}, got {kind!r}")
    if s.scalar(select(Event.id).where(Event.dedupe_key == dedupe_key)) is not None:
        return False
    row = Event(
        kind=kind,
        dedupe_key=dedupe_key,
        agency_id=agency_id,
        year=year,
        report_id=report_id,
        version_id=version_id,
        payload=dict(payload or {}),
        at=aware(at or utcnow()),
    )
    try:
        with s.begin_nested():  # a concurrent writer may add the same key between check and insert
            s.add(row)
    except IntegrityError:
        return False
    return True
