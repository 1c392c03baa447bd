// The worker's pipeline against a real local broker: consume → decode → format → write (+ fsync, journal) → ack.
//
//   BEACON_BENCH_AMQP_URL=amqp://guest:guest@127.0.0.1:5672/%2F \
//     BEACON_BENCHMARKS=1 swift package -c release benchmark --target WorkerBenchmarks
//
// Each iteration fills a durable queue with 50,000 schema-v1 events of 300 bytes (not timed), then runs a
// WorkerService on it and times it from its first delivery to the 50,000th event written and flushed; the
// acknowledgement follows each batch. `scripts/bench-worker` runs the `worker` executable the same way beside the
// Flask peer's worker. Without a URL (BEACON_BENCH_AMQP_URL, or BEACON_TEST_AMQP_URL under scripts/test-services)
// these stop with a clear message. The per-event cost of formatting a line (LogFormatBenchmarks.swift) needs no
// broker: `--filter LogFormat` runs it alone.

import BeaconAMQP
import BeaconEvents
import BeaconWorker
import Benchmark
import Foundation
import Logging
import ServiceLifecycle

let benchmarks: @Sendable () -> Void = {
    logFormatBenchmarks()
    let configuration = Benchmark.Configuration(
        metrics: [Fixture.rate, .cpuTotal, .peakMemoryResident],
        warmupIterations: 1,
        maxDuration: .seconds(180),
        maxIterations: 5
    )
    for fsync in [FileSinkConfiguration.FsyncPolicy.everyBatch, .never] {
        let name = fsync == .everyBatch ? "fsync every batch" : "no fsync"
        Benchmark(
            "consume-format-write-ack: 300 B events into a rotating file, \(name) (events/s)",
            configuration: configuration
        ) { benchmark in
            let fixture = try Fixture(url: brokerURL(), fsync: fsync)
            try await fixture.fill()
            let rate = try await fixture.drain()
            benchmark.measurement(Fixture.rate, rate)
        }
    }
}

/// One iteration's world: its own exchange, queue, log directory.
struct Fixture {
    static let events = 50_000
    static let rate = BenchmarkMetric.custom("events/s", polarity: .prefersLarger, useScalingFactor: false)

    let configuration: WorkerConfiguration

    init(url: String, fsync: FileSinkConfiguration.FsyncPolicy) throws {
        let name = "bench.worker.\(UUID().uuidString.prefix(8).lowercased())"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        configuration = WorkerConfiguration(
            broker: .init(url: url, exchange: "\(name).events", deadLetterQueue: "\(name).dead"),
            logDirectory: directory,
            queues: [.init(name: name, bindings: [.everything], retryDelays: [.seconds(1)], sinks: ["app.log"])],
            sinks: [.init(name: "app.log", kind: .file(FileSinkConfiguration(path: "app.log", fsync: fsync)))]
        )
    }

    /// Declares the topology and fills the queue (not timed).
    func fill() async throws {
        var logger = Logger(label: "bench.fill")
        logger.logLevel = .warning
        try await AMQPConnection.withConnection(
            configuration: configuration.amqpConfiguration(role: "bench"),
            topology: configuration.topology,
            logger: logger
        ) { connection in
            let channel = try await connection.openChannel()
            let queue = configuration.queues[0].name
            for start in stride(from: 0, to: Self.events, by: 1000) {
                let messages = (start..<start + 1000).map { _ in
                    let event = Event(
                        service: "web",
                        kind: .request,
                        level: .info,
                        logger: "web.request",
                        message: "GET /hello 200 0.099ms" + String(repeating: " ", count: 40),
                        request: .init(
                            id: "abcd86e509424d0b91aed35653396b73",
                            method: "GET",
                            path: "/hello",
                            status: 200,
                            durationMilliseconds: 0.099
                        )
                    )
                    return AMQPMessage(
                        exchange: "",
                        routingKey: queue,
                        body: event.jsonBytes(),
                        properties: .init(contentType: "application/json", deliveryMode: .persistent)
                    )
                }
                let outcomes = await channel.publish(messages)
                precondition(outcomes.allSatisfy(\.isConfirmed), "the fill was not confirmed")
            }
        }
    }

    /// Runs a worker on the full queue; events per second from its first delivery to the last event written.
    func drain() async throws -> Int {
        var logger = Logger(label: "bench.worker")
        logger.logLevel = .warning
        let statistics = WorkerStatistics()
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: WorkerService(configuration: configuration, logger: logger, statistics: statistics))],
                logger: logger
            )
        )
        let running = Task { try await group.run() }
        var started: ContinuousClock.Instant?
        while true {
            let counts = statistics.snapshot
            if started == nil, counts[.received, default: 0] > 0 { started = .now }
            if counts[.written, default: 0] >= Self.events { break }
            try await Task.sleep(for: .milliseconds(1))
        }
        let (seconds, attoseconds) = started!.duration(to: .now).components
        await group.triggerGracefulShutdown()
        try await running.value
        try? FileManager.default.removeItem(atPath: configuration.logDirectory)
        return Int(Double(Self.events) / (Double(seconds) + Double(attoseconds) / 1e18))
    }
}

/// The broker to measure against; stops the suite with a clear message when none is given.
func brokerURL() -> String {
    let environment = ProcessInfo.processInfo.environment
    guard let url = environment["BEACON_BENCH_AMQP_URL"] ?? environment["BEACON_TEST_AMQP_URL"], !url.isEmpty else {
        fatalError(
            "WorkerBenchmarks needs a RabbitMQ broker: set BEACON_BENCH_AMQP_URL (e.g. amqp://guest:guest@127.0.0.1:5672/%2F), "
                + "or run it under scripts/test-services"
        )
    }
    return url
}
