"""providers tables

Revision ID: 0001
Revises: 


"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('import_runs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs'))
    )
    op.create_index(op.f('ix_import_runs_kind'), 'import_runs', ['kind'], unique=False)
    op.create_table('local_authorities',
    sa.Column('code', sa.String(length=9), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('ons_region_code', sa.String(length=9), nullable=True),
    sa.Column('ons_region_name', sa.String(length=60), nullable=True),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_local_authorities'))
    )
    op.create_table('location_changes',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('location_id', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.String(length=36), nullable=True),
    sa.Column('actor_generic', sa.Boolean(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_location_changes'))
    )
    op.create_index(op.f('ix_location_changes_location_id'), 'location_changes', ['location_id'], unique=False)
    op.create_table('nhs_regions',
    sa.Column('code', sa.String(length=9), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_nhs_regions'))
    )
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
    op.create_table('outcodes',
    sa.Column('outcode', sa.String(length=4), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('postcodes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('outcode', name=op.f('pk_outcodes'))
    )
    op.create_table('postcodes',
    sa.Column('postcode', sa.String(length=8), nullable=False),
    sa.Column('outcode', sa.String(length=4), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('la_code', sa.String(length=9), nullable=True),
    sa.Column('sub_icb_code', sa.String(length=9), nullable=True),
    sa.Column('icb_code', sa.String(length=9), nullable=True),
    sa.Column('nhs_region_code', sa.String(length=9), nullable=True),
    sa.PrimaryKeyConstraint('postcode', name=op.f('pk_postcodes'))
    )
    op.create_index(op.f('ix_postcodes_outcode'), 'postcodes', ['outcode'], unique=False)
    op.create_table('processed_events',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_processed_events'))
    )
    op.create_table('providers',
    sa.Column('id', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('brand_id', sa.String(length=20), nullable=True),
    sa.Column('brand_name', sa.String(length=300), nullable=True),
    sa.Column('ownership_type', sa.String(length=60), nullable=True),
    sa.Column('email_domains', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_providers'))
    )
    op.create_index(op.f('ix_providers_brand_id'), 'providers', ['brand_id'], unique=False)
    op.create_table('icbs',
    sa.Column('code', sa.String(length=9), nullable=False),
    sa.Column('ods_code', sa.String(length=5), nullable=True),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('nhs_region_code', sa.String(length=9), nullable=False),
    sa.ForeignKeyConstraint(['nhs_region_code'], ['nhs_regions.code'], name=op.f('fk_icbs_nhs_region_code_nhs_regions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_icbs'))
    )
    op.create_table('locations',
    sa.Column('id', sa.String(length=20), nullable=False),
    sa.Column('provider_id', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('street_address', sa.String(length=300), nullable=False),
    sa.Column('address_line_2', sa.String(length=300), nullable=True),
    sa.Column('city', sa.String(length=120), nullable=True),
    sa.Column('county', sa.String(length=120), nullable=True),
    sa.Column('postcode', sa.String(length=8), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('geocoded_by', sa.String(length=12), nullable=True),
    sa.Column('la_code', sa.String(length=9), nullable=True),
    sa.Column('sub_icb_code', sa.String(length=9), nullable=True),
    sa.Column('icb_code', sa.String(length=9), nullable=True),
    sa.Column('nhs_region_code', sa.String(length=9), nullable=True),
    sa.Column('telephone', sa.String(length=40), nullable=True),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('registered_beds', sa.Integer(), nullable=True),
    sa.Column('overall_rating', sa.String(length=30), nullable=True),
    sa.Column('rating_published', sa.Date(), nullable=True),
    sa.Column('regulated_activities', sa.JSON(), nullable=False),
    sa.Column('service_types', sa.JSON(), nullable=False),
    sa.Column('service_user_bands', sa.JSON(), nullable=False),
    sa.Column('specialisms', sa.JSON(), nullable=False),
    sa.Column('dormant', sa.Boolean(), nullable=False),
    sa.Column('cqc_refreshed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('care_types', sa.JSON(), nullable=False),
    sa.Column('funding_sources', sa.JSON(), nullable=False),
    sa.Column('out_of_hours_admissions', sa.Boolean(), nullable=True),
    sa.Column('manager', sa.JSON(), nullable=False),
    sa.Column('rooms', sa.JSON(), nullable=False),
    sa.Column('short_stay_services', sa.JSON(), nullable=True),
    sa.Column('long_term_vacancy_types', sa.JSON(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('reminders_enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_locations_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations'))
    )
    op.create_index('ix_locations_active_kind', 'locations', ['active', 'kind'], unique=False)
    op.create_index(op.f('ix_locations_la_code'), 'locations', ['la_code'], unique=False)
    op.create_index(op.f('ix_locations_postcode'), 'locations', ['postcode'], unique=False)
    op.create_index(op.f('ix_locations_provider_id'), 'locations', ['provider_id'], unique=False)
    op.create_index(op.f('ix_locations_sub_icb_code'), 'locations', ['sub_icb_code'], unique=False)
    op.create_table('contracts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('location_id', sa.String(length=20), nullable=False),
    sa.Column('commissioner_kind', sa.String(length=20), nullable=False),
    sa.Column('commissioner_code', sa.String(length=9), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('requested_by', sa.String(length=36), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=36), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_contracts_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts'))
    )
    op.create_index(op.f('ix_contracts_commissioner_code'), 'contracts', ['commissioner_code'], unique=False)
    op.create_index(op.f('ix_contracts_location_id'), 'contracts', ['location_id'], unique=False)
    op.create_table('location_contacts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('location_id', sa.String(length=20), nullable=False),
    sa.Column('role', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_location_contacts_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_location_contacts'))
    )
    op.create_index(op.f('ix_location_contacts_location_id'), 'location_contacts', ['location_id'], unique=False)
    op.create_table('location_notes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('location_id', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_location_notes_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_location_notes'))
    )
    op.create_index(op.f('ix_location_notes_location_id'), 'location_notes', ['location_id'], unique=False)
    op.create_table('sub_icbs',
    sa.Column('code', sa.String(length=9), nullable=False),
    sa.Column('ods_code', sa.String(length=5), nullable=True),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('icb_code', sa.String(length=9), nullable=False),
    sa.ForeignKeyConstraint(['icb_code'], ['icbs.code'], name=op.f('fk_sub_icbs_icb_code_icbs')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_sub_icbs'))
    )
    op.create_index(op.f('ix_sub_icbs_ods_code'), 'sub_icbs', ['ods_code'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_sub_icbs_ods_code'), table_name='sub_icbs')
    op.drop_table('sub_icbs')
    op.drop_index(op.f('ix_location_notes_location_id'), table_name='location_notes')
    op.drop_table('location_notes')
    op.drop_index(op.f('ix_location_contacts_location_id'), table_name='location_contacts')
    op.drop_table('location_contacts')
    op.drop_index(op.f('ix_contracts_location_id'), table_name='contracts')
    op.drop_index(op.f('ix_contracts_commissioner_code'), table_name='contracts')
    op.drop_table('contracts')
    op.drop_index(op.f('ix_locations_sub_icb_code'), table_name='locations')
    op.drop_index(op.f('ix_locations_provider_id'), table_name='locations')
    op.drop_index(op.f('ix_locations_postcode'), table_name='locations')
    op.drop_index(op.f('ix_locations_la_code'), table_name='locations')
    op.drop_index('ix_locations_active_kind', table_name='locations')
    op.drop_table('locations')
    op.drop_table('icbs')
    op.drop_index(op.f('ix_providers_brand_id'), table_name='providers')
    op.drop_table('providers')
    op.drop_table('processed_events')
    op.drop_index(op.f('ix_postcodes_outcode'), table_name='postcodes')
    op.drop_table('postcodes')
    op.drop_table('outcodes')
    op.drop_index('ix_outbox_unpublished', table_name='outbox', postgresql_where=sa.text('published_at IS NULL'))
    op.drop_table('outbox')
    op.drop_table('nhs_regions')
    op.drop_index(op.f('ix_location_changes_location_id'), table_name='location_changes')
    op.drop_table('location_changes')
    op.drop_table('local_authorities')
    op.drop_index(op.f('ix_import_runs_kind'), table_name='import_runs')
    op.drop_table('import_runs')
