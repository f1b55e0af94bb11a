"""The digest outbox (the digests table): record a built digest, claim one for sending, record the result.

A digest is written here before anything tries to send it, so a crash or a mail server that is down
loses nothing. Sending is claim, commit, send, record: `claim` marks the row taken (claimed_at) in a
short transaction, the SMTP conversation runs with no transaction open, and `mark_sent`/`mark_failed`
record the outcome in another short one. The claim is a conditional UPDATE, so of two senders at once
(the daemon's outbox job and `nianbao digest --send`) exactly one gets the row, on SQLite and PostgreSQL.
A claim older than the lease belongs to a sender that died; the next sender takes it over.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from nianbao.storage.models import Digest, utcnow

ERROR_LIMIT = 2000  # characters of a send error kept on the row
# How long a claim protects a row. It must outlast any live send (alerts.mailer passes a lease derived
# from smtp.timeout); only a sender that died holds a claim this old.
CLAIM_LEASE = timedelta(minutes=30)


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
    if row.sent_at is None and row.claimed_at is None:  # never rewrite what a sender may be sending
        row.as_of, row.subject, row.html, row.text = as_of, subject, html, text
    s.flush()
    return row


def pending_ids(s: Session) -> list[int]:
    """Digests still to send: not sent and not refused for good."""
    return list(s.scalars(select(Digest.id).where(Digest.sent_at.is_(None), Digest.failed_permanently_at.is_(None))
                          .order_by(Digest.id)))


def unsent(s: Session) -> list[Digest]:
    """Every digest not sent, refused ones included: the outbox as an operator lists it."""
    return list(s.scalars(select(Digest).where(Digest.sent_at.is_(None)).order_by(Digest.id)))


def sent_among(s: Session, digest_ids: Iterable[int]) -> set[int]:
    return set(s.scalars(select(Digest.id).where(Digest.id.in_(list(digest_ids)), Digest.sent_at.is_not(None))))


def claim(s: Session, digest_id: int, max_attempts: int | None = None, *, now: datetime | None = None,
          lease: timedelta = CLAIM_LEASE) -> Digest | None:
    """Take an unsent digest for one sending attempt (claimed_at = now) and count the attempt; None when it
    was sent meanwhile, is gone, was refused for good, has used up `max_attempts`, or another sender holds
    a claim younger than `lease`. Commit before talking to the server."""
    now = now or utcnow()
    conditions = [Digest.id == digest_id, Digest.sent_at.is_(None), Digest.failed_permanently_at.is_(None),
                  or_(Digest.claimed_at.is_(None), Digest.claimed_at < now - lease)]
    if max_attempts is not None:
        conditions.append(Digest.attempts < max_attempts)
    # One conditional UPDATE is the whole race: PostgreSQL re-checks the WHERE after a concurrent update of
    # the row, SQLite runs one writer at a time; either way only one sender sees rowcount 1.
    taken = s.execute(update(Digest).where(*conditions).values(attempts=Digest.attempts + 1, claimed_at=now)
                      .execution_options(synchronize_session=False))
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return s.scalars(select(Digest).where(Digest.id == digest_id).execution_options(populate_existing=True)).one()


def mark_sent(s: Session, digest_id: int, at: datetime) -> None:
    """The server accepted the message: sent, whoever holds the claim now (it went out either way)."""
    s.execute(update(Digest).where(Digest.id == digest_id)
              .values(sent_at=at, last_error=None, claimed_at=None)
              .execution_options(synchronize_session="fetch"))


def mark_failed(s: Session, digest_id: int, error: str, *, claimed_at: datetime | None,
                permanently_at: datetime | None = None) -> None:
    """Record a failed attempt and release the claim taken at `claimed_at`; with `permanently_at` the
    digest is refused for good and never retried. A claim taken over meanwhile (ours had expired) is
    left to its new holder."""
    s.execute(update(Digest).where(Digest.id == digest_id, Digest.claimed_at == claimed_at, Digest.sent_at.is_(None))
              .values(last_error=error[:ERROR_LIMIT], claimed_at=None, failed_permanently_at=permanently_at)
              .execution_options(synchronize_session="fetch"))
