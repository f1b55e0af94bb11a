"""crawl state: fetches.checked_at/links (skipping known URLs), crawl_runs.pid/host/heartbeat_at
(telling a killed crawl from a running one).

Revision ID: 0101_crawl_state
Revises: 0100_dashboard
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0101_crawl_state"
down_revision: str | None = "0100_dashboard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fetches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("links", sa.JSON(), nullable=True))
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("host")
        batch_op.drop_column("pid")
    with op.batch_alter_table("fetches", schema=None) as batch_op:
        batch_op.drop_column("links")
        batch_op.drop_column("checked_at")
