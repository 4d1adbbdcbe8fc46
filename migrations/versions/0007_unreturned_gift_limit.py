"""a campaign's limit on unreturned gifts: vouchers refused to customers who already hold that many

Revision ID: 0007
Revises: 0006

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unreturned_gift_limit', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('unreturned_gift_limit',
                                         'unreturned_gift_limit IS NULL OR unreturned_gift_limit >= 1')
    # The report's freebie-only count and the limit look for a customer's purchases of positive amount.
    op.create_index('ix_purchase_customer_positive', 'purchase', ['customer_id', 'occurred_at'],
                    postgresql_where=sa.text('amount_cents > 0 AND voided_at IS NULL'),
                    sqlite_where=sa.text('amount_cents > 0 AND voided_at IS NULL'))


def downgrade():
    op.drop_index('ix_purchase_customer_positive', table_name='purchase')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_constraint('unreturned_gift_limit', type_='check')
        batch_op.drop_column('unreturned_gift_limit')
