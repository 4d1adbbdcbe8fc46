"""the language of customers' pages, posters, cards and e-mails

Revision ID: 0016
Revises: 0015

"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('business_settings') as batch_op:
        # None: the language of the business's locale (de_DE: German), English where that is not offered.
        batch_op.add_column(sa.Column('customer_language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('business_settings') as batch_op:
        batch_op.drop_column('customer_language')
