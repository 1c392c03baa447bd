public import BeaconAMQP
import BeaconEvents
public import Logging

/// `worker dead list` and `worker dead replay`: the dead-letter queue, read and sent back.
///
/// Both take messages with `basic.get`. Listing leaves every message where it was (they are requeued when the
/// channel closes). Replaying publishes each message, with publisher confirms, to the queue it came from
/// (`x-beacon-queue`) without the worker's retry headers, and acknowledges the dead letter only once the broker
/// confirmed the copy. Poison (a body that can never become an event) is left in the queue.
public struct DeadLetters: Sendable {
    /// One dead letter, as listed.
    public struct Letter: Sendable {
        public let delivery: AMQPDelivery

        var headers: AMQPTable { delivery.properties.headers }
        public var reason: String { headers[DeadLetterHeaders.reason]?.stringValue ?? "-" }
        public var error: String { headers[DeadLetterHeaders.error]?.stringValue ?? "-" }
        public var queue: String? { DeadLetterHeaders.sourceQueue(headers) }
        public var attempts: Int { headers[DeadLetterHeaders.attempts]?.intValue ?? 0 }
        public var isPoison: Bool { DeadLetterHeaders.isPoison(headers) }

        /// When it was dead-lettered (RFC 3339), when the worker recorded it.
        public var failedAt: String? { headers[DeadLetterHeaders.failedAt]?.stringValue }
        /// The routing key the event was published with.
        public var routingKey: String { DeadLetterHeaders.originalRoutingKey(of: delivery) }
        /// For a poison line of an NDJSON batch, the line's number.
        public var line: Int? { headers[DeadLetterHeaders.line]?.intValue }
    }

    /// What a replay did.
    public struct ReplayResult: Sendable, Equatable {
        public var replayed = 0
        /// Poison, or letters that say no queue to go back to: left in the dead-letter queue.
        public var skipped = 0
        /// Copies the broker did not confirm: their letters stay in the dead-letter queue.
        public var failed = 0
    }

    let configuration: WorkerConfiguration
    /// The dead-letter queue worked on.
    public let queue: String
    let logger: Logger

    /// Works on `queue` (the dead-letter queue of `configuration` when `nil`; a task worker's, such as
    /// `beacon.tasks.dead`, has the same headers), logging the broker connection to `logger`.
    public init(configuration: WorkerConfiguration, queue: String? = nil, logger: Logger) {
        self.configuration = configuration
        self.queue = queue ?? configuration.broker.deadLetterQueue
        self.logger = logger
    }

    /// Up to `limit` dead letters, oldest first; the queue is left as it was.
    public func list(limit: Int?) async throws -> [Letter] {
        // Unacknowledged: when the connection closes, every letter goes back where it was.
        try await withConnection { connection in
            let channel = try await connection.openChannel()
            var letters: [Letter] = []
            while limit.map({ letters.count < $0 }) ?? true, let delivery = try await channel.get(queue: self.queue) {
                letters.append(Letter(delivery: delivery))
            }
            return letters
        }
    }

    /// Sends up to `limit` dead letters back to their queues; `progress(done, total)` follows along.
    public func replay(limit: Int?, progress: @Sendable (Int, Int) -> Void) async throws -> ReplayResult {
        try await withConnection { connection in
            let channel = try await connection.openChannel()
            let available = Int(try await channel.checkQueue(self.queue).messageCount)
            let total = min(limit ?? available, available)
            var result = ReplayResult()
            progress(0, total)
            while result.replayed + result.failed < total, let delivery = try await channel.get(queue: self.queue) {
                let letter = Letter(delivery: delivery)
                guard !letter.isPoison, let queue = letter.queue else {
                    result.skipped += 1  // kept unacknowledged until the channel closes, then requeued
                    continue
                }
                var properties = delivery.properties
                properties.headers = DeadLetterHeaders.cleared(properties.headers)
                let outcome = await channel.publish(AMQPMessage(exchange: "", routingKey: queue, body: delivery.body, properties: properties))
                if outcome.isConfirmed {
                    try channel.ack(delivery)
                    result.replayed += 1
                } else {
                    logger.warning("not replayed: the broker did not confirm the copy", metadata: ["queue": "\(queue)", "outcome": "\(outcome)"])
                    result.failed += 1
                }
                progress(result.replayed + result.failed, total)
            }
            return result
        }
    }

    private func withConnection<Result: Sendable>(_ body: (AMQPConnection) async throws -> Result) async throws -> Result {
        try await AMQPConnection.withConnection(
            configuration: configuration.amqpConfiguration(role: "dead"),
            topology: AMQPTopology(queues: configuration.topology.queues.filter { $0.name == self.queue }),
            logger: logger,
            body
        )
    }
}
