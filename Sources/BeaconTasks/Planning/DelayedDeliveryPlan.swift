public import BeaconAMQP
public import BeaconEvents

/// Delays on the broker, without a worker holding anything: a ladder of TTL queues in which level *n* waits 2^*n*
/// seconds, as Celery ≥ 5.5's "native delayed delivery" (kombu `native_delayed_delivery`).
///
/// A delayed message is published to the top level's exchange with the delay written as ``levels`` binary digits
/// (most significant first), one word each, before the target routing key: 3 s to `tasks.q` is
/// `0.0.….0.1.1.tasks.q`. At level *n* the *n*-th digit decides: `1` parks the message in queue *n* for 2^*n* s, from
/// which it dead-letters to the next exchange down; `0` passes it straight down (an exchange-to-exchange binding).
/// Below level 0 the message reaches the delivery exchange, to which each task queue is bound (``deliveryBinding(queue:)``),
/// so it arrives in its queue with the prefixed key. The largest delay is 2^``levels`` − 1 seconds (8.5 years for 28).
///
/// With the default names this is exactly Celery's topology, so Celery 5.7 and Beacon share it. The plan is a value;
/// declaring it is the caller's job (``topology(queueType:)``, ``deliveryBinding(queue:)``).
public struct DelayedDeliveryPlan: Sendable, Hashable {
    /// The number of levels, and of binary digits in a routing key (Celery: 28).
    public var levels: Int
    /// The names of level *n*'s exchange and queue: `<prefix><n>` (Celery: `celery_delayed_`).
    public var levelPrefix: String
    /// The exchange below level 0, bound to the task exchanges (Celery: `celery_delayed_delivery`).
    public var deliveryExchange: String

    /// Celery's plan: 28 levels, `celery_delayed_<n>`, `celery_delayed_delivery`.
    public static let celery = DelayedDeliveryPlan()

    /// A plan with these names.
    public init(levels: Int = 28, levelPrefix: String = "celery_delayed_", deliveryExchange: String = "celery_delayed_delivery") {
        precondition((1...62).contains(levels), "a delay ladder has 1…62 levels")
        self.levels = levels
        self.levelPrefix = levelPrefix
        self.deliveryExchange = deliveryExchange
    }

    /// The exchange (and queue) of level `level`.
    public func levelName(_ level: Int) -> String { "\(levelPrefix)\(level)" }

    /// The exchange a delayed message is published to: the top level's.
    public var entryExchange: String { levelName(levels - 1) }

    /// The longest delay, in whole seconds: 2^levels − 1.
    public var maximumDelaySeconds: Int64 { (Int64(1) << levels) - 1 }

    /// Where to publish a message that must wait `delay` before reaching the queue that `routingKey` routes to.
    ///
    /// The delay is cut to whole seconds, as Celery does (`int(countdown)`); under one second there is nothing to
    /// wait for and the answer is `nil` (publish directly). A delay prefix already on `routingKey` (a retry of a
    /// delayed message reads the prefixed key from its delivery) is removed first. Throws
    /// ``DelayedDeliveryError`` when the delay is longer than ``maximumDelaySeconds`` or the key is empty.
    public func route(delay: Duration, routingKey: String) throws(DelayedDeliveryError) -> (exchange: String, routingKey: String)? {
        let seconds = delay.components.seconds
        guard seconds >= 1 else { return nil }
        guard seconds <= maximumDelaySeconds else {
            throw DelayedDeliveryError(.delayTooLong, "a delay of \(seconds) s is longer than the ladder's \(maximumDelaySeconds) s")
        }
        let target = strippingDelayPrefix(routingKey)
        guard !target.isEmpty else { throw DelayedDeliveryError(.emptyRoutingKey, "a delayed message needs a routing key") }
        return (entryExchange, delayPrefix(seconds) + target)
    }

    /// The `levels` binary digits of `seconds`, most significant first, each followed by a dot.
    func delayPrefix(_ seconds: Int64) -> String {
        var prefix = ""
        prefix.reserveCapacity(levels * 2)
        for bit in stride(from: levels - 1, through: 0, by: -1) {
            prefix += (seconds >> bit) & 1 == 1 ? "1." : "0."
        }
        return prefix
    }

    /// `routingKey` without a leading delay prefix (``levels`` words of `0` or `1`).
    public func strippingDelayPrefix(_ routingKey: String) -> String {
        let words = routingKey.split(separator: ".", maxSplits: levels, omittingEmptySubsequences: false)
        guard words.count > levels, words.prefix(levels).allSatisfy({ $0 == "0" || $0 == "1" }) else { return routingKey }
        return String(words[levels])
    }

    /// The exchanges, queues and bindings of the ladder, as kombu declares them: level *n*'s topic exchange and
    /// queue (`x-message-ttl` 2^*n* s, dead-lettering to level *n*−1's exchange or, for 0, the delivery exchange,
    /// `x-overflow: reject-publish`, and for quorum queues `x-dead-letter-strategy: at-least-once`), the queue bound
    /// with the *n*-th digit `1`, the next exchange down bound with it `0`.
    public func topology(queueType: AMQPQueue.QueueType = .quorum) -> AMQPTopology {
        var topology = AMQPTopology()
        for level in stride(from: levels - 1, through: 0, by: -1) {
            let name = levelName(level)
            topology.exchanges.append(AMQPExchange(name, kind: .topic))
            // The TTL as py-amqp writes a Python int (32 bits while it fits), so that the declaration matches Celery's.
            var arguments: AMQPTable = ["x-message-ttl": .integer(Int(Int64(1) << level) * 1000)]
            if queueType == .quorum { arguments["x-dead-letter-strategy"] = "at-least-once" }
            topology.queues.append(
                AMQPQueue(
                    name,
                    type: queueType,
                    deadLetterExchange: level > 0 ? levelName(level - 1) : deliveryExchange,
                    overflow: .rejectPublish,
                    arguments: arguments
                )
            )
            topology.bindings.append(.queue(name, exchange: name, routingKey: bindingKey(level: level, digit: "1")))
            let below = level > 0 ? levelName(level - 1) : deliveryExchange
            topology.bindings.append(AMQPBinding(.exchange(below), exchange: name, routingKey: bindingKey(level: level, digit: "0")))
        }
        topology.exchanges.append(AMQPExchange(deliveryExchange, kind: .topic))
        return topology
    }

    /// The binding that brings delayed messages for `queue` (published with the queue's name as routing key through
    /// the default exchange) from the delivery exchange into the queue: `*.` once per level, then the queue's name.
    ///
    /// Celery binds with `#.<routing key>` instead (kombu's `bind_queue_to_native_delayed_delivery_exchange`), which
    /// also matches the delayed messages of every queue whose name ends in `.<routing key>`: with queues `shop` and
    /// `eu.shop`, a delayed `eu.shop` task would land in both. One `*` per binary digit matches exactly the prefix
    /// every producer writes (Celery's too), and nothing else.
    public func deliveryBinding(queue: String) -> AMQPBinding {
        .queue(queue, exchange: deliveryExchange, routingKey: String(repeating: "*.", count: levels) + queue)
    }

    /// `*.` for each more significant digit, then the digit, then `.#`: level 27's `1` is `1.#`, level 26's `*.1.#`.
    private func bindingKey(level: Int, digit: String) -> String {
        String(repeating: "*.", count: levels - 1 - level) + digit + ".#"
    }
}

/// Why a delay cannot be planned.
public struct DelayedDeliveryError: CodedError {
    /// What kind of problem it is: compare with the static members; new codes may be added.
    public typealias Code = ErrorCode<DelayedDeliveryError>

    public let code: Code
    /// What exactly is wrong.
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ErrorCode where Failure == DelayedDeliveryError {
    /// The delay is longer than the ladder's 2^levels − 1 seconds.
    public static var delayTooLong: Self { .init("delay_too_long") }
    /// The target routing key is empty.
    public static var emptyRoutingKey: Self { .init("empty_routing_key") }
}
