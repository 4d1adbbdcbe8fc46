"""a customer's purchases by time carry their amount, void and refund columns in the index, so that the holdout
test and attribution read a member's purchases from the index alone, without each purchase's row

Revision ID: 0020
Revises: 0019

"""
from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

COVERED = ['customer_id', 'occurred_at', 'amount_cents', 'voided_at', 'refund_of_id']


def upgrade():
    op.drop_index('ix_purchase_customer_time', table_name='purchase')
    op.create_index('ix_purchase_customer_time', 'purchase', COVERED, postgresql_include=['id'])


def downgrade():
    op.drop_index('ix_purchase_customer_time', table_name='purchase')
    op.create_index('ix_purchase_customer_time', 'purchase', COVERED[:2])
