#!/usr/bin/env python3
"""`make chaos`: fault injection against the whole pipeline, web -> outbox -> RabbitMQ -> worker -> files and mail.

    scripts/proof/chaos.py [--short] [--only 1,3,5] [--configuration debug|release] [--skip-build] [--keep]

Each scenario starts its own RabbitMQ node, SMTP server, worker and web server on loopback and free ports (own node
name, own data, log and spool directories under var/proof/chaos-<time>/), drives open-loop HTTP load in which every
request carries its own X-Request-ID, injects its fault, waits for the pipeline to settle, and then checks what
arrived against what was sent:

  - HTTP failures 0 (a refused connection while the web server restarts is retried, as a load balancer would);
  - events lost 0: every answered request id has its request line in app.log;
  - lines written twice 0: no request id has two request lines;
  - dead letters: exactly the poison sent, each with its reason; none otherwise;
  - mail: every error-level event is accounted for, mailed alone or counted in a storm-control digest, and no event
    is mailed twice; mails expected vs received are printed;
  - the web's outbox dropped nothing.

The worker runs with worker/worker.yaml as shipped except for shorter waits, so that a scenario ends in seconds:
retry delays (files 1s 5s 10s 20s, mail 2s 5s 10s 20s 40s) and the storm-control window (15 s instead of 5 min).

Scenarios 9 and 10 are about tasks (the demo's shop.send_receipt, POST /orders): every order is mailed once, counted
at the SMTP server, whatever happens to the worker.

Ends with one line `N passed, N failed`; the exit status is non-zero when any scenario failed. --short runs
scenarios 1, 3, 5, 9 and 10 (what `make test` runs).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from amqp_lite import Publisher  # noqa: E402
from proofkit import (ROOT, Broker, Load, Processes, Smtp, Web, Worker, binaries, build, count_mailed_lines,  # noqa: E402
                      mail_summary, request_lines, wait_until, worker_config)

CHAOS_CONFIG = [
    ("retry: [1s, 10s, 1m]", "retry: [1s, 5s, 10s, 20s]"),
    ("retry: [5s, 30s, 2m, 10m]", "retry: [2s, 5s, 10s, 20s, 40s]"),
    ("window: 5m ", "window: 15s "),
]
STORM_WINDOW = 15


class Failed(Exception):
    pass


class Stack:
    """A broker, an SMTP server, a worker and a web server of one scenario."""

    def __init__(self, out: Path, name: str, bin_dir: Path):
        self.name = name
        self.dir = out / name
        self.dir.mkdir(parents=True)
        self.procs = Processes()
        self.broker = Broker(self.procs, self.dir / "rabbitmq", f"beacon-chaos-{os.getpid()}-{name}@localhost")
        self.smtp = Smtp(self.procs, self.dir)
        self.log_dir = self.dir / "log"
        self.config = worker_config(self.dir / "config", CHAOS_CONFIG)
        self.worker = Worker(self.procs, bin_dir / "worker", self.config, self.log_dir, self.broker.url(), self.smtp.url,
                             self.dir)
        self.web = Web(self.procs, bin_dir / "web", self.broker.url(), self.dir / "spool", self.dir)
        self.lines: list[str] = []
        self.checks: list[tuple[str, bool, str]] = []
        self.web_exit_codes: list[int | None] = []

    def up(self) -> None:
        self.broker.start()
        self.smtp.start()
        self.worker.topology()
        self.worker.start(self.broker)
        self.web.start()

    def down(self) -> None:
        if self.web.process and self.web.process.poll() is None:
            self.web_exit_codes.append(self.web.stop())
        self.worker.stop()
        self.procs.stop_all()

    def say(self, text: str) -> None:
        self.lines.append(text)

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append((name, ok, detail))

    def restart_web(self) -> None:
        self.web_exit_codes.append(self.web.stop())
        self.web.start()

    # ------------------------------------------------------------------------------------------- settling
    def pending(self) -> int:
        """Messages still in the worker's queues (ready or unacknowledged; retry queues included)."""
        try:
            queues = self.broker.queues()
        except Exception:
            return -1
        return sum(r + u for name, (r, u, _) in queues.items() if name.startswith("worker.") and name != "worker.dead")

    def settle(self, loads: list[Load], timeout: float = 150) -> dict:
        """Waits until every answered request id has its line in app.log, the outbox has delivered what it took and
        the worker's queues are empty; then reads what arrived."""
        expected = {rid for load in loads for rid in load.answered}
        started = time.monotonic()

        def arrived() -> bool:
            seen, _ = request_lines(self.log_dir)
            return expected <= seen.keys()

        def outbox_done() -> bool:
            try:
                m = self.web.metrics()
            except OSError:
                return False
            return m.get("beacon_outbox_events_confirmed_total", 0) + m.get("beacon_outbox_events_dropped_total", 0) \
                >= m.get("beacon_outbox_events_enqueued_total", 0) and m.get("beacon_outbox_spool_events", 0) == 0

        wait_until(arrived, timeout, 0.5)
        wait_until(outbox_done, max(5, timeout - (time.monotonic() - started)), 0.5)
        wait_until(lambda: self.pending() == 0, max(5, timeout - (time.monotonic() - started)), 0.5)
        time.sleep(1.5)  # a redelivery that would write a line twice has had its chance
        seen, total_lines = request_lines(self.log_dir)
        prefixes = tuple(load.prefix for load in loads)
        ours = {rid: n for rid, n in seen.items() if rid.startswith(prefixes)}
        lost = sorted(expected - seen.keys())
        twice = {rid: n for rid, n in ours.items() if n > 1}
        return {"expected": expected, "seen": ours, "lost": lost, "twice": twice, "lines": total_lines,
                "settle_s": round(time.monotonic() - started, 1)}

    def error_events(self) -> int:
        """Error and critical events that are mailed: errors and log records, not the request events of failed
        requests (a /boom writes both lines, and mails once)."""
        return count_mailed_lines(self.log_dir, "app.log")

    def settle_mail(self, timeout: float) -> dict:
        """Waits until every error-level event in app.log is mailed alone or counted in a digest (or the timeout)."""
        def accounted() -> bool:
            s = mail_summary(self.smtp.mails())
            return s["single"] + s["digest_events"] >= self.error_events()
        wait_until(accounted, timeout, 1.0)
        time.sleep(1)
        return mail_summary(self.smtp.mails())

    # ------------------------------------------------------------------------------------------- verdict
    def verify(self, loads: list[Load], *, dead_expected: int = 0, mail_timeout: float = 10,
               mails_expected: str | None = None) -> None:
        for load in loads:
            self.say(f"sent: {load.summary()}")
        result = self.settle(loads)
        failures = sum(len(load.failures) for load in loads)
        unexpected = sum(len(load.unexpected) for load in loads)
        examples = [f for load in loads for f in load.failures][:3] + [u for load in loads for u in load.unexpected][:3]
        self.check("HTTP failures 0", failures == 0 and unexpected == 0,
                   f"{failures} failed, {unexpected} unexpected status" + (f" (e.g. {examples})" if examples else ""))
        n_expected = len(result["expected"])
        self.say(f"arrived: {len(result['seen'])} of {n_expected} answered request ids have their request line in app.log "
                 f"({result['lines']} lines in app.log; settled {result['settle_s']} s after the load)")
        self.check("events lost 0", not result["lost"],
                   f"{len(result['lost'])} lost" + (f", e.g. {result['lost'][:5]}" if result["lost"] else ""))
        abandoned = [rid for load in loads for rid in load.abandoned]
        if abandoned:
            processed = [rid for rid in abandoned if rid in result["seen"]]
            self.say(f"{len(abandoned)} requests went out on keep-alive connections the server closed as it stopped; "
                     f"retried under new ids; {len(processed)} of the first ids reached the server (in app.log)")
            self.check("no request processed and left unanswered", not processed,
                       f"{len(processed)} requests were handled (their event is in app.log) but got no response"
                       + (f", e.g. {processed[:5]}" if processed else ""))
        self.check("lines written twice 0", not result["twice"],
                   f"{len(result['twice'])} request ids written more than once"
                   + (f", e.g. {list(result['twice'].items())[:5]}" if result["twice"] else ""))
        # the outbox
        t = Counter(self.web.totals)
        t.update(self.web.lifetime_counters())
        self.say(f"outbox (all web lifetimes): enqueued {t['enqueued']}, confirmed {t['confirmed']}, "
                 f"spooled {t['spooled']}, dropped {t['dropped']}")
        self.check("outbox dropped 0", t["dropped"] == 0, f"{t['dropped']} dropped")
        # mail
        mails = self.settle_mail(mail_timeout)
        errors = self.error_events()
        self.say(f"mail: {errors} error-level events in app.log; {mails['mails']} mails received "
                 f"({mails['single']} single, {mails['digests']} digests counting {mails['digest_events']} held-back "
                 f"events){'; expected ' + mails_expected if mails_expected else ''}")
        self.check("every error mailed or digested, none twice",
                   mails["single"] + mails["digest_events"] == errors and mails["single_twice"] == 0,
                   f"{mails['single']} + {mails['digest_events']} vs {errors} error events, "
                   f"{mails['single_twice']} events mailed twice")
        self.mails = mails
        # dead letters
        letters = self.broker.dead_letters()
        reasons = Counter(str(letter["headers"].get("x-beacon-reason", "?")) for letter in letters)
        self.say(f"dead letters: {len(letters)} (expected {dead_expected})"
                 + (f": {', '.join(f'{r} {n}' for r, n in sorted(reasons.items()))}" if letters else ""))
        self.check(f"dead letters {dead_expected}", len(letters) == dead_expected, f"{len(letters)} in worker.dead")
        self.dead_reasons = reasons
        # a clean stop
        self.web_exit_codes.append(self.web.stop())
        worker_exit = self.worker.stop()
        bad = [c for c in self.web_exit_codes if c != 0] + ([worker_exit] if worker_exit != 0 else [])
        self.check("web and worker exit 0 on SIGTERM", not bad,
                   f"web {self.web_exit_codes}, worker {worker_exit} (the last stop of each)")


# ------------------------------------------------------------------------------------------------- scenarios

def steady(stack: Stack, rate: float, prefix: str, **kw) -> Load:
    load = Load(lambda: stack.web.port, rate, prefix, **kw)
    load.start()
    return load


def scenario_1(stack: Stack) -> None:
    """broker stop_app / start_app during steady load"""
    load = steady(stack, 200, "s1")
    time.sleep(4)
    stack.broker.ctl("stop_app")
    stack.say("fault: rabbitmqctl stop_app at 4 s, start_app 6 s later, under 200 req/s")
    time.sleep(6)
    stack.broker.ctl("start_app")
    time.sleep(6)
    load.stop()
    stack.verify([load])


def scenario_2(stack: Stack) -> None:
    """broker killed with -9 and restarted"""
    load = steady(stack, 200, "s2")
    time.sleep(4)
    pid = stack.broker.kill9()
    t = time.monotonic()
    time.sleep(2)
    stack.broker.start()
    stack.say(f"fault: kill -9 of the broker (beam pid {pid}) at 4 s, restarted on the same data {time.monotonic() - t:.1f} s later, "
              "under 200 req/s")
    time.sleep(6)
    load.stop()
    stack.verify([load])


def scenario_3(stack: Stack) -> None:
    """worker killed with -9 and restarted"""
    load = steady(stack, 200, "s3")
    time.sleep(4)
    stack.worker.kill9()
    time.sleep(2)  # a backlog builds up: about 400 events
    stack.worker.start(stack.broker)
    time.sleep(0.05)
    stack.worker.kill9()  # in the middle of the backlog's first batches: writes and acks in flight
    time.sleep(1)
    stack.worker.start(stack.broker)
    stack.say("fault: kill -9 of the worker at 4 s; restarted 2 s later onto a backlog and killed -9 again 50 ms after it "
              "began consuming; restarted 1 s later; 200 req/s throughout")
    time.sleep(5)
    load.stop()
    stack.verify([load])


def scenario_4(stack: Stack) -> None:
    """SMTP server down for 30 s while errors happen"""
    stack.smtp.stop()
    hello = steady(stack, 100, "s4")
    boom = steady(stack, 2, "s4boom", paths=(("/boom", 500),), threads=2)
    time.sleep(30)
    stack.smtp.start()
    stack.say("fault: SMTP server stopped before the first error, for 30 s (then the same port and Maildir again), under "
              "100 req/s of /hello and 2 req/s of /boom, which go on 5 s after it is back")
    time.sleep(5)
    hello.stop()
    boom.stop()
    stack.verify([hello, boom], mail_timeout=120,
                 mails_expected=f"one per error kind and storm window ({STORM_WINDOW} s) once the server is back, "
                                "digests for the rest")
    stack.check("the mail that failed during the outage was retried and delivered", stack.mails["single"] >= 1,
                f"{stack.mails['single']} single mails")


def poison_bodies() -> list[tuple[str, bytes]]:
    bodies: list[tuple[str, bytes]] = []
    for i in range(332):
        bodies.append(("invalid_json", b'{"schema":1,"id":"poison-%d", this is not JSON' % i))
        bodies.append(("unsupported_schema", b'{"schema":99,"id":"poison-s-%d","time":"2026-11-21T10:15:30.123Z",'
                       b'"service":"chaos","kind":"log","level":"info","message":"from the future"}' % i))
        bodies.append(("invalid_utf8", b'{"schema":1,"id":"poison-u-%d","time":"2026-11-21T10:15:30.123Z",'
                       b'"service":"chaos","kind":"log","level":"info","message":"bad \xff\xfe bytes"}' % i))
    big = b'{"schema":1,"id":"poison-big","time":"2026-11-21T10:15:30.123Z","service":"chaos","kind":"log",' \
          b'"level":"info","message":"' + b"x" * (10 * 1024 * 1024) + b'"}'
    for _ in range(4):
        bodies.append(("too_large", big))
    return bodies


def scenario_5(stack: Stack) -> None:
    """a thousand poison messages mixed into good traffic"""
    load = steady(stack, 150, "s5")
    bodies = poison_bodies()
    random.Random(5).shuffle(bodies)
    sent = Counter()

    def publish() -> None:
        with Publisher("127.0.0.1", stack.broker.amqp_port) as publisher:
            for kind, body in bodies:
                publisher.publish("events", "chaos.log.info", body)
                sent[kind] += 1
                time.sleep(0.004)  # spread over a few seconds of good traffic
    time.sleep(1)
    publisher = threading.Thread(target=publish)
    publisher.start()
    publisher.join()
    time.sleep(2)
    load.stop()
    stack.say(f"fault: {sum(sent.values())} poison messages published to `events` (routing key chaos.log.info) "
              f"during 150 req/s of /hello: {', '.join(f'{k} {n}' for k, n in sent.items())} (too_large = 10 MiB bodies), "
              "each confirmed by the broker")
    stack.verify([load], dead_expected=len(bodies))
    wanted = Counter(kind for kind, _ in bodies)
    stack.check("dead-letter reasons match the poison sent", stack.dead_reasons == wanted,
                f"got {dict(stack.dead_reasons)}, sent {dict(wanted)}")


def scenario_6(stack: Stack) -> None:
    """the log directory unwritable for 20 s"""
    load = steady(stack, 100, "s6")
    time.sleep(4)
    ballast = stack.log_dir / "ballast"
    with open(ballast, "wb", buffering=0) as f:  # fill the log directory's filesystem: every write now fails (ENOSPC)
        chunk = b"\0" * (1 << 20)
        try:
            while True:
                f.write(chunk)
        except OSError:
            pass
    with open(stack.log_dir / "probe", "ab", buffering=0) as probe:
        try:
            full = probe.write(b"x" * 8192) < 8192
        except OSError:
            full = True
    time.sleep(20)
    ballast.unlink()
    (stack.log_dir / "probe").unlink(missing_ok=True)
    stack.say(f"fault: the log directory (a 64 MiB tmpfs of its own) filled to the last byte at 4 s for 20 s "
              f"(writes fail with ENOSPC: {full}), under 100 req/s")
    time.sleep(5)
    load.stop()
    stack.verify([load])


def scenario_7(stack: Stack) -> None:
    """web SIGTERM under load, then restarted (spool replay)"""
    load = steady(stack, 200, "s7")
    time.sleep(4)
    stack.restart_web()
    first_restart = time.time() - load.started_at
    time.sleep(4)
    stack.broker.ctl("stop_app")
    time.sleep(3)
    spooled_before = stack.web.metrics().get("beacon_outbox_spool_events", 0)
    stack.restart_web()
    spool_at_start = stack.web.metrics().get("beacon_outbox_spool_events", 0)
    time.sleep(3)
    stack.broker.ctl("start_app")
    time.sleep(5)
    load.stop()
    stack.say(f"fault: web SIGTERM under 200 req/s at 4 s and restarted at once ({first_restart:.1f} s); broker stop_app at "
              f"~8 s; web SIGTERM again with {spooled_before:.0f} events in its spool (broker away), restarted with "
              f"{spool_at_start:.0f} events in the spool; broker start_app 3 s later")
    stack.check("the spool was exercised", spool_at_start > 0, f"{spool_at_start:.0f} events in the spool at restart")
    stack.verify([load])


def scenario_8(stack: Stack) -> None:
    """a thousand identical errors in ten seconds (mail storm control)"""
    boom = steady(stack, 100, "s8", paths=(("/boom", 500),), threads=16)
    time.sleep(10)
    boom.stop()
    stack.say(f"fault: {boom.scheduled} GET /boom in 10 s (each an error event and a 500 request event)")
    stack.verify([boom], mail_timeout=STORM_WINDOW + 90,
                 mails_expected="one mail per error kind, then one digest with the rest when the 15 s window ends")
    m = stack.mails
    stack.check("storm control: a handful of mails, not a thousand", m["mails"] <= 10 and m["single"] <= 4,
                f"{m['mails']} mails ({m['single']} single, {m['digests']} digests)")


# ------------------------------------------------------------------------------------------------- tasks

def post_orders(stack: Stack, count: int, prefix: str) -> list[str]:
    """POSTs `count` orders (the demo's shop.send_receipt); returns their order ids, every one answered 202."""
    ids = []
    for index in range(count):
        body = json.dumps({"name": f"Ada {prefix}-{index}", "email": f"{prefix}-{index}@example.com",
                           "items": [{"name": "Tea", "price": 3.5}, {"name": "Cake", "price": 4}]})
        connection = http.client.HTTPConnection("127.0.0.1", stack.web.port, timeout=10)
        connection.request("POST", "/orders", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        answer = json.loads(response.read() or b"{}")
        connection.close()
        if response.status != 202:
            raise Failed(f"POST /orders answered {response.status}: {answer}")
        ids.append(answer["order_id"])
    return ids


def receipts(stack: Stack) -> Counter:
    """Receipt mails at the SMTP server, by order id (from the subject)."""
    found = Counter()
    for mail in stack.smtp.mails():
        subject = str(mail.get("Subject", ""))
        if subject.startswith("Your receipt for order "):
            found[subject.rsplit(" ", 1)[1]] += 1
    return found


def wait_for_task_consumer(stack: Stack, queue: str = "shop") -> None:
    if not wait_until(lambda: stack.broker.queues().get(queue, (0, 0, 0))[2] > 0, 60, 0.2):
        raise Failed(f"no consumer on the task queue {queue}")


def check_receipts(stack: Stack, orders: list[str], timeout: float = 90) -> None:
    wait_until(lambda: set(orders) <= set(receipts(stack)), timeout, 0.5)
    time.sleep(2)  # a second mail of one order has had its chance
    found = receipts(stack)
    missing = [order for order in orders if found[order] == 0]
    twice = {order: n for order, n in found.items() if order in orders and n > 1}
    stack.say(f"receipts: {sum(found[o] for o in orders)} mails for {len(orders)} orders at the SMTP server")
    stack.check("every order mailed", not missing, f"{len(missing)} missing" + (f", e.g. {missing[:3]}" if missing else ""))
    stack.check("no order mailed twice", not twice, f"{len(twice)} twice" + (f": {list(twice.items())[:3]}" if twice else ""))
    queues = stack.broker.queues()
    shop = queues.get("shop", (0, 0, 0))
    stack.check("the task queue is empty", shop[0] + shop[1] == 0, f"shop: {shop[0]} ready, {shop[1]} unacknowledged")
    dead = queues.get("beacon.tasks.dead", (0, 0, 0))[0]
    stack.check("task dead letters 0", dead == 0, f"{dead} in beacon.tasks.dead")


def scenario_9(stack: Stack) -> None:
    """worker killed with -9 while receipt tasks run: each runs again, one mail per order"""
    load = steady(stack, 100, "s9")
    wait_for_task_consumer(stack)
    smtp_pid = int(stack.smtp.pidfile.read_text())
    os.kill(smtp_pid, signal.SIGSTOP)  # every receipt handler now waits for the server's greeting
    try:
        orders = post_orders(stack, 12, "s9")
        running = wait_until(lambda: stack.broker.queues().get("shop", (0, 0, 0))[1] >= 4, 20, 0.1)
        stack.check("handlers were running when the worker was killed", running,
                    f"{stack.broker.queues().get('shop', (0, 0, 0))[1]} unacknowledged (concurrency 4)")
        stack.worker.kill9()
    finally:
        os.kill(smtp_pid, signal.SIGCONT)
    time.sleep(1)
    stack.worker.start(stack.broker)
    stack.say("fault: 12 orders POSTed with the SMTP server frozen (SIGSTOP), the worker killed -9 while 4 receipt "
              "handlers waited on it; the server resumed, the worker restarted 1 s later; 100 req/s of /hello throughout")
    check_receipts(stack, orders)
    load.stop()
    stack.verify([load])


def scenario_10(stack: Stack) -> None:
    """a delayed task survives a worker restart: it runs once, after its eta"""
    load = steady(stack, 100, "s10")
    wait_for_task_consumer(stack)
    order = f"s10-{os.getpid()}"
    task_id = f"s10-task-{os.getpid()}"
    eta = time.time() + 8
    eta_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(eta)) + f".{int(eta % 1 * 1e6):06d}+00:00"
    body = json.dumps([[], {"order_id": order, "name": "Ada", "email": "ada@example.com",
                            "items": [{"name": "Tea", "price": 3.5}]},
                       {"callbacks": None, "errbacks": None, "chain": None, "chord": None}])
    # As Celery sends a countdown through the default exchange: straight to the queue, only the eta header says wait.
    stack.broker.api("POST", "exchanges/%2F/amq.default/publish", {
        "routing_key": "shop", "payload": body, "payload_encoding": "string",
        "properties": {"content_type": "application/json", "content_encoding": "utf-8", "delivery_mode": 2,
                       "correlation_id": task_id,
                       "headers": {"lang": "py", "task": "shop.send_receipt", "id": task_id, "root_id": task_id,
                                   "eta": eta_text, "retries": 0}}})
    parked = wait_until(lambda: sum(stack.broker.queues().get("shop", (0, 0, 0))[:2]) == 0, 5, 0.1)
    stack.check("the worker holds no delayed task", parked, f"shop: {stack.broker.queues().get('shop')}")
    stack.worker.kill9()
    time.sleep(3)
    stack.worker.start(stack.broker)
    stack.say("fault: a task with an eta 8 s ahead published straight to the queue shop; the worker sent it to the "
              "delay ladder, was killed -9 2 s later and restarted 3 s after that; 100 req/s of /hello throughout")
    arrived = wait_until(lambda: receipts(stack)[order] > 0, 40, 0.2)
    at = time.time()
    stack.check("it ran after its eta, not before", arrived and at >= eta, f"mailed {at - eta:+.1f} s from its eta")
    check_receipts(stack, [order])
    load.stop()
    stack.verify([load])


SCENARIOS = {1: scenario_1, 2: scenario_2, 3: scenario_3, 4: scenario_4, 5: scenario_5, 6: scenario_6, 7: scenario_7,
             8: scenario_8, 9: scenario_9, 10: scenario_10}


def mount_tmpfs(stack: Stack) -> str | None:
    stack.log_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(stack.log_dir)], capture_output=True,
                            text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        return result.stderr.strip() or "mount failed"
    stack.procs.on_cleanup(lambda: subprocess.run(["umount", "-l", str(stack.log_dir)], stdin=subprocess.DEVNULL))
    return None


def run(number: int, out: Path, bin_dir: Path) -> tuple[str, float]:
    function = SCENARIOS[number]
    title = function.__doc__
    print(f"\n== {number}. {title}", flush=True)
    started = time.monotonic()
    stack = Stack(out, f"s{number}", bin_dir)
    verdict = "FAIL"
    try:
        if number == 6:
            problem = mount_tmpfs(stack)
            if problem:
                print(f"   SKIPPED: cannot mount a tmpfs for the log directory ({problem}); needs root with CAP_SYS_ADMIN")
                return "SKIP", time.monotonic() - started
        stack.up()
        function(stack)
        verdict = "PASS" if stack.checks and all(ok for _, ok, _ in stack.checks) else "FAIL"
    except Exception as error:
        stack.check("scenario ran to the end", False, f"{type(error).__name__}: {error}")
        traceback.print_exc()
    finally:
        try:
            stack.down()
        except Exception as error:
            print(f"   cleanup: {error}")
    for line in stack.lines:
        print(f"   {line}")
    for name, ok, detail in stack.checks:
        print(f"   [{'ok' if ok else 'FAILED'}] {name}: {detail}")
    elapsed = time.monotonic() - started
    print(f"   => {verdict} ({elapsed:.0f} s; logs in {stack.dir.relative_to(ROOT)})", flush=True)
    return verdict, elapsed


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop what was started (the finally blocks) on SIGTERM
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="scenarios 1, 3, 5, 9 and 10 (the form `make test` runs)")
    parser.add_argument("--only", help="comma list of scenario numbers")
    parser.add_argument("--configuration", default=os.environ.get("CONFIGURATION", "debug"), choices=("debug", "release"))
    parser.add_argument("--skip-build", action="store_true", default=os.environ.get("SKIP_BUILD") == "1")
    parser.add_argument("--keep", action="store_true", help="keep the logs of passing scenarios too")
    args = parser.parse_args()
    numbers = [1, 3, 5, 9, 10] if args.short else sorted(SCENARIOS)
    if args.only:
        numbers = [int(n) for n in args.only.split(",")]
    if not args.skip_build:
        build(args.configuration)
    bin_dir = binaries(args.configuration)
    for name in ("web", "worker"):
        if not (bin_dir / name).exists():
            raise SystemExit(f"no {args.configuration} build of {name} in {bin_dir} (drop --skip-build)")
    out = ROOT / "var" / "proof" / f"chaos-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    out.mkdir(parents=True)
    load = open("/proc/loadavg").read().split()[:3]
    print(f"chaos: scenarios {', '.join(map(str, numbers))} with the {args.configuration} build; "
          f"{os.cpu_count()} cores, load average {' '.join(load)}; results in {out.relative_to(ROOT)}", flush=True)
    started = time.monotonic()
    verdicts: dict[int, tuple[str, float]] = {}
    for number in numbers:
        verdicts[number] = run(number, out, bin_dir)
    passed = sum(1 for v, _ in verdicts.values() if v == "PASS")
    failed = sum(1 for v, _ in verdicts.values() if v == "FAIL")
    skipped = sum(1 for v, _ in verdicts.values() if v == "SKIP")
    print()
    for number, (verdict, elapsed) in verdicts.items():
        print(f"  {verdict}  {number}. {SCENARIOS[number].__doc__} ({elapsed:.0f} s)")
    print(f"chaos: {time.monotonic() - started:.0f} s in all")
    if failed == 0 and not args.keep:
        subprocess.run(["rm", "-rf", str(out)])
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
