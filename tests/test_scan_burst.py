"""A burst of tills scanning one used voucher at once: every till hears `already_redeemed` (409), never 429,
because only guessing (unknown or mistyped codes) counts against the failed-redemption limit. Two processes
serve the app over HTTP on one PostgreSQL database, as two gunicorn workers would."""
import json
import multiprocessing
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from app import create_app
from campaigns.accounts import tokens
from campaigns.extensions import db
from campaigns.giving import designs as campaigns
from campaigns.giving.vouchers import issue_batch
from tests.conftest import app_config
from tests.designs import design

PROCESSES, SCANS_PER_PROCESS = 2, 40  # each process sees more scans than the failure limit (30 a minute) allows


def _serve(database_url: str, ports) -> None:
    """Serve the app on a free loopback port until terminated; report the port."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, create_app(app_config(database_url)), threaded=True)
    ports.put(server.server_port)
    server.serve_forever()


def _scan(base: str, secret: str, code: str) -> tuple[int, str]:
    request = urllib.request.Request(f"{base}/api/v1/redemptions", data=json.dumps({"code": code}).encode(),
                                     headers={"Authorization": f"Bearer {secret}",
                                              "Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, "redeemed"
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())["error"]["code"]


def test_a_burst_of_scans_of_a_used_voucher_all_hear_already_redeemed(pg_database_url):
    app = create_app(app_config(pg_database_url))
    with app.app_context():
        made = campaigns.create_campaign(design({"name": "Burst", "unit_cost": "1"}))
        campaigns.set_status(made, "active")
        code = issue_batch(made, 1, "flyer")[0]
        _, secret = tokens.create_token("till", "staff")
        db.session.commit()
        db.engine.dispose()
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    servers = [context.Process(target=_serve, args=(pg_database_url, ports), daemon=True) for _ in range(PROCESSES)]
    for server in servers:
        server.start()
    try:
        bases = [f"http://127.0.0.1:{ports.get(timeout=60)}" for _ in servers]
        assert _scan(bases[0], secret, code) == (201, "redeemed")
        with ThreadPoolExecutor(PROCESSES * SCANS_PER_PROCESS) as pool:
            answers = list(pool.map(lambda base: _scan(base, secret, code), bases * SCANS_PER_PROCESS))
        assert answers == [(409, "already_redeemed")] * (PROCESSES * SCANS_PER_PROCESS)
        # Guessing is still limited: unknown codes from the same till reach 429 within the limit's count.
        guesses = [_scan(bases[0], secret, "0000000000000") for _ in range(31)]
        assert (429, "rate_limited") in guesses and guesses[0][1] in ("unknown_code", "invalid_code")
    finally:
        for server in servers:
            server.terminate()
            server.join(timeout=10)
