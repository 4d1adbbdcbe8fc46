"""the business's locale, its customer-page details and the desk's large-amount check; voided purchases

Revision ID: 0005
Revises: 0004

"""
import warnings

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('business_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=16), server_default='en_US', nullable=False))
        batch_op.add_column(sa.Column('large_purchase_cents', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('opening_hours', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('logo', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('logo_type', sa.String(length=32), nullable=True))
    op.execute("UPDATE business_settings SET large_purchase_cents = 50000")
    with warnings.catch_warnings(), op.batch_alter_table('purchase', schema=None) as batch_op:
        # SQLite's reflection of location (which purchase refers to) skips the lower(name) index and says so.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        batch_op.add_column(sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('voided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_purchase_voided_by_id_user_account'), 'user_account',
                                    ['voided_by_id'], ['id'])
        batch_op.create_check_constraint('void_reason', 'voided_at IS NULL OR void_reason IS NOT NULL')


def downgrade():
    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_purchase_void_reason'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_purchase_voided_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('void_reason')
        batch_op.drop_column('voided_by_id')
        batch_op.drop_column('voided_at')
    with op.batch_alter_table('business_settings', schema=None) as batch_op:
        for column in ('logo_type', 'logo', 'opening_hours', 'address', 'large_purchase_cents', 'locale'):
            batch_op.drop_column(column)
