"""evidence and benchmarks: captures (the HTTP exchanges behind each version: request and response headers,
status, time; the source of the WARC export), and the derived tables of the benchmarks across agencies
(benchmark_figures, benchmark_rates, benchmark_regions; filled by the dashboard's refresh).

Versions stored before this revision get one `resource` capture each (their URL, time and response
headers; the request and the status were not kept, so no WARC request/response pair is claimed for them).

Revision ID: 0105_evidence
Revises: 0103_outbox_claims
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0105_evidence"
down_revision: str | None = "0104_registry"
branch_labels = None
depends_on = None


_FIGURES = ("received", "handled", "granted", "partially_granted", "refused", "unable", "carried_forward",
            "review_total", "review_corrected", "litigation_total", "litigation_corrected")
_RATES = ("granted_rate", "refused_rate", "unable_rate", "review_corrected_rate", "litigation_corrected_rate",
          "carry_rate")


def upgrade() -> None:
    _captures()
    _benchmarks()


def _captures() -> None:
    op.create_table(
        "captures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("request_headers", sa.JSON(), nullable=True),
        sa.Column("response_headers", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"], name=op.f("fk_captures_version_id_versions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_captures")),
    )
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_captures_version_id"), ["version_id"], unique=False)
    op.execute(
        "INSERT INTO captures (version_id, kind, url, fetched_at, status_code, request_headers, response_headers) "
        "SELECT id, 'resource', url, fetched_at, NULL, NULL, headers FROM versions"
    )


def _benchmarks() -> None:
    op.create_table(
        "benchmark_figures",
        sa.Column("agency_id", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=True) for name in _FIGURES),
        sa.PrimaryKeyConstraint("agency_id", "year", name=op.f("pk_benchmark_figures")),
    )
    op.create_table(
        "benchmark_rates",
        sa.Column("agency_id", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("received", sa.Integer(), nullable=True),
        sa.Column("handled", sa.Integer(), nullable=True),
        sa.Column("review_total", sa.Integer(), nullable=True),
        sa.Column("litigation_total", sa.Integer(), nullable=True),
        *(sa.Column(rate, sa.Float(), nullable=True) for rate in _RATES),
        *(sa.Column(f"{rate}_pct", sa.Float(), nullable=True) for rate in _RATES),
        sa.Column("warnings", sa.Integer(), nullable=False),
        sa.Column("excess", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", "year", name=op.f("pk_benchmark_rates")),
    )
    with op.batch_alter_table("benchmark_rates", schema=None) as batch_op:
        batch_op.create_index("ix_benchmark_rates_year_region", ["year", "region", "name"], unique=False)
        batch_op.create_index("ix_benchmark_rates_year_excess", ["year", "excess"], unique=False)
    op.create_table(
        "benchmark_regions",
        sa.Column("region", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("rate", sa.String(length=40), nullable=False),
        sa.Column("rated", sa.Integer(), nullable=False),
        sa.Column("p25", sa.Float(), nullable=True),
        sa.Column("p50", sa.Float(), nullable=True),
        sa.Column("p75", sa.Float(), nullable=True),
        sa.Column("above", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("region", "year", "rate", name=op.f("pk_benchmark_regions")),
    )


def downgrade() -> None:
    op.drop_table("benchmark_regions")
    with op.batch_alter_table("benchmark_rates", schema=None) as batch_op:
        batch_op.drop_index("ix_benchmark_rates_year_excess")
        batch_op.drop_index("ix_benchmark_rates_year_region")
    op.drop_table("benchmark_rates")
    op.drop_table("benchmark_figures")
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_captures_version_id"))
    op.drop_table("captures")
