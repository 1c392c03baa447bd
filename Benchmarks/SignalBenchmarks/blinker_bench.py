#!/usr/bin/env python3
"""Blinker's cost per send (and per connect + disconnect) in the scenarios of SignalBenchmarks.swift.

Each scenario does what its Swift twin does, the Flask way: the application object is the sender, the payload goes as a
keyword argument, receivers are connected with Blinker's defaults (weakly referenced) and return nothing. Prints one
JSON object: {"blinker": version, "results": {scenario: {"median_ns": ..., "samples_ns": [...]}}}, where each sample
is the mean of one timeit run and the median is over the runs.

    python3 Benchmarks/SignalBenchmarks/blinker_bench.py [--repeat 7]
"""

import argparse
import dataclasses
import json
import statistics
import timeit
from importlib.metadata import version

import blinker


class Application:
    """The object the web server sends from."""


@dataclasses.dataclass(frozen=True)
class RequestEvent:
    path: str
    status: int


def make_receiver():
    """A distinct receiver function each call (Blinker treats the same function connected twice as one receiver)."""

    def receiver(sender, **payload):
        pass

    return receiver


class Handler:
    """An object whose bound method is the receiver: Blinker holds it weakly, like Beacon's owner-bound receivers."""

    def handle(self, sender, **payload):
        pass


def scenarios():
    """(name, function to time, what to keep alive) for each scenario."""
    application = Application()
    event = RequestEvent(path="/hello", status=200)
    kept = []

    def signal_with(receivers):
        signal = blinker.Signal()
        for _ in range(receivers):
            receiver = make_receiver()
            kept.append(receiver)
            signal.connect(receiver)
        return signal

    silent, single, ten, crowded = signal_with(0), signal_with(1), signal_with(10), signal_with(100)

    senders = [Application() for _ in range(100)]
    per_sender = blinker.Signal()
    for sender in senders:
        receiver = make_receiver()
        kept.append(receiver)
        per_sender.connect(receiver, sender=sender)
    one_of_hundred = senders[57]

    owned = blinker.Signal()
    handler = Handler()
    kept.append(handler)
    owned.connect(handler.handle)

    visitor = make_receiver()
    kept.append(visitor)

    def connect_and_disconnect():
        crowded.connect(visitor)
        crowded.disconnect(visitor)

    return kept, [
        ("send, 0 receivers", lambda: silent.send(application, event=event)),
        ("send, 1 receiver", lambda: single.send(application, event=event)),
        ("send, 10 receivers", lambda: ten.send(application, event=event)),
        ("send, 1 of 100 sender-specific receivers", lambda: per_sender.send(one_of_hundred, event=event)),
        ("send, 1 owner-bound receiver", lambda: owned.send(application, event=event)),
        ("connect + cancel, 100 connected", connect_and_disconnect),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timeit runs per scenario (default 7)")
    arguments = parser.parse_args()

    kept, timed = scenarios()
    results = {}
    for name, function in timed:
        timer = timeit.Timer(function)
        number, _ = timer.autorange()
        samples = [seconds / number * 1e9 for seconds in timer.repeat(repeat=arguments.repeat, number=number)]
        results[name] = {"median_ns": statistics.median(samples), "samples_ns": samples}
    print(json.dumps({"blinker": version("blinker"), "results": results}))
    del kept


if __name__ == "__main__":
    main()
