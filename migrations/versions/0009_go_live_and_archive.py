"""a campaign's go-live moment (its fixed cost is spent that day) and its archiving out of the default lists

Revision ID: 0009
Revises: 0008

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('went_live_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
    # Before this revision no moment of going live was kept. A campaign that redeemed went live by its first
    # redemption at the latest; one that is active or paused now went live, at the latest when it was last changed.
    # An ended campaign that never redeemed is taken as never having gone live (it costs nothing).
    op.execute("""
        UPDATE campaign SET went_live_at = COALESCE(
            (SELECT MIN(redemption.redeemed_at) FROM redemption WHERE redemption.campaign_id = campaign.id),
            CASE WHEN campaign.status IN ('active', 'paused') THEN campaign.updated_at END)
        WHERE campaign.status <> 'draft'
    """)


def downgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
        batch_op.drop_column('went_live_at')
