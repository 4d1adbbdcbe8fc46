"""Several Reciprocate nodes on this machine, as several machines would run them (README, "Running in
production"): each node is gunicorn with 2 workers on a port of its own plus a job queue consumer, and all share
one PostgreSQL database and one Redis (the rate limits on one Redis database, the queue on another). They run in
production mode behind a pretend TLS proxy (TRUSTED_PROXIES=1): send `X-Forwarded-Proto: https`.

    make nodes                                   # PostgreSQL and Redis of its own, two nodes on 8001 and 8002
    scripts/nodes.py --database-url … --redis-url redis://host:6379 --nodes 3 --first-port 8001

`start_nodes` is what tests/test_two_nodes.py and bench/load_nodes.py start the same nodes with."""
import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
PROXY = {"X-Forwarded-Proto": "https"}


def node_env(database_url: str, redis_url: str, port: int, **extra: str) -> dict:
    """The environment of one node: production settings over the caller's environment."""
    return {**os.environ, "RECIPROCATE_ENV": "production", "DATABASE_URL": database_url,
            "SECRET_KEY": extra.pop("SECRET_KEY", None) or os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48),
            "BASE_URL": extra.pop("BASE_URL", None) or "https://vouchers.example.com",
            "RATELIMIT_STORAGE_URI": f"{redis_url}/5", "QUEUE_URL": f"{redis_url}/6", "TRUSTED_PROXIES": "1",
            "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", "QUEUE_POLL_SECONDS": "0.2", **extra}


def start_nodes(database_url: str, redis_url: str, ports: list[int], log_dir: Path, consumers: bool = True,
                **extra: str) -> list[subprocess.Popen]:
    """Start a node (gunicorn, 2 workers, and a consumer) on each port; return the processes once every node is
    ready (GET /api/v1/ready answers 200). All nodes share one SECRET_KEY, as a real deployment's do."""
    extra.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
    processes = []
    for number, port in enumerate(ports, 1):
        env = node_env(database_url, redis_url, port, **extra)
        with (log_dir / f"node{number}-web.log").open("w") as log:
            processes.append(subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "app:create_app()"],
                                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        if consumers:
            with (log_dir / f"node{number}-queue.log").open("w") as log:
                processes.append(subprocess.Popen([str(BIN / "flask"), "--app", "app", "run-queue"], cwd=ROOT,
                                                  env=env, stdout=log, stderr=subprocess.STDOUT))
    try:
        for port in ports:
            wait_ready(f"http://127.0.0.1:{port}", processes)
    except BaseException:
        stop(processes)
        raise
    return processes


def wait_ready(base: str, processes: list[subprocess.Popen], seconds: float = 60) -> None:
    """Wait until a node answers its readiness check."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(base + "/api/v1/ready", headers=PROXY), timeout=2):
                return
        except (urllib.error.URLError, OSError):
            pass
        dead = [p.args for p in processes if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            raise RuntimeError(f"{base} did not become ready (stopped: {dead})")
        time.sleep(0.2)


def stop(processes: list[subprocess.Popen]) -> None:
    """Stop every process as Ctrl+C would (SIGTERM for gunicorn's graceful stop), then for good."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _own_redis(folder: Path) -> tuple[str, subprocess.Popen]:
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    with __import__("socket").socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir",
                                str(folder)], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    return f"redis://127.0.0.1:{port}", process


def main() -> int:
    """Start the nodes and wait for Ctrl+C."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--redis-url", help="redis://host:port (default: a redis-server of its own)")
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--first-port", type=int, default=8001)
    parser.add_argument("--demo", action="store_true", help="seed the demo café when the database is empty")
    args = parser.parse_args()
    if not (args.database_url or "").startswith("postgresql"):
        parser.error("several nodes need PostgreSQL: --database-url postgresql+psycopg://… (make nodes starts one)")
    folder = Path(tempfile.mkdtemp(prefix="reciprocate-nodes."))
    own = None
    redis_url = args.redis_url
    if not redis_url:
        redis_url, own = _own_redis(folder)
    env = {**os.environ, "DATABASE_URL": args.database_url}
    subprocess.run([str(BIN / "flask"), "--app", "app", "db", "upgrade"], cwd=ROOT, env=env, check=True)
    if args.demo:
        subprocess.run([str(BIN / "flask"), "--app", "app", "seed-demo", "--if-empty"], cwd=ROOT, env=env, check=True)
    ports = [args.first_port + n for n in range(args.nodes)]
    processes = start_nodes(args.database_url, redis_url, ports, folder)
    print(f"{args.nodes} nodes ready, sharing {args.database_url.split('@')[-1]} and {redis_url}:")
    for port in ports:
        print(f"  http://127.0.0.1:{port}  (send X-Forwarded-Proto: https, as the TLS proxy would)")
    print(f"Logs in {folder}. Ctrl+C stops them all.")
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    stop(processes + ([own] if own else []))
    return 0


if __name__ == "__main__":
    sys.exit(main())
