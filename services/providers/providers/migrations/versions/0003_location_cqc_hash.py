"""A digest of each location's CQC-owned fields, so that the CQC import finds
an unchanged row without loading it (empty for rows from before: the next
import compares those in full once and fills it)

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("locations", sa.Column("cqc_hash", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("locations", "cqc_hash")
