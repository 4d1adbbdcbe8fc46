"""feedback from free customers: a 0-10 score and two open answers per redeemed voucher, changeable for a day;
a campaign's second question and e-mail delay; the e-mails asking for feedback

Revision ID: 0008
Revises: 0007

"""
from alembic import op
import sqlalchemy as sa



revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feedback_question_2', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('feedback_mail_delay_hours', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('feedback_mail_delay',
                                         'feedback_mail_delay_hours IS NULL OR '
                                         'feedback_mail_delay_hours BETWEEN 0 AND 720')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('score', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('answer_2', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    # No page ever wrote feedback before this revision; a row put in by hand keeps its answer, its 1-5 stars
    # read on the 0-10 scale (1 star 0, 5 stars 10), and no stars as the scale's middle (5).
    op.execute("UPDATE feedback SET score = CASE WHEN rating IS NULL THEN 5 ELSE (rating - 1) * 10 / 4 END, "
               "updated_at = created_at")
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_feedback_rating'), type_='check')
        batch_op.drop_column('rating')
        batch_op.drop_column('would_buy')
        batch_op.alter_column('score', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('updated_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_check_constraint('score', 'score BETWEEN 0 AND 10')
        batch_op.create_check_constraint('version', 'version >= 1')
    op.create_table(
        'feedback_invite',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('voucher_id', sa.Integer(), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False, server_default='1'),
        sa.ForeignKeyConstraint(['voucher_id'], ['voucher.id'], name=op.f('fk_feedback_invite_voucher_id_voucher')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_invite')),
        sa.UniqueConstraint('voucher_id', name=op.f('uq_feedback_invite_voucher_id')),
    )


def downgrade():
    op.drop_table('feedback_invite')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rating', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('would_buy', sa.Boolean(), nullable=True))
    op.execute("UPDATE feedback SET rating = 1 + score * 4 / 10")
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_constraint('score', type_='check')
        batch_op.drop_constraint('version', type_='check')
        batch_op.drop_column('version')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('answer_2')
        batch_op.drop_column('score')
        batch_op.create_check_constraint('rating', 'rating IS NULL OR rating BETWEEN 1 AND 5')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_constraint('feedback_mail_delay', type_='check')
        batch_op.drop_column('feedback_mail_delay_hours')
        batch_op.drop_column('feedback_question_2')
