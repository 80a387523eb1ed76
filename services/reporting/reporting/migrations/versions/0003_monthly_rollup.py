"""the monthly rollup by area (month, vacancy type, area), kept with the
figures, filled from those held

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Every location's months, each area it is in, by vacancy type ('' for all
# types) and the month it last reported before (1 January of year 1: never),
# as reporting.repository.rollup works them out.
FILL = """
INSERT INTO monthly_rollup (area_kind, month, area_code, vacancy_type, previous_month, maximum_capacity, occupied,
                            vacant, locations)
WITH typed AS (
  SELECT v.location_id, v.month, v.vacancy_type, v.maximum_capacity, v.occupied, v.vacant,
         COALESCE(lag(v.month) OVER (PARTITION BY v.location_id, v.vacancy_type ORDER BY v.month),
                  DATE '0001-01-01') AS previous_month
  FROM monthly_vacancies v),
every_type AS (
  SELECT location_id, month, '' AS vacancy_type, sum(maximum_capacity) AS maximum_capacity,
         sum(occupied) AS occupied, sum(vacant) AS vacant,
         COALESCE(lag(month) OVER (PARTITION BY location_id ORDER BY month), DATE '0001-01-01') AS previous_month
  FROM typed GROUP BY location_id, month),
figures AS (
  SELECT location_id, month, vacancy_type, maximum_capacity, occupied, vacant, previous_month FROM typed
  UNION ALL
  SELECT location_id, month, vacancy_type, maximum_capacity, occupied, vacant, previous_month FROM every_type)
SELECT a.area_kind, f.month, a.area_code, f.vacancy_type, f.previous_month, sum(f.maximum_capacity),
       sum(f.occupied), sum(f.vacant), count(*)
FROM figures f JOIN report_locations l ON l.location_id = f.location_id
CROSS JOIN LATERAL (VALUES ('england', ''), ('nhs_region', COALESCE(l.nhs_region_code, '')),
                           ('icb', COALESCE(l.icb_code, '')), ('sub_icb', COALESCE(l.sub_icb_code, '')),
                           ('local_authority', COALESCE(l.la_code, ''))) AS a(area_kind, area_code)
GROUP BY a.area_kind, f.month, a.area_code, f.vacancy_type, f.previous_month
"""


def upgrade() -> None:
    op.create_table('monthly_rollup',
    sa.Column('area_kind', sa.String(length=20), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('area_code', sa.String(length=9), nullable=False),
    sa.Column('vacancy_type', sa.String(length=40), nullable=False),
    sa.Column('previous_month', sa.Date(), nullable=False),
    sa.Column('maximum_capacity', sa.Integer(), nullable=False),
    sa.Column('occupied', sa.Integer(), nullable=False),
    sa.Column('vacant', sa.Integer(), nullable=False),
    sa.Column('locations', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('area_kind', 'month', 'area_code', 'vacancy_type', 'previous_month',
                            name=op.f('pk_monthly_rollup'))
    )
    op.execute(FILL)


def downgrade() -> None:
    op.drop_table('monthly_rollup')
