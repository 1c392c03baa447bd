// The Beacon side of scripts/bench-tasks: BeaconTasks' client and worker against a broker, one measurement per
// invocation, each printing one JSON line on stdout. scripts/bench-tasks.py runs it beside Celery 5.7.
//
//   TaskBenchmarks declare --url URL --queue Q [--queue Q2 …] --dead D
//   TaskBenchmarks enqueue --url URL --queue Q --count N [--concurrency C] [--warmup W]
//   TaskBenchmarks publish --url URL --queue Q --count N [--concurrency C] [--headers 0|1]
//   TaskBenchmarks worker  --url URL --queue Q --dead D [--concurrency C] [--expect N]
//   TaskBenchmarks latency --url URL --queue Q [--rate R] [--seconds S] [--warmup-seconds W] [--confirm-only 1]

import BeaconAMQP
import BeaconTasks
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// The task every measurement runs: no arguments, no work, `None` as its result.
enum Noop: TaskDefinition {
    static let name = "bench.noop"
    typealias Arguments = NoArguments
    typealias Output = NoOutput
}

/// `--name value` pairs; a name given more than once keeps every value.
struct Options {
    let command: String
    private var values: [String: [String]] = [:]

    init(_ arguments: [String]) {
        guard let first = arguments.first else { Self.fail("no command: declare, enqueue, worker or latency") }
        command = first
        var rest = arguments.dropFirst()
        while let name = rest.popFirst() {
            guard name.hasPrefix("--"), let value = rest.popFirst() else { Self.fail("expected --name value, got \(name)") }
            values[String(name.dropFirst(2)), default: []].append(value)
        }
    }

    func all(_ name: String) -> [String] { values[name] ?? [] }

    func string(_ name: String, _ fallback: String? = nil) -> String {
        guard let value = values[name]?.last ?? fallback else { Self.fail("--\(name) is required") }
        return value
    }

    func int(_ name: String, _ fallback: Int) -> Int {
        guard let text = values[name]?.last else { return fallback }
        guard let value = Int(text) else { Self.fail("--\(name) takes a whole number, not \(text)") }
        return value
    }

    func double(_ name: String, _ fallback: Double) -> Double {
        guard let text = values[name]?.last else { return fallback }
        guard let value = Double(text) else { Self.fail("--\(name) takes a number, not \(text)") }
        return value
    }

    static func fail(_ message: String) -> Never {
        FileHandleStandardError.write("TaskBenchmarks: \(message)\n")
        exit(2)
    }
}

enum FileHandleStandardError {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
    }
}

/// The process's user + system CPU so far, in seconds.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// One JSON object on one line: numbers and strings only.
func emit(_ fields: KeyValuePairs<String, any Sendable>) {
    let body = fields.map { key, value -> String in
        switch value {
        case let text as String: return "\"\(key)\":\"\(text)\""
        case let number as Double: return "\"\(key)\":\(number.isFinite ? "\(number)" : "null")"
        default: return "\"\(key)\":\(value)"
        }
    }
    print("{" + body.joined(separator: ",") + "}")
    fflush(nil)
}

/// A counter that escaping closures share.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
    func increment() -> Int { value.add(1, ordering: .relaxed).newValue }
}

/// The latencies of the tasks that finished (ms from when each was due, and from when it was sent), and the failures.
final class Samples: Sendable {
    let state = Mutex<(due: [Double], sent: [Double], failures: Int)>(([], [], 0))
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

func main(_ options: Options) async throws {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = .warning
        return handler
    }
    let logger = Logger(label: "TaskBenchmarks")
    var configuration = try AMQPConfiguration(url: options.string("url"))
    configuration.connectionName = "TaskBenchmarks \(options.command)"

    switch options.command {
    case "declare":
        // The worker's own topology (its dead letters, the delay ladder, the quorum queues), as TaskWorker declares it.
        let queues = options.all("queue")
        let dead = options.string("dead")
        try await AMQPConnection.withConnection(configuration: configuration, logger: logger) { connection in
            var worker = TaskWorker(connection: connection, deadLetterQueue: dead, logger: logger)
            for queue in queues { worker.addQueue(TaskQueue(queue)) }
            worker.register(Noop.self, queue: queues[0]) { _, _ in NoOutput() }
            try await connection.declare(worker.topology)
            let tools = try await connection.openChannel()
            for queue in queues { _ = try await tools.purgeQueue(queue) }
            await tools.close()
        }
        // The arguments a Python producer or worker must declare the same queues with.
        let arguments = TaskQueue(queues[0]).arguments(deadLetterExchange: dead).sorted { $0.key < $1.key }.map { key, value in
            "\"\(key)\":" + (value.intValue.map { "\($0)" } ?? "\"\(value.stringValue ?? "")\"")
        }
        print("{" + arguments.joined(separator: ",") + "}")

    case "enqueue":
        // N no-op tasks without a result, `concurrency` enqueuers at once, each awaiting its own confirm.
        let queue = options.string("queue")
        let count = options.int("count", 50_000)
        let concurrency = options.int("concurrency", 256)
        let warmup = options.int("warmup", 2_000)
        try await AMQPConnection.withConnection(configuration: configuration, logger: logger) { connection in
            let client = try await TaskClient(connection: connection, logger: logger)
            let taskOptions = TaskOptions(queue: queue, ignoreResult: true)
            func burst(_ total: Int) async throws -> Duration {
                let next = Counter()
                let started = ContinuousClock.now
                try await withThrowingDiscardingTaskGroup { group in
                    for _ in 0..<min(concurrency, total) {
                        group.addTask {
                            while next.increment() <= total {
                                _ = try await client.enqueue(Noop.self, NoArguments(), options: taskOptions)
                            }
                        }
                    }
                }
                return ContinuousClock.now - started
            }
            if warmup > 0 { _ = try await burst(warmup) }
            let cpu0 = cpuSeconds()
            let elapsed = try await burst(count)
            let cpu = cpuSeconds() - cpu0
            await client.close()
            emit([
                "side": "beacon", "count": count, "concurrency": concurrency, "seconds": elapsed.seconds,
                "per_s": Double(count) / elapsed.seconds, "cpu_us_per_task": cpu / Double(count) * 1e6,
            ])
        }

    case "publish":
        // A breakdown of `enqueue`: one task message built once, then published as it is (`--headers 1`) or without
        // its Celery headers (`--headers 0`), by `concurrency` publishers each awaiting its confirm; straight on an
        // AMQPChannel, without TaskClient's per-task encoding. The broker's CPU per message tells what the headers
        // cost it.
        let queue = options.string("queue")
        let count = options.int("count", 50_000)
        let concurrency = options.int("concurrency", 256)
        let keepHeaders = options.int("headers", 1) != 0
        try await AMQPConnection.withConnection(configuration: configuration, logger: logger) { connection in
            let channel = try await connection.openChannel()
            let task = try TaskMessage(Noop.self, arguments: NoArguments(), options: TaskOptions(queue: queue, ignoreResult: true))
            var built = task.wire(routingKey: queue).amqpMessage(mandatory: true)
            if !keepHeaders { built.properties.headers = [:] }
            let message = built
            let next = Counter()
            let cpu0 = cpuSeconds()
            let started = ContinuousClock.now
            try await withThrowingDiscardingTaskGroup { group in
                for _ in 0..<min(concurrency, count) {
                    group.addTask {
                        while next.increment() <= count {
                            let outcome = await channel.publish(message)
                            guard case .confirmed = outcome else { throw AMQPError(code: .timeout, message: "\(outcome)") }
                        }
                    }
                }
            }
            let elapsed = ContinuousClock.now - started
            let cpu = cpuSeconds() - cpu0
            await channel.close()
            emit([
                "side": "beacon", "count": count, "headers": keepHeaders ? 1 : 0, "body_bytes": message.body.count,
                "seconds": elapsed.seconds, "per_s": Double(count) / elapsed.seconds, "cpu_us_per_task": cpu / Double(count) * 1e6,
            ])
        }

    case "worker":
        // A TaskWorker on the queue, running no-op tasks until SIGTERM. It also reports, from inside, the time from its
        // first run to its `expect`-th: a cross-check of the driver's measurement from outside.
        let queue = options.string("queue")
        let dead = options.string("dead")
        let concurrency = options.int("concurrency", 64)
        let expect = options.int("expect", 0)
        let connection = try AMQPConnection(configuration: configuration, logger: logger)
        let runs = Counter()
        let marks = Mutex<(first: ContinuousClock.Instant?, cpu: Double)>((nil, 0))
        var worker = TaskWorker(connection: connection, deadLetterQueue: dead, logger: logger)
        worker.addQueue(TaskQueue(queue, concurrency: concurrency))
        worker.register(Noop.self, queue: queue) { _, _ in
            let done = runs.increment()
            if done == 1 { marks.withLock { $0 = (ContinuousClock.now, cpuSeconds()) } }
            if done == expect {
                let (first, cpu) = marks.withLock { $0 }
                if let first {
                    let elapsed = (ContinuousClock.now - first).seconds
                    emit([
                        "side": "beacon", "inside_count": expect, "inside_seconds": elapsed,
                        "inside_per_s": Double(expect - 1) / elapsed,
                        "inside_cpu_us_per_task": (cpuSeconds() - cpu) / Double(expect - 1) * 1e6,
                    ])
                }
            }
            return NoOutput()
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: connection), .init(service: worker)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()

    case "latency":
        // Open loop: task i is due at start + i / rate, whatever the earlier ones do; its latency runs from when it was
        // due (not when it was sent) to its result in hand, so a stall counts against every task it delays.
        let queue = options.string("queue")
        let rate = options.double("rate", 1_000)
        let seconds = options.double("seconds", 10)
        let warmupSeconds = options.double("warmup-seconds", 1)
        try await AMQPConnection.withConnection(configuration: configuration, logger: logger) { connection in
            let client = try await TaskClient(connection: connection, logger: logger)
            // `--confirm-only 1`: no result asked for, so the latency is the enqueue's confirm alone (a breakdown).
            let confirmOnly = options.int("confirm-only", 0) != 0
            let taskOptions = TaskOptions(queue: queue, ignoreResult: confirmOnly)
            func run(_ seconds: Double) async throws -> (due: [Double], sent: [Double], lateness: [Double], failures: Int) {
                let count = Int(seconds * rate)
                let samples = Samples()
                var lateness: [Double] = []
                lateness.reserveCapacity(count)
                let clock = ContinuousClock()
                let start = clock.now + .milliseconds(20)
                let interval = Duration.seconds(1 / rate)
                await withDiscardingTaskGroup { group in
                    for index in 0..<count {
                        let due = start + interval * index
                        try? await Task.sleep(until: due, tolerance: .zero, clock: clock)
                        lateness.append((clock.now - due).seconds * 1e3)
                        group.addTask {
                            let sent = clock.now
                            do {
                                let handle = try await client.enqueue(Noop.self, NoArguments(), options: taskOptions)
                                if !confirmOnly { _ = try await handle.result(timeout: .seconds(30)) }
                                let done = clock.now
                                samples.state.withLock {
                                    $0.due.append((done - due).seconds * 1e3)
                                    $0.sent.append((done - sent).seconds * 1e3)
                                }
                            } catch {
                                samples.state.withLock { $0.failures += 1 }
                            }
                        }
                    }
                }
                let result = samples.state.withLock { $0 }
                return (result.due.sorted(), result.sent.sorted(), lateness.sorted(), result.failures)
            }
            if warmupSeconds > 0 { _ = try await run(warmupSeconds) }
            let cpu0 = cpuSeconds()
            let result = try await run(seconds)
            let cpu = cpuSeconds() - cpu0
            await client.close()
            emit([
                "side": "beacon", "rate": rate, "tasks": result.due.count, "failures": result.failures,
                "p50_ms": percentile(result.due, 50), "p90_ms": percentile(result.due, 90),
                "p99_ms": percentile(result.due, 99), "max_ms": result.due.last ?? .nan,
                "sent_p50_ms": percentile(result.sent, 50), "sent_p99_ms": percentile(result.sent, 99),
                "schedule_late_p99_ms": percentile(result.lateness, 99),
                "client_cpu_us_per_task": cpu / Double(max(1, result.due.count)) * 1e6,
            ])
        }

    default:
        Options.fail("unknown command \(options.command): declare, enqueue, worker or latency")
    }
}

try await main(Options(Array(CommandLine.arguments.dropFirst())))
