"""What an import's sales can count towards, said plainly after the import (its result page, the command): how
many are linked to no customer and what would link them, and how many come before any voucher was redeemed.

Counted over the sales the import stored (not its refunds, nor those voided since), when asked rather than kept
on the import: a customer directory imported later links sales, and the result page read again says so.

"Can never count" is read as: the sale is at or before the earliest live redemption of any campaign. A sale counts
towards a campaign only when its customer redeemed a voucher before it (METRICS.md, attributed purchase), so such
a sale can never count, whoever its customer turns out to be and whatever is imported later; a sale after it may
still count once its customer is known. The check is that necessary condition only (one aggregate over the
import's sales against one earliest redemption), so it never calls a sale lost that could still count.
"""
import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, exists, func, select, true

from campaigns.accounts.business import business_zone
from campaigns.extensions import db
from campaigns.models import CustomerLink, Purchase, PurchaseImport, Redemption

SQUARE_SALES = {"square_transactions", "square_items"}
LINKING_COLUMNS = ("email", "phone", "voucher_code")  # what links a Shopify or plain file's sale to a customer
DIRECTORY_STEPS = "in Square: Customers › Export customers"


@dataclass(frozen=True)
class SalesReach:
    """An import's stored sales: how many, how many linked to no customer (and of those, how many name a customer
    of the till's that no directory has linked yet), and how many come at or before the first live redemption."""

    sales: int
    unlinked: int
    awaiting_directory: int
    before_redemptions: int
    first_redemption: datetime | None


@dataclass(frozen=True)
class Findings:
    """What to tell the owner after an import: its figures, the warnings in plain words, and whether to offer
    the upload of Square's customer directory."""

    reach: SalesReach | None = None  # None while the import runs
    warnings: list[str] = field(default_factory=list)
    offer_directory: bool = False


def sales_reach(import_id: int) -> SalesReach:
    """Count an import's stored sales, the unlinked ones and those before the first live redemption (set-based)."""
    first = db.session.scalar(select(func.min(Redemption.redeemed_at)).where(Redemption.undone_at.is_(None)))
    unlinked = Purchase.customer_id.is_(None)
    before = true() if first is None else Purchase.occurred_at <= first
    counts = db.session.execute(
        select(func.count(), _how_many(unlinked), _how_many(unlinked & Purchase.customer_ref.is_not(None)),
               _how_many(before))
        .where(Purchase.import_id == import_id, Purchase.refund_of_id.is_(None), Purchase.voided_at.is_(None))).one()
    return SalesReach(*counts, first_redemption=first)


def _how_many(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def findings(record: PurchaseImport) -> Findings:
    """Say what an import's sales can count towards: nothing to say while it runs or when it stored no sale."""
    if record.status != "done":
        return Findings()
    reach = sales_reach(record.id)
    if reach.sales == 0:
        return Findings(reach)
    warnings = [_timing(reach)] if reach.before_redemptions else []
    offer = False
    if reach.unlinked:
        advice, offer = _linking(record, reach)
        warnings.append(f"{_unlinked(reach)} {advice}")
    return Findings(reach, warnings, offer)


def _timing(reach: SalesReach) -> str:
    """The warning about sales that come before every redemption."""
    n, before = reach.sales, reach.before_redemptions
    if reach.first_redemption is None:
        subject = "this sale" if n == 1 else f"none of these {n:,} sales"
        verb = "cannot" if n == 1 else "can"
        return (f"No voucher has been redeemed yet, so {subject} {verb} count towards a campaign: a sale counts "
                "only when its customer redeemed a voucher before it.")
    day = reach.first_redemption.astimezone(business_zone()).date().isoformat()
    if n == 1:
        return (f"This sale comes before any voucher was redeemed (the first was on {day}), so it cannot count "
                "towards a campaign.")
    if before == n:
        return (f"None of these {n:,} sales comes after a voucher was redeemed (the first was on {day}), so none "
                "can count towards a campaign.")
    some = "comes" if before == 1 else "come"
    they = "it" if before == 1 else "they"
    return (f"{before:,} of these {n:,} sales {some} before the first voucher was redeemed ({day}), so {they} can "
            "never count towards a campaign.")


def _unlinked(reach: SalesReach) -> str:
    """The sentence saying how many sales are linked to no customer (and, unless the timing already ruled every
    sale out, that they cannot count)."""
    n, unlinked = reach.sales, reach.unlinked
    lost = reach.before_redemptions == n  # said already: none can count, linked or not
    if n == 1:
        return "This sale is linked to no customer" + ("." if lost else ", so it cannot count towards a campaign.")
    if unlinked == n:
        return f"None of these {n:,} sales is linked to a customer" + (
            "." if lost else ", so none can count towards a campaign.")
    they, verb = ("it", "is") if unlinked == 1 else ("they", "are")
    return f"{unlinked:,} of these {n:,} sales {verb} linked to no customer" + (
        "." if lost else f", so {they} cannot count towards a campaign.")


def _linking(record: PurchaseImport, reach: SalesReach) -> tuple[str, bool]:
    """Say what would link the unlinked sales, and whether Square's customer directory is what would."""
    columns = json.loads(record.columns or "{}")
    if record.source not in SQUARE_SALES:
        if not any(columns.get(name) for name in LINKING_COLUMNS):
            return ("No e-mail, phone or voucher code column was mapped for this file, so nothing in it names a "
                    "customer. Map the customer's e-mail or phone column, or a voucher code column, when you "
                    "import your next file, and its sales find their customers."), False
        rows = "its row" if reach.unlinked == 1 else "their rows"
        return (f"Nothing in {rows} names a customer: a sale finds its customer by an e-mail or phone, or by the "
                "code of a voucher the customer redeemed."), False
    if not columns.get("customer_id"):
        return ("No Customer ID column was mapped for this file (Square's older exports have none), so nothing "
                "in it names a customer."), False
    return _square_linking(reach)


def _square_linking(reach: SalesReach) -> tuple[str, bool]:
    """Say what would link a Square file's unlinked sales: its customer directory, for those naming a customer."""
    waiting, rest = reach.awaiting_directory, reach.unlinked - reach.awaiting_directory
    if not waiting:
        them = "it" if reach.unlinked == 1 else "them"
        return f"Square recorded {them} without a customer, so nothing can link {them}.", False
    them = "it" if waiting == 1 else "them"
    if waiting == reach.unlinked:
        advice = "Square names their customers only by its own customer ID" if waiting > 1 else \
            "Square names its customer only by Square's own customer ID"
    else:
        advice = f"{waiting:,} of them name{'s' if waiting == 1 else ''} a customer only by Square's own customer ID"
    if db.session.scalar(select(exists().where(CustomerLink.source == "square"))):
        advice += (f": the customer directory imported before does not link {them} (a customer without e-mail or "
                   "phone there cannot be matched, and a newer customer is not in it). Import a fresh one "
                   f"({DIRECTORY_STEPS}) to link {them}.")
    else:
        advice += f": import Square's customer directory ({DIRECTORY_STEPS}) to link {them}."
    if rest:
        advice += (" The other one was recorded without a customer, so nothing can link it." if rest == 1 else
                   f" The other {rest:,} were recorded without a customer, so nothing can link them.")
    return advice, True
