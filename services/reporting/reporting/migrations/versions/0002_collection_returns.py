"""the ASC collection: returns sent within each month's window, and when
each location first appeared

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 12:00:00

A read model that already holds history learns of its windows by being
rebuilt (`python -m reporting.manage rebuild --reset`): capacity keeps every
return ever sent.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('collection_returns',
    sa.Column('location_id', sa.String(length=20), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('location_id', 'month', name=op.f('pk_collection_returns'))
    )
    op.create_index('ix_collection_returns_month', 'collection_returns', ['month'], unique=False)
    op.add_column('report_locations', sa.Column('first_seen_at', sa.DateTime(timezone=True),
                                                server_default=sa.text('now()'), nullable=False))
    op.add_column('report_locations', sa.Column('first_return_at', sa.DateTime(timezone=True), nullable=True))
    # What is known already: the earliest month each location sent in.
    op.execute("UPDATE report_locations l SET first_return_at = p.first_at FROM "
               "(SELECT location_id, min(submitted_at) AS first_at FROM monthly_positions GROUP BY location_id) p "
               "WHERE p.location_id = l.location_id")


def downgrade() -> None:
    op.drop_column('report_locations', 'first_return_at')
    op.drop_column('report_locations', 'first_seen_at')
    op.drop_index('ix_collection_returns_month', table_name='collection_returns')
    op.drop_table('collection_returns')
