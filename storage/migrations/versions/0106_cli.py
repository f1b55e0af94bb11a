"""dashboard_status.fully_read: whether the latest version of the report was read in full (a report that
could not be read in full shows 未能读全 on the dashboard, not "checked and fine").

Revision ID: 0106_cli
Revises: 0103_outbox_claims
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0106_cli"
down_revision: str | None = "0105_evidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dashboard_status", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fully_read", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("dashboard_status", schema=None) as batch_op:
        batch_op.drop_column("fully_read")
