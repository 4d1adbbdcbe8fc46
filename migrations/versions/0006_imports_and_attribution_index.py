"""imports: customer links, purchase files and mappings; attribution index

Square's customer ids beside ours, point-of-sale files imported in chunks with their remembered column
mappings, where each purchase came from, and an index for looking up a customer's redemptions by time.

Revision ID: 0006
Revises: 0005

"""
import warnings

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_mapping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('columns', sa.Text(), nullable=False),
    sa.Column('options', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_mapping')),
    sa.UniqueConstraint('source', name=op.f('uq_import_mapping_source'))
    )
    op.create_table('customer_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=120), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_link_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_link')),
    sa.UniqueConstraint('source', 'external_id', name='uq_customer_link')
    )
    with op.batch_alter_table('customer_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_link_customer_id'), ['customer_id'], unique=False)

    op.create_table('purchase_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('columns', sa.Text(), nullable=False),
    sa.Column('options', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('done_rows', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('deferred', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('errors', sa.Text(), server_default=sa.text("'[]'"), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('uploaded', 'running', 'done')", name=op.f('ck_purchase_import_status')),
    sa.CheckConstraint('done_rows <= total_rows', name=op.f('ck_purchase_import_progress')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_purchase_import_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_import'))
    )
    with warnings.catch_warnings():
        # SQLite's reflection of location (which both tables refer to) skips the lower(name) index and says so.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        _alter_sales()


def _alter_sales():
    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('import_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('customer_ref', sa.String(length=160), nullable=True))
        batch_op.create_index(batch_op.f('ix_purchase_customer_ref'), ['customer_ref'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_purchase_import_id_purchase_import'), 'purchase_import', ['import_id'], ['id'])

    with op.batch_alter_table('redemption', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redemption_customer_id'))
        batch_op.create_index('ix_redemption_customer_time', ['customer_id', 'redeemed_at'], unique=False)



def downgrade():
    with op.batch_alter_table('redemption', schema=None) as batch_op:
        batch_op.drop_index('ix_redemption_customer_time')
        batch_op.create_index(batch_op.f('ix_redemption_customer_id'), ['customer_id'], unique=False)

    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_purchase_import_id_purchase_import'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_purchase_customer_ref'))
        batch_op.drop_column('customer_ref')
        batch_op.drop_column('import_id')
        batch_op.drop_column('source')

    op.drop_table('purchase_import')
    with op.batch_alter_table('customer_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_link_customer_id'))

    op.drop_table('customer_link')
    op.drop_table('import_mapping')
