"""Driver of scripts/bench-tasks: BeaconTasks (Benchmarks/TaskBenchmarks) beside Celery 5.7 (bench_tasks_celery.py)
on one broker node, interleaved over --runs rounds, and the rounds and medians as Markdown tables.

Run by the Celery environment's Python (it has py-amqp, which polls the queues). Each round measures, in an order
that rotates between rounds, and each after the box is quiet (< 0.3 cores busy over 2 s):

* enqueue: Beacon's TaskClient, --enqueuers concurrent enqueues each awaiting its confirm; Celery's send_task with
  confirm_publish. Both ignore_result, to the side's own quorum queue; what they enqueued is then the worker's queue.
* worker: each worker started on its full queue (Beacon twice: --beacon-concurrency and --beacon-alt-concurrency); timed from outside, the same way for both, by polling the queue's
  ready count (a passive queue.declare every 5 ms): from the first drop below N (the first deliveries) to 0 (the N-th
  delivered; at most the prefetch is then still running). Celery twice: prefork -c 2 and threads -c 8 (a second
  fill by send_task for the second pool).
* latency: a worker on an empty queue, and an open-loop client: enqueue (confirmed) → result in hand.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse

import amqp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "proof"))
from proofkit import box_jiffies, cpu_seconds, wait_quiet  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
DEAD = "bench.dead"
QUEUES = {"beacon": "bench.beacon", "beacon_e2e": "bench.beacon.e2e", "celery": "bench.celery", "celery_e2e": "bench.celery.e2e"}


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and its live descendants (Celery's prefork children)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += cpu_seconds(current)
        todo += children.get(current, [])
    return total


class Bench:
    def __init__(self, args):
        self.args = args
        self.url = args.amqp_url
        parts = urllib.parse.urlsplit(self.url)
        self.amqp = amqp.Connection(f"{parts.hostname}:{parts.port}", userid=parts.username, password=parts.password,
                                    virtual_host="/", connect_timeout=10)
        self.amqp.connect()
        self.channel = self.amqp.channel()
        with open(args.broker_pid_file) as f:
            self.broker = int(f.read().strip())
        declared = subprocess.run([args.beacon, "declare", "--url", self.url, "--dead", DEAD]
                                  + [x for q in QUEUES.values() for x in ("--queue", q)],
                                  check=True, capture_output=True, text=True)
        self.queue_arguments = declared.stdout.strip().splitlines()[-1]
        self.celery_env = dict(os.environ, BENCH_BROKER=self.url, BENCH_QUEUE_ARGUMENTS=self.queue_arguments,
                               BENCH_QUEUES=f"{QUEUES['celery']},{QUEUES['celery_e2e']}", PYTHONPATH=HERE,
                               PYTHONDONTWRITEBYTECODE="1")
        self.logs = args.out
        self.serial = 0

    def depth(self, queue: str) -> tuple[int, int]:
        result = self.channel.queue_declare(queue, passive=True)
        return result.message_count, result.consumer_count

    def purge(self, queue: str) -> None:
        self.channel.queue_purge(queue)

    def log(self, name: str):
        self.serial += 1
        return open(os.path.join(self.logs, f"{self.serial:03d}-{name}.log"), "w")

    def run_json(self, command: list[str], name: str, env=None) -> dict:
        with self.log(name) as stderr:
            done = subprocess.run(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, timeout=300)
        if done.returncode != 0:
            raise SystemExit(f"{name} failed ({done.returncode}): see {stderr.name}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def quiet(self) -> float:
        return wait_quiet(max_busy=0.3, max_wait=60, window=2)

    # ---------------------------------------------------------------------------------------------- workers

    def start_worker(self, side: str, queue: str, expect: int = 0) -> subprocess.Popen:
        stderr = self.log(f"worker-{side}")
        if side.startswith("beacon"):
            concurrency = self.args.beacon_alt_concurrency if side == "beacon_alt" else self.args.beacon_concurrency
            command = [self.args.beacon, "worker", "--url", self.url, "--queue", queue, "--dead", DEAD,
                       "--concurrency", str(concurrency), "--expect", str(expect)]
            env = None
        else:
            pool, concurrency = {"prefork": ("prefork", self.args.prefork), "threads": ("threads", self.args.threads)}[side]
            command = [sys.executable, "-m", "celery", "-A", "bench_tasks_celery", "worker", "-Q", queue,
                       f"--pool={pool}", "-c", str(concurrency), "--without-heartbeat", "--without-mingle",
                       "--without-gossip", "--loglevel=WARNING", "-n", f"bench-{side}-{os.getpid()}@localhost"]
            env = self.celery_env
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, env=env, text=True, cwd=HERE)

    @staticmethod
    def stop_worker(process: subprocess.Popen) -> str:
        process.send_signal(signal.SIGTERM)
        try:
            out, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        return out or ""

    def wait_consumer(self, queue: str, process: subprocess.Popen, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.depth(queue)[1] == 0:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"no consumer on {queue}")
            time.sleep(0.05)

    def settled_depth(self, queue: str) -> tuple[int, int]:
        """The queue's depth once two reads 200 ms apart agree (a quorum queue's count trails its confirms a little)."""
        last = self.depth(queue)
        while True:
            time.sleep(0.2)
            now = self.depth(queue)
            if now == last:
                return now
            last = now

    def drain(self, side: str, queue: str) -> dict:
        """Starts the worker on its full queue and times it from outside."""
        n, consumers = self.settled_depth(queue)
        assert consumers == 0 and n > 0, (queue, n, consumers)
        busy = self.quiet()
        busy0, broker0 = box_jiffies(), cpu_seconds(self.broker)
        process = self.start_worker(side, queue, expect=n)
        started = time.monotonic()
        first = last = None
        while True:
            ready, _ = self.depth(queue)
            now = time.monotonic()
            if first is None and ready < n:
                first = now
            if ready == 0:
                last = now
                break
            if process.poll() is not None:
                raise SystemExit(f"the {side} worker ended early")
            if now - started > 300:
                raise SystemExit(f"{side}: {ready} of {n} still ready after 300 s")
            time.sleep(0.005)
        time.sleep(0.2)  # the last prefetch-full runs and is acknowledged
        worker_cpu = tree_cpu_seconds(process.pid)  # start-up included: Beacon's is small, Celery's is not
        broker_cpu = cpu_seconds(self.broker) - broker0
        busy1 = box_jiffies()
        out = self.stop_worker(process)
        left = self.depth(queue)[0]
        elapsed = last - first
        window = (busy1[1] - busy0[1]) / TICK / (os.cpu_count() or 1)
        result = {
            "tasks": n, "per_s": round((n - 1) / elapsed), "seconds": round(elapsed, 3),
            "startup_s": round(first - started, 3), "left_after_stop": left,
            "worker_cpu_us_per_task": round(worker_cpu / n * 1e6, 1),
            "broker_cpu_us_per_task": round(broker_cpu / n * 1e6, 1),
            "box_cores": round((busy1[0] - busy0[0]) / TICK / max(1e-9, window), 2), "busy_before": busy,
        }
        for line in out.splitlines():  # Beacon's own count from inside, a cross-check
            if line.startswith("{"):
                inside = json.loads(line)
                result["inside_per_s"] = round(inside["inside_per_s"])
        return result

    # ---------------------------------------------------------------------------------------------- measurements

    def enqueue(self, side: str, queue: str) -> dict:
        self.purge(queue)
        busy = self.quiet()
        broker0 = cpu_seconds(self.broker)
        if side == "beacon":
            result = self.run_json([self.args.beacon, "enqueue", "--url", self.url, "--queue", queue,
                                    "--count", str(self.args.beacon_tasks), "--concurrency", str(self.args.enqueuers),
                                    "--warmup", "2000"], "enqueue-beacon")
        else:
            result = self.run_json([sys.executable, os.path.join(HERE, "bench_tasks_celery.py"), "enqueue",
                                    "--queue", queue, "--count", str(self.args.celery_tasks), "--warmup", "200"],
                                   "enqueue-celery", env=self.celery_env)
        result["broker_cpu_us_per_task"] = round((cpu_seconds(self.broker) - broker0) / result["count"] * 1e6, 1)
        result["busy_before"] = busy
        result["per_s"] = round(result["per_s"])
        return result

    def latency(self, side: str, queue: str, rate: float | None = None, confirm_only: bool = False) -> dict:
        self.purge(queue)
        worker = self.start_worker("beacon" if side == "beacon" else self.args.celery_latency_pool, queue)
        try:
            self.wait_consumer(queue, worker)
            busy = self.quiet()
            if side == "beacon":
                result = self.run_json([self.args.beacon, "latency", "--url", self.url, "--queue", queue,
                                        "--rate", str(rate or self.args.rate), "--seconds", str(self.args.seconds),
                                        "--confirm-only", "1" if confirm_only else "0"], "latency-beacon")
            else:
                result = self.run_json([sys.executable, os.path.join(HERE, "bench_tasks_celery.py"), "latency",
                                        "--queue", queue, "--rate", str(self.args.celery_rate),
                                        "--seconds", str(self.args.seconds)], "latency-celery", env=self.celery_env)
        finally:
            self.stop_worker(worker)
        result["busy_before"] = busy
        return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--amqp-url", required=True)
    parser.add_argument("--broker-pid-file", required=True)
    parser.add_argument("--beacon", required=True, help="the TaskBenchmarks executable")
    parser.add_argument("--out", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--beacon-tasks", type=int, default=50_000)
    parser.add_argument("--celery-tasks", type=int, default=3_000)
    parser.add_argument("--enqueuers", type=int, default=256)
    parser.add_argument("--beacon-concurrency", type=int, default=512)
    parser.add_argument("--beacon-alt-concurrency", type=int, default=64, help="a second Beacon worker run; 0: none")
    parser.add_argument("--prefork", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--celery-rate", type=float, default=100)
    parser.add_argument("--celery-latency-pool", choices=["prefork", "threads"], default="threads")
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    bench = Bench(args)
    print(f"bench-tasks: {args.runs} rounds; Beacon {args.beacon_tasks:,} tasks ({args.enqueuers} enqueuers, worker "
          f"concurrency {args.beacon_concurrency}), Celery {args.celery_tasks:,} (prefork -c {args.prefork}, threads "
          f"-c {args.threads}); latency at {args.rate:g}/s (Beacon) and {args.celery_rate:g}/s (Celery, "
          f"{args.celery_latency_pool} pool) for {args.seconds:g} s", flush=True)

    # Each step: (kind, side, what it does). A side's enqueue fills the queue its worker then drains.
    groups = [
        [("enqueue", "beacon"), ("worker", "beacon")],
        [("enqueue", "celery"), ("worker", "prefork")],
        [("fill", "celery"), ("worker", "threads")],
        [("latency", "beacon")],
        [("latency", "celery")],
        [("latency_slow", "beacon")],
        [("confirm", "beacon")],
    ]
    if args.beacon_alt_concurrency:
        groups.insert(1, [("fill", "beacon"), ("worker", "beacon_alt")])
    results: list[dict] = []
    for run in range(1, args.runs + 1):
        shift = (run - 1) % len(groups)
        for group in groups[shift:] + groups[:shift]:
            for kind, side in group:
                if kind in ("enqueue", "fill"):
                    result = bench.enqueue(side, QUEUES[side])
                elif kind == "worker":
                    result = bench.drain(side, QUEUES["beacon" if side.startswith("beacon") else "celery"])
                elif kind == "latency":
                    result = bench.latency(side, QUEUES[f"{side}_e2e"])
                elif kind == "latency_slow":  # Beacon at Celery's rate, like for like
                    result = bench.latency(side, QUEUES[f"{side}_e2e"], rate=args.celery_rate)
                else:  # the enqueue's confirm alone at the same open-loop rate: the floor under the latency
                    result = bench.latency(side, QUEUES[f"{side}_e2e"], confirm_only=True)
                result.update(run=run, kind=kind, side=side)
                results.append(result)
                print(json.dumps(result), flush=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"args": vars(args), "results": results}, f, indent=1)
    report(results, args)


def report(results: list[dict], args) -> None:
    def values(kind: str, side: str, key: str) -> list:
        return [r[key] for r in results if r["kind"] == kind and r["side"] == side]

    def median(kind: str, side: str, key: str) -> float:
        return statistics.median(values(kind, side, key))

    def row(name: str, kind: str, side: str, key: str, fmt: str, extra: str = "") -> str:
        rounds = " | ".join(format(v, fmt) for v in values(kind, side, key))
        return f"| {name} | {rounds} | **{format(median(kind, side, key), fmt)}** |{extra}"

    runs = " | ".join(f"round {r}" for r in range(1, args.runs + 1))
    rule = "|---|" + "---:|" * args.runs + "---:|"
    print()
    print(f"| enqueue with confirms, tasks/s | {runs} | median | CPU µs/task client / broker |")
    print(rule + "---:|")
    print(row(f"Beacon TaskClient.enqueue, {args.enqueuers} in flight", "enqueue", "beacon", "per_s", ",",
              f" {median('enqueue', 'beacon', 'cpu_us_per_task'):.1f} / {median('enqueue', 'beacon', 'broker_cpu_us_per_task'):.1f} |"))
    print(row("Celery send_task, confirm_publish", "enqueue", "celery", "per_s", ",",
              f" {median('enqueue', 'celery', 'cpu_us_per_task'):.1f} / {median('enqueue', 'celery', 'broker_cpu_us_per_task'):.1f} |"))
    enqueue_ratio = median("enqueue", "beacon", "per_s") / median("enqueue", "celery", "per_s")
    print(f"\nratio of medians (Beacon / Celery): **{enqueue_ratio:.1f}×**")
    print()
    print(f"| worker, no-op tasks from a full queue, tasks/s | {runs} | median | CPU µs/task worker / broker |")
    print(rule + "---:|")
    names = {"beacon": f"Beacon TaskWorker, concurrency {args.beacon_concurrency}",
             "beacon_alt": f"Beacon TaskWorker, concurrency {args.beacon_alt_concurrency}",
             "prefork": f"Celery prefork -c {args.prefork}, acks_late", "threads": f"Celery threads -c {args.threads}, acks_late"}
    for side in ("beacon", "beacon_alt", "prefork", "threads") if args.beacon_alt_concurrency else ("beacon", "prefork", "threads"):
        print(row(names[side], "worker", side, "per_s", ",",
                  f" {median('worker', side, 'worker_cpu_us_per_task'):.1f} / {median('worker', side, 'broker_cpu_us_per_task'):.1f} |"))
    best = max(median("worker", "prefork", "per_s"), median("worker", "threads", "per_s"))
    print(f"\nratio of medians (Beacon / Celery's best pool): **{median('worker', 'beacon', 'per_s') / best:.1f}×**; "
          f"Beacon's own count from inside (first run to N-th): {', '.join(f'{v:,}' for v in values('worker', 'beacon', 'inside_per_s'))}")
    print()
    print(f"| enqueue → result, open loop | {runs} | median |")
    print("|---|" + "---|" * args.runs + "---:|")
    lines = [("latency", "beacon", f"Beacon at {args.rate:g}/s"),
             ("confirm", "beacon", f"Beacon's enqueue confirm alone (no result) at {args.rate:g}/s"),
             ("latency_slow", "beacon", f"Beacon at {args.celery_rate:g}/s"),
             ("latency", "celery", f"Celery rpc://, {args.celery_latency_pool} pool, at {args.celery_rate:g}/s")]
    for kind, side, name in lines:
        for key in ("p50_ms", "p99_ms"):
            print(row(f"{name}, {key.split('_')[0]} ms", kind, side, key, ".2f"))
    ratio = median("latency", "celery", "p50_ms") / median("latency_slow", "beacon", "p50_ms")
    print(f"\nCelery / Beacon at {args.celery_rate:g}/s, p50: **{ratio:.1f}×**, p99: "
          f"**{median('latency', 'celery', 'p99_ms') / median('latency_slow', 'beacon', 'p99_ms'):.1f}×**")
    print()


if __name__ == "__main__":
    main()
