"""The cluster's crawl rounds and their shards (tables cluster_rounds, cluster_shards).

The coordinator requests a round, cuts it into shards of hosts and publishes each shard once; workers
mark shards done. Everything is here, in the database, so that a coordinator that takes over from a dead
one finds the round where the other left it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nianbao.storage.models import ClusterRound, ClusterShard, utcnow


def request_round(s: Session) -> int:
    """A round to crawl every active agency; the coordinator starts it when no other round is open."""
    pending = s.scalar(select(ClusterRound.id).where(ClusterRound.finished_at.is_(None)).limit(1))
    if pending is not None:
        return int(pending)  # one at a time: a round requested while one runs is that round
    row = ClusterRound()
    s.add(row)
    s.flush()
    return row.id


def open_round(s: Session) -> tuple[int, bool] | None:
    """(id, started) of the oldest round not finished, or None."""
    row = s.execute(select(ClusterRound.id, ClusterRound.started_at).where(ClusterRound.finished_at.is_(None))
                    .order_by(ClusterRound.id).limit(1)).first()
    return None if row is None else (int(row[0]), row[1] is not None)


def plan_round(s: Session, round_id: int, shards: Sequence[Sequence[str]]) -> None:
    """Store the round's shards (not yet published) and mark it started."""
    s.add_all(ClusterShard(round_id=round_id, hosts=list(hosts), attempts=0) for hosts in shards)
    s.execute(update(ClusterRound).where(ClusterRound.id == round_id).values(started_at=utcnow()))


def unpublished(s: Session, round_id: int) -> list[int]:
    return list(s.scalars(select(ClusterShard.id).where(ClusterShard.round_id == round_id,
                                                        ClusterShard.enqueued_at.is_(None))
                          .order_by(ClusterShard.id)))


def mark_published(s: Session, shard_id: int) -> None:
    s.execute(update(ClusterShard).where(ClusterShard.id == shard_id).values(enqueued_at=utcnow()))


def claim(s: Session, shard_id: int) -> list[str] | None:
    """The hosts of a shard a worker starts (its attempts counted), or None when it is done already."""
    row = s.get(ClusterShard, shard_id)
    if row is None or row.done_at is not None:
        return None
    row.attempts += 1
    return list(row.hosts)


def finish_shard(s: Session, shard_id: int, status: str, run_id: int | None) -> None:
    s.execute(update(ClusterShard).where(ClusterShard.id == shard_id, ClusterShard.done_at.is_(None))
              .values(done_at=utcnow(), status=status, run_id=run_id))


def progress(s: Session, round_id: int) -> tuple[int, int]:
    """(shards, shards done) of a round."""
    total, done = s.execute(select(func.count(ClusterShard.id), func.count(ClusterShard.done_at))
                            .where(ClusterShard.round_id == round_id)).one()
    return int(total), int(done)


def finish_round(s: Session, round_id: int) -> None:
    s.execute(update(ClusterRound).where(ClusterRound.id == round_id).values(finished_at=utcnow()))


def shard_rows(s: Session, round_id: int) -> list[dict[str, Any]]:
    """Every shard of a round (for tests and the log)."""
    return [{"id": r.id, "hosts": r.hosts, "attempts": r.attempts, "status": r.status, "run_id": r.run_id,
             "done": r.done_at is not None}
            for r in s.scalars(select(ClusterShard).where(ClusterShard.round_id == round_id)
                               .order_by(ClusterShard.id))]
