"""recheck requests (a reviewer's "recheck now", run by the daemon) and search indexes on agency names and
report titles (trigram GIN on PostgreSQL, so ILIKE '%…%' over 100,000 names is an index scan).

Revision ID: 0107_recheck
Revises: 0103_outbox_claims
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0107_recheck"
down_revision: str | None = "0106_cli"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recheck_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_recheck_requests_agency_id_agencies"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_recheck_requests_user_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"], name=op.f("fk_recheck_requests_run_id_crawl_runs"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recheck_requests")),
    )
    with op.batch_alter_table("recheck_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recheck_requests_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recheck_requests_finished_at"), ["finished_at"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # A trusted extension since PostgreSQL 13: the database's owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index("ix_agencies_name_search", "agencies", ["name"], unique=False, postgresql_using="gin",
                    postgresql_ops={"name": "gin_trgm_ops"})
    op.create_index("ix_reports_title_search", "reports", ["title"], unique=False, postgresql_using="gin",
                    postgresql_ops={"title": "gin_trgm_ops"})


def downgrade() -> None:
    op.drop_index("ix_reports_title_search", table_name="reports")
    op.drop_index("ix_agencies_name_search", table_name="agencies")
    with op.batch_alter_table("recheck_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recheck_requests_finished_at"))
        batch_op.drop_index(batch_op.f("ix_recheck_requests_agency_id"))
    op.drop_table("recheck_requests")
