"""Driver of scripts/bench-worker: fills the queues, runs the Beacon worker and the peer's worker in turn, times
each from the first line written to the N-th, and prints the runs and the medians as a Markdown table."""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid

import pika

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "proof"))
from proofkit import box_jiffies, cpu_seconds, wait_quiet  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


class LineWatcher:
    """Counts the lines appended to a rotating log file, following the file across renames (by inode)."""

    def __init__(self, path: str):
        self.path = path
        self.handle = None
        self.inode = None
        self.lines = 0

    def poll(self) -> int:
        if self.handle is None:
            try:
                self.handle = open(self.path, "rb")
                self.inode = os.fstat(self.handle.fileno()).st_ino
            except FileNotFoundError:
                return self.lines
        while True:
            chunk = self.handle.read(1 << 20)
            if not chunk:
                break
            self.lines += chunk.count(b"\n")
        try:
            if os.stat(self.path).st_ino != self.inode:  # rotated: the old inode is finished, read the new file
                self.lines += self.handle.read().count(b"\n")
                self.handle.close()
                self.handle = None
                return self.poll()
        except FileNotFoundError:
            pass
        return self.lines


def beacon_bodies(n: int, size: int = 312) -> list[bytes]:
    request_id = uuid.uuid4().hex
    def body(i: int, message: str) -> bytes:
        event = {
            "schema": 1, "id": str(uuid.UUID(int=(0x0193F2C17A4E7000 << 64) | (0x8000000000000000 | i))),
            "time": "2026-11-21T04:47:32.997Z", "service": "web", "kind": "request",
            "level": "info", "logger": "web.request", "message": message,
            "request": {"id": request_id, "method": "GET", "path": "/hello", "status": 200, "duration_ms": 0.099},
        }
        return json.dumps(event, separators=(",", ":")).encode()
    base = "GET /hello 200 0.099ms"
    message = base + " " * max(0, size - len(body(0, base)))
    return [body(i, message) for i in range(n)]


def peer_bodies(peer: str, n: int) -> list[bytes]:
    sys.path.insert(0, peer)
    import bench_publish  # the peer's own event bodies (312 bytes)
    return bench_publish.make_bodies(n, 312)


def fill(url: str, queue: str, bodies: list[bytes]) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    properties = pika.BasicProperties(content_type="application/json", delivery_mode=2)
    channel.queue_purge(queue)
    for body in bodies:
        channel.basic_publish("", queue, body, properties)
    channel.queue_declare(queue, passive=True)  # a round trip after the publishes: they are all in
    connection.close()


def measure(command: list[str], log_path: str, n: int, broker: int, environment: dict) -> dict:
    watcher = LineWatcher(log_path)
    busy0 = box_jiffies()
    broker0 = cpu_seconds(broker)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=open(log_path + ".stderr", "w"), env=environment)
    started = time.monotonic()
    first = last = None
    while True:
        lines = watcher.poll()
        now = time.monotonic()
        if first is None and lines > 0:
            first = now
        if lines >= n:
            last = now
            break
        if process.poll() is not None:
            raise SystemExit(f"{command[0]} ended early: see {log_path}.stderr")
        if now - started > 600:
            raise SystemExit(f"{command[0]}: only {lines} of {n} lines after 600 s")
        time.sleep(0.005)
    worker_cpu = cpu_seconds(process.pid)
    broker_cpu = cpu_seconds(broker) - broker0
    busy1 = box_jiffies()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=120)
    elapsed = last - first
    window = (busy1[1] - busy0[1]) / TICK / (os.cpu_count() or 1)
    box_cores = (busy1[0] - busy0[0]) / TICK / max(1e-9, window)
    return {
        "events_per_s": round((n - 1) / elapsed),
        "first_to_last_s": round(elapsed, 3),
        "startup_s": round(first - started, 3),
        "worker_cpu_us_per_event": round(worker_cpu / n * 1e6, 1),
        "broker_cpu_us_per_event": round(broker_cpu / n * 1e6, 1),
        "foreign_cores": round(box_cores - (worker_cpu + broker_cpu) / max(1e-9, window), 2),
        "lines": watcher.poll(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--amqp-url", required=True)
    parser.add_argument("--broker-pid-file", required=True, help="the pid file scripts/rabbitmq-node writes")
    parser.add_argument("--worker", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--fsync", default="batch")
    parser.add_argument("--peer", required=True)
    parser.add_argument("--base-worker", help="another build of the worker (e.g. before a change), run like Beacon's")
    parser.add_argument("--base-config", help="the worker.yaml of that build (default: --config)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    n = args.events
    environment = dict(os.environ, AMQP_URL=args.amqp_url, SMTP_URL="smtp://127.0.0.1:9")
    with open(args.broker_pid_file) as f:
        broker = int(f.read().strip())

    config = args.config
    if args.fsync != "batch":
        config = os.path.join(args.out, "worker.yaml")
        with open(args.config) as source, open(config, "w") as target:
            target.write(source.read().replace("fsync: batch", f"fsync: {args.fsync}"))
        for template in ("error.mustache", "digest.mustache"):
            os.makedirs(os.path.join(args.out, "templates"), exist_ok=True)
            with open(os.path.join(os.path.dirname(args.config), "templates", template)) as source, \
                    open(os.path.join(args.out, "templates", template), "w") as target:
                target.write(source.read())
    subprocess.run([args.worker, "topology", "--config", config], env=environment, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, os.path.join(args.peer, "worker.py"), "--amqp-url", args.amqp_url, "--declare-only"], check=True)
    ours, theirs = beacon_bodies(n), peer_bodies(args.peer, n)
    print(f"bench-worker: {n:,} events per run, body {len(ours[0])} bytes (Beacon) / {len(theirs[0])} bytes (peer), fsync {args.fsync}, {args.runs} runs")

    sides = ["beacon", "base", "peer"] if args.base_worker else ["beacon", "peer"]
    binary = {"beacon": (args.worker, config), "base": (args.base_worker, args.base_config or config)}
    results: list[dict] = []
    for run in range(1, args.runs + 1):
        shift = (run - 1) % len(sides)  # the order rotates: each side goes first in some run
        order = sides[shift:] + sides[:shift]
        for side in order:
            logs = os.path.join(args.out, f"run{run}-{side}")
            os.makedirs(logs)
            if side in binary:
                fill(args.amqp_url, "worker.files", ours)
                worker, worker_config = binary[side]
                command = [worker, "run", "--config", worker_config, "--log-dir", logs]
                log_path = os.path.join(logs, "app.log")
            else:
                fill(args.amqp_url, "peer.files", theirs)
                command = [sys.executable, os.path.join(args.peer, "worker.py"), "--amqp-url", args.amqp_url,
                           "--log-dir", logs, "--no-mail", "--stats-file", os.path.join(logs, "stats.json")]
                log_path = os.path.join(logs, "peer.log")
            quiet = wait_quiet(max_busy=0.3, max_wait=150, window=2)
            result = measure(command, log_path, n, broker, environment)
            result.update(run=run, side=side, busy_before=quiet)
            if side == "peer":
                with open(os.path.join(logs, "stats.json")) as f:
                    result["peer_self_reported_per_s"] = json.load(f).get("files_msgs_per_s")
            results.append(result)
            print(json.dumps(result), flush=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)

    def median(side: str, key: str) -> float:
        return statistics.median(r[key] for r in results if r["side"] == side)

    print()
    print("| worker | " + " | ".join(f"run {r}" for r in range(1, args.runs + 1)) + " | median events/s | worker CPU µs/event | broker CPU µs/event |")
    print("|---|" + "---|" * args.runs + "---|---|---|")
    names = {"beacon": f"Beacon worker (Swift, fsync {args.fsync})", "base": "the same, --base-worker's build",
             "peer": "peer worker.py (pika + RotatingFileHandler)"}
    for side in sides:
        name = names[side]
        rates = [f"{r['events_per_s']:,}" for r in results if r["side"] == side]
        print(f"| {name} | " + " | ".join(rates) + f" | **{median(side, 'events_per_s'):,.0f}** | "
              f"{median(side, 'worker_cpu_us_per_event')} | {median(side, 'broker_cpu_us_per_event')} |")
    print(f"\nratio of medians (Beacon / peer): **{median('beacon', 'events_per_s') / median('peer', 'events_per_s'):.2f}×**")
    if args.base_worker:
        by_run = ", ".join(
            f"{next(r for r in results if r['run'] == n and r['side'] == 'beacon')['events_per_s'] / next(r for r in results if r['run'] == n and r['side'] == 'base')['events_per_s']:.2f}"
            for n in range(1, args.runs + 1))
        print(f"ratio of medians (Beacon / base): **{median('beacon', 'events_per_s') / median('base', 'events_per_s'):.2f}×**; by run: {by_run}")


if __name__ == "__main__":
    main()
