"""A bounded load of redemptions from one process: N keep-alive clients, each redeeming distinct codes.

Each request sends a code and the desk's location ({"code", "location"}), as the front desk does.
Prints one JSON line: requests, successes, failures, seconds, per-second rate, p50 and p99 latency (ms).
"""
import argparse
import http.client
import json
import threading
import time
from urllib.parse import urlsplit


def main() -> None:
    """Drive POST requests for a bounded time and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--codes", required=True, help="file with one code a line")
    parser.add_argument("--token", default="")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--location", default="Main St", help="sent with each code, as a desk does")
    args = parser.parse_args()
    codes = open(args.codes).read().split()
    target = urlsplit(args.url)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.perf_counter() + args.seconds
    headers = {"Content-Type": "application/json"}
    if args.token:
        headers["Authorization"] = f"Bearer {args.token}"

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        index = offset
        while time.perf_counter() < deadline and index < len(codes):
            body = json.dumps({"code": codes[index], "location": args.location})
            started = time.perf_counter()
            conn.request("POST", target.path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1
            index += args.clients
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    print(json.dumps({"requests": len(latencies), "statuses": statuses, "seconds": round(seconds, 2),
                      "per_second": round(len(latencies) / seconds, 1), "p50_ms": round(pick(0.5), 2),
                      "p99_ms": round(pick(0.99), 2)}))


if __name__ == "__main__":
    main()
