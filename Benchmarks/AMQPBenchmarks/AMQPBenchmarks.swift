// BeaconAMQP against a real local broker: 300-byte persistent messages to and from durable queues, quorum and classic.
//
//   BEACON_BENCH_AMQP_URL=amqp://guest:guest@127.0.0.1:5672/%2F \
//     BEACON_BENCHMARKS=1 swift package -c release benchmark --target AMQPBenchmarks
//
// (`scripts/bench-amqp` starts a throwaway broker, runs this and pika's publish benchmark beside it.) Without a URL
// (BEACON_BENCH_AMQP_URL, or BEACON_TEST_AMQP_URL under scripts/test-services) the suite stops with a clear message.

import BeaconAMQP
import Benchmark
import Foundation
import Logging
import Synchronization

let benchmarks: @Sendable () -> Void = {
    let url = brokerURL()
    let configuration = Benchmark.Configuration(
        metrics: [Fixture.rate, .peakMemoryResident],
        warmupIterations: 1,
        maxDuration: .seconds(120),
        maxIterations: 5
    )

    /// One benchmark of `measure` on `fixture`, which connects before and closes after.
    func register(_ name: String, on fixture: Fixture, measuring measure: @escaping @Sendable (Fixture, Benchmark) async -> Void) {
        Benchmark(
            name,
            configuration: configuration,
            closure: { benchmark, fixture in await measure(fixture, benchmark) },
            setup: { try await fixture.connect() },
            teardown: { await fixture.close() }
        )
    }

    // Quorum queues first (RabbitMQ's durable, replicated queue type, and the one the goals are measured on), then
    // classic queues: on RabbitMQ 3.10 a classic queue keeps its backlog on its own heap, and collecting that heap
    // sets the pace on two cores whatever the client (README, "AMQP client").
    for queueType in [AMQPQueue.QueueType.quorum, .classic] {
        let queue = "a durable \(queueType.rawValue) queue"

        // The same messages as the pika and rabbitmq-c comparisons: content type and delivery mode only.
        let plain = Fixture(url: url, queueType: queueType) { _ in
            AMQPProperties(contentType: "application/json", deliveryMode: .persistent)
        }
        register("publish-confirm: 300 B persistent, mandatory, to \(queue) (msg/s)", on: plain) { await $0.measurePublishing($1) }

        // Beacon's event messages: every property the event schema sets.
        let events = Fixture(url: url, queueType: queueType) { id in
            AMQPProperties(
                contentType: "application/json",
                deliveryMode: .persistent,
                messageID: id,
                timestamp: Date(),
                type: "request",
                appID: "web"
            )
        }
        register("publish-confirm: 300 B event (message id, timestamp, type, app id), mandatory, to \(queue) (msg/s)", on: events) {
            await $0.measurePublishing($1)
        }
        register("consume-ack: 300 B event from \(queue), prefetch 2,000, one multiple-ack per batch (msg/s)", on: events) {
            await $0.measureConsuming($1)
        }
    }
}

/// The broker, a durable queue, and the messages; shared by the iterations of a benchmark.
final class Fixture: Sendable {
    static let messagesPerIteration = 50_000
    static let batchSize = 500
    static let rate = BenchmarkMetric.custom("msg/s", polarity: .prefersLarger, useScalingFactor: false)

    let url: String
    let queueType: AMQPQueue.QueueType
    let queue = "bench.amqp.\(UUID().uuidString.prefix(8).lowercased())"
    /// The connection, the task running it (between a benchmark's setup and its teardown) and the channel.
    private let state = Mutex<(connection: AMQPConnection?, running: Task<Void, any Error>?, channel: AMQPChannel?)>((nil, nil, nil))
    /// Event-sized JSON bodies (300 bytes) with the properties the Beacon event schema sets.
    let batches: [[AMQPMessage]]

    init(url: String, queueType: AMQPQueue.QueueType, properties: (_ messageID: String) -> AMQPProperties) {
        self.url = url
        self.queueType = queueType
        let queue = self.queue
        batches = stride(from: 0, to: Self.messagesPerIteration, by: Self.batchSize).map { start in
            (start..<start + Self.batchSize).map { index in
                let id = String(format: "%08x-0000-4000-8000-%012x", index, index)
                var body = Array("{\"schema\":1,\"id\":\"\(id)\",\"kind\":\"request\",\"level\":\"info\",\"message\":\"GET /hello 200\"}".utf8)
                body += Array(repeating: UInt8(ascii: " "), count: 300 - body.count - 1) + [UInt8(ascii: "\n")]
                return AMQPMessage(exchange: "", routingKey: queue, body: body, properties: properties(id))
            }
        }
    }

    /// One publishing iteration: every message handed over at once, timed until the last confirm.
    func measurePublishing(_ benchmark: Benchmark) async {
        let started = ContinuousClock.now
        let confirmed = await publishAll()
        benchmark.measurement(Self.rate, Self.rate(Self.messagesPerIteration, since: started))
        precondition(confirmed == Self.messagesPerIteration, "only \(confirmed) of \(Self.messagesPerIteration) confirmed")
        await purge()
    }

    /// One consuming iteration: the queue is filled (not timed), then consumed empty.
    func measureConsuming(_ benchmark: Benchmark) async {
        await fill()
        let started = ContinuousClock.now
        let consumed = await consumeAll()
        benchmark.measurement(Self.rate, Self.rate(Self.messagesPerIteration, since: started))
        precondition(consumed == Self.messagesPerIteration, "consumed \(consumed) of \(Self.messagesPerIteration)")
    }

    static func rate(_ count: Int, since started: ContinuousClock.Instant) -> Int {
        let (seconds, attoseconds) = started.duration(to: .now).components
        return Int(Double(count) / (Double(seconds) + Double(attoseconds) / 1e18))
    }

    func connect() async throws -> Fixture {
        var configuration = try AMQPConfiguration(url: url)
        configuration.confirmWindow = 1024
        configuration.connectionName = "AMQPBenchmarks"
        var logger = Logger(label: "bench.amqp")
        logger.logLevel = .warning
        // The connection is a service; it runs from the benchmark's setup to its teardown, which closes it.
        let connection = try AMQPConnection(configuration: configuration, startup: .failFast, logger: logger)
        let running = Task { try await connection.run() }
        do {
            try await connection.waitUntilConnected()
            let channel = try await connection.openChannel()
            try await channel.declare(AMQPQueue(queue, type: queueType))
            try await channel.purgeQueue(queue)
            state.withLock { $0 = (connection, running, channel) }
        } catch {
            await connection.close()
            _ = try? await running.value
            throw error
        }
        return self
    }

    func close() async {
        let (connection, running, channel) = state.withLock { $0 }
        guard let connection, let running, let channel else { return }
        _ = try? await channel.deleteQueue(queue)
        await connection.close()
        _ = try? await running.value
    }

    private var channel: AMQPChannel { state.withLock { $0.channel! } }

    /// Hands every batch to the channel at once (as an outbox does) and returns how many were confirmed.
    func publishAll() async -> Int {
        let channel = self.channel
        return await withCheckedContinuation { continuation in
            let remaining = Atomic(batches.count)
            let confirmed = Atomic(0)
            for batch in batches {
                channel.publish(batch) { outcomes in
                    confirmed.add(outcomes.count { $0.isConfirmed }, ordering: .relaxed)
                    if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
                        continuation.resume(returning: confirmed.load(ordering: .relaxed))
                    }
                }
            }
        }
    }

    func purge() async { _ = try? await channel.purgeQueue(queue) }

    /// Fills the queue for one consume iteration (not measured).
    func fill() async {
        await purge()
        let confirmed = await publishAll()
        precondition(confirmed == Self.messagesPerIteration)
    }

    /// Consumes the queue empty with a prefetch of 2,000, acknowledging each batch with one `multiple` ack, and checks
    /// on the same channel (after the acks, in order) that nothing is left.
    func consumeAll() async -> Int {
        do {
            let connection = state.withLock { $0.connection! }
            let consumer = try await connection.consume(queue: queue, prefetch: 2000, maximumBatchSize: 2000)
            var consumed = 0
            for try await batch in consumer {
                consumed += batch.count
                try consumer.channel.ack(batch.last!, multiple: true)
                if consumed >= Self.messagesPerIteration { break }
            }
            try await consumer.cancel()
            let left = try await consumer.channel.checkQueue(queue)
            precondition(left.messageCount == 0, "\(left.messageCount) left in the queue")
            await consumer.channel.close()
            return consumed
        } catch {
            fatalError("consuming failed: \(error)")
        }
    }
}

/// The broker to measure against; stops the suite with a clear message when none is given.
func brokerURL() -> String {
    let environment = ProcessInfo.processInfo.environment
    guard let url = environment["BEACON_BENCH_AMQP_URL"] ?? environment["BEACON_TEST_AMQP_URL"], !url.isEmpty else {
        fatalError(
            "AMQPBenchmarks needs a RabbitMQ broker: set BEACON_BENCH_AMQP_URL (e.g. amqp://guest:guest@127.0.0.1:5672/%2F), "
                + "or run scripts/bench-amqp, which starts one"
        )
    }
    return url
}
