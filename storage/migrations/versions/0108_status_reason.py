"""dashboard_status.reason and .basis: the status's reason as the monitor's rules word it and where the date it
was judged from came from, so `nianbao status` reads them off the roll-up instead of judging every row again
(and parsing every report model for its own date). The stored roll-up is marked stale (its
stamp and marks dropped): the next refresh rebuilds every row with its reason.

Revision ID: 0108_status_reason
Revises: 0107_recheck
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0108_status_reason"
down_revision: str | None = "0107_recheck"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dashboard_status", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("basis", sa.String(length=20), nullable=True))
    op.execute("DELETE FROM dashboard_meta WHERE key IN ('stamp', 'marks')")


def downgrade() -> None:
    with op.batch_alter_table("dashboard_status", schema=None) as batch_op:
        batch_op.drop_column("basis")
        batch_op.drop_column("reason")
