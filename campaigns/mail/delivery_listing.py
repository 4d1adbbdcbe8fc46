"""The Deliveries page's reading of the delivery rows: filtered by status and kind, failures first, a page at a
time, with the count of each status."""
from dataclasses import dataclass

from sqlalchemy import case, func, select

from campaigns.extensions import db
from campaigns.models import DELIVERY_KINDS, DELIVERY_STATUSES, Delivery

PER_PAGE = 50
# Failures first (what the owner must act on), then what is still on its way, then what went out.
_ORDER = case({"failed": 0, "given_up": 1, "sending": 2, "queued": 3}, value=Delivery.status, else_=4)


@dataclass(frozen=True)
class DeliveryPage:
    """One page of deliveries and what the filters and pager need."""

    rows: list[Delivery]
    page: int
    pages: int
    total: int
    counts: dict[str, int]


def list_deliveries(status: str | None = None, kind: str | None = None, page: int = 1,
                    per_page: int = PER_PAGE) -> DeliveryPage:
    """Return one page of deliveries (an unknown status or kind filters nothing), failures first, newest first."""
    status = status if status in DELIVERY_STATUSES else None
    kind = kind if kind in DELIVERY_KINDS else None
    query = select(Delivery)
    if status:
        query = query.where(Delivery.status == status)
    if kind:
        query = query.where(Delivery.kind == kind)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = list(db.session.scalars(query.order_by(_ORDER, Delivery.created_at.desc(), Delivery.id.desc())
                                   .offset((page - 1) * per_page).limit(per_page)))
    counted = select(Delivery.status, func.count()).group_by(Delivery.status)
    if kind:
        counted = counted.where(Delivery.kind == kind)
    counts = dict.fromkeys(DELIVERY_STATUSES, 0) | dict(db.session.execute(counted).all())
    return DeliveryPage(rows, page, pages, total, counts)
