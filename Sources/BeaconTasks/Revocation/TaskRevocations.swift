public import BeaconAMQP
import BeaconEvents
import Logging
import Synchronization

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Revocations that outlive a worker's restart: a RabbitMQ **stream** (`beacon.tasks.revoked` by default) that
/// ``TaskClient/revoke(_:for:)`` appends to and every ``TaskWorker`` reads from its start, so that a worker started
/// after the revoke, or restarted, knows it too. Celery keeps revocations in each worker's memory (or a file with
/// `--statedb`), broadcast once: a worker that was down missed them.
///
/// A revocation holds for its TTL (one day by default, at most ``maximumTTL``); the stream keeps its records for
/// ``maximumTTL`` (`x-max-age`), then the broker drops them. A worker checks a task's id when it receives it, before
/// it would run or delay it: a revoked task does not run (an awaiting caller gets REVOKED) and is acknowledged. A
/// task already running is not stopped.
public struct TaskRevocations: Sendable, Hashable {
    /// The stream's name.
    public var stream: String
    /// The longest a revocation holds, and the stream's retention.
    public var maximumTTL: Duration

    /// Beacon's: `beacon.tasks.revoked`, records kept 7 days.
    public static let standard = TaskRevocations()

    /// Revocations in `stream`, kept `maximumTTL` (whole days, at least one).
    public init(stream: String = "beacon.tasks.revoked", maximumTTL: Duration = .seconds(7 * 86_400)) {
        self.stream = stream
        self.maximumTTL = max(maximumTTL, .seconds(86_400))
    }

    /// The stream's declaration: durable, `x-queue-type: stream`, `x-max-age` in days.
    public var declaration: AMQPQueue {
        let days = Int64((maximumTTL.components.seconds + 86_399) / 86_400)
        return AMQPQueue(stream, type: .stream, arguments: ["x-max-age": .string("\(days)D")])
    }

    /// The record that revokes `taskID` until `until`.
    func record(_ taskID: String, until: Date) -> AMQPMessage {
        message(["task_id": .string(taskID), "until": .string(CeleryTime.format(until))])
    }

    /// A record that revokes nothing: a worker appends one when it starts reading, and knows it has read everything
    /// before it once it reads it back (a stream's passive declare does not count its records).
    func marker(_ id: String) -> AMQPMessage {
        message(["marker": .string(id)])
    }

    /// A persistent JSON record for the stream, mandatory (a missing stream returns it).
    private func message(_ body: JSONValue) -> AMQPMessage {
        AMQPMessage(
            exchange: "",
            routingKey: stream,
            body: body.jsonBytes,
            properties: AMQPProperties(contentType: "application/json", deliveryMode: .persistent),
            mandatory: true
        )
    }

    static func readMarker(_ body: [UInt8]) -> String? {
        (try? JSONValue.parse(body))?["marker"]?.stringValue
    }

    /// The task id and end of a record; `nil` for a body that is not one.
    static func read(_ body: [UInt8]) -> (taskID: String, until: Date)? {
        guard let value = try? JSONValue.parse(body), let id = value["task_id"]?.stringValue,
            let until = value["until"]?.stringValue.flatMap(CeleryTime.parse)
        else { return nil }
        return (id, until)
    }
}

/// The revocations a worker has read, by task id, until they end.
final class RevokedTasks: Sendable {
    private let revoked = Mutex<[String: Date]>([:])

    func add(_ taskID: String, until: Date) {
        revoked.withLock { revoked in
            revoked[taskID] = max(revoked[taskID] ?? until, until)
            // Forget the ended ones now and then, not on every record.
            if revoked.count % 1024 == 0 {
                let now = Date()
                revoked = revoked.filter { $0.value > now }
            }
        }
    }

    func isRevoked(_ taskID: String, at now: Date = Date()) -> Bool {
        revoked.withLock { ($0[taskID]).map { $0 > now } ?? false }
    }

    /// Reads `consumer` (the stream from its first record) into the set until it ends. The record `marker`
    /// (``TaskRevocations/marker(_:)``, which the worker appends once it began reading) marks the end of what was
    /// in the stream before: reading it sets ``isCaughtUp``.
    func follow(_ consumer: AMQPConsumer, marker: String, logger: Logger) async throws(AMQPError) {
        for try await batch in consumer {
            for delivery in batch {
                if let record = TaskRevocations.read(delivery.body) {
                    add(record.taskID, until: record.until)
                } else if TaskRevocations.readMarker(delivery.body) == marker {
                    caughtUp.store(true, ordering: .releasing)
                } else if TaskRevocations.readMarker(delivery.body) == nil {
                    logger.warning("a revocation record that does not read was skipped")
                }
                try? consumer.channel.ack(delivery)
            }
        }
    }

    private let caughtUp = Atomic<Bool>(false)

    /// Whether the records that were in the stream when the worker started have all been read.
    var isCaughtUp: Bool { caughtUp.load(ordering: .acquiring) }
}
