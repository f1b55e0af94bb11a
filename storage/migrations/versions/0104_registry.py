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
    op.create_table(
        "cluster_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cluster_rounds")),
    )
    op.create_index("ix_cluster_rounds_finished_at", "cluster_rounds", ["finished_at"])
    op.create_table(
        "cluster_shards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("hosts", sa.JSON(), nullable=False),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["cluster_rounds.id"],
                                name=op.f("fk_cluster_shards_round_id_cluster_rounds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cluster_shards")),
    )
    op.create_index("ix_cluster_shards_round_id", "cluster_shards", ["round_id"])


def downgrade() -> None:
    op.drop_index("ix_cluster_shards_round_id", table_name="cluster_shards")
    op.drop_table("cluster_shards")
    op.drop_index("ix_cluster_rounds_finished_at", table_name="cluster_rounds")
    op.drop_table("cluster_rounds")
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.drop_index("ix_agencies_host")
        batch_op.drop_column("host")
        batch_op.drop_column("added")
        batch_op.drop_column("allowed_domains")
        batch_op.drop_column("selectors")
        batch_op.drop_column("source")
