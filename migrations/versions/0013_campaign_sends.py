"""campaign sends: a send per campaign e-mailing of its audience, at most one live campaign e-mail per member, the
hand-over moment that makes a message safe to re-send before it and never after, and cancelled deliveries

Revision ID: 0013
Revises: 0012

"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

HOLDING = "kind = 'campaign' AND status IN ('queued', 'sending', 'failed', 'sent')"


def upgrade():
    op.create_table(
        'campaign_send',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cancel_until', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('token_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('total >= 0', name=op.f('ck_campaign_send_total')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_campaign_send_campaign_id_campaign')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_campaign_send_user_id_user_account')),
        sa.ForeignKeyConstraint(['token_id'], ['api_token.id'], name=op.f('fk_campaign_send_token_id_api_token')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_send')),
    )
    op.create_index(op.f('ix_campaign_send_campaign_id'), 'campaign_send', ['campaign_id'])
    op.drop_index(op.f('ix_delivery_send_id'), table_name='delivery')
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_delivery_status'), type_='check')
        batch_op.create_check_constraint(
            'status', "status IN ('queued', 'sending', 'sent', 'failed', 'given_up', 'cancelled')")
        batch_op.create_foreign_key(batch_op.f('fk_delivery_send_id_campaign_send'), 'campaign_send',
                                    ['send_id'], ['id'])
    op.create_index('ix_delivery_send_status', 'delivery', ['send_id', 'status'])
    op.create_index('ux_delivery_campaign_member', 'delivery', ['campaign_id', 'customer_id'], unique=True,
                    sqlite_where=sa.text(HOLDING), postgresql_where=sa.text(HOLDING))


def downgrade():
    op.drop_index('ux_delivery_campaign_member', table_name='delivery')
    op.drop_index('ix_delivery_send_status', table_name='delivery')
    op.execute("UPDATE delivery SET status = 'given_up' WHERE status = 'cancelled'")
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_delivery_send_id_campaign_send'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('ck_delivery_status'), type_='check')
        batch_op.create_check_constraint('status', "status IN ('queued', 'sending', 'sent', 'failed', 'given_up')")
        batch_op.drop_column('handed_at')
    op.create_index(op.f('ix_delivery_send_id'), 'delivery', ['send_id'])
    op.drop_index(op.f('ix_campaign_send_campaign_id'), table_name='campaign_send')
    op.drop_table('campaign_send')
