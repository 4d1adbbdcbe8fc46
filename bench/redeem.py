"""Benchmark: redemptions per second and latency under gunicorn (2 workers) on PostgreSQL, against a
bare endpoint on the same stack that does one indexed UPDATE. Goal (issue 4): >= 0.6 of its throughput.

"The same stack" is the app itself (gunicorn, Flask, its middleware and token check, the same pool)
with one extra route that only runs the UPDATE; a plain-Flask endpoint is measured too, as the floor.

Usage: scripts/with-postgres.sh .venv/bin/python -m bench.redeem [--seconds 10] [--clients 8]
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

from campaigns import business, tokens
from campaigns import campaign as campaigns
from campaigns.extensions import db
from campaigns.vouchers import issue_batch

from .common import bench_app, fresh_database

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(url: str, vouchers: int) -> dict:
    """Make an active campaign with two sets of fresh codes, a location and a staff token."""
    app = bench_app(url)
    with app.app_context():
        made = campaigns.create_campaign({"name": "Bench", "unit_cost": "1", "offer": "One free latte"})
        campaigns.set_status(made, "active")
        business.create_location("Main St")
        app_codes = issue_batch(made, vouchers, "app")
        bare_codes = issue_batch(made, vouchers * 2, "bare")
        _, secret = tokens.create_token("bench", "staff")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return {"app": app_codes, "bare": bare_codes[: vouchers // 2], "plain": bare_codes[vouchers // 2:],
            "token": secret}


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
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--vouchers", type=int, default=40_000)
    args = parser.parse_args()
    url = fresh_database(postgres=True)
    data = prepare(url, args.vouchers)
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "BASE_URL": "http://127.0.0.1"}
    figures = {}
    for name, target, path, token in (
            ("app", "app:create_app()", "/api/v1/redemptions", data["token"]),
            ("bare", "bench.bare_app:create_app_with_bare()", "/api/v1/bench-bare", data["token"]),
            ("plain", "bench.bare_app:create_bare_app()", "/bare/redemptions", "")):
        port = _free_port()
        server = serve(target, port, env)
        try:
            load(f"http://127.0.0.1:{port}{path}", data[name][:200], token, 1, args.clients)  # warm up
            figures[name] = load(f"http://127.0.0.1:{port}{path}", data[name][200:], token, args.seconds, args.clients)
        finally:
            server.terminate()
            server.wait(timeout=10)
    for name, label in (("app", "POST /api/v1/redemptions"), ("bare", "same stack, one UPDATE"),
                        ("plain", "plain Flask, one UPDATE")):
        f = figures[name]
        print(f"{label:>26}: {f['per_second']:8.1f} /s   p50 {f['p50_ms']:6.2f} ms   p99 {f['p99_ms']:6.2f} ms"
              f"   ({f['requests']} requests in {f['seconds']} s, statuses {f['statuses']})")
    ratio = figures["app"]["per_second"] / figures["bare"]["per_second"]
    floor = figures["app"]["per_second"] / figures["plain"]["per_second"]
    print(f"{'ratio app / same stack':>26}: {ratio:.2f} (goal >= 0.6) {'OK' if ratio >= 0.6 else 'UNDER GOAL'}")
    print(f"{'ratio app / plain Flask':>26}: {floor:.2f} (for scale)")


if __name__ == "__main__":
    main()
