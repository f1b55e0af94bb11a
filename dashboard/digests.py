"""The digest log (/digests): every weekly digest in the outbox, whether it went out, is still waiting, or
was refused for good by the mail server (whose answer is shown), with times in 北京时间.

`nianbao digest --outbox` lists the same rows for an operator; this page is for the reviewers who never
open a terminal and would otherwise not learn that a recipient's server refuses the digest.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nianbao.dashboard.templating import local_time
from nianbao.storage.models import Digest

LOG_LIMIT = 500  # newest digests shown (recipients x weeks: years of history for a small team)
STATE_LABELS = {"sent": "已发送", "pending": "待发送", "refused": "被拒收"}


def _period(start: dt.datetime, end: dt.datetime, zone: dt.tzinfo) -> str:
    """The days of [start, end) on the settings' calendar, as the digest's own title names them."""
    first = start.astimezone(zone).date() if start.tzinfo else start.date()
    last = ((end if end.tzinfo else end.replace(tzinfo=dt.UTC)).astimezone(zone) - dt.timedelta(seconds=1)).date()
    return f"{first.isoformat()} 至 {last.isoformat()}"


def state_of(sent_at: Any, refused_at: Any) -> str:
    if sent_at is not None:
        return "sent"
    return "refused" if refused_at is not None else "pending"


def digest_log(session: Session, zone: dt.tzinfo, limit: int = LOG_LIMIT) -> dict[str, Any]:
    rows = session.execute(
        select(Digest.id, Digest.recipient, Digest.period_start, Digest.period_end, Digest.subject,
               Digest.created_at, Digest.sent_at, Digest.attempts, Digest.last_error, Digest.failed_permanently_at)
        .order_by(Digest.period_start.desc(), Digest.recipient, Digest.id.desc()).limit(limit)
    ).all()
    out = []
    for r in rows:
        state = state_of(r.sent_at, r.failed_permanently_at)
        out.append({
            "id": r.id, "recipient": r.recipient, "period": _period(r.period_start, r.period_end, zone),
            "subject": r.subject, "state": state, "state_label": STATE_LABELS[state], "attempts": r.attempts,
            # The server's own answer ("550 5.1.1 mailbox unknown"): what the operator must act on.
            "reply": r.last_error if state != "sent" else None,
            "created": local_time(r.created_at, zone), "sent": local_time(r.sent_at, zone),
            "refused": local_time(r.failed_permanently_at, zone),
        })
    counts = {state: sum(1 for r in out if r["state"] == state) for state in STATE_LABELS}
    return {"rows": out, "counts": counts, "state_labels": STATE_LABELS}
