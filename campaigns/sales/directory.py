"""A till's customer directory (Square's customer export): each entry found or created as a customer by the one
matcher, the till's id for them linked, and that till's purchases stored before given their customer."""
from collections.abc import Sequence

from sqlalchemy import select, update

from campaigns.accounts.business import get_settings
from campaigns.contacts.matching import resolve_customers
from campaigns.core.bulk_sql import chunked, insert_ignoring_conflicts
from campaigns.core.errors import DomainError, ValidationError
from campaigns.extensions import db
from campaigns.models import CustomerLink, Purchase, utcnow
from campaigns.sales.checking import Contacts
from campaigns.sales.rows import CustomerRow, Outcome


def store_customers(rows: Sequence[CustomerRow], *, source: str) -> list[Outcome]:
    """Store a customer directory: find or create each customer, link the other system's id to them, and give
    that system's purchases stored before (by customer_ref) their customer. Set-based; idempotent."""
    contacts, outcomes, good = Contacts(get_settings().default_phone_region), [None] * len(rows), []
    for index, row in enumerate(rows):
        external_id = (row.external_id or "").strip()
        try:
            if not 1 <= len(external_id) <= 120 or not external_id.isprintable():
                raise ValidationError({"external_id": "Each customer needs the other system's id for them."})
            contact = contacts.read(row.email, row.phone, row.name)
            if contact is None:
                raise ValidationError({"customer": "No e-mail or phone: this customer cannot be matched."})
        except DomainError as error:
            outcomes[index] = Outcome(index, "error", error=error, line=row.line)
            continue
        good.append((index, external_id, contact))
    customers = resolve_customers([contact for _, _, contact in good])
    table = CustomerLink.__table__
    params = {ext: {"source": source, "external_id": ext, "customer_id": customers[contact], "created_at": utcnow()}
              for _, ext, contact in sorted(good, key=lambda entry: entry[1])}
    made = dict(insert_ignoring_conflicts(table, list(params.values()),
                                          returning=(table.c.external_id, table.c.id)))
    for index, ext, contact in good:
        new = ext in made and params[ext]["customer_id"] == customers[contact]
        outcomes[index] = Outcome(index, "created" if new else "duplicate", line=rows[index].line)
        made.pop(ext, None)
    _backfill(source, sorted(params))
    return outcomes


def _backfill(source: str, external_ids: list[str]) -> None:
    """Give purchases that named these customers only by the other system's id their customer now."""
    link = CustomerLink.__table__
    for part in chunked(external_ids):
        refs = [f"{source}:{ext}" for ext in part]
        customer = (select(link.c.customer_id)
                    .where(link.c.source == source, (source + ":" + link.c.external_id) == Purchase.customer_ref)
                    .scalar_subquery())
        db.session.execute(update(Purchase).where(Purchase.customer_id.is_(None), Purchase.customer_ref.in_(refs))
                           .values(customer_id=customer).execution_options(synchronize_session=False))
