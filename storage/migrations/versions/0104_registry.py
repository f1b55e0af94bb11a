"""registry: the agencies table holds everything a crawl needs (selectors, allowed domains, date added),
where each agency came from (the settings file or `nianbao agencies import`), and its primary host, by
which the cluster shards crawls.

Revision ID: 0104_registry
Revises: 0103_outbox_claims
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0104_registry"
down_revision: str | None = "0103_outbox_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=20), nullable=False,
                                      server_default="settings"))
        batch_op.add_column(sa.Column("selectors", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("allowed_domains", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("added", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.create_index("ix_agencies_host", ["host"])


def downgrade() -> None:
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.drop_index("ix_agencies_host")
        batch_op.drop_column("host")
        batch_op.drop_column("added")
        batch_op.drop_column("allowed_domains")
        batch_op.drop_column("selectors")
        batch_op.drop_column("source")
