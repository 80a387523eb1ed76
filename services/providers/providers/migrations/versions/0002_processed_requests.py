"""RPC request ids already answered, so a redelivered write is not applied twice

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processed_requests",
        sa.Column("request_id", sa.String(length=100), nullable=False),
        sa.Column("method", sa.String(length=100), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_processed_requests")),
    )
    op.create_index("ix_processed_requests_processed_at", "processed_requests", ["processed_at"])


def downgrade() -> None:
    op.drop_index("ix_processed_requests_processed_at", table_name="processed_requests")
    op.drop_table("processed_requests")
