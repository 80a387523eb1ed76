"""locations in the order reports show them (name in lower case, code point
by code point, then code), so that a page of location rows is read in order

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 11:00:00

"""
from typing import Sequence, Union

from alembic import op

revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # The expression of repository.reports.LOCATION_ORDER, exactly.
    op.execute('CREATE INDEX ix_report_locations_name_order ON report_locations '
               '((lower(COALESCE(NULLIF(name, \'\'), location_id)) COLLATE "C"), (location_id COLLATE "C"))')


def downgrade() -> None:
    op.drop_index('ix_report_locations_name_order', table_name='report_locations')
