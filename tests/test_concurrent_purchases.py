"""400 purchases posted at once, each at least twice from two app processes (singles and batches, in other
orders), on one PostgreSQL database: every post answers 200 or 201 and each purchase is stored exactly once."""
import json
import multiprocessing
import random
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from app import create_app
from campaigns.accounts import business, tokens
from campaigns.extensions import db
from campaigns.web.api_purchases import BATCH_MAX
from tests.conftest import app_config
from tests.test_concurrent_issuing import _scalar

PURCHASES, BATCH, THREADS = 400, 40, 16
BY_EMAIL, BY_PHONE, ANONYMOUS = 40, 5, 5  # people named by e-mail (sometimes with their phone), by phone, by nothing
PEOPLE = BY_EMAIL + BY_PHONE


def _purchases() -> list[dict]:
    """The purchases, a few customers each buying many times."""
    made = []
    for i in range(PURCHASES):
        person = i % (PEOPLE + ANONYMOUS)
        body = {"external_id": f"till-{i:04}", "amount": f"{1 + i % 97}.{i % 100:02}",
                "occurred_at": f"2026-05-{1 + i % 28:02}T{i % 24:02}:{i % 60:02}:00+02:00"}
        email, phone = f"person{person}@example.com", f"+1415555{person:04}"
        if person < BY_EMAIL:  # the e-mail first, the phone filled in by a later purchase
            body["customer"] = {"email": email} if i // (PEOPLE + ANONYMOUS) % 2 else {"email": email, "phone": phone}
        elif person < PEOPLE:
            body["customer"] = {"phone": phone}
        made.append(body)
    return made


def _serve(database_url: str, ports) -> None:
    """Serve the app on a free loopback port until terminated (quietly); report the port."""
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, create_app(app_config(database_url)), threaded=True)
    ports.put(server.server_port)
    server.serve_forever()


def _post(base: str, secret: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(f"{base}/api/v1/purchases", data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _plan(purchases: list[dict], bases: list[str], rng: random.Random) -> list[tuple[str, dict]]:
    """Each purchase posted by both processes (one alone, the other in a shuffled batch), and a fifth a third time,
    alone or in batches overlapping the others in another order."""
    posts = []
    for half, (alone, batched) in enumerate(((bases[0], bases[1]), (bases[1], bases[0]))):
        mine = purchases[half::2]
        posts += [(alone, body) for body in mine]
        shuffled = rng.sample(mine, len(mine))
        posts += [(batched, {"purchases": shuffled[i:i + BATCH]}) for i in range(0, len(shuffled), BATCH)]
    again = rng.sample(purchases, PURCHASES // 5)
    posts += [(rng.choice(bases), body) for body in again[::2]]
    posts += [(rng.choice(bases), {"purchases": again[1::2][i:i + BATCH // 2]}) for i in range(0, len(again) // 2, BATCH // 2)]
    rng.shuffle(posts)
    return posts


@contextmanager
def _two_servers(database_url: str):
    """A staff token and two app processes serving one database; yields their base URLs and the token."""
    app = create_app(app_config(database_url))
    with app.app_context():
        _, secret = tokens.create_token("till", "staff")
        business.get_settings()  # made at set-up, as in a real installation (not raced by the first requests)
        db.session.commit()
        db.engine.dispose()
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    servers = [context.Process(target=_serve, args=(database_url, ports), daemon=True) for _ in range(2)]
    for server in servers:
        server.start()
    try:
        yield [f"http://127.0.0.1:{ports.get(timeout=60)}" for _ in servers], secret
    finally:
        for server in servers:
            server.terminate()
            server.join(timeout=10)


def _send_all(posts: list[tuple[str, dict]], secret: str) -> list[tuple[dict, int, dict]]:
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda post: (post[1], *_post(post[0], secret, post[1])), posts))


def _each_stored_once(database_url: str, purchases: list[dict], answers, times: int, people: int = PEOPLE) -> None:
    """Every post answered 200/201, each purchase was created by exactly one of its posts, and is one row."""
    assert Counter(status for _, status, _ in answers).keys() <= {200, 201}, \
        [answer for _, status, answer in answers if status not in (200, 201)][:3]
    created, seen, ids = Counter(), Counter(), {}
    for body, status, answer in answers:
        if "purchases" in body:
            for result in answer["results"]:
                external_id = body["purchases"][result["index"]]["external_id"]
                assert result["status"] in ("created", "duplicate"), result
                created[external_id] += result["status"] == "created"
                seen[external_id] += 1
                assert ids.setdefault(external_id, result["id"]) == result["id"]
        else:
            created[body["external_id"]] += status == 201
            seen[body["external_id"]] += 1
            assert ids.setdefault(body["external_id"], answer["id"]) == answer["id"]
    assert len(seen) == len(purchases) and min(seen.values()) >= times
    assert set(created.values()) == {1}  # exactly one post of each purchase stored it
    count = lambda sql: _scalar(database_url, sql)  # noqa: E731
    assert count("SELECT count(*) FROM purchase") == len(purchases)
    assert count("SELECT count(DISTINCT external_id) FROM purchase") == len(purchases)
    assert count("SELECT sum(amount_cents) FROM purchase") == sum(int(p["amount"].replace(".", "")) for p in purchases)
    assert count("SELECT count(*) FROM customer") == people  # each person created once, by whichever post came first
    assert count("SELECT count(*) FROM customer WHERE phone IS NOT NULL") == people
    assert count("SELECT count(*) FROM purchase WHERE customer_id IS NOT NULL") == \
        sum(1 for p in purchases if "customer" in p)


def test_hundreds_of_purchases_posted_twice_at_once_are_each_stored_once(pg_database_url):
    purchases = _purchases()
    with _two_servers(pg_database_url) as (bases, secret):
        answers = _send_all(_plan(purchases, bases, random.Random(17)), secret)
    _each_stored_once(pg_database_url, purchases, answers, 2)


def test_the_same_batches_in_opposite_orders_at_once_are_stored_once(pg_database_url):
    """Two tills retrying one batch at the same moment, one sending it in the other order (no deadlock). Without
    customers: creating them would hold the second batch back until the first commits."""
    purchases = [{k: v for k, v in body.items() if k != "customer"} for body in _purchases()]
    chunks = [purchases[i:i + BATCH_MAX // 2] for i in range(0, PURCHASES, BATCH_MAX // 2)]
    with _two_servers(pg_database_url) as (bases, secret):
        answers = []
        for chunk in chunks:  # both processes at the same moment, one in each order
            answers += _send_all([(bases[0], {"purchases": chunk}), (bases[1], {"purchases": chunk[::-1]})], secret)
    _each_stored_once(pg_database_url, purchases, answers, 2, people=0)
