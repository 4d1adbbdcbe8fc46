"""API: reading purchases and redemptions back, in id order after the last one a tool has (API.md, sync)."""
from flask import jsonify, request

from campaigns.core import feeds, inputs
from campaigns.core.errors import FieldErrors
from campaigns.desk.redemption_feed import redemptions_after
from campaigns.sales.listing import purchases_after
from campaigns.web import schemas
from campaigns.web.api import operation
from campaigns.web.serialisers import sale_json, synced_redemption_json

DEFAULT_LIMIT = 100
ERROR = {"schema": {"$ref": "#/components/schemas/Error"}}
PARAMETERS = [{"name": "after", "in": "query", "schema": schemas.whole(0, inputs.ID_MAX, default=0),
               "description": "The last id the tool has (0 or left out: from the first)"},
              {"name": "limit", "in": "query", "schema": schemas.whole(1, feeds.LIMIT_MAX, default=DEFAULT_LIMIT)}]
NOTE = (" A row from a transaction still open may take a moment to appear; it never appears behind next_after: "
        "the rows after a gap in the ids wait up to 10 s for it.")


def _feed(name: str) -> dict:
    return {"200": {"description": f"The {name} after `after`, in id order, and where to start next time",
                    "schema": {"type": "object", "properties": {
                        name: {"type": "array", "items": {"type": "object"}}, "next_after": {"type": "integer"}}}},
            "422": {"description": "after or limit out of range", **ERROR}}


def _window() -> tuple[int, int]:
    """The query's `after` and `limit`, checked (each wrong one named)."""
    wrong = FieldErrors()
    after = wrong.check(inputs.whole, request.args.get("after", "0"), "after", 0, inputs.ID_MAX)
    limit = wrong.check(inputs.whole, request.args.get("limit", str(DEFAULT_LIMIT)), "limit", 1, feeds.LIMIT_MAX)
    wrong.raise_any()
    return after, limit


@operation("/purchases", "GET", "marketer", "Purchases (refunds and voided ones included) in id order after `after`, "
           "with next_after, for syncing other tools." + NOTE, _feed("purchases"), parameters=PARAMETERS)
def list_purchases_after():
    """Hand out the purchases after the last one a tool has."""
    after, limit = _window()
    rows = purchases_after(after, limit)
    return jsonify({"purchases": [sale_json(row) for row in rows], "next_after": feeds.next_after(rows, after)})


@operation("/redemptions", "GET", "marketer", "Redemptions (undone ones included, with undone_at) in id order after "
           "`after`, with next_after, for syncing other tools." + NOTE, _feed("redemptions"), parameters=PARAMETERS)
def list_redemptions_after():
    """Hand out the redemptions after the last one a tool has."""
    after, limit = _window()
    rows = redemptions_after(after, limit)
    return jsonify({"redemptions": [synced_redemption_json(row) for row in rows],
                    "next_after": feeds.next_after(rows, after)})
