"""dashboard: the pre-aggregated status table and its freshness stamp (storage/models.py; computed by monitor/rollup.py).

Revision ID: 0100_dashboard
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0100_dashboard"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_status",
        sa.Column("agency_id", sa.String(100), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("region", sa.String(200), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("inconsistent", sa.Boolean, nullable=False),
        sa.Column("report_id", sa.Integer),
        sa.Column("version_id", sa.Integer),
        sa.Column("version_count", sa.Integer, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("published_date", sa.Date),
        sa.Column("due", sa.Date),
        sa.Column("days_late", sa.Integer, nullable=False),
        sa.Column("error_count", sa.Integer, nullable=False),
        sa.Column("warning_count", sa.Integer, nullable=False),
        sa.Column("open_errors", sa.Integer, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
    )
    op.create_index("ix_dashboard_status_year_score", "dashboard_status", ["year", "score"])
    op.create_index("ix_dashboard_status_year_region_score", "dashboard_status", ["year", "region", "score"])
    op.create_index("ix_dashboard_status_year_level", "dashboard_status", ["year", "level"])
    op.create_index("ix_dashboard_status_year_status", "dashboard_status", ["year", "status"])
    op.create_index("ix_dashboard_status_version_id", "dashboard_status", ["version_id"])
    op.create_table(
        "dashboard_meta",
        sa.Column("key", sa.String(50), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dashboard_meta")
    op.drop_table("dashboard_status")
