"""location names unique in any case

Revision ID: 0003
Revises: 0002

"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    # Case twins made before this rule ("Main St", "main st") keep their rows and history: the later ones
    # are renamed so that the index can hold.
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, name FROM location ORDER BY id")).all()
    seen = set()
    for location_id, name in rows:
        key = name.lower()
        if key in seen:
            name = f"{name} ({location_id})"[:120]
            conn.execute(sa.text("UPDATE location SET name = :name WHERE id = :id"), {"name": name, "id": location_id})
        seen.add(name.lower())
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_location_name'), type_='unique')
    op.create_index('uq_location_name_lower', 'location', [sa.text('lower(name)')], unique=True)


def downgrade():
    op.drop_index('uq_location_name_lower', table_name='location')
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_location_name'), ['name'])
