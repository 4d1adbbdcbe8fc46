"""Benchmark: the memory a 2,000,000-row purchase import leaves in the serving processes (issue 30: no more
than 100 MB above where they started).

Usage: .venv/bin/python -m bench.upload_memory [--rows 2000000] [--workers 2] [--limit-mb 64]

It writes a plain CSV (Receipt, Date, Amount: the shortest rows the importer takes), serves the app with
gunicorn on a fresh SQLite database, logs in through the log-in page, uploads the file through the Import
page, confirms the proposed mapping and posts the page's chunk endpoint until the import is done, as
static/js/imports.js does. It reads each gunicorn worker's resident memory (VmRSS) before, every 0.2 s while
the import runs, and after; the goal holds for each worker (each serves chunks, so each may hold the file).
Two million rows do not fit in the default 16 MB request limit (about 24 bytes a row), so the server is
started with MAX_REQUEST_MB = --limit-mb and the file must fit inside that. Exits 1 when a worker grows by
more than the goal.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from html.parser import HTMLParser

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOAL_MB = 100
EMAIL, PASSWORD = "owner@bench.example", "Bench-upload-memory-9137"


def write_file(path: str, rows: int) -> int:
    """Write a plain CSV of `rows` sales with distinct receipts over a year; return its size in bytes."""
    with open(path, "w", newline="") as out:
        out.write("Receipt,Date,Amount\n")
        for start in range(0, rows, 100_000):
            out.write("".join(f"{n},2026-{n % 12 + 1:02d}-{n % 28 + 1:02d},{n % 4000 / 100:g}\n"
                              for n in range(start + 1, min(rows, start + 100_000) + 1)))
    return os.path.getsize(path)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _flask(env: dict, *args: str) -> None:
    subprocess.run([os.path.join(ROOT, ".venv/bin/flask"), "--app", "app", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def serve(env: dict, port: int, workers: int) -> subprocess.Popen:
    """Start gunicorn as README's "Running in production" does (sync workers); wait until it answers."""
    process = subprocess.Popen([os.path.join(ROOT, ".venv/bin/gunicorn"), "--workers", str(workers),
                                "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "app:create_app()"],
                               cwd=ROOT, env=env)
    for _ in range(200):
        try:
            requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
            return process
        except requests.RequestException:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def workers_of(master: int) -> list[int]:
    """Return the gunicorn master's child processes (its workers)."""
    children = []
    for task in os.listdir(f"/proc/{master}/task"):
        with open(f"/proc/{master}/task/{task}/children") as listed:
            children += [int(pid) for pid in listed.read().split()]
    return sorted(children)


def rss_mb(pid: int) -> float:
    """Return a process's resident memory in MB, from /proc (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            kb = next(line for line in status if line.startswith("VmRSS:")).split()[1]
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return int(kb) / 1024


class Sampler(threading.Thread):
    """Read each worker's RSS every 0.2 s, keeping each one's highest and the highest sum."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.pids, self.peak, self.peak_total = pids, dict.fromkeys(pids, 0.0), 0.0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            now = {pid: rss_mb(pid) for pid in self.pids}
            self.peak = {pid: max(self.peak[pid], now[pid]) for pid in self.pids}
            self.peak_total = max(self.peak_total, sum(now.values()))


class FormReader(HTMLParser):
    """Collect the fields of the page's forms as a browser would submit them (inputs, each select's choice)."""

    def __init__(self):
        super().__init__()
        self.forms, self._select, self._first = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "fields": {}})
        elif not self.forms:
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "file"):
            fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "select":
            self._select, self._first = attrs.get("name"), True
        elif tag == "option" and self._select:
            if self._first or "selected" in attrs:
                fields[self._select] = attrs.get("value", "")
            self._first = False

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def form_fields(html: str, action_part: str) -> dict:
    reader = FormReader()
    reader.feed(html)
    return next(form["fields"] for form in reader.forms if action_part in (form["action"] or ""))


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def run_import(base: str, path: str) -> dict:
    """Log in, upload the file, confirm the mapping and post chunks until done; return the final progress."""
    web = requests.Session()
    page = web.get(f"{base}/login")
    web.post(f"{base}/login", data={"csrf_token": csrf_of(page.text), "email": EMAIL, "password": PASSWORD},
             allow_redirects=False).raise_for_status()
    page = web.get(f"{base}/purchases/imports/")
    with open(path, "rb") as upload:
        page = web.post(f"{base}/purchases/imports/", data={"csrf_token": csrf_of(page.text), "submit": "Upload"},
                        files={"file": ("bench.csv", upload, "text/csv")})
    match = re.search(r"/purchases/imports/(\d+)$", page.url)
    if not match:
        raise SystemExit(f"the upload was not taken ({page.status_code}): {page.text[:2000]}")
    record = f"{base}/purchases/imports/{match.group(1)}"
    fields = form_fields(page.text, "/mapping") | {"start": "Import"}
    page = web.post(f"{record}/mapping", data=fields)
    if page.url != record or page.status_code != 200:
        raise SystemExit(f"the mapping was not confirmed ({page.status_code})")
    chunk_url, token = re.search(r'data-chunk-url="([^"]+)" data-csrf="([^"]+)"', page.text).groups()
    while True:
        answer = web.post(base + chunk_url, headers={"Accept": "application/json", "X-CSRFToken": token})
        answer.raise_for_status()
        progress = answer.json()
        if progress["status"] == "done":
            return progress


def main() -> None:
    """Serve the app, import the file through its pages and print the workers' memory before, at peak and after."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit-mb", type=int, default=64, help="MAX_REQUEST_MB for the server")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="reciprocate-upload-memory-")
    path = os.path.join(folder, "purchases.csv")
    size = write_file(path, args.rows)
    if size > args.limit_mb * 2**20:
        raise SystemExit(f"the file ({size / 2**20:.1f} MB) does not fit in --limit-mb {args.limit_mb}")
    env = {**os.environ, "DATABASE_URL": "sqlite:///" + os.path.join(folder, "bench.db"),
           "QUEUE_URL": "sqlite:///" + os.path.join(folder, "queue.db"), "SECRET_KEY": "bench-" + "x" * 40,
           "MAX_REQUEST_MB": str(args.limit_mb), "RECIPROCATE_ENV": "development"}
    _flask(env, "db", "upgrade")
    _flask(env, "create-user", EMAIL, "--role", "owner", "--password", PASSWORD)
    port = _free_port()
    server = serve(env, port, args.workers)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(4 * args.workers):  # every worker has served the pages once: its memory is settled
            requests.get(f"{base}/login")
        pids = workers_of(server.pid)
        before = {pid: rss_mb(pid) for pid in pids}
        sampler = Sampler(pids)
        sampler.start()
        started = time.perf_counter()
        progress = run_import(base, path)
        seconds = time.perf_counter() - started
        sampler.stopped.set()
        sampler.join()
        after = {pid: rss_mb(pid) for pid in pids}
    finally:
        server.terminate()
        server.wait()
    report(args.rows, size, seconds, progress, before, sampler, after)


def report(rows: int, size: int, seconds: float, progress: dict, before: dict, sampler: Sampler, after: dict):
    """Print the figures per worker and in total; exit 1 when a worker grew by more than the goal."""
    print(f"rows {rows:,}; file {size / 2**20:.1f} MB; import {seconds:.1f} s "
          f"(created {progress['created']:,}, duplicates {progress['duplicates']:,}, failed {progress['failed']:,})")
    for pid in before:
        print(f"worker {pid}: RSS before {before[pid]:.1f} MB, peak {sampler.peak[pid]:.1f} MB, "
              f"after {after[pid]:.1f} MB, growth {after[pid] - before[pid]:+.1f} MB")
    growth = max(after[pid] - before[pid] for pid in before)
    print(f"all workers: before {sum(before.values()):.1f} MB, peak {sampler.peak_total:.1f} MB, "
          f"after {sum(after.values()):.1f} MB, growth {sum(after.values()) - sum(before.values()):+.1f} MB")
    verdict = "PASS" if growth <= GOAL_MB else "FAIL"
    print(f"{verdict}: the largest growth of one worker is {growth:+.1f} MB (goal <= {GOAL_MB} MB)")
    if verdict == "FAIL":
        sys.exit(1)


if __name__ == "__main__":
    main()
