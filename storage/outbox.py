"""The digest outbox (the digests table): record a built digest, claim one for sending, mark the result.

A digest is written here before anything tries to send it, so a crash or a mail server that is down
loses nothing; alerts.mailer claims each unsent row inside a transaction (a row lock on PostgreSQL,
the write lock on SQLite) so that two runs never both send it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nianbao.storage.models import Digest

ERROR_LIMIT = 2000  # characters of a send error kept on the row


def record_digest(
    s: Session,
    *,
    recipient: str,
    period_start: datetime,
    period_end: datetime,
    as_of: datetime,
    subject: str,
    html: str,
    text: str,
) -> Digest:
    """The recipient's digest of the period: added, or refreshed while still unsent. A digest already
    sent is returned as stored (what the recipient got is never rewritten)."""
    row = s.scalar(select(Digest).where(Digest.recipient == recipient, Digest.period_start == period_start,
                                        Digest.period_end == period_end).with_for_update())
    if row is None:
        row = Digest(recipient=recipient, period_start=period_start, period_end=period_end, as_of=as_of,
                     subject="", html="", text="", attempts=0)
        s.add(row)
    if row.sent_at is None:
        row.as_of, row.subject, row.html, row.text = as_of, subject, html, text
    s.flush()
    return row


def pending_ids(s: Session) -> list[int]:
    return list(s.scalars(select(Digest.id).where(Digest.sent_at.is_(None)).order_by(Digest.id)))


def claim(s: Session, digest_id: int, max_attempts: int | None = None) -> Digest | None:
    """Lock an unsent digest for one sending attempt and count the attempt; None when it was sent
    meanwhile, is gone, or has used up `max_attempts`."""
    # Row lock on PostgreSQL; SQLite serialises writers anyway.
    digest = s.scalars(select(Digest).where(Digest.id == digest_id).with_for_update()).one_or_none()
    if digest is None or digest.sent_at is not None:
        return None
    if max_attempts is not None and digest.attempts >= max_attempts:
        return None
    digest.attempts += 1
    return digest


def mark_sent(digest: Digest, at: datetime) -> None:
    digest.sent_at = at
    digest.last_error = None


def mark_failed(digest: Digest, error: str) -> None:
    digest.last_error = error[:ERROR_LIMIT]
