"""deliveries: one row per e-mail sent from the job queue, and the owner's mail server settings

Revision ID: 0012
Revises: 0011

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('recipient', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('voucher_id', sa.Integer(), nullable=True),
        sa.Column('campaign_id', sa.Integer(), nullable=True),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('send_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('voucher', 'feedback_invite', 'test', 'campaign')", name=op.f('ck_delivery_kind')),
        sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed', 'given_up')",
                           name=op.f('ck_delivery_status')),
        sa.CheckConstraint('attempts >= 0', name=op.f('ck_delivery_attempts')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_delivery_campaign_id_campaign')),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_delivery_customer_id_customer')),
        sa.ForeignKeyConstraint(['voucher_id'], ['voucher.id'], name=op.f('fk_delivery_voucher_id_voucher')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery')),
    )
    op.create_index('ix_delivery_status_next_try', 'delivery', ['status', 'next_try_at'])
    op.create_index('ix_delivery_created', 'delivery', ['created_at'])
    op.create_index(op.f('ix_delivery_voucher_id'), 'delivery', ['voucher_id'])
    op.create_index(op.f('ix_delivery_campaign_id'), 'delivery', ['campaign_id'])
    op.create_index(op.f('ix_delivery_customer_id'), 'delivery', ['customer_id'])
    op.create_index(op.f('ix_delivery_send_id'), 'delivery', ['send_id'])
    op.create_table(
        'mail_server',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('host', sa.String(length=253), nullable=True),
        sa.Column('port', sa.Integer(), nullable=True),
        sa.Column('use_tls', sa.Boolean(), nullable=True),
        sa.Column('username', sa.String(length=254), nullable=True),
        sa.Column('password', sa.String(length=254), nullable=True),
        sa.Column('sender_name', sa.String(length=120), nullable=True),
        sa.Column('sender_address', sa.String(length=254), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('port IS NULL OR port BETWEEN 1 AND 65535', name=op.f('ck_mail_server_port')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_server')),
    )


def downgrade():
    op.drop_table('mail_server')
    op.drop_table('delivery')
