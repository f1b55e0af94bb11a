"""outbox claims: digests.claimed_at (a sender's claim, so no SMTP talk happens inside a transaction) and
digests.failed_permanently_at (the server refused the message for good; never retried).

Revision ID: 0103_outbox_claims
Revises: 0101_crawl_state (TEMPORARY: becomes 0102_sessions when that revision is merged)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0103_outbox_claims"
# TEMPORARY: "0102_sessions" is added by another branch at the same time; re-chain to it at merge.
down_revision: str | None = "0102_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("failed_permanently_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.drop_column("failed_permanently_at")
        batch_op.drop_column("claimed_at")
