"""evidence: captures (the HTTP exchanges behind each version: request and response headers, status, time;
the source of the WARC export).

Versions stored before this revision get one `resource` capture each (their URL, time and response
headers; the request and the status were not kept, so no WARC request/response pair is claimed for them).

Revision ID: 0105_evidence
Revises: 0103_outbox_claims
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0105_evidence"
down_revision: str | None = "0103_outbox_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
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


def downgrade() -> None:
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_captures_version_id"))
    op.drop_table("captures")
