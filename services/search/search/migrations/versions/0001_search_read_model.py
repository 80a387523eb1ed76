"""search read model

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 20:20:43.184998

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


class Cube(sa.types.UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw):
        return "cube"


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # Distances on the earth, and nearest-first through a GiST index.
    op.execute("CREATE EXTENSION IF NOT EXISTS cube")
    op.execute("CREATE EXTENSION IF NOT EXISTS earthdistance")
    op.create_table('outbox',
    sa.Column('seq', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('message', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_outbox')),
    sa.UniqueConstraint('event_id', name=op.f('uq_outbox_event_id'))
    )
    op.create_index('ix_outbox_unpublished', 'outbox', ['seq'], unique=False, postgresql_where=sa.text('published_at IS NULL'))
    op.create_table('processed_events',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_processed_events'))
    )
    op.create_table('search_directory_parts',
    sa.Column('directory_version', sa.BigInteger(), nullable=False),
    sa.Column('part', sa.Integer(), nullable=False),
    sa.Column('parts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('directory_version', 'part', name=op.f('pk_search_directory_parts'))
    )
    op.create_table('search_locations',
    sa.Column('location_id', sa.String(length=20), nullable=False),
    sa.Column('location_version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('return_sequence', sa.Integer(), server_default='0', nullable=False),
    sa.Column('profile', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('capacity_return', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('eligible', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('ineligible_reasons', postgresql.ARRAY(sa.String()), server_default='{}', nullable=False),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('earth', Cube(), nullable=True),
    sa.Column('la_code', sa.String(length=9), nullable=True),
    sa.Column('sub_icb_code', sa.String(length=9), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('overall_rating', sa.String(length=40), nullable=True),
    sa.Column('out_of_hours', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('regulated_activities', postgresql.ARRAY(sa.String()), server_default='{}', nullable=False),
    sa.Column('specialisms', postgresql.ARRAY(sa.String()), server_default='{}', nullable=False),
    sa.Column('service_types', postgresql.ARRAY(sa.String()), server_default='{}', nullable=False),
    sa.Column('languages', postgresql.ARRAY(sa.String()), server_default='{}', nullable=False),
    sa.Column('funding_sources', postgresql.ARRAY(sa.String()), server_default='{}', nullable=False),
    sa.Column('contract_las', postgresql.ARRAY(sa.String()), server_default='{}', nullable=False),
    sa.Column('contract_sub_icbs', postgresql.ARRAY(sa.String()), server_default='{}', nullable=False),
    sa.Column('brand_text', sa.String(), server_default='', nullable=False),
    sa.Column('notes_text', sa.String(), server_default='', nullable=False),
    sa.Column('offers', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('card', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.PrimaryKeyConstraint('location_id', name=op.f('pk_search_locations'))
    )
    op.create_index('ix_search_locations_earth', 'search_locations', ['earth'], unique=False,
                    postgresql_using='gist', postgresql_where=sa.text('eligible'))
    op.create_index('ix_search_locations_la', 'search_locations', ['la_code', 'name'], unique=False, postgresql_where=sa.text('eligible'))
    op.create_index('ix_search_locations_sub_icb', 'search_locations', ['sub_icb_code', 'name'], unique=False, postgresql_where=sa.text('eligible'))
    op.create_table('search_outcodes',
    sa.Column('outcode', sa.String(length=4), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('directory_version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('outcode', name=op.f('pk_search_outcodes'))
    )
    op.create_index(op.f('ix_search_outcodes_directory_version'), 'search_outcodes', ['directory_version'], unique=False)
    op.create_table('search_postcodes',
    sa.Column('postcode', sa.String(length=8), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('la_code', sa.String(length=9), nullable=True),
    sa.Column('sub_icb_code', sa.String(length=9), nullable=True),
    sa.Column('directory_version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('postcode', name=op.f('pk_search_postcodes'))
    )
    op.create_index(op.f('ix_search_postcodes_directory_version'), 'search_postcodes', ['directory_version'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_search_postcodes_directory_version'), table_name='search_postcodes')
    op.drop_table('search_postcodes')
    op.drop_index(op.f('ix_search_outcodes_directory_version'), table_name='search_outcodes')
    op.drop_table('search_outcodes')
    op.drop_index('ix_search_locations_sub_icb', table_name='search_locations', postgresql_where=sa.text('eligible'))
    op.drop_index('ix_search_locations_earth', table_name='search_locations')
    op.drop_index('ix_search_locations_la', table_name='search_locations', postgresql_where=sa.text('eligible'))
    op.drop_table('search_locations')
    op.drop_table('search_directory_parts')
    op.drop_table('processed_events')
    op.drop_index('ix_outbox_unpublished', table_name='outbox', postgresql_where=sa.text('published_at IS NULL'))
    op.drop_table('outbox')
