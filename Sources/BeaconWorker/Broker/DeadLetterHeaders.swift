import BeaconAMQP
import BeaconEvents

/// The headers the worker puts on messages it sends to a retry queue or the dead-letter queue.
///
/// | header | value |
/// | --- | --- |
/// | `x-beacon-reason` | what went wrong: an ``EventDecodingError/Code`` (`invalid_json`, `unsupported_schema`, `too_large`, `invalid_utf8`, …) or a ``SinkError/Code`` (`smtp_unavailable`, `file_write`, …) |
/// | `x-beacon-error` | the message, e.g. `line 3: field "level": "loud" is not a level` |
/// | `x-beacon-queue` | the queue the message came from, where `worker dead replay` sends it back |
/// | `x-beacon-routing-key` | the routing key it was published with |
/// | `x-beacon-attempts` | how many times the sinks failed it |
/// | `x-beacon-sink` | the sink that failed |
/// | `x-beacon-line` | for a poison line of an NDJSON batch: its number |
/// | `x-beacon-failed-at` | when (RFC 3339) |
enum DeadLetterHeaders {
    static let reason = "x-beacon-reason"
    static let error = "x-beacon-error"
    static let queue = "x-beacon-queue"
    static let routingKey = "x-beacon-routing-key"
    static let attempts = "x-beacon-attempts"
    static let sink = "x-beacon-sink"
    static let line = "x-beacon-line"
    static let failedAt = "x-beacon-failed-at"

    /// The queue a dead letter came from: the worker's header, or for one the broker dead-lettered (a task queue's
    /// delivery limit) RabbitMQ's `x-first-death-queue`.
    static func sourceQueue(_ headers: AMQPTable) -> String? {
        headers[queue]?.stringValue ?? headers["x-first-death-queue"]?.stringValue
    }

    /// The routing key the message was first published with (a retried message arrives with its queue's name).
    static func originalRoutingKey(of delivery: AMQPDelivery) -> String {
        delivery.properties.headers[routingKey]?.stringValue ?? delivery.routingKey
    }

    /// How many times the sinks have failed this message already: the worker's own count, but a header anyone who
    /// publishes can set, so a value that is negative or beyond `limit` (the queue's tries) counts as `limit`.
    static func failedAttempts(_ headers: AMQPTable, limit: Int) -> Int {
        guard let count = headers[attempts]?.intValue else { return 0 }
        return (0...limit).contains(count) ? count : limit
    }

    /// True when the message is malformed for good (no worker can make an event of it): replaying it would only bring
    /// it back. A message of a newer schema version (`unsupported_schema`) or over the size limit (`too_large`) is
    /// poison to this worker but not for good: once the worker is upgraded or its `max_message_bytes` raised,
    /// `worker dead replay` sends it back, so that a new schema version never loses events (docs/EventSchema.md: the
    /// schema is versioned, never broken silently).
    static func isPoison(_ headers: AMQPTable) -> Bool {
        guard let reason = headers[reason]?.stringValue else { return false }
        return poisonReasons.contains(reason)
    }

    private static let poisonReasons: Set<String> = [
        EventDecodingError.Code.invalidUTF8, .invalidJSON, .missingField, .invalidField,
    ].reduce(into: taskPoisonReasons) { $0.insert($1.description) }

    /// A task worker's dead letters (BeaconTasks' `TaskDeadLetter`, same headers) that no replay can run: a message
    /// that is not Celery protocol v2 JSON (pickle is never deserialised), or a task past its `expires`.
    private static let taskPoisonReasons: Set<String> = [
        "unsupported_content_type", "unsupported_content_encoding", "invalid_body", "protocol_v1", "missing_header", "invalid_header",
        "expired",
    ]

    /// Headers without the worker's retry state, for a message sent back to its queue.
    static func cleared(_ headers: AMQPTable) -> AMQPTable {
        AMQPTable(
            headers.entries.filter {
                !$0.key.hasPrefix("x-beacon-") && !$0.key.hasPrefix("x-death") && !$0.key.hasPrefix("x-first-death")
                    && !$0.key.hasPrefix("x-last-death")
            }
        )
    }
}
