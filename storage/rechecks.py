"""Recheck requests: the dashboard queues one per agency ("recheck now"), the daemon claims the queued ones,
crawls those agencies and marks them done with its run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nianbao.storage.models import RecheckRequest


def open_request(s: Session, agency_id: str) -> RecheckRequest | None:
    """The agency's request that is queued or running, if any."""
    return s.scalar(select(RecheckRequest).where((RecheckRequest.agency_id == agency_id)
                                                 & RecheckRequest.finished_at.is_(None)).limit(1))


def request_recheck(s: Session, agency_id: str, user_id: int | None, now: datetime) -> bool:
    """Queue a recheck of the agency; False when one is already queued or running."""
    if open_request(s, agency_id) is not None:
        return False
    s.add(RecheckRequest(agency_id=agency_id, user_id=user_id, requested_at=now))
    s.flush()
    return True


def claim_queued(s: Session, now: datetime, limit: int = 500) -> list[str]:
    """Take the queued requests (not yet claimed); returns their agency ids."""
    rows = s.execute(select(RecheckRequest.id, RecheckRequest.agency_id)
                     .where(RecheckRequest.claimed_at.is_(None) & RecheckRequest.finished_at.is_(None))
                     .order_by(RecheckRequest.id).limit(limit)).all()
    if rows:
        s.execute(update(RecheckRequest).where(RecheckRequest.id.in_([r.id for r in rows]))
                  .values(claimed_at=now))
    return list(dict.fromkeys(r.agency_id for r in rows))


def finish_claimed(s: Session, agency_ids: list[str], run_id: int | None, now: datetime) -> None:
    s.execute(update(RecheckRequest)
              .where(RecheckRequest.agency_id.in_(agency_ids) & RecheckRequest.claimed_at.is_not(None)
                     & RecheckRequest.finished_at.is_(None))
              .values(finished_at=now, run_id=run_id))


def request_state(s: Session, agency_id: str) -> dict[str, Any] | None:
    """The agency's open request as the dashboard shows it (queued since / running since)."""
    found = open_request(s, agency_id)
    if found is None:
        return None
    return {"requested_at": found.requested_at, "claimed_at": found.claimed_at,
            "state": "running" if found.claimed_at else "queued"}
