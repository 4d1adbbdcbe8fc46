"""The one writer of purchases and refunds: the desk (a batch of one), the API (one or a batch) and imports all
store through `store_purchases`, checked row by row and written set-based.

Every kind of row is written with one statement (customers, sales, refunds), guarded by the unique keys:
`INSERT … ON CONFLICT DO NOTHING` on `external_id`, so retries and overlapping files add nothing and several
processes writing the same purchase store it once. It never commits: the caller's edge does.
"""
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select, tuple_, update

from campaigns.accounts.business import business_zone, get_settings
from campaigns.contacts.matching import resolve_customers
from campaigns.core.bulk_sql import among, chunked, insert_ignoring_conflicts
from campaigns.core.errors import DomainError, ValidationError
from campaigns.core.locks import hold_write_lock
from campaigns.core import money
from campaigns.core.money import exponent
from campaigns.extensions import db
from campaigns.jobs import webhooks
from campaigns.models import CustomerLink, Location, Purchase, Redemption, Voucher, utcnow
from campaigns.sales.checking import Contacts, Sale, cents_max, check
from campaigns.sales.refunds import prepare_refunds
from campaigns.sales.rows import Outcome, PurchaseError, PurchaseRow

SOURCES = ("desk", "api", "import", "demo")
DATED_ELSEWHERE = ("api", "import")  # their dates come from another clock: one in the future is refused


def _refs(sales: list[Sale]) -> dict[str, int]:
    """Map each customer reference ("square:ID") that a directory has linked to its customer id."""
    wanted = sorted({s.row.customer_ref for s in sales if s.row.customer_ref and s.contact is None})
    linked = {}
    for part in chunked(wanted):
        pairs = [tuple(ref.split(":", 1)) for ref in part if ":" in ref]
        if pairs:
            rows = db.session.execute(select(CustomerLink.source, CustomerLink.external_id, CustomerLink.customer_id)
                                      .where(tuple_(CustomerLink.source, CustomerLink.external_id).in_(pairs)))
            linked.update({f"{source}:{ext}": cid for source, ext, cid in rows})
    return linked


def _vouchers(sales: list[Sale]) -> dict[str, tuple[int, int | None]]:
    """Map each voucher code to (voucher id, the customer who redeemed it, else its holder)."""
    wanted = sorted({s.code for s in sales if s.code})
    found = {}
    for part in chunked(wanted):
        live = (select(Redemption.voucher_id, Redemption.customer_id)
                .where(Redemption.undone_at.is_(None)).subquery())
        rows = db.session.execute(select(Voucher.code, Voucher.id, func.coalesce(live.c.customer_id, Voucher.customer_id))
                                  .outerjoin(live, live.c.voucher_id == Voucher.id).where(Voucher.code.in_(part)))
        found.update({code: (vid, cid) for code, vid, cid in rows})
    return found


def _locations(sales: list[Sale]) -> dict[str, int]:
    wanted = sorted({s.row.location.strip().casefold() for s in sales if (s.row.location or "").strip()})
    if not wanted:
        return {}
    rows = db.session.execute(select(func.lower(Location.name), Location.id)
                              .where(func.lower(Location.name).in_([w.lower() for w in wanted])))
    return {name.casefold(): lid for name, lid in rows}


def _existing(external_ids) -> dict[str, tuple[int, str]]:
    found = {}
    for clause in among(Purchase.external_id, sorted(set(external_ids))):
        found.update({ext: (pid, digest) for ext, pid, digest in db.session.execute(
            select(Purchase.external_id, Purchase.id, Purchase.content_hash).where(clause))})
    return found


def _conflict(external_id: str, pid: int) -> PurchaseError:
    return PurchaseError("conflict", f"A different purchase with external_id {external_id!r} is already stored.",
                         {"external_id": external_id, "id": pid})


def store_purchases(rows: Sequence[PurchaseRow], *, source: str, import_id: int | None = None,
                    now: datetime | None = None) -> list[Outcome]:
    """Store purchases and refunds set-based; return one Outcome per row, in order. Sales go first, so a refund
    may name a sale of the same batch; the same content again is a duplicate, other content a conflict."""
    if source not in SOURCES:
        raise ValueError(f"unknown purchase source {source!r}")
    hold_write_lock()  # SQLite: what is read below (stored keys, refunded totals) stays true until the commit
    now = now or utcnow()
    outcomes: list[Outcome | None] = [None] * len(rows)
    settings = get_settings()
    contacts, sales = Contacts(settings.default_phone_region), []
    maximum = cents_max(exponent(settings.currency))
    clock = (now, business_zone()) if source in DATED_ELSEWHERE else None
    for index, row in enumerate(rows):
        try:
            sales.append(check(index, row, contacts, maximum, clock))
        except DomainError as error:
            outcomes[index] = Outcome(index, "error", error=error, line=row.line)
    firsts: dict[str, Sale] = {}
    for sale in sales:
        first = firsts.setdefault(sale.external_id, sale)
        if first is not sale and first.digest != sale.digest:
            outcomes[sale.index] = Outcome(sale.index, "error", error=PurchaseError(
                "conflict", f"external_id {sale.external_id!r} appears twice in this batch with other content.",
                {"external_id": sale.external_id}), line=sale.row.line)
    unique = list(firsts.values())
    customers = resolve_customers([s.contact for s in unique])
    links, vouchers, places = _refs(unique), _vouchers(unique), _locations(unique)
    stored = _existing(s.external_id for s in unique)
    for sale in unique:
        if sale.external_id in stored:
            continue
        try:
            sale.values = _values(sale, customers, links, vouchers, places, source, import_id, now)
        except DomainError as error:
            outcomes[sale.index] = Outcome(sale.index, "error", error=error, line=sale.row.line)
    originals = [s for s in unique if s.values and s.row.refund_of is None]
    _write(originals, stored)
    refunds = [s for s in unique if s.values and s.row.refund_of is not None]
    prepare_refunds(refunds, outcomes)
    _write([s for s in refunds if s.values], stored)
    for sale in sales:
        if outcomes[sale.index] is not None:
            continue
        pid, digest = stored.get(sale.external_id, (None, None))
        if pid is None:  # a refunded total with nothing new to refund
            outcomes[sale.index] = Outcome(sale.index, "duplicate", line=sale.row.line)
        elif digest != sale.digest:
            outcomes[sale.index] = Outcome(sale.index, "error", error=_conflict(sale.external_id, pid),
                                           line=sale.row.line)
        else:
            new = sale.new and firsts[sale.external_id] is sale
            outcomes[sale.index] = Outcome(sale.index, "created" if new else "duplicate", pid, line=sale.row.line)
    _fill_sale_refs([s for s in sales if s.row.sale_ref and outcomes[s.index].status == "duplicate"])
    return outcomes


def _fill_sale_refs(duplicates: list[Sale]) -> None:
    """Give sales stored before their till's other id was kept (an earlier import of the same file) that id, so
    that importing a file again makes its sales findable by it; a stored id is never changed."""
    wanted = {sale.external_id: sale.row.sale_ref for sale in duplicates}
    table = Purchase.__table__
    for part in chunked(sorted(wanted)):
        missing = db.session.scalars(select(table.c.external_id)
                                     .where(table.c.external_id.in_(part), table.c.sale_ref.is_(None))).all()
        if missing:
            db.session.execute(update(table).where(table.c.external_id == bindparam("sale"), table.c.sale_ref.is_(None))
                               .values(sale_ref=bindparam("ref")),
                               [{"sale": external_id, "ref": wanted[external_id]} for external_id in missing])


def _values(sale, customers, links, vouchers, places, source, import_id, now) -> dict:
    """The table row of a checked sale: its customer (contact, else link, else the voucher's redeemer)."""
    row = sale.row
    voucher_id = customer_id = location_id = None
    if sale.code:
        if sale.code not in vouchers:
            raise ValidationError({"voucher_code": "No voucher has this code."})
        voucher_id, customer_id = vouchers[sale.code]
    if row.customer_ref and row.customer_ref in links:
        customer_id = links[row.customer_ref]
    if sale.contact is not None:
        customer_id = customers[sale.contact]
    if row.customer_id is not None:
        customer_id = row.customer_id
    if (row.location or "").strip():
        location_id = places.get(row.location.strip().casefold())
        if location_id is None:
            raise ValidationError({"location": f"There is no location called {row.location.strip()!r}."})
    return {"external_id": sale.external_id, "amount_cents": row.amount_cents, "occurred_at": row.occurred_at,
            "customer_id": customer_id, "voucher_id": voucher_id, "refund_of_id": None, "location_id": location_id,
            "content_hash": sale.digest, "recorded_at": now, "source": source, "import_id": import_id,
            "customer_ref": row.customer_ref, "sale_ref": row.sale_ref, "voided_at": None, "voided_by_id": None, "void_reason": None}


def _write(sales: list[Sale], stored: dict) -> None:
    """Insert the sales in one statement; a row already there (a retry racing us) is left as it is."""
    if not sales:
        return
    sales = sorted(sales, key=lambda sale: sale.external_id)  # one order for every writer: no deadlock between two
    table = Purchase.__table__
    params = [s.values for s in sales]
    inserted = insert_ignoring_conflicts(table, params, returning=(table.c.external_id, table.c.id,
                                                                   table.c.content_hash), checked=True)
    mine = {external_id: (pid, digest) for external_id, pid, digest in inserted}
    for sale in sales:
        if sale.external_id in mine:
            stored[sale.external_id] = mine[sale.external_id]  # its own digest: another writer's may differ
            sale.new = True
    late = [s.external_id for s in sales if s.external_id not in mine]
    stored.update(_existing(late))
    _announce([sale for sale in sales if sale.external_id in mine], mine)


def _announce(new: list[Sale], ids: dict) -> None:
    """Write purchase.recorded for each new sale, for the webhooks that asked (none asked: nothing is built)."""
    hooks = webhooks.listening("purchase.recorded") if new else []
    if not hooks:
        return
    currency = get_settings().currency
    webhooks.emit_to(hooks, "purchase.recorded", [{
        "id": ids[sale.external_id][0], "external_id": sale.external_id,
        "amount": money.to_json(sale.values["amount_cents"], currency), "currency": currency,
        "occurred_at": sale.values["occurred_at"].isoformat(), "customer_id": sale.values["customer_id"],
        "voucher_id": sale.values["voucher_id"], "refund_of_id": sale.values["refund_of_id"],
        "source": sale.values["source"]} for sale in new])


def record_sale(row: PurchaseRow, *, source: str, now: datetime | None = None) -> tuple[Purchase, bool]:
    """Store one purchase or refund (a batch of one); return it and whether it is new, or raise its error."""
    outcome = store_purchases([row], source=source, now=now)[0]
    if outcome.status == "error":
        raise outcome.error
    if outcome.purchase_id is None:  # a refunded total with nothing new to refund
        raise ValidationError({"amount": "Nothing is left to refund."})
    return db.session.get(Purchase, outcome.purchase_id), outcome.status == "created"

