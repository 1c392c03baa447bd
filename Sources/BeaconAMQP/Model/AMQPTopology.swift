/// An exchange to declare.
public struct AMQPExchange: Sendable, Hashable {
    /// The exchange type: how it routes.
    public struct Kind: RawRepresentable, Sendable, Hashable {
        /// The type name the broker knows (`x-…` for plugin types).
        public let rawValue: String
        /// An exchange type by name, e.g. `x-consistent-hash` from a plugin.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// Routes on an exact routing key match.
        public static let direct = Kind(rawValue: "direct")
        /// Routes to every bound queue.
        public static let fanout = Kind(rawValue: "fanout")
        /// Routes on dotted patterns (`*` one word, `#` any number).
        public static let topic = Kind(rawValue: "topic")
        /// Routes on message headers.
        public static let headers = Kind(rawValue: "headers")
    }

    public var name: String
    public var kind: Kind
    /// Survives a broker restart.
    public var durable: Bool
    /// Deleted when its last binding goes.
    public var autoDelete: Bool
    /// An internal exchange takes no publishes, only exchange-to-exchange bindings.
    public var `internal`: Bool
    /// Extra arguments, e.g. `alternate-exchange`.
    public var arguments: AMQPTable

    /// An exchange definition; durable, not auto-delete, not internal unless told otherwise.
    public init(
        _ name: String,
        kind: Kind,
        durable: Bool = true,
        autoDelete: Bool = false,
        internal: Bool = false,
        arguments: AMQPTable = [:]
    ) {
        self.name = name
        self.kind = kind
        self.durable = durable
        self.autoDelete = autoDelete
        self.internal = `internal`
        self.arguments = arguments
    }

    /// Whether `name` is an exchange name AMQP 0-9-1 allows: up to 255 bytes of letters, digits, `-`, `_`, `.` and `:`.
    /// (The empty name is the default exchange, which cannot be declared.) Check names from settings with it: a broker
    /// answers a bad one only when it is declared, by closing the channel.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 255
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }
    }
}

/// A queue to declare. The typed options of the initializer become the usual `x-` arguments.
public struct AMQPQueue: Sendable, Hashable {
    /// `x-queue-type`.
    public struct QueueType: RawRepresentable, Sendable, Hashable {
        /// The value of `x-queue-type`.
        public let rawValue: String
        /// A queue type by name.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The default single-node queue.
        public static let classic = QueueType(rawValue: "classic")
        /// A replicated queue; must be durable, not exclusive, not auto-delete.
        public static let quorum = QueueType(rawValue: "quorum")
        /// An append-only log queue.
        public static let stream = QueueType(rawValue: "stream")
    }

    /// `x-overflow`: what a full queue (`x-max-length`, `x-max-length-bytes`) does with one more message.
    public struct Overflow: RawRepresentable, Sendable, Hashable {
        /// The value of `x-overflow`.
        public let rawValue: String
        /// An overflow behaviour by name.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// Drop (or dead-letter) the oldest message. RabbitMQ's default.
        public static let dropHead = Overflow(rawValue: "drop-head")
        /// Refuse the new message: the publisher gets ``AMQPPublishOutcome/nacked``.
        public static let rejectPublish = Overflow(rawValue: "reject-publish")
        /// Refuse the new message and dead-letter it.
        public static let rejectPublishDeadLetter = Overflow(rawValue: "reject-publish-dlx")
    }

    /// The queue name; `""` asks the broker to make one up (see ``AMQPQueue/DeclareResult/name``).
    public var name: String
    /// Survives a broker restart (its persistent messages too).
    public var durable: Bool
    /// Used by this connection only, and deleted when it closes.
    public var exclusive: Bool
    /// Deleted when its last consumer goes.
    public var autoDelete: Bool
    /// The `x-` arguments, including those the typed options of the initializer set.
    public var arguments: AMQPTable

    /// A queue definition: durable unless told otherwise; `type`, `deadLetterExchange`, `deadLetterRoutingKey`,
    /// `messageTTL`, `maxLength` and `overflow` set `x-queue-type`, `x-dead-letter-exchange`,
    /// `x-dead-letter-routing-key`, `x-message-ttl`, `x-max-length` and `x-overflow` in `arguments`.
    public init(
        _ name: String,
        durable: Bool = true,
        exclusive: Bool = false,
        autoDelete: Bool = false,
        type: QueueType? = nil,
        deadLetterExchange: String? = nil,
        deadLetterRoutingKey: String? = nil,
        messageTTL: Duration? = nil,
        maxLength: Int? = nil,
        overflow: Overflow? = nil,
        arguments: AMQPTable = [:]
    ) {
        self.name = name
        self.durable = durable
        self.exclusive = exclusive
        self.autoDelete = autoDelete
        var table = arguments
        if let type { table["x-queue-type"] = .string(type.rawValue) }
        if let deadLetterExchange { table["x-dead-letter-exchange"] = .string(deadLetterExchange) }
        if let deadLetterRoutingKey { table["x-dead-letter-routing-key"] = .string(deadLetterRoutingKey) }
        if let messageTTL { table["x-message-ttl"] = .int64(messageTTL.wholeMilliseconds) }
        if let maxLength { table["x-max-length"] = .int64(Int64(maxLength)) }
        if let overflow { table["x-overflow"] = .string(overflow.rawValue) }
        self.arguments = table
    }

    /// What `queue.declare` answered.
    public struct DeclareResult: Sendable, Hashable {
        /// The queue's name (the generated one when the declared name was `""`).
        public let name: String
        /// Messages ready for delivery (not counting unacknowledged ones).
        public let messageCount: UInt32
        /// Consumers subscribed to the queue.
        public let consumerCount: UInt32
    }
}

/// A binding: messages published to `exchange` with a matching routing key also reach `destination`.
public struct AMQPBinding: Sendable, Hashable {
    /// What receives the routed messages.
    public enum Destination: Sendable, Hashable {
        case queue(String)
        /// An exchange-to-exchange binding (a RabbitMQ extension).
        case exchange(String)
    }

    /// The queue or exchange that receives.
    public var destination: Destination
    /// The source exchange.
    public var exchange: String
    /// For a topic exchange, a pattern: `*` matches one word, `#` zero or more (`web.error.*`, `#`).
    public var routingKey: String
    /// Binding arguments (headers exchanges match on them).
    public var arguments: AMQPTable

    /// A binding of `destination` to `exchange`.
    public init(_ destination: Destination, exchange: String, routingKey: String, arguments: AMQPTable = [:]) {
        self.destination = destination
        self.exchange = exchange
        self.routingKey = routingKey
        self.arguments = arguments
    }

    /// Binds queue `queue` to `exchange`.
    public static func queue(_ queue: String, exchange: String, routingKey: String, arguments: AMQPTable = [:]) -> AMQPBinding {
        AMQPBinding(.queue(queue), exchange: exchange, routingKey: routingKey, arguments: arguments)
    }
}

/// A set of exchanges, queues and bindings, declared in that order.
///
/// Declaring is idempotent as long as the definitions do not change (a different definition of an existing queue gets
/// `406 PRECONDITION_FAILED`). An ``AMQPConnection`` declares its topology again on every reconnect.
public struct AMQPTopology: Sendable, Hashable {
    public var exchanges: [AMQPExchange]
    public var queues: [AMQPQueue]
    public var bindings: [AMQPBinding]

    /// A topology of these declarations.
    public init(exchanges: [AMQPExchange] = [], queues: [AMQPQueue] = [], bindings: [AMQPBinding] = []) {
        self.exchanges = exchanges
        self.queues = queues
        self.bindings = bindings
    }

    /// Whether there is nothing to declare.
    public var isEmpty: Bool { exchanges.isEmpty && queues.isEmpty && bindings.isEmpty }

    /// Adds what `other` has and this topology does not (a redefinition replaces the earlier one).
    public mutating func merge(_ other: AMQPTopology) {
        for exchange in other.exchanges {
            exchanges.removeAll { $0.name == exchange.name }
            exchanges.append(exchange)
        }
        for queue in other.queues where !queue.name.isEmpty {
            queues.removeAll { $0.name == queue.name }
            queues.append(queue)
        }
        for binding in other.bindings where !bindings.contains(binding) {
            bindings.append(binding)
        }
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
