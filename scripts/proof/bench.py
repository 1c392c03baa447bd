#!/usr/bin/env python3
"""`make bench`: Beacon end to end against the Flask + blinker + pika peer (../shared/peer), on one machine, with one
RabbitMQ node, SMTP server, worker and web server of its own on loopback and free ports, stopped by PID at the end.

    scripts/proof/bench.py [--runs 3] [--only web,amqp,worker,e2e] [--duration 15] [--e2e-seconds 20]
                           [--e2e-rate 1000] [--worker-events 100000] [--skip-build] [--quick] [--write PATH]

Sections (each may be chosen with --only):
  web     GET /hello under wrk (-t2 -c32, 15 s): the release `web` with the event pipeline off; on, with the worker
          consuming, every event confirmed by the broker and written to app.log before the run counts; and the peer's
          best confirmed setup (RESULTS.md (d'): gunicorn gthread 2 x 4, publisher thread, confirms, its worker
          consuming). Interleaved runs, the order rotating; the same broker (one vhost each for Beacon and the peer).
  amqp    scripts/bench-amqp, its own broker: --runs interleaved rounds (order rotating) of BeaconAMQP's package-benchmark
          suite, a bare rabbitmq-c loop, pika's publish benchmark and a pika consume loop written like BeaconAMQP's
          consume benchmark (prefetch 2,000, one multiple-ack per 500).
  worker  scripts/bench-worker.py on this broker: the Beacon worker and the peer's worker each drain a pre-filled queue
          into a rotating log file, timed from outside (first to last line).
  e2e     open-loop load at a steady rate (default 1,000 req/s, Python, paced by the clock, every request its own
          X-Request-ID) while a separate process tails app.log: latency from the request's scheduled send time to
          its line appearing in app.log; peak RSS (VmHWM) of web and worker.

Results: var/proof/bench-<time>/ (raw JSON per run, summary.md); with all sections and >= 3 runs, the end-to-end part of
BENCHMARKS.md is rewritten (or of the file given with --write). Before each measurement the box must be quiet (QUIET_BUSY cores, 0.5, for
up to QUIET_WAIT s, 120): other jobs share the cores; how busy it was is recorded with each run.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proofkit import (ROOT, SCRIPTS, Broker, Load, Processes, Smtp, Web, Worker, binaries, box_jiffies,  # noqa: E402
                      build, cpu_seconds, free_ports, log, peak_rss_mb, port_open, stop_process, wait_quiet,
                      wait_until, worker_config)

PEER = Path(os.environ.get("PEER_DIR", ROOT.parent / "shared" / "peer"))
QUIET_BUSY = float(os.environ.get("QUIET_BUSY", "0.5"))
QUIET_WAIT = float(os.environ.get("QUIET_WAIT", "120"))
PEER_PYTHON = os.environ.get("PEER_PYTHON", "python3")


# ----------------------------------------------------------------------------------------------- machine

def loadavg() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    os_name = next((line.split("=", 1)[1].strip().strip('"') for line in open("/etc/os-release")
                    if line.startswith("PRETTY_NAME=")), "?")

    def version(command: list[str]) -> str:
        try:
            out = subprocess.run(command, capture_output=True, text=True, timeout=60).stdout.strip()
            return out.splitlines()[0] if out else "?"
        except (OSError, subprocess.TimeoutExpired):
            return "?"
    rabbit = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "rabbitmq-server"], capture_output=True, text=True).stdout
    wrk = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "wrk"], capture_output=True, text=True).stdout
    return {"cores": os.cpu_count(), "cpu": cpu, "memory_gib": round(mem / 1024 / 1024, 1), "os": os_name,
            "kernel": platform.release(), "swift": version(["swift", "--version"]),
            "python": version([PEER_PYTHON, "--version"]), "rabbitmq": rabbit or "?", "wrk": wrk or "?"}


# --------------------------------------------------------------------------------------------------- wrk

def wrk(url: str, duration: int, out: Path, conns: int = 32, threads: int = 2) -> dict:
    text = subprocess.run(["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--latency", url], capture_output=True,
                          text=True, check=True).stdout
    out.write_text(text)

    def ms(value: str, unit: str) -> float:
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    lat = {p: ms(v, u) for p, v, u in re.findall(r"\s(50|99)%\s+([\d.]+)(us|ms|s)", text)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: (.*)", text)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
            "requests": int(re.search(r"(\d+) requests in", text).group(1)),
            "p50_ms": lat.get("50"), "p99_ms": lat.get("99"), "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else ""}


def count_lines(paths) -> int:
    n = 0
    for path in paths:
        with open(path, "rb") as f:
            n += sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    return n


# ------------------------------------------------------------------------------------------------ bench

class Bench:
    def __init__(self, args):
        self.args = args
        self.out = ROOT / "var" / "proof" / f"bench-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        self.out.mkdir(parents=True)
        self.procs = Processes()
        self.bin = binaries("release")
        self.broker = Broker(self.procs, self.out / "rabbitmq", f"beacon-proof-bench-{os.getpid()}@localhost")
        self.smtp = Smtp(self.procs, self.out)
        self.results: dict = {"machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                              "loadavg_start": loadavg(), "sections": {}}

    def start(self) -> None:
        log(f"RabbitMQ node {self.broker.node} on 127.0.0.1:{self.broker.amqp_port}; load average {loadavg()}")
        self.broker.start()
        self.broker.add_vhost("beacon")
        self.broker.add_vhost("peer")
        self.smtp.start()
        self.broker_pid = self.broker.pid()
        self.config = worker_config(self.out / "config")
        # the topology of both sides, each in its vhost
        Worker(self.procs, self.bin / "worker", self.config, self.out / "tmp", self.broker.url("beacon"), self.smtp.url,
               self.out).topology()
        subprocess.run([PEER_PYTHON, str(PEER / "worker.py"), "--amqp-url", self.broker.url("peer"), "--declare-only",
                        "--log-dir", str(self.out / "tmp")], check=True, stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        self.procs.stop_all()

    def save(self) -> None:
        (self.out / "results.json").write_text(json.dumps(self.results, indent=1, default=str))

    # ------------------------------------------------------------------------------------------- web
    def web_run(self, config: str, run: int) -> dict:
        d = self.out / f"web-{config}-r{run}"
        d.mkdir()
        quiet = wait_quiet(QUIET_BUSY, QUIET_WAIT)
        procs = Processes()
        worker = web = None
        server_pids: list[int] = []
        try:
            if config in ("on", "off"):
                vhost_url = self.broker.url("beacon")
                for q in ("worker.files", "worker.mail"):
                    self.broker.ctl("-q", "purge_queue", "-p", "beacon", q)
                if config == "on":
                    worker = Worker(procs, self.bin / "worker", self.config, d / "log", vhost_url, self.smtp.url, d)
                    worker.start()
                    wait_until(lambda: self.broker.queues("beacon").get("worker.files", (0, 0, 0))[2] > 0, 60, 0.2)
                web = Web(procs, self.bin / "web", vhost_url, d / "spool", d, events=(config == "on"))
                web.start()
                port, server_pids = web.port, [web.process.pid]
            else:
                for q in ("peer.files", "peer.mail"):
                    self.broker.ctl("-q", "purge_queue", "-p", "peer", q)
                (d / "stats").mkdir()
                ready = d / "worker.ready"
                worker_process = procs.spawn([PEER_PYTHON, str(PEER / "worker.py"), "--amqp-url", self.broker.url("peer"),
                                              "--log-dir", str(d / "log"), "--smtp-port", str(self.smtp.port),
                                              "--stats-file", str(d / "worker.json"), "--ready-file", str(ready)],
                                             log_path=d / "peer-worker.log")
                wait_until(ready.exists, 30, 0.1)
                port = free_ports(1)[0]
                env = dict(os.environ, PEER_BIND=f"127.0.0.1:{port}", PEER_AMQP_URL=self.broker.url("peer"),
                           PEER_MODE="amqp", PEER_PUBLISHER="thread", PEER_CONFIRMS="1", PEER_WORKER_CLASS="gthread",
                           PEER_THREADS="4", PEER_WORKERS="2", PEER_STATS_DIR=str(d / "stats"))
                gunicorn = procs.spawn([PEER_PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
                                       log_path=d / "gunicorn.log", env=env, cwd=str(PEER))
                wait_until(lambda: port_open(port), 60, 0.1)
                time.sleep(1)
                children = subprocess.run(["pgrep", "-P", str(gunicorn.pid)], capture_output=True, text=True).stdout.split()
                server_pids = [gunicorn.pid] + [int(c) for c in children]
            url = f"http://127.0.0.1:{port}/hello"
            for _ in range(20):
                subprocess.run(["curl", "-s", "-o", "/dev/null", url])
            watch = server_pids + [self.broker_pid] + ([worker.process.pid] if worker else [])
            if config == "peer":
                watch.append(worker_process.pid)
            cpu0 = {pid: cpu_seconds(pid) for pid in watch}
            busy0 = box_jiffies()
            result = wrk(url, self.args.duration, d / "wrk.txt")
            busy1 = box_jiffies()
            cpu1 = {pid: cpu_seconds(pid) for pid in watch}
            t_end = time.monotonic()
            window = (busy1[1] - busy0[1]) / os.sysconf("SC_CLK_TCK") / (os.cpu_count() or 1)
            box = (busy1[0] - busy0[0]) / os.sysconf("SC_CLK_TCK") / max(1e-9, window)
            result.update(config=config, run=run, busy_before=quiet, box_cores_during=round(box, 2),
                          server_cpu_us_per_request=round(sum(cpu1[p] - cpu0[p] for p in server_pids) * 1e6 / result["requests"], 1),
                          broker_cpu_us_per_request=round((cpu1[self.broker_pid] - cpu0[self.broker_pid]) * 1e6 / result["requests"], 1),
                          server_peak_rss_mb=round(sum(peak_rss_mb(p) or 0 for p in server_pids), 1))
            if config == "on":
                # every event confirmed by the broker, then every line in app.log (one /metrics read at a time: each
                # read is a request, and so an event, of its own)
                def confirmed() -> bool:
                    m = web.metrics()
                    return m.get("beacon_outbox_events_confirmed_total", 0) >= m.get("beacon_outbox_events_enqueued_total", 0)
                wait_until(confirmed, 300, 0.1)
                m = web.metrics()
                result["confirm_drain_s"] = round(time.monotonic() - t_end, 2)
                enqueued = int(m.get("beacon_outbox_events_enqueued_total", 0))
                result.update(events_enqueued=enqueued, events_confirmed=int(m.get("beacon_outbox_events_confirmed_total", 0)),
                              events_dropped=int(m.get("beacon_outbox_events_dropped_total", 0)))
                log_files = lambda: sorted((d / "log").glob("app.log*"))  # noqa: E731
                wait_until(lambda: count_lines(log_files()) >= enqueued, 300, 0.2)
                result["written_drain_s"] = round(time.monotonic() - t_end, 2)
                result["lines_written"] = count_lines(log_files())
                result["worker_cpu_us_per_request"] = round((cpu1[worker.process.pid] - cpu0[worker.process.pid]) * 1e6 / result["requests"], 1)
                result["web_exit"] = web.stop()
                result["web_peak_rss_mb"] = web.peak_rss
                worker.stop()
                result["worker_peak_rss_mb"] = worker.peak_rss
            elif config == "off":
                result["web_exit"] = web.stop()
                result["web_peak_rss_mb"] = web.peak_rss
            else:
                stop_process(gunicorn, timeout=200)  # graceful: the publisher threads flush, counters written
                result["confirm_drain_s"] = round(time.monotonic() - t_end, 2)
                wait_until(lambda: sum(r + u for r, u, _ in self.broker.queues("peer").values()) == 0, 300, 0.2)
                result["written_drain_s"] = round(time.monotonic() - t_end, 2)
                published = 0
                for f in (d / "stats").glob("pub-*.json"):
                    published += json.loads(f.read_text())["published"]
                result["events_confirmed"] = published
                result["lines_written"] = count_lines(sorted((d / "log").glob("peer.log*")))
                result["worker_cpu_us_per_request"] = round((cpu1[worker_process.pid] - cpu0[worker_process.pid]) * 1e6 / result["requests"], 1)
                result["worker_peak_rss_mb"] = peak_rss_mb(worker_process.pid)
                stop_process(worker_process)
        finally:
            procs.stop_all()
        (d / "result.json").write_text(json.dumps(result, indent=1))
        log(f"web {config} r{run}: {result['rps']:,.0f} req/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
            f"busy before {quiet}" + (f", drained (written) in {result.get('written_drain_s')} s, "
                                       f"{result.get('lines_written')} lines for {result.get('events_confirmed')} confirmed events"
                                       if config != "off" else ""))
        return result

    def section_web(self) -> None:
        configs = ["on", "off", "peer"]
        runs = []
        for run in range(1, self.args.runs + 1):
            order = configs[(run - 1) % 3:] + configs[:(run - 1) % 3]
            for config in order:
                runs.append(self.web_run(config, run))
                self.results["sections"]["web"] = runs
                self.save()

    # ------------------------------------------------------------------------------------------- amqp
    def section_amqp(self) -> None:
        section = {"loadavg_before": loadavg()}
        log(f"amqp: scripts/bench-amqp, {self.args.runs} interleaved rounds of BeaconAMQP's package-benchmark suite, a "
            "rabbitmq-c loop, pika publishing and pika consuming…")
        text = subprocess.run([str(SCRIPTS / "bench-amqp"), "--pika", str(PEER / "bench_publish.py"), "--runs",
                               str(self.args.runs)], cwd=ROOT, capture_output=True, text=True)
        (self.out / "bench-amqp.txt").write_text(text.stdout + "\n--- stderr\n" + text.stderr)
        if text.returncode != 0:
            log(f"bench-amqp failed: see {self.out / 'bench-amqp.txt'}")
        section["bench_amqp"] = parse_bench_amqp(text.stdout)
        section["loadavg_after"] = loadavg()
        self.results["sections"]["amqp"] = section
        self.save()
        log(f"amqp: {json.dumps(section)}")

    # ----------------------------------------------------------------------------------------- worker
    def section_worker(self) -> None:
        log(f"worker: scripts/bench-worker.py, {self.args.worker_events:,} events, {self.args.runs} runs…")
        d = self.out / "bench-worker"
        d.mkdir()
        before = loadavg()
        text = subprocess.run([PEER_PYTHON, str(SCRIPTS / "bench-worker.py"), "--amqp-url", self.broker.url(),
                               "--broker-pid-file", str(self.broker.dir / "pid"), "--worker", str(self.bin / "worker"),
                               "--config", str(ROOT / "worker" / "worker.yaml"), "--peer", str(PEER),
                               "--runs", str(self.args.runs), "--events", str(self.args.worker_events), "--out", str(d)],
                              capture_output=True, text=True, cwd=ROOT)
        (self.out / "bench-worker.txt").write_text(text.stdout + "\n--- stderr\n" + text.stderr)
        if text.returncode != 0:
            raise RuntimeError(f"bench-worker failed: see {self.out / 'bench-worker.txt'}")
        self.results["sections"]["worker"] = {"runs": json.loads((d / "results.json").read_text()),
                                              "loadavg_before": before, "loadavg_after": loadavg()}
        self.save()

    # -------------------------------------------------------------------------------------------- e2e
    def e2e_run(self, run: int) -> dict:
        d = self.out / f"e2e-r{run}"
        d.mkdir()
        quiet = wait_quiet(QUIET_BUSY, QUIET_WAIT)
        procs = Processes()
        try:
            for q in ("worker.files", "worker.mail"):
                self.broker.ctl("-q", "purge_queue", "-p", "beacon", q)
            worker = Worker(procs, self.bin / "worker", self.config, d / "log", self.broker.url("beacon"), self.smtp.url, d)
            worker.start()
            wait_until(lambda: self.broker.queues("beacon").get("worker.files", (0, 0, 0))[2] > 0, 60, 0.2)
            web = Web(procs, self.bin / "web", self.broker.url("beacon"), d / "spool", d)
            web.start()
            tail_out = d / "seen.json"
            tailer = procs.spawn([sys.executable, str(Path(__file__).parent / "tail_app_log.py"), str(d / "log"), str(tail_out)],
                                 log_path=d / "tail.log")
            warm = Load(lambda: web.port, 200, f"e2e{run}warm", threads=8)
            warm.start()
            time.sleep(2)
            warm.stop()
            load = Load(lambda: web.port, self.args.e2e_rate, f"e2e{run}", threads=24)
            load.start()
            time.sleep(self.args.e2e_seconds)
            load.stop()
            ids = set(load.answered)
            wait_until(lambda: tail_progress(d / "tail.log") >= len(ids) + len(warm.answered), 60, 0.2)
            time.sleep(0.5)
            tailer.send_signal(2)
            tailer.wait(timeout=30)
            seen = json.loads(tail_out.read_text())
            e2e = sorted(seen[rid] - load.latency[rid][0] for rid in ids if rid in seen)
            http = sorted(latency for _, latency in (load.latency[rid] for rid in ids))
            elapsed = load.stopped_at - load.started_at
            web.stop()
            worker.stop()
            result = {"run": run, "busy_before": quiet, "rate_target": self.args.e2e_rate, "seconds": self.args.e2e_seconds,
                      "requests": load.scheduled, "answered": len(ids), "achieved_rps": round(len(ids) / elapsed, 1),
                      "http_failures": len(load.failures) + len(load.unexpected), "lines_seen": len(e2e),
                      "missing": len(ids) - len(e2e),
                      "http_p50_ms": pct(http, 50), "http_p99_ms": pct(http, 99),
                      "e2e_p50_ms": pct(e2e, 50), "e2e_p99_ms": pct(e2e, 99), "e2e_max_ms": pct(e2e, 100),
                      "web_peak_rss_mb": web.peak_rss, "worker_peak_rss_mb": worker.peak_rss}
        finally:
            procs.stop_all()
        (d / "result.json").write_text(json.dumps(result, indent=1))
        log(f"e2e r{run}: {json.dumps(result)}")
        return result

    def section_e2e(self) -> None:
        runs = []
        for run in range(1, self.args.runs + 1):
            runs.append(self.e2e_run(run))
            self.results["sections"]["e2e"] = runs
            self.save()


def tail_progress(path: Path) -> int:
    try:
        lines = path.read_text().strip().splitlines()
        return int(lines[-1]) if lines else 0
    except (OSError, ValueError):
        return 0


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))
    return round(values[index] * 1000, 2)


def package_benchmark_p50(cells: list[str]) -> float | None:
    """p50 of a package-benchmark table row: metric, p0, p25, p50, p75, p90, p99, p100, samples; a metric named
    "msg/s (K)" is in thousands, "(M)" in millions."""
    try:
        scale = 1000 if "(K)" in cells[0] else 1_000_000 if "(M)" in cells[0] else 1
        return float(cells[3].replace(",", "")) * scale
    except (IndexError, ValueError):
        return None


def parse_bench_amqp(text: str) -> dict:
    """The msg/s of each part of scripts/bench-amqp's output, a value per round; for BeaconAMQP, per benchmark, each
    round's package-benchmark p50 with the table row it came from."""
    result: dict = {"beacon": {}, "cloop": [], "cloop_classic": [], "pika_confirms": [], "pika_window": [],
                    "pika_consume": []}
    # package-benchmark tables: a title line, then a table whose rows start with the metric; take p50
    current = None
    for line in text.splitlines():
        if re.match(r"^(publish-confirm|consume-ack)", line.strip()):
            current = line.strip()
            continue
        if current and re.match(r"^[│|] msg/s", line.strip()):
            cells = [c.strip() for c in re.split(r"[│|]", line) if c.strip()]
            result["beacon"].setdefault(current, []).append({"p50": package_benchmark_p50(cells), "cells": cells})
            current = None
    for m in re.finditer(r"^\{.*\}$", text, re.M):
        try:
            data = json.loads(m.group(0))
        except ValueError:
            continue
        mode, rate = str(data.get("mode", "")), data.get("msgs_per_s")
        if mode.startswith("rabbitmq-c"):
            result["cloop" if data.get("queue_type") == "quorum" else "cloop_classic"].append(rate)
        elif mode.startswith("select+confirms"):
            result["pika_window"].append(rate)
        elif mode == "blocking+confirms":
            result["pika_confirms"].append(rate)
        elif "consume_msgs_per_s" in data:
            result["pika_consume"].append(data["consume_msgs_per_s"])
    result["raw_tail"] = text[-4000:]
    return result


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop what was started (the finally blocks) on SIGTERM
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="web,amqp,worker,e2e")
    parser.add_argument("--duration", type=int, default=15, help="seconds of wrk per web run")
    parser.add_argument("--e2e-seconds", type=int, default=20)
    parser.add_argument("--e2e-rate", type=float, default=1000)
    parser.add_argument("--worker-events", type=int, default=100_000)
    parser.add_argument("--skip-build", action="store_true", default=os.environ.get("SKIP_BUILD") == "1")
    parser.add_argument("--quick", action="store_true", help="one short run of web, worker and e2e (a smoke test)")
    parser.add_argument("--write", help="the Markdown file to write (default BENCHMARKS.md for a full run)")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.duration, args.e2e_seconds, args.worker_events = 1, 5, 8, 20_000
        if args.only == "web,amqp,worker,e2e":
            args.only = "web,worker,e2e"
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    for tool in ("wrk", "curl"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            raise SystemExit(f"{tool} is not installed (scripts/install-prerequisites --bench)")
    if subprocess.run([PEER_PYTHON, "-c", "import flask, pika, gunicorn"], capture_output=True).returncode != 0:
        raise SystemExit(f"the peer needs Flask, pika and gunicorn for {PEER_PYTHON} (pip install flask pika gunicorn)")
    if not (PEER / "app.py").exists():
        raise SystemExit(f"no peer in {PEER} (set PEER_DIR)")
    if not args.skip_build:
        build("release")
    bench = Bench(args)
    bench.results["args"] = vars(args)
    log(f"bench: sections {sections}, {args.runs} runs; results in {bench.out.relative_to(ROOT)}")
    status = 0
    try:
        bench.start()
        for section in sections:
            started = time.monotonic()
            getattr(bench, f"section_{section}")()
            bench.results.setdefault("section_seconds", {})[section] = round(time.monotonic() - started)
    except Exception:
        import traceback
        traceback.print_exc()
        status = 1
    finally:
        bench.stop()
        bench.results["loadavg_end"] = loadavg()
        bench.results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
        bench.save()
    import report
    markdown = report.render(bench.results)
    (bench.out / "summary.md").write_text(markdown)
    print(markdown)
    full = set(sections) == {"web", "amqp", "worker", "e2e"} and args.runs >= 3 and status == 0
    target = args.write or ("BENCHMARKS.md" if full else None)
    if target:
        path = Path(ROOT / target if not os.path.isabs(target) else target)
        path.write_text(report.splice(path.read_text() if path.exists() else "", markdown))
        log(f"wrote {target}")
    log(f"results in {bench.out.relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
