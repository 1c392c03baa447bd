"""Shared pieces of scripts/proof/chaos.py and scripts/proof/bench.py: throwaway RabbitMQ nodes, SMTP servers, the
worker and the web server as child processes on loopback and free ports, an open-loop HTTP load generator that tags
every request with its own X-Request-ID, and readers for what arrived (app.log lines by request id, mails, dead
letters).

Standard library only (the short chaos form runs under Debian's /usr/bin/python3 in CI). Every process is started
here and stopped here, by PID; nothing is looked up by name.
"""
from __future__ import annotations

import base64
import email
import email.policy
import http.client
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_ports(n: int) -> list[int]:
    sockets = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM of a live process, in MiB."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def box_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole box so far, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def busy_cores(seconds: float = 1.0) -> float:
    """How many cores were busy, on average, over the next `seconds` (whoever kept them busy)."""
    b0, t0 = box_jiffies()
    time.sleep(seconds)
    b1, t1 = box_jiffies()
    return round((os.cpu_count() or 1) * (b1 - b0) / max(1, t1 - t0), 2)


def wait_quiet(max_busy: float, max_wait: float, window: float = 1.0) -> float:
    """Waits until fewer than `max_busy` cores are busy over a `window`, for at most `max_wait` seconds: the box is
    shared, and a measurement should start on a quiet one. Returns the busy cores seen last."""
    deadline = time.monotonic() + max_wait
    while True:
        busy = busy_cores(window)
        if busy < max_busy or time.monotonic() > deadline:
            return busy


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) so far; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


# --------------------------------------------------------------------------------------------------- processes

class Processes:
    """Every child this run started; stop_all() stops the live ones by PID (SIGTERM, then SIGKILL)."""

    def __init__(self):
        self.children: list[subprocess.Popen] = []
        self.cleanups: list = []  # callables, run last-in first-out

    def spawn(self, command: list[str], *, log_path: Path, env: dict | None = None, cwd: str | None = None) -> subprocess.Popen:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        out = open(log_path, "ab")
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                   env=env, cwd=cwd, start_new_session=True)
        out.close()
        self.children.append(process)
        return process

    def on_cleanup(self, action) -> None:
        self.cleanups.append(action)

    def stop_all(self) -> None:
        for process in self.children:
            if process.poll() is None:
                try:
                    process.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for process in self.children:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.children.clear()
        while self.cleanups:
            try:
                self.cleanups.pop()()
            except Exception as error:  # a cleanup must not hide the others
                log(f"cleanup: {error}")


def stop_process(process: subprocess.Popen | None, timeout: float = 60) -> int | None:
    if process is None or process.poll() is not None:
        return None if process is None else process.returncode
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return -9


# ------------------------------------------------------------------------------------------------------ broker

class Broker:
    """A RabbitMQ node of its own (scripts/rabbitmq-node): own node name, data directory and free ports."""

    def __init__(self, procs: Processes, directory: Path, node: str):
        self.procs = procs
        self.dir = directory
        self.node = node
        self.amqp_port, self.management_port, self.dist_port, self.epmd_port = free_ports(4)
        self.running = False

    def url(self, vhost: str = "/") -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/{'%2F' if vhost == '/' else vhost}"

    def start(self) -> None:
        subprocess.run([str(SCRIPTS / "rabbitmq-node"), "start", str(self.dir), self.node, str(self.amqp_port),
                        str(self.management_port), str(self.dist_port), str(self.epmd_port)], check=True,
                       stdin=subprocess.DEVNULL)
        if not self.running:
            self.procs.on_cleanup(self.stop)
        self.running = True

    def stop(self) -> None:
        if self.dir.joinpath("node.env").exists():
            subprocess.run([str(SCRIPTS / "rabbitmq-node"), "stop", str(self.dir)], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.running = False

    def pid(self) -> int | None:
        try:
            return int(self.dir.joinpath("pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def kill9(self) -> int:
        pid = self.pid()
        assert pid, "no broker pid"
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not Path(f"/proc/{pid}").exists(), 30, 0.1)
        return pid

    def ctl(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run([str(self.dir / "rabbitmqctl"), *args], capture_output=True, text=True,
                                timeout=timeout, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {result.stderr.strip() or result.stdout.strip()}")
        return result.stdout

    def queues(self, vhost: str = "/") -> dict[str, tuple[int, int, int]]:
        """name -> (ready, unacknowledged, consumers), exact (rabbitmqctl, not the management API's samples)."""
        out = self.ctl("-q", "list_queues", "-p", vhost, "name", "messages_ready", "messages_unacknowledged",
                       "consumers", "--no-table-headers")
        result = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[1].isdigit():
                result[parts[0]] = (int(parts[1]), int(parts[2]), int(parts[3]))
        return result

    def api(self, method: str, path: str, body=None, timeout: float = 120):
        request = urllib.request.Request(f"http://127.0.0.1:{self.management_port}/api/{path}", method=method,
                                         data=None if body is None else json.dumps(body).encode())
        request.add_header("Authorization", "Basic " + base64.b64encode(b"guest:guest").decode())
        request.add_header("content-type", "application/json")
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read()
        return json.loads(data) if data else None

    def dead_letters(self, queue_name: str = "worker.dead", limit: int = 5000) -> list[dict]:
        """Every message in the dead-letter queue with its headers (left in the queue)."""
        count = self.queues().get(queue_name, (0, 0, 0))[0]
        if count == 0:
            return []
        messages = self.api("POST", f"queues/%2F/{queue_name}/get",
                            {"count": min(count, limit), "ackmode": "ack_requeue_true", "encoding": "auto",
                             "truncate": 120})
        return [{"headers": m.get("properties", {}).get("headers", {}), "bytes": m.get("payload_bytes"),
                 "routing_key": m.get("routing_key")} for m in messages]

    def add_vhost(self, name: str) -> None:
        self.ctl("-q", "add_vhost", name)
        self.ctl("-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*")


# -------------------------------------------------------------------------------------------------------- SMTP

class Smtp:
    """aiosmtpd keeping every mail in a Maildir (scripts/smtp-server)."""

    def __init__(self, procs: Processes, directory: Path):
        self.procs = procs
        self.dir = directory
        self.maildir = directory / "mail"
        self.pidfile = directory / "smtp" / "pid"
        self.port = free_ports(1)[0]
        self.registered = False

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        subprocess.run([str(SCRIPTS / "smtp-server"), "start", str(self.maildir), str(self.port), str(self.pidfile)],
                       check=True, stdin=subprocess.DEVNULL)
        if not self.registered:
            self.procs.on_cleanup(self.stop)
            self.registered = True

    def stop(self) -> None:
        subprocess.run([str(SCRIPTS / "smtp-server"), "stop", str(self.pidfile)], stdin=subprocess.DEVNULL)

    def mails(self) -> list[email.message.EmailMessage]:
        result = []
        for sub in ("new", "cur"):
            folder = self.maildir / sub
            if folder.is_dir():
                for path in sorted(folder.iterdir()):
                    with open(path, "rb") as f:
                        result.append(email.message_from_binary_file(f, policy=email.policy.default))
        return result


DIGEST_ENTRY = re.compile(r"^(\d+) x (\w+) ", re.M)
MAIL_EVENT = re.compile(r"^event (\S+), routing key", re.M)


def mail_summary(mails) -> dict:
    """Single mails (one event each, its id in the footer) and digests (held-back counts per error kind)."""
    single_ids: list[str] = []
    digests = 0
    digest_events = 0
    subjects = Counter()
    for mail in mails:
        body = mail.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        subjects[str(mail["subject"])] += 1
        if "held back by storm control" in text:
            digests += 1
            digest_events += sum(int(n) for n, _ in DIGEST_ENTRY.findall(text))
        else:
            single_ids.extend(MAIL_EVENT.findall(text))
    ids = Counter(single_ids)
    return {"mails": len(mails), "single": len(single_ids), "digests": digests, "digest_events": digest_events,
            "single_twice": sum(1 for n in ids.values() if n > 1), "subjects": subjects}


# ------------------------------------------------------------------------------------------------ web, worker

def binaries(configuration: str) -> Path:
    out = subprocess.run(["swift", "build", "-c", configuration, "--show-bin-path"], cwd=ROOT, capture_output=True,
                         text=True, check=True, stdin=subprocess.DEVNULL)
    return Path(out.stdout.strip())


def build(configuration: str) -> None:
    log(f"building web and worker ({configuration})…")
    subprocess.run(["swift", "build", "-c", configuration, "--product", "web"], cwd=ROOT, check=True,
                   stdin=subprocess.DEVNULL)
    subprocess.run(["swift", "build", "-c", configuration, "--product", "worker"], cwd=ROOT, check=True,
                   stdin=subprocess.DEVNULL)


def worker_config(target_dir: Path, replacements: list[tuple[str, str]] = ()) -> Path:
    """worker/worker.yaml (and its templates) copied to target_dir with some values replaced; each replacement must
    match exactly once, so a change of the shipped file shows up here instead of silently testing something else."""
    source = (ROOT / "worker" / "worker.yaml").read_text()
    for old, new in replacements:
        if source.count(old) != 1:
            raise SystemExit(f"worker.yaml: expected exactly one '{old}'")
        source = source.replace(old, new)
    target_dir.mkdir(parents=True, exist_ok=True)
    (target_dir / "templates").mkdir(exist_ok=True)
    for template in (ROOT / "worker" / "templates").iterdir():
        (target_dir / "templates" / template.name).write_bytes(template.read_bytes())
    path = target_dir / "worker.yaml"
    path.write_text(source)
    return path


class Worker:
    def __init__(self, procs: Processes, binary: Path, config: Path, log_dir: Path, amqp_url: str, smtp_url: str,
                 run_dir: Path, user: str | None = None):
        self.procs, self.binary, self.config, self.log_dir = procs, binary, config, log_dir
        self.amqp_url, self.smtp_url, self.run_dir = amqp_url, smtp_url, run_dir
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.peak_rss: float = 0.0

    def env(self) -> dict:
        return dict(os.environ, AMQP_URL=self.amqp_url, SMTP_URL=self.smtp_url, MAIL_TO="ops@localhost",
                    MAIL_FROM="beacon@localhost")

    def topology(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with open(self.run_dir / "topology.log", "ab") as out:
            subprocess.run([str(self.binary), "topology", "--config", str(self.config)], env=self.env(), check=True,
                           stdout=out, stderr=out, stdin=subprocess.DEVNULL)

    def start(self, broker: Broker | None = None) -> None:
        self.starts += 1
        self.process = self.procs.spawn([str(self.binary), "run", "--config", str(self.config), "--log-dir",
                                         str(self.log_dir)], log_path=self.run_dir / "worker.stderr", env=self.env())
        if broker is not None:
            ok = wait_until(lambda: self.process.poll() is None and broker.queues().get("worker.files", (0, 0, 0))[2] > 0, 60, 0.3)
            if not ok:
                raise RuntimeError(f"the worker did not start consuming (see {self.run_dir / 'worker.stderr'})")

    def sample_rss(self) -> None:
        if self.process and self.process.poll() is None:
            self.peak_rss = max(self.peak_rss, peak_rss_mb(self.process.pid) or 0.0)

    def kill9(self) -> None:
        self.sample_rss()
        self.process.kill()
        self.process.wait()

    def stop(self) -> int | None:
        self.sample_rss()
        return stop_process(self.process)


class Web:
    def __init__(self, procs: Processes, binary: Path, amqp_url: str, spool_dir: Path, run_dir: Path,
                 events: bool = True):
        self.procs, self.binary, self.amqp_url, self.spool_dir, self.run_dir = procs, binary, amqp_url, spool_dir, run_dir
        self.events = events
        self.port = free_ports(1)[0]
        self.process: subprocess.Popen | None = None
        self.peak_rss: float = 0.0
        self.totals: Counter = Counter()  # outbox counters summed over the process's lifetimes
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        env = dict(os.environ, AMQP_URL=self.amqp_url, BEACON_SPOOL_DIR=str(self.spool_dir),
                   BEACON_EVENTS="on" if self.events else "off")
        self.process = self.procs.spawn([str(self.binary), "--port", str(self.port)],
                                        log_path=self.run_dir / "web.stderr", env=env)
        if not wait_until(lambda: port_open(self.port) or self.process.poll() is not None, 60, 0.05) or self.process.poll() is not None:
            raise RuntimeError(f"the web server did not start (see {self.run_dir / 'web.stderr'})")

    def metrics(self) -> dict[str, float]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        connection.request("GET", "/metrics")
        text = connection.getresponse().read().decode()
        connection.close()
        result: dict[str, float] = Counter()
        for line in text.splitlines():
            if line.startswith("beacon_outbox"):
                name, value = line.rsplit(" ", 1)
                base = name.split("{")[0]
                if "reason=" in name:
                    result[base] += float(value)
                else:
                    result[base] = float(value)
        return result

    def lifetime_counters(self) -> Counter:
        """The outbox counters of the running process (empty when it does not answer)."""
        try:
            m = self.metrics()
        except OSError:
            return Counter()
        return Counter({key: int(m.get(f"beacon_outbox_events_{key}_total", 0))
                        for key in ("enqueued", "published", "confirmed", "spooled", "dropped")})

    def remember_counters(self) -> None:
        """Adds this lifetime's outbox counters to the totals (right before the process stops)."""
        self.totals.update(self.lifetime_counters())

    def stop(self) -> int | None:
        if self.process and self.process.poll() is None:
            self.remember_counters()
            self.peak_rss = max(self.peak_rss, peak_rss_mb(self.process.pid) or 0.0)
        return stop_process(self.process, timeout=90)


# ------------------------------------------------------------------------------------------------- load

class Load:
    """Open-loop HTTP load: requests are scheduled at a fixed rate whatever the server does, each with its own
    X-Request-ID; a pool of threads with keep-alive connections sends them.

    A request whose connection is refused (nothing listening: the server is restarting) is sent again every 50 ms for
    up to `refused_for` seconds: nothing reached a server, as a load balancer would retry it. A request that fails on a
    reused keep-alive connection before any byte of the answer is retried once on a new connection under a new id
    (the old id may or may not have reached the server, so it is not required in app.log). Anything else (a timeout,
    a reset after the request was taken, an unexpected status) is an HTTP failure."""

    def __init__(self, port_of, rate: float, prefix: str, paths=(("/hello", 200),), threads: int = 16,
                 timeout: float = 15.0, refused_for: float = 30.0):
        self.port_of = port_of
        self.rate = rate
        self.prefix = prefix
        self.paths = list(paths)
        self.threads = threads
        self.timeout = timeout
        self.refused_for = refused_for
        self.queue: queue.Queue = queue.Queue()
        self.lock = threading.Lock()
        self.answered: dict[str, tuple[str, int]] = {}  # request id -> (path, status)
        self.latency: dict[str, tuple[float, float]] = {}  # request id -> (intended send wall time, latency s)
        self.failures: list[tuple[str, str]] = []
        self.unexpected: list[tuple[str, str, int]] = []
        self.refused = 0
        self.retried_new_id = 0
        self.abandoned: list[str] = []  # ids given up on a closed keep-alive connection (retried under a new id)
        self.scheduled = 0
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._scheduler: threading.Thread | None = None
        self.started_at = self.stopped_at = 0.0

    def start(self) -> None:
        self.started_at = time.time()
        self._workers = [threading.Thread(target=self._work, daemon=True) for _ in range(self.threads)]
        for t in self._workers:
            t.start()
        self._scheduler = threading.Thread(target=self._schedule, daemon=True)
        self._scheduler.start()

    def _schedule(self) -> None:
        interval = 1.0 / self.rate
        t0 = time.monotonic()
        wall0 = time.time()
        i = 0
        while not self._stop.is_set():
            due = t0 + i * interval
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            path, status = self.paths[i % len(self.paths)]
            self.queue.put((f"{self.prefix}-{i:07d}", path, status, wall0 + i * interval))
            i += 1
            self.scheduled = i

    def stop(self) -> None:
        """Stops scheduling, then waits for every scheduled request to finish."""
        self._stop.set()
        self._scheduler.join()
        for _ in self._workers:
            self.queue.put(None)
        for t in self._workers:
            t.join()
        self.stopped_at = time.time()

    def _work(self) -> None:
        connection: http.client.HTTPConnection | None = None
        reused = False
        while True:
            item = self.queue.get()
            if item is None:
                break
            rid, path, expected, intended = item
            refused_since = None
            retries_left = 1
            while True:
                try:
                    if connection is None:
                        connection = http.client.HTTPConnection("127.0.0.1", self.port_of(), timeout=self.timeout)
                        connection.connect()
                        reused = False
                    connection.request("GET", path, headers={"X-Request-ID": rid})
                    response = connection.getresponse()
                    response.read()
                    done = time.time()
                    with self.lock:
                        self.answered[rid] = (path, response.status)
                        self.latency[rid] = (intended, done - intended)
                        if response.status != expected:
                            self.unexpected.append((rid, path, response.status))
                    if response.getheader("connection", "").lower() == "close":
                        connection.close()
                        connection = None
                    else:
                        reused = True
                    break
                except ConnectionRefusedError:
                    connection = None
                    now = time.monotonic()
                    refused_since = refused_since or now
                    with self.lock:
                        self.refused += 1
                    if now - refused_since > self.refused_for:
                        with self.lock:
                            self.failures.append((rid, f"connection refused for {self.refused_for:.0f} s"))
                        break
                    time.sleep(0.05)
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                    was_reused = reused
                    if connection is not None:
                        connection.close()
                    connection = None
                    if was_reused and retries_left > 0:
                        retries_left -= 1
                        with self.lock:
                            self.retried_new_id += 1
                            self.abandoned.append(rid)
                        rid = rid + ".retry"
                        continue
                    with self.lock:
                        self.failures.append((rid, type(error).__name__))
                    break
                except (OSError, http.client.HTTPException) as error:
                    if connection is not None:
                        connection.close()
                    connection = None
                    with self.lock:
                        self.failures.append((rid, f"{type(error).__name__}: {error}"))
                    break
        if connection is not None:
            connection.close()

    def summary(self) -> str:
        statuses = Counter(status for _, status in self.answered.values())
        return (f"scheduled {self.scheduled} requests at {self.rate:g}/s, answered {len(self.answered)} "
                f"({', '.join(f'{s}: {n}' for s, n in sorted(statuses.items()))}), HTTP failures {len(self.failures)}, "
                f"unexpected statuses {len(self.unexpected)}, connection refusals retried {self.refused}, "
                f"retried under a new id after a closed keep-alive connection {self.retried_new_id}")


# --------------------------------------------------------------------------------------------- what arrived

REQUEST_LINE = re.compile(rb"^\S+ \S+ (\w+) \[([^\]]*)\] (GET|POST|PUT|DELETE|HEAD) (\S+) (\d{3}) ")


def log_files(log_dir: Path, name: str = "app.log") -> list[Path]:
    files = sorted(log_dir.glob(name + ".*"), key=lambda p: -int(p.suffix[1:]) if p.suffix[1:].isdigit() else 0)
    return [p for p in files if p.suffix[1:].isdigit()] + ([log_dir / name] if (log_dir / name).exists() else [])


def request_lines(log_dir: Path, name: str = "app.log") -> tuple[Counter, int]:
    """Request events per request id in app.log (rotated files included), and the number of lines."""
    per_id: Counter = Counter()
    lines = 0
    for path in log_files(log_dir, name):
        with open(path, "rb") as f:
            for line in f:
                lines += 1
                m = REQUEST_LINE.match(line)
                if m:
                    per_id[m.group(2).decode()] += 1
    return per_id, lines


def count_mailed_lines(log_dir: Path, name: str) -> int:
    """Lines of error and critical events the mail sink takes: every ERROR or CRITICAL line but request events."""
    n = 0
    for path in log_files(log_dir, name):
        with open(path, "rb") as f:
            n += sum(1 for line in f if (b" ERROR " in line or b" CRITICAL " in line) and not REQUEST_LINE.match(line))
    return n
