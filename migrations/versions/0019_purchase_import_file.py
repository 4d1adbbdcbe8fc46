"""an import's uploaded file in a table of its own, so that a chunk's update of the import's progress no longer
writes the whole file again (SQLite rewrites a row whole, its large values included)

Revision ID: 0019
Revises: 0018

"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'purchase_import_file',
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['import_id'], ['purchase_import.id'],
                                name=op.f('fk_purchase_import_file_import_id_purchase_import')),
        sa.PrimaryKeyConstraint('import_id', name=op.f('pk_purchase_import_file')),
    )
    op.execute("INSERT INTO purchase_import_file (import_id, content) SELECT id, content FROM purchase_import")
    with op.batch_alter_table('purchase_import') as batch_op:
        batch_op.drop_column('content')


def downgrade():
    with op.batch_alter_table('purchase_import') as batch_op:
        batch_op.add_column(sa.Column('content', sa.LargeBinary(), nullable=True))
    op.execute("UPDATE purchase_import SET content = (SELECT f.content FROM purchase_import_file f "
               "WHERE f.import_id = purchase_import.id)")
    with op.batch_alter_table('purchase_import') as batch_op:
        batch_op.alter_column('content', existing_type=sa.LargeBinary(), nullable=False)
    op.drop_table('purchase_import_file')
