"""Work run in separate processes by the concurrency tests (importable, so `spawn` can start it)."""
import time
from concurrent.futures import ThreadPoolExecutor


def run_in_threads(database_url: str, start_at: float, threads: int, job: str, args_list: list) -> list:
    """Start an app in this process, wait for the common start time, run `job` once per args in threads."""
    from sqlalchemy.exc import OperationalError

    from app import create_app
    from campaigns.extensions import db
    from tests.conftest import app_config

    app = create_app(app_config(database_url))
    jobs = {"claim": _claim, "personal": _personal, "batch": _batch, "redeem": _redeem, "answer": _answer,
            "claim_invites": _claim_invites, "sale": _sale, "merge": _merge, "audience": _audience,
            "void": _void, "demote": _demote, "rescan": _rescan}
    jobs["mixed"] = lambda name, *args: (name, jobs[name](*args))  # several kinds of work at once

    def one(args):
        with app.app_context():
            try:
                result = jobs[job](*args)
                db.session.commit()
                return ("ok", result)
            except Exception as error:  # report the domain code, or the exception's name
                # Commit what the service left for a failure (the audit entry of a refused redemption).
                if hasattr(error, "code") and job in ("redeem", "rescan"):
                    db.session.commit()
                else:
                    db.session.rollback()
                if isinstance(error, OperationalError):  # a database fault: say which, not just its class's code
                    return ("error", f"OperationalError: {str(error.orig)[:300]}")
                return ("error", getattr(error, "code", type(error).__name__))

    time.sleep(max(0.0, start_at - time.time()))
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(one, args_list))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return results


def _claim(slug: str, email: str):
    from campaigns.contacts.contact import make_contact
    from campaigns.giving.vouchers import claim

    voucher, _ = claim(slug, make_contact(email))
    return voucher.code


def _personal(campaign_id: int, email: str):
    from campaigns.contacts.contact import make_contact
    from campaigns.contacts.matching import find_or_create
    from campaigns.extensions import db
    from campaigns.giving.vouchers import issue_personal
    from campaigns.models import Campaign

    customer = find_or_create(make_contact(email))
    return issue_personal(db.session.get(Campaign, campaign_id), customer).code


def _batch(campaign_id: int, count: int):
    from campaigns.extensions import db
    from campaigns.giving.vouchers import issue_batch
    from campaigns.models import Campaign

    return len(issue_batch(db.session.get(Campaign, campaign_id), count))


def _redeem(code: str, user_id: int, location: str):
    from campaigns.desk.redemption import Attempt, redeem

    return redeem(code, Attempt(user_id=user_id, location=location, ip_address="127.0.0.1")).id


def _rescan(code: str, user_id: int, location: str, scan_id: str):
    """Send one offline scan (one scan_id) again and again: the redemption's id, and whether it was a repeat."""
    from campaigns.desk.redemption import Attempt, redeem

    made = redeem(code, Attempt(user_id=user_id, location=location, ip_address="127.0.0.1", scan_id=scan_id))
    return made.id, made.repeated


def _answer(code: str, score: int, version: int | None):
    from campaigns.feedback.answers import Answer, give

    return give(code, Answer(score, f"said {score}"), version).version


def _claim_invites(now_iso: str):
    from datetime import datetime

    from campaigns.feedback.invites import claim_due

    return sorted(invite.voucher_id for invite in claim_due(datetime.fromisoformat(now_iso)))


def _sale(external_id: str, cents: int, refund_of: str | None, refunded_total: int | None = None):
    """Store one purchase or refund through the one writer, as the API and the desk do; say whether it was new."""
    from datetime import UTC, datetime

    from campaigns.sales.ledger import record_sale
    from campaigns.sales.rows import PurchaseRow

    row = PurchaseRow(external_id=external_id, amount_cents=cents, occurred_at=datetime(2026, 5, 2, 12, tzinfo=UTC),
                      refund_of=refund_of, refunded_total_cents=refunded_total)
    return "created" if record_sale(row, source="api")[1] else "duplicate"


def _void(external_id: str):
    """Void a purchase (and its refunds) as the purchases page does."""
    from campaigns.extensions import db
    from campaigns.models import Purchase
    from campaigns.sales.corrections import void_purchase

    purchase = db.session.scalar(db.select(Purchase).where(Purchase.external_id == external_id))
    return void_purchase(purchase, "rung up twice", None).id


def _demote(user_id: int):
    """Make an owner a marketer, as Settings → Users does."""
    from campaigns.accounts.users import update_user
    from campaigns.extensions import db
    from campaigns.models import User

    return update_user(db.session.get(User, user_id), role="marketer", active=True).role


def _merge(keep_id: int, merge_id: int):
    from campaigns.customers.merging import merge_customers

    return merge_customers(keep_id, merge_id, None).id


def _audience(campaign_id: int, emails: list[str], holdout_pct: int):
    from campaigns.contacts.contact import make_contact
    from campaigns.extensions import db
    from campaigns.giving.audiences import send
    from campaigns.models import Campaign

    sent = send(db.session.get(Campaign, campaign_id), [make_contact(email) for email in emails], holdout_pct)
    return [(customer.email, group, voucher.code if voucher else None) for customer, group, voucher in sent.members]
