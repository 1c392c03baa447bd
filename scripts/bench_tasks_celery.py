"""The Celery 5.7 side of scripts/bench-tasks: the app its worker runs (`celery -A bench_tasks_celery worker`), and
the producer's measurements, each printing one JSON line on stdout:

    python bench_tasks_celery.py enqueue --queue Q --count N [--warmup W]
    python bench_tasks_celery.py latency --queue Q [--rate R] [--seconds S] [--warmup-seconds W]

Settings come from the environment: BENCH_BROKER (the AMQP URL), BENCH_QUEUES (the queue names, comma-separated),
BENCH_QUEUE_ARGUMENTS (JSON: the x- arguments the Beacon worker declares its queues with, quorum). Every queue is
declared with them through `task_queues`, and no missing queue is created (see docs/TaskProtocol.md): the same queues,
of the same type, as Beacon's.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time

from celery import Celery
from kombu import Exchange, Queue

TASK = "bench.noop"

app = Celery("bench_tasks_celery", broker=os.environ["BENCH_BROKER"], backend="rpc://", set_as_current=True)
app.conf.update(
    broker_connection_retry_on_startup=True,
    # Publisher confirms on every publish (py-amqp waits for each message's confirm).
    broker_transport_options={"confirm_publish": True},
    task_create_missing_queues=False,
    task_queues=[
        Queue(name, Exchange(""), routing_key=name, queue_arguments=json.loads(os.environ["BENCH_QUEUE_ARGUMENTS"]))
        for name in os.environ["BENCH_QUEUES"].split(",")
    ],
    worker_hijack_root_logger=False,
    result_persistent=False,
)


@app.task(name=TASK, acks_late=True)
def noop():
    return None


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def enqueue(args) -> None:
    """N no-op tasks through `send_task`, ignore_result, each publish confirmed before the next (Celery's only way)."""
    for _ in range(args.warmup):
        app.send_task(TASK, queue=args.queue, ignore_result=True)
    cpu0, started = cpu_seconds(), time.perf_counter()
    for _ in range(args.count):
        app.send_task(TASK, queue=args.queue, ignore_result=True)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu0
    print(json.dumps({"side": "celery", "count": args.count, "seconds": elapsed, "per_s": args.count / elapsed,
                      "cpu_us_per_task": cpu / args.count * 1e6}), flush=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, -(-len(ordered) * p // 100) - 1))
    return ordered[int(rank)]


def latency(args) -> None:
    """Open loop at --rate from one thread: task i is due at start + i / rate; it is sent when due (or as soon as the
    one before has its result: `AsyncResult.get` on the rpc:// backend is synchronous, one caller per connection), and
    its latency runs from when it was due to its result in hand, so waiting behind a slow one counts."""
    def run(seconds: float) -> tuple[list[float], list[float]]:
        due_latencies, sent_latencies = [], []
        count = int(seconds * args.rate)
        start = time.perf_counter() + 0.02
        for index in range(count):
            due = start + index / args.rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            sent = time.perf_counter()
            app.send_task(TASK, queue=args.queue).get(timeout=30, disable_sync_subtasks=False)
            done = time.perf_counter()
            due_latencies.append((done - due) * 1e3)
            sent_latencies.append((done - sent) * 1e3)
        return due_latencies, sent_latencies

    if args.warmup_seconds > 0:
        run(args.warmup_seconds)
    cpu0 = cpu_seconds()
    due, sent = run(args.seconds)
    cpu = cpu_seconds() - cpu0
    print(json.dumps({
        "side": "celery", "rate": args.rate, "tasks": len(due), "failures": 0,
        "p50_ms": percentile(due, 50), "p90_ms": percentile(due, 90), "p99_ms": percentile(due, 99), "max_ms": max(due),
        "sent_p50_ms": percentile(sent, 50), "sent_p99_ms": percentile(sent, 99),
        "mean_ms": statistics.fmean(due), "client_cpu_us_per_task": cpu / len(due) * 1e6,
    }), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("enqueue")
    one.add_argument("--queue", required=True)
    one.add_argument("--count", type=int, default=5_000)
    one.add_argument("--warmup", type=int, default=200)
    two = commands.add_parser("latency")
    two.add_argument("--queue", required=True)
    two.add_argument("--rate", type=float, default=100)
    two.add_argument("--seconds", type=float, default=10)
    two.add_argument("--warmup-seconds", type=float, default=1)
    args = parser.parse_args()
    {"enqueue": enqueue, "latency": latency}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
