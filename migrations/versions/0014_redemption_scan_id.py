"""a redemption keeps the scanning device's id for the scan, so an offline desk's retries are one redemption

Revision ID: 0014
Revises: 0013

"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('redemption', sa.Column('scan_id', sa.String(length=64), nullable=True))
    op.create_index('uq_redemption_scan_id', 'redemption', ['scan_id'], unique=True)


def downgrade():
    op.drop_index('uq_redemption_scan_id', table_name='redemption')
    with op.batch_alter_table('redemption', schema=None) as batch_op:
        batch_op.drop_column('scan_id')
