"""Renders bench.py's results (var/proof/bench-*/results.json) as the Markdown of BENCHMARKS.md's end-to-end part.

    python3 scripts/proof/report.py var/proof/bench-…/results.json   # prints it

BENCHMARKS.md opens with a summary and the other benchmarks, written by hand; `make bench` replaces only what
follows MARKER (see splice).
"""
from __future__ import annotations

import json
import statistics
import sys


MARKER = "<!-- Written by `make bench` (scripts/proof/report.py) from here to the end: change that script, not this text. -->"


def splice(existing: str, markdown: str) -> str:
    """BENCHMARKS.md with its end-to-end part replaced by `markdown`: the text up to MARKER stays as it is."""
    head, found, _ = existing.partition(MARKER)
    return (head + MARKER + "\n\n" if found else MARKER + "\n\n") + markdown


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def f0(v) -> str:
    return "–" if v is None else f"{v:,.0f}"


def f1(v) -> str:
    return "–" if v is None else f"{v:,.1f}"


def f2(v) -> str:
    return "–" if v is None else f"{v:,.2f}"


def ratio(a, b, digits: int = 2) -> str:
    return "–" if not a or not b else f"{a / b:.{digits}f}×"


def web_section(w, runs: list, args: dict) -> None:
    by = {c: [r for r in runs if r["config"] == c] for c in ("on", "off", "peer")}
    names = {"off": "Beacon `web`, event pipeline off (`BEACON_EVENTS=off`)",
             "on": "Beacon `web`, every request an event: confirmed by the broker **and** written to app.log by the worker",
             "peer": "peer: Flask + blinker + pika, gunicorn gthread 2×4, publisher thread, confirms, its worker writing (RESULTS.md (d'))"}
    w("### Web: GET /hello")
    w("")
    w(f"`wrk -t2 -c32 -d{args.get('duration', 15)}s --latency` after 20 warm-up requests; runs interleaved (the order "
      "rotates: on, off, peer / off, peer, on / peer, on, off), all against the same broker (one vhost for Beacon, one "
      "for the peer). For *on* and the peer, the run only counts once every event is confirmed and every line written: "
      "the table shows how long after wrk's end that took, and the lines written against the events confirmed.")
    w("")
    w("| server | req/s (median) | runs | p50 ms | p99 ms | server CPU µs/req | broker CPU µs/req | worker CPU µs/req | confirmed → written | all written after | busy before / box cores |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    for c in ("off", "on", "peer"):
        rs = by[c]
        if not rs:
            continue
        written = ", ".join(f"{r.get('events_confirmed', 0):,} → {r.get('lines_written', 0):,}" for r in rs) if c != "off" else "–"
        drain = ", ".join(f"{r.get('written_drain_s')} s" for r in rs) if c != "off" else "–"
        w(f"| {names[c]} | **{f0(med(r['rps'] for r in rs))}** | {', '.join(f0(r['rps']) for r in rs)} | "
          f"{f2(med(r['p50_ms'] for r in rs))} | {f2(med(r['p99_ms'] for r in rs))} | "
          f"{f0(med(r['server_cpu_us_per_request'] for r in rs))} | {f0(med(r['broker_cpu_us_per_request'] for r in rs))} | "
          f"{f0(med(r.get('worker_cpu_us_per_request') for r in rs))} | {written} | {drain} | "
          f"{', '.join(str(r['busy_before']) for r in rs)} / {', '.join(str(r['box_cores_during']) for r in rs)} |")
    w("")
    on, off, peer = (med(r["rps"] for r in by[c]) for c in ("on", "off", "peer"))
    w(f"- pipeline on / off: **{ratio(on, off)}** req/s; p99 on − off: "
      f"**{(med(r['p99_ms'] for r in by['on']) or 0) - (med(r['p99_ms'] for r in by['off']) or 0):+.2f} ms**")
    w(f"- Beacon (pipeline on) / peer: **{ratio(on, peer, 1)}** req/s, p99 {f2(med(r['p99_ms'] for r in by['on']))} vs "
      f"{f2(med(r['p99_ms'] for r in by['peer']))} ms")
    busy = [r for r in runs if r["busy_before"] >= 0.5]
    if busy:
        w(f"- **{len(busy)} of {len(runs)} runs started on a busy box** (other jobs held ≥ 0.5 cores when the idle gate "
          "gave up waiting): " + ", ".join(f"{r['config']} r{r['run']} ({r['busy_before']} cores busy before: "
                                          f"{f0(r['rps'])} req/s, p99 {f2(r['p99_ms'])} ms)" for r in busy)
          + ". Their numbers are in the medians above; the quiet runs alone: "
          + "; ".join(f"{c} {', '.join(f0(r['rps']) + ' req/s (p99 ' + f2(r['p99_ms']) + ' ms)' for r in by[c] if r['busy_before'] < 0.5) or 'none'}"
                      for c in ("off", "on", "peer")) + ".")
    short = [r for r in by["on"] + by["peer"] if r.get("lines_written", 0) < r.get("events_confirmed", 0)]
    dropped = sum(r.get("events_dropped", 0) for r in by["on"])
    non2xx = sum(r["non_2xx"] for r in runs)
    w(f"- Beacon events: {sum(r.get('events_enqueued', 0) for r in by['on']):,} enqueued, "
      f"{sum(r.get('events_confirmed', 0) for r in by['on']):,} confirmed, {dropped} dropped, "
      f"{sum(r.get('lines_written', 0) for r in by['on']):,} lines written (a few more lines than events: the "
      "bench's own /metrics reads are requests too); runs where fewer lines were written than events confirmed "
      f"(Beacon or peer): {len(short)}; non-2xx responses in all runs: {non2xx}")
    w("")


def render(results: dict) -> str:
    m = results["machine"]
    s = results["sections"]
    args = results.get("args", {})
    out: list[str] = []
    w = out.append
    w("## End to end: `make bench`, against the Flask + blinker + pika peer")
    w("")
    w(f"One run of `make bench` (`scripts/proof/bench.py`), {results['started']} → {results.get('finished', '?')}. "
      "Every number below comes from that run; the raw results are in `var/proof/bench-*/results.json` of the machine "
      "that ran it, and `python3 scripts/proof/report.py results.json` renders this part from them. Medians of "
      f"{args.get('runs', 3)} interleaved runs; compare the ratios, not the absolute numbers (the box is small and shared).")
    w("")
    w("### Machine")
    w("")
    w("| | |")
    w("|---|---|")
    w(f"| CPU | {m['cores']} cores, {m['cpu']} (a VM) |")
    w(f"| memory | {m['memory_gib']} GiB |")
    w(f"| system | {m['os']}, kernel {m['kernel']} |")
    w(f"| Swift | {m['swift']} (release builds of `web` and `worker`) |")
    w(f"| peer | {m['python']}, Flask + blinker + pika + gunicorn (`../shared/peer`) |")
    w(f"| RabbitMQ | {m['rabbitmq']} (Debian), one node of the bench's own, classic queues, management plugin on |")
    w(f"| wrk | {m['wrk']} |")
    w(f"| load average | start {results['loadavg_start']}, end {results.get('loadavg_end', '?')} (1, 5, 15 min) |")
    w("")
    w("**Everything shares the 2 cores**: the load generator, the web server, RabbitMQ and the worker, like the peer's "
      "own measurements (`../shared/peer/RESULTS.md`). The box is also shared with other engineers' builds and tests: "
      f"before each measurement the bench waits (up to {int(float(__import__('os').environ.get('QUIET_WAIT', '120')))} s) for "
      "the box to be idle (< 0.5 cores busy) and records how busy it was (\"busy before\", in cores), and for the web "
      "runs how busy the whole box was during wrk (\"box cores\", of 2).")
    w("")

    if "web" in s:
        web_section(w, s["web"], args)
    if "amqp" in s:
        a = s["amqp"]
        b = a.get("bench_amqp", {})
        beacon = b.get("beacon", {})

        def swift_rounds(title_start: str, queue_type: str = "quorum") -> list:
            """Each round's p50 of the Swift benchmark on `queue_type` queues whose title starts with `title_start`."""
            return next((list(rounds) for title, rounds in beacon.items()
                         if title.startswith(title_start) and f"durable {queue_type} queue" in title), [])

        def p50s(title_start: str, queue_type: str = "quorum") -> list:
            return [r["p50"] for r in swift_rounds(title_start, queue_type)]

        pub_rounds, con_rounds = p50s("publish-confirm: 300 B persistent"), p50s("consume-ack")
        pub_event_rounds = p50s("publish-confirm: 300 B event")
        classic_pub_rounds = p50s("publish-confirm: 300 B persistent", "classic")
        classic_con_rounds = p50s("consume-ack", "classic")
        pub, pub_event, con = med(pub_rounds), med(pub_event_rounds), med(con_rounds)
        pika_window, pika_confirms = med(b.get("pika_window", [])), med(b.get("pika_confirms", []))
        cloop, pika_consume = med(b.get("cloop", [])), med(b.get("pika_consume", []))
        cloop_classic = med(b.get("cloop_classic", []))

        def rounds(values: list) -> str:
            return ", ".join(f0(v) for v in values)

        w("### AMQP client: BeaconAMQP against pika")
        w("")
        w("`scripts/bench-amqp --pika ../shared/peer/bench_publish.py` (its own throwaway broker), in interleaved rounds "
          "whose order rotates: BeaconAMQP's package-benchmark suite (50,000 persistent 300-byte messages per iteration, "
          "confirm window 1,024; a round's figure is the p50 of its iterations, which package-benchmark rounds to "
          "thousands), a bare rabbitmq-c loop with the same window, pika's publish benchmark (per-message confirms on "
          "5,000 messages; SelectConnection with 1,000 in flight on 50,000), and pika consuming as the Swift benchmark "
          "does (`scripts/proof/pika_consume.py`: prefetch 2,000, one multiple-ack per 500, 50,000 messages). Every "
          "part runs on a durable quorum queue; BeaconAMQP and the rabbitmq-c loop also on a durable classic queue, "
          "where RabbitMQ 3.10's queue process (its heap holds the backlog) sets the pace for any client.")
        w("")
        w("| | msg/s (median of the rounds) | rounds |")
        w("|---|---|---|")
        w(f"| BeaconAMQP publish with confirms (plain properties) | **{f0(pub)}** | {rounds(pub_rounds)} |")
        w(f"| BeaconAMQP publish with confirms (every event property) | {f0(pub_event)} | {rounds(pub_event_rounds)} |")
        w(f"| bare rabbitmq-c loop, window 1,024 | {f0(cloop)} | {rounds(b.get('cloop', []))} |")
        w(f"| pika SelectConnection, confirms, 1,000 in flight | {f0(pika_window)} | {rounds(b.get('pika_window', []))} |")
        w(f"| pika BlockingConnection, a confirm per message | {f0(pika_confirms)} | {rounds(b.get('pika_confirms', []))} |")
        w(f"| BeaconAMQP consume + ack | **{f0(con)}** | {rounds(con_rounds)} |")
        w(f"| pika consume + ack | {f0(pika_consume)} | {rounds(b.get('pika_consume', []))} |")
        w(f"| classic queue: BeaconAMQP publish with confirms | {f0(med(classic_pub_rounds))} | "
          f"{rounds(classic_pub_rounds)} |")
        w(f"| classic queue: bare rabbitmq-c loop | {f0(cloop_classic)} | {rounds(b.get('cloop_classic', []))} |")
        w(f"| classic queue: BeaconAMQP consume + ack | {f0(med(classic_con_rounds))} | {rounds(classic_con_rounds)} |")
        w("")
        w(f"- publish: BeaconAMQP / pika (windowed) **{ratio(pub, pika_window, 1)}**, / pika (blocking confirms) "
          f"**{ratio(pub, pika_confirms, 1)}**; BeaconAMQP / bare rabbitmq-c **{ratio(pub, cloop)}** (classic: "
          f"{ratio(med(classic_pub_rounds), cloop_classic)})")
        w(f"- consume: BeaconAMQP / pika **{ratio(con, pika_consume, 1)}**")
        w(f"- load average before / after: {a.get('loadavg_before')} / {a.get('loadavg_after')}")
        w("")

    if "worker" in s:
        runs = s["worker"]["runs"]
        w("### Worker: file sink")
        w("")
        w(f"`scripts/bench-worker.py` on the bench's broker: each worker starts on a queue pre-filled with "
          f"{args.get('worker_events', 100000):,} persistent events of about 312 bytes and is timed from outside, from the "
          "first line written to the last (Beacon: app.log with `fsync: batch`, errors.log; peer: `worker.py`, pika + "
          "RotatingFileHandler, prefetch 100). The order alternates between runs.")
        w("")
        w("| worker | events/s (median) | runs | worker CPU µs/event | broker CPU µs/event | busy before |")
        w("|---|---|---|---|---|---|")
        names = {"beacon": "Beacon `worker` (release)", "peer": "peer `worker.py`"}
        rates = {}
        for side in ("beacon", "peer"):
            rs = [r for r in runs if r["side"] == side]
            rates[side] = med(r["events_per_s"] for r in rs)
            w(f"| {names[side]} | **{f0(rates[side])}** | {', '.join(f0(r['events_per_s']) for r in rs)} | "
              f"{f1(med(r['worker_cpu_us_per_event'] for r in rs))} | {f1(med(r['broker_cpu_us_per_event'] for r in rs))} | "
              f"{', '.join(str(r['busy_before']) for r in rs)} |")
        w("")
        w(f"- Beacon / peer: **{ratio(rates['beacon'], rates['peer'], 1)}** events/s")
        w("")

    if "e2e" in s:
        runs = s["e2e"]
        rate = runs[0]["rate_target"] if runs else 1000
        w(f"## End to end: request → line in app.log at a steady {rate:,.0f} req/s")
        w("")
        w(f"Open loop: a Python generator (`proofkit.Load`, 24 threads with keep-alive connections) schedules GET /hello "
          f"every {1000 / rate:g} ms by the clock for {runs[0]['seconds'] if runs else '?'} s, whether or not earlier "
          "requests have been answered, each with its own `X-Request-ID`; latencies are measured from the *scheduled* "
          "send time, so a stall is not hidden (no coordinated omission). A separate process tails app.log (polling "
          "every millisecond) and notes when each request id's line appears. End-to-end = line seen − scheduled send: "
          "request, event through the outbox, publisher confirm batching, RabbitMQ, the worker's batch, write and fsync. "
          "The release `web` and `worker`; 2 s of warm-up at 200 req/s before each run (not counted).")
        w("")
        w("| run | achieved req/s | HTTP p50 / p99 ms | end-to-end p50 ms | end-to-end p99 ms | max ms | lines seen / answered | HTTP failures | busy before |")
        w("|---|---|---|---|---|---|---|---|---|")
        for r in runs:
            w(f"| {r['run']} | {f0(r['achieved_rps'])} | {f2(r['http_p50_ms'])} / {f2(r['http_p99_ms'])} | {f2(r['e2e_p50_ms'])} | "
              f"{f2(r['e2e_p99_ms'])} | {f2(r['e2e_max_ms'])} | {r['lines_seen']:,} / {r['answered']:,} | {r['http_failures']} | {r['busy_before']} |")
        w(f"| **median** | {f0(med(r['achieved_rps'] for r in runs))} | {f2(med(r['http_p50_ms'] for r in runs))} / "
          f"{f2(med(r['http_p99_ms'] for r in runs))} | **{f2(med(r['e2e_p50_ms'] for r in runs))}** | "
          f"**{f2(med(r['e2e_p99_ms'] for r in runs))}** | {f2(med(r['e2e_max_ms'] for r in runs))} | | | |")
        w("")

    rss_rows = []
    if "web" in s:
        on = [r for r in s["web"] if r["config"] == "on"]
        off = [r for r in s["web"] if r["config"] == "off"]
        peer = [r for r in s["web"] if r["config"] == "peer"]
        rss_rows.append(("under wrk (32 connections, max speed)", max((r.get("web_peak_rss_mb") or 0) for r in on) if on else None,
                         max((r.get("web_peak_rss_mb") or 0) for r in off) if off else None,
                         max((r.get("worker_peak_rss_mb") or 0) for r in on) if on else None,
                         max((r.get("server_peak_rss_mb") or 0) for r in peer) if peer else None,
                         max((r.get("worker_peak_rss_mb") or 0) for r in peer) if peer else None))
    if "e2e" in s:
        e = s["e2e"]
        rss_rows.append((f"steady {e[0]['rate_target']:,.0f} req/s" if e else "steady", max(r["web_peak_rss_mb"] for r in e) if e else None,
                         None, max(r["worker_peak_rss_mb"] for r in e) if e else None, None, None))
    if rss_rows:
        w("### Peak memory")
        w("")
        w("VmHWM from `/proc/PID/status` just before each process was stopped; the largest of the runs.")
        w("")
        w("| load | web, events on (MiB) | web, events off (MiB) | worker (MiB) | peer gunicorn, master + 2 workers (MiB) | peer worker (MiB) |")
        w("|---|---|---|---|---|---|")
        for row in rss_rows:
            w(f"| {row[0]} | {f1(row[1])} | {f1(row[2])} | {f1(row[3])} | {f1(row[4])} | {f1(row[5])} |")
        w("")
    w("### Reproduce")
    w("")
    w("```sh")
    w("make bench                                   # everything, about 20-30 minutes; rewrites this part of BENCHMARKS.md")
    w("scripts/proof/bench.py --quick --skip-build  # one short run of web, worker and e2e (a smoke test)")
    w("scripts/proof/bench.py --only e2e --runs 3   # a subset; results in var/proof/bench-*/summary.md")
    w("```")
    w("")
    w("Knobs: `--runs`, `--duration` (s of wrk), `--e2e-rate`, `--e2e-seconds`, `--worker-events`, `--skip-build` "
      "(`SKIP_BUILD=1`), `QUIET_BUSY`/`QUIET_WAIT` (the idle gate), `PEER_DIR`, `PEER_PYTHON` (a Python with Flask, pika, "
      "gunicorn).")
    if results.get("section_seconds"):
        w("")
        w("Time per section in this run: " + ", ".join(f"{k} {v} s" for k, v in results["section_seconds"].items()) + ".")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render(json.load(open(sys.argv[1]))), end="")
