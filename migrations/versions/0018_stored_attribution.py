"""attribution stored: each attributed purchase with its local date, each redemption's sums, and the customers a
write made stale, marked by triggers on purchase, redemption, campaign and the business's time zone

Revision ID: 0018
Revises: 0016

"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None

# What a purchase's attribution depends on: its customer, amount, moment, void and original; a redemption's: its
# customer, moment, undo, campaign and voucher (ties); a campaign's: its window.
PURCHASE_COLUMNS = ("customer_id", "amount_cents", "occurred_at", "voided_at", "refund_of_id")
REDEMPTION_COLUMNS = ("customer_id", "redeemed_at", "undone_at", "campaign_id", "voucher_id")


def _changed(columns) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


def _row(prefix, columns) -> str:
    return "(" + ", ".join(f"{prefix}.{c}" for c in columns) + ")"


def _sqlite_sale_marks(event: str, row: str) -> str:
    """SQLite: a purchase inserted or deleted marks its customer, and a refund its original's customer too."""
    return f"""CREATE TRIGGER attribution_purchase_{event.lower()} AFTER {event} ON purchase
    WHEN {row}.customer_id IS NOT NULL OR {row}.refund_of_id IS NOT NULL
    BEGIN
      INSERT INTO attribution_stale (customer_id)
      SELECT customer_id FROM (SELECT {row}.customer_id AS customer_id
                               UNION ALL SELECT customer_id FROM purchase WHERE id = {row}.refund_of_id)
      WHERE customer_id IS NOT NULL;
    END"""


def _pg_sale_marks(rows: str) -> str:
    """PostgreSQL: the customers of a statement's inserted or deleted purchases, and of their originals."""
    return f"""INSERT INTO attribution_stale (customer_id)
        SELECT DISTINCT m.customer_id FROM (SELECT r.customer_id FROM {rows} r
                                            UNION ALL SELECT p.customer_id FROM {rows} r
                                            JOIN purchase p ON p.id = r.refund_of_id) m
        WHERE m.customer_id IS NOT NULL;"""


SQLITE = [
    # A sale marks its customer; a refund also marks its original's customer, under whom it is stored.
    _sqlite_sale_marks("INSERT", "NEW"),
    f"""CREATE TRIGGER attribution_purchase_update AFTER UPDATE OF {", ".join(PURCHASE_COLUMNS)} ON purchase
    WHEN {_changed(PURCHASE_COLUMNS)}
    BEGIN
      INSERT INTO attribution_stale (customer_id)
      SELECT customer_id FROM (SELECT OLD.customer_id AS customer_id UNION ALL SELECT NEW.customer_id
                               UNION ALL SELECT customer_id FROM purchase WHERE id IN (OLD.refund_of_id, NEW.refund_of_id))
      WHERE customer_id IS NOT NULL;
    END""",
    _sqlite_sale_marks("DELETE", "OLD"),
    """CREATE TRIGGER attribution_redemption_insert AFTER INSERT ON redemption WHEN NEW.customer_id IS NOT NULL
    BEGIN INSERT INTO attribution_stale (customer_id) VALUES (NEW.customer_id); END""",
    f"""CREATE TRIGGER attribution_redemption_update AFTER UPDATE OF {", ".join(REDEMPTION_COLUMNS)} ON redemption
    WHEN {_changed(REDEMPTION_COLUMNS)}
    BEGIN
      INSERT INTO attribution_stale (customer_id)
      SELECT customer_id FROM (SELECT OLD.customer_id AS customer_id UNION ALL SELECT NEW.customer_id)
      WHERE customer_id IS NOT NULL;
    END""",
    """CREATE TRIGGER attribution_redemption_delete AFTER DELETE ON redemption WHEN OLD.customer_id IS NOT NULL
    BEGIN INSERT INTO attribution_stale (customer_id) VALUES (OLD.customer_id); END""",
    """CREATE TRIGGER attribution_campaign_window AFTER UPDATE OF attribution_window_days ON campaign
    WHEN OLD.attribution_window_days IS NOT NEW.attribution_window_days
    BEGIN
      INSERT INTO attribution_stale (customer_id)
      SELECT DISTINCT customer_id FROM redemption WHERE campaign_id = NEW.id AND customer_id IS NOT NULL;
    END""",
    # The stored local dates follow the business's time zone: a new zone (or the settings made) marks everyone.
    """CREATE TRIGGER attribution_zone_insert AFTER INSERT ON business_settings
    BEGIN INSERT INTO attribution_stale (customer_id) SELECT DISTINCT customer_id FROM attributed_purchase; END""",
    """CREATE TRIGGER attribution_zone_update AFTER UPDATE OF time_zone ON business_settings
    WHEN OLD.time_zone IS NOT NEW.time_zone
    BEGIN INSERT INTO attribution_stale (customer_id) SELECT DISTINCT customer_id FROM attributed_purchase; END""",
]

POSTGRESQL = [
    # Purchases arrive in thousands at once (imports): one statement-level trigger per statement, set-based.
    f"""CREATE FUNCTION attribution_purchase_marks() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' THEN
        INSERT INTO attribution_stale (customer_id)
        SELECT DISTINCT m.customer_id FROM (
          SELECT unnest(ARRAY[o.customer_id, n.customer_id]) AS customer_id,
                 unnest(ARRAY[o.refund_of_id, n.refund_of_id]) AS original
          FROM old_rows o JOIN new_rows n ON n.id = o.id
          WHERE {_row("o", PURCHASE_COLUMNS)} IS DISTINCT FROM {_row("n", PURCHASE_COLUMNS)}) changed
        CROSS JOIN LATERAL (SELECT changed.customer_id
                            UNION ALL SELECT p.customer_id FROM purchase p WHERE p.id = changed.original) m
        WHERE m.customer_id IS NOT NULL;
      ELSIF TG_OP = 'INSERT' THEN
        {_pg_sale_marks("new_rows")}
      ELSE
        {_pg_sale_marks("old_rows")}
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER attribution_purchase_insert AFTER INSERT ON purchase REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attribution_purchase_marks()""",
    """CREATE TRIGGER attribution_purchase_update AFTER UPDATE ON purchase
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION attribution_purchase_marks()""",
    """CREATE TRIGGER attribution_purchase_delete AFTER DELETE ON purchase REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attribution_purchase_marks()""",
    # A redemption is written one at a time (the desk's hot path): a row trigger whose WHEN skips anonymous ones.
    """CREATE FUNCTION attribution_customer_marks() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO attribution_stale (customer_id)
      SELECT DISTINCT c FROM (VALUES (CASE WHEN TG_OP <> 'INSERT' THEN OLD.customer_id END),
                                     (CASE WHEN TG_OP <> 'DELETE' THEN NEW.customer_id END)) v (c)
      WHERE c IS NOT NULL;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER attribution_redemption_insert AFTER INSERT ON redemption FOR EACH ROW
    WHEN (NEW.customer_id IS NOT NULL) EXECUTE FUNCTION attribution_customer_marks()""",
    f"""CREATE TRIGGER attribution_redemption_update AFTER UPDATE OF {", ".join(REDEMPTION_COLUMNS)} ON redemption
    FOR EACH ROW WHEN ({_row("OLD", REDEMPTION_COLUMNS)} IS DISTINCT FROM {_row("NEW", REDEMPTION_COLUMNS)})
    EXECUTE FUNCTION attribution_customer_marks()""",
    """CREATE TRIGGER attribution_redemption_delete AFTER DELETE ON redemption FOR EACH ROW
    WHEN (OLD.customer_id IS NOT NULL) EXECUTE FUNCTION attribution_customer_marks()""",
    """CREATE FUNCTION attribution_window_marks() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO attribution_stale (customer_id)
      SELECT DISTINCT customer_id FROM redemption WHERE campaign_id = NEW.id AND customer_id IS NOT NULL;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER attribution_campaign_window AFTER UPDATE OF attribution_window_days ON campaign FOR EACH ROW
    WHEN (OLD.attribution_window_days IS DISTINCT FROM NEW.attribution_window_days)
    EXECUTE FUNCTION attribution_window_marks()""",
    """CREATE FUNCTION attribution_zone_marks() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO attribution_stale (customer_id) SELECT DISTINCT customer_id FROM attributed_purchase;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER attribution_zone_insert AFTER INSERT ON business_settings FOR EACH ROW
    EXECUTE FUNCTION attribution_zone_marks()""",
    """CREATE TRIGGER attribution_zone_update AFTER UPDATE OF time_zone ON business_settings FOR EACH ROW
    WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone) EXECUTE FUNCTION attribution_zone_marks()""",
]
TRIGGERS = ("attribution_purchase_insert ON purchase", "attribution_purchase_update ON purchase",
            "attribution_purchase_delete ON purchase", "attribution_redemption_insert ON redemption",
            "attribution_redemption_update ON redemption", "attribution_redemption_delete ON redemption",
            "attribution_campaign_window ON campaign", "attribution_zone_insert ON business_settings",
            "attribution_zone_update ON business_settings")


def upgrade():
    op.create_table(
        'attributed_purchase',
        sa.Column('purchase_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('redemption_id', sa.Integer(), nullable=False),
        sa.Column('voucher_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('amount_cents', sa.Integer(), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=False),
        sa.Column('redeemed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('refund_of_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('purchase_id'),
    )
    op.create_index('ix_attributed_purchase_customer', 'attributed_purchase', ['customer_id'])
    op.create_index('ix_attributed_purchase_campaign', 'attributed_purchase',
                    ['campaign_id', 'occurred_on', 'amount_cents'])
    op.create_table(
        'attributed_redemption',
        sa.Column('redemption_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('redeemed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('first_sale', sa.DateTime(timezone=True), nullable=True),
        sa.Column('net', sa.BigInteger(), nullable=False),
        sa.Column('purchases', sa.Integer(), nullable=False),
        sa.Column('refunds', sa.Integer(), nullable=False),
        sa.Column('positive', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('redemption_id'),
    )
    op.create_index('ix_attributed_redemption_customer', 'attributed_redemption', ['customer_id'])
    op.create_index('ix_attributed_redemption_campaign', 'attributed_redemption', ['campaign_id'])
    op.create_table(
        'attribution_stale',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)
    # Every customer who ever redeemed is stale: the first reader or refresh fills the tables.
    op.execute("INSERT INTO attribution_stale (customer_id) "
               "SELECT DISTINCT customer_id FROM redemption WHERE customer_id IS NOT NULL")


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger if postgresql else trigger.split(' ON ')[0]}")
    if postgresql:
        for function in ("attribution_purchase_marks", "attribution_customer_marks", "attribution_window_marks",
                         "attribution_zone_marks"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_table('attribution_stale')
    op.drop_table('attributed_redemption')
    op.drop_table('attributed_purchase')
