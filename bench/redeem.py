"""Benchmark: redemptions per second and latency under gunicorn (2 workers) on PostgreSQL, against a
bare endpoint on the same stack that does one indexed UPDATE. Goal (issue 33): >= 0.8 of its throughput
(moonshot 0.9); issue 4's was 0.6.

"The same stack" is the app itself (gunicorn, Flask, its middleware and token check, the same pool)
with one extra route that only runs the UPDATE; a plain-Flask endpoint is measured too, as the floor.

Usage: scripts/with-postgres.sh .venv/bin/python -m bench.redeem [--seconds 5] [--rounds 3] [--clients 8]

The three servers run side by side and the rounds alternate between them; figures are medians of the
rounds and the ratio is the median of each round's ratio, so a noisy moment on a shared machine does not
decide it.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal
from statistics import median

from campaigns.accounts import business, tokens
from campaigns.extensions import db
from campaigns.giving import designs as campaigns
from campaigns.giving.vouchers import issue_batch

from .common import bench_app, fresh_database

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(url: str, vouchers: int) -> dict:
    """Make an active campaign with a set of fresh codes for each target, a location and a staff token."""
    app = bench_app(url)
    with app.app_context():
        made = campaigns.create_campaign(campaigns.CampaignDesign(name="Bench", unit_cost=Decimal(1),
                                                                  offer="One free latte"))
        campaigns.set_status(made, "active")
        business.create_location("Main St")
        made_codes = [code for _ in range(3) for code in issue_batch(made, vouchers, "bench")]
        _, secret = tokens.create_token("bench", "staff")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return {"app": made_codes[:vouchers], "bare": made_codes[vouchers:2 * vouchers],
            "plain": made_codes[2 * vouchers:], "token": secret}


def serve(target: str, port: int, env: dict) -> subprocess.Popen:
    """Start gunicorn with 2 workers serving `target`; wait until it answers."""
    process = subprocess.Popen(
        [os.path.join(ROOT, ".venv/bin/gunicorn"), "--workers", "2", "--worker-class", "gthread", "--threads", "4",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", target],
        cwd=ROOT, env=env)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
            return process
        except OSError as error:
            if getattr(error, "code", None) == 404:  # the bare app has no health route: it is up
                return process
            time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"{target} did not start")


def load(url: str, codes: list[str], token: str, seconds: float, clients: int) -> dict:
    """Run the load generator in a second process and return its figures."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as out:
        out.write("\n".join(codes))
    result = subprocess.run([sys.executable, "-m", "bench.load", "--url", url, "--codes", out.name, "--token", token,
                             "--seconds", str(seconds), "--clients", str(clients)],
                            cwd=ROOT, capture_output=True, text=True, check=True)
    os.unlink(out.name)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    """Measure the app's redemption endpoint, then the bare one, and print both and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5, help="each target's run in each round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--vouchers", type=int, default=40_000)
    args = parser.parse_args()
    url = fresh_database(postgres=True)
    data = prepare(url, args.vouchers)
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "BASE_URL": "http://127.0.0.1"}
    targets = {"app": ("app:create_app()", "/api/v1/redemptions", data["token"]),
               "bare": ("bench.bare_app:create_app_with_bare()", "/api/v1/bench-bare", data["token"]),
               "plain": ("bench.bare_app:create_bare_app()", "/bare/redemptions", "")}
    servers, urls, runs_made = [], {}, dict.fromkeys(targets, 0)
    chunk = args.vouchers // (args.rounds + 1)  # each run gets codes of its own: the warm-up, then each round
    try:
        for name, (target, path, _) in targets.items():
            port = _free_port()
            servers.append(serve(target, port, env))
            urls[name] = f"http://127.0.0.1:{port}{path}"

        def run(name: str, seconds: float) -> dict:
            """One bounded run against a target, on codes no other run uses."""
            first = runs_made[name] * chunk
            runs_made[name] += 1
            return load(urls[name], data[name][first:first + chunk], targets[name][2], seconds, args.clients)

        for name in targets:
            run(name, 1)  # warm up each server's workers and pools
        # Rounds alternate the targets, so a busy moment on the machine falls on all of them alike.
        rounds = [{name: run(name, args.seconds) for name in targets} for _ in range(args.rounds)]
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    for name, label in (("app", "POST /api/v1/redemptions"), ("bare", "same stack, one UPDATE"),
                        ("plain", "plain Flask, one UPDATE")):
        runs = [r[name] for r in rounds]
        middle = lambda key: median(run_[key] for run_ in runs)  # noqa: E731
        print(f"{label:>26}: {middle('per_second'):8.1f} /s   p50 {middle('p50_ms'):6.2f} ms   "
              f"p99 {middle('p99_ms'):6.2f} ms   (medians of {len(runs)} rounds of {args.seconds:g} s; "
              f"{sum(r['requests'] for r in runs)} requests, statuses {_statuses(runs)})")
    ratios = [r["app"]["per_second"] / r["bare"]["per_second"] for r in rounds]
    floors = [r["app"]["per_second"] / r["plain"]["per_second"] for r in rounds]
    ratio = median(ratios)
    verdict = "MOONSHOT" if ratio >= 0.9 else "OK" if ratio >= 0.8 else "UNDER GOAL"
    print(f"{'ratio app / same stack':>26}: {ratio:.2f} (goal >= 0.8, moonshot 0.9) {verdict}"
          f"   rounds: {', '.join(f'{x:.2f}' for x in ratios)}")
    print(f"{'ratio app / plain Flask':>26}: {median(floors):.2f} (for scale)"
          f"   rounds: {', '.join(f'{x:.2f}' for x in floors)}")


def _statuses(runs: list[dict]) -> dict:
    total: dict[str, int] = {}
    for run in runs:
        for status, count in run["statuses"].items():
            total[status] = total.get(status, 0) + count
    return total


if __name__ == "__main__":
    main()
