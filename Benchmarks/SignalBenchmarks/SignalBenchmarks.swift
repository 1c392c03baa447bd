import Beacon
import Benchmark

/// The application object the web server sends its signals from.
private final class Application: Sendable {}

/// A request payload, as the web server's `requestFinished` carries.
private struct RequestEvent: Sendable {
    let path: String
    let status: Int
}

/// The cost of one `send` as the web server makes it: a typed payload, the application object as the sender, receivers
/// that return nothing and whose result is not kept. Each iteration is 1,000 sends (`scalingFactor: .kilo`): divide the
/// wall clock and the malloc count by 1,000 for one send. `scripts/bench-signals` runs these next to
/// `blinker_bench.py`, which measures the same scenarios with Blinker, and prints the ratios.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000_000
    )

    let application = Application()
    let sender = Sender.object(application)
    let event = RequestEvent(path: "/hello", status: 200)

    func signal(receivers: Int) -> Signal<RequestEvent> {
        let signal = Signal<RequestEvent>(name: "request-finished")
        for _ in 0..<receivers {
            signal.connect { event in blackHole(event.status) }
        }
        return signal
    }

    let silent = signal(receivers: 0)
    Benchmark("send, 0 receivers") { benchmark in
        for _ in benchmark.scaledIterations {
            silent.send(event, from: sender)
        }
    }

    let single = signal(receivers: 1)
    Benchmark("send, 1 receiver") { benchmark in
        for _ in benchmark.scaledIterations {
            single.send(event, from: sender)
        }
    }

    let ten = signal(receivers: 10)
    Benchmark("send, 10 receivers") { benchmark in
        for _ in benchmark.scaledIterations {
            ten.send(event, from: sender)
        }
    }

    let senders = (0..<100).map { _ in Application() }
    let perSender = Signal<RequestEvent>(name: "request-finished")
    for sender in senders {
        perSender.connect(from: .object(sender)) { event in blackHole(event.status) }
    }
    let oneOfHundred = Sender.object(senders[57])
    Benchmark("send, 1 of 100 sender-specific receivers") { benchmark in
        for _ in benchmark.scaledIterations {
            perSender.send(event, from: oneOfHundred)
        }
    }

    let owned = Signal<RequestEvent>(name: "request-finished")
    owned.connect(owner: application) { _, event in blackHole(event.status) }
    Benchmark("send, 1 owner-bound receiver") { benchmark in
        for _ in benchmark.scaledIterations {
            owned.send(event, from: sender)
        }
    }

    Benchmark("await send, 1 receiver") { benchmark in
        for _ in benchmark.scaledIterations {
            await single.send(event, from: sender)
        }
    }

    let crowded = signal(receivers: 100)
    Benchmark("connect + cancel, 100 connected", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            crowded.connect { event in blackHole(event.status) }.cancel()
        }
    }
}
