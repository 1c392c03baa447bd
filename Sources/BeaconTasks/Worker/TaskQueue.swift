public import BeaconAMQP

/// A queue a ``TaskWorker`` consumes, and how it is declared.
///
/// Quorum by default, declared as:
///
/// | argument | value |
/// | --- | --- |
/// | `x-queue-type` | `quorum` |
/// | `x-delivery-limit` | ``deliveryLimit``: after that many redeliveries (a worker that died mid-task, again and again) the broker dead-letters the message with reason `delivery_limit` |
/// | `x-dead-letter-exchange` | the worker's dead-letter exchange (``TaskWorker/deadLetterQueue``) |
/// | `x-dead-letter-strategy` | `at-least-once`: the broker keeps a dead letter until the dead-letter queue has confirmed it |
/// | `x-overflow` | `reject-publish`: without it, RabbitMQ silently falls back to at-most-once dead-lettering |
///
/// A classic queue gets the dead-letter exchange only. A Python Celery producer or worker that declares the same
/// queue must declare it with the same arguments (``arguments(deadLetterExchange:)``), or not declare it.
public struct TaskQueue: Sendable, Hashable {
    /// The queue's name: the routing key producers publish with through the default exchange.
    public var name: String
    /// How many of its tasks run at once, 1…65535.
    public var concurrency: Int
    /// How many deliveries the broker sends ahead of their acknowledgement (`basic.qos`), at least ``concurrency``:
    /// those beyond it wait in the worker for a free slot. The same as ``concurrency`` by default, which suits tasks
    /// that take a while (nothing waits in the worker). For short tasks from a quorum queue raise it: there each
    /// acknowledgement is a write to the queue's log before the broker sends the next delivery, so a prefetch of
    /// several times the concurrency keeps the handlers busy (`scripts/bench-tasks`: 64 → 8,300 no-op tasks/s,
    /// 512 → 23,400). Keep it well under what the handlers finish within RabbitMQ's consumer timeout.
    public var prefetch: Int
    /// `quorum` (the default) or `classic`.
    public var type: AMQPQueue.QueueType
    /// For a quorum queue, `x-delivery-limit`; `nil` sends none (RabbitMQ 3.10 then redelivers without end).
    public var deliveryLimit: Int?

    /// A queue of these settings.
    public init(_ name: String, concurrency: Int = 1, prefetch: Int? = nil, type: AMQPQueue.QueueType = .quorum, deliveryLimit: Int? = 5) {
        self.name = name
        self.concurrency = concurrency
        self.prefetch = prefetch ?? concurrency
        self.type = type
        self.deliveryLimit = deliveryLimit
    }

    /// The queue's declaration arguments (the table above), dead-lettering to `deadLetterExchange`.
    public func arguments(deadLetterExchange: String) -> AMQPTable {
        var arguments: AMQPTable = [:]
        if type == .quorum {
            arguments["x-queue-type"] = .string(AMQPQueue.QueueType.quorum.rawValue)
            if let deliveryLimit { arguments["x-delivery-limit"] = .int64(Int64(deliveryLimit)) }
            arguments["x-dead-letter-exchange"] = .string(deadLetterExchange)
            arguments["x-dead-letter-strategy"] = "at-least-once"
            arguments["x-overflow"] = .string(AMQPQueue.Overflow.rejectPublish.rawValue)
        } else {
            if type != .classic { arguments["x-queue-type"] = .string(type.rawValue) }
            arguments["x-dead-letter-exchange"] = .string(deadLetterExchange)
        }
        return arguments
    }

    /// The queue's declaration: durable, with ``arguments(deadLetterExchange:)``.
    public func declaration(deadLetterExchange: String) -> AMQPQueue {
        AMQPQueue(name, durable: true, arguments: arguments(deadLetterExchange: deadLetterExchange))
    }
}
