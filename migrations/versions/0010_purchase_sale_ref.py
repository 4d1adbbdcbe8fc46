"""a sale's other till id (Square's Transaction ID, Shopify's order name) for the purchases search; purchases
looked up by their import, for what an import's result page says about its sales

Revision ID: 0010
Revises: 0009

"""
import warnings

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN and CREATE INDEX on both databases: no table copy, even on SQLite.
    op.add_column('purchase', sa.Column('sale_ref', sa.String(length=160), nullable=True))
    op.create_index(op.f('ix_purchase_sale_ref'), 'purchase', ['sale_ref'], unique=False)
    op.create_index(op.f('ix_purchase_import_id'), 'purchase', ['import_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_purchase_import_id'), table_name='purchase')
    op.drop_index(op.f('ix_purchase_sale_ref'), table_name='purchase')
    with warnings.catch_warnings():
        # SQLite's copy of purchase reflects location, whose lower(name) index it skips and says so.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        with op.batch_alter_table('purchase', schema=None) as batch_op:
            batch_op.drop_column('sale_ref')
