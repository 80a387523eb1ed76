"""A location's LA / Sub-ICB may be unknown (postcode not in the directory)

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
    op.alter_column("locations", "la_code", existing_type=sa.String(length=16), nullable=True)
    op.alter_column("locations", "sub_icb_code", existing_type=sa.String(length=16), nullable=True)


def downgrade() -> None:
    op.alter_column("locations", "sub_icb_code", existing_type=sa.String(length=16), nullable=False)
    op.alter_column("locations", "la_code", existing_type=sa.String(length=16), nullable=False)
