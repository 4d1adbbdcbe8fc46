"""a customer's one-click unsubscribe from campaign e-mails

Revision ID: 0011
Revises: 0010

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('customer', sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('unsubscribed_at')
