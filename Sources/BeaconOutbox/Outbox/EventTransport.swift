public import BeaconEvents

/// Where an ``EventOutbox`` delivers its messages: RabbitMQ in production (``AMQPEventTransport``), memory in
/// tests of applications that use Beacon (`BeaconTesting`).
public protocol EventTransport: Sendable {
    /// Publishes messages in order and calls `completion` once, with one outcome per message in the same order:
    /// whether the other side took responsibility for it (for RabbitMQ: routed to a queue and confirmed).
    ///
    /// Must return at once, without waiting for the outcome, and must not retry a message it reports as failed
    /// (the outbox spools it and sends it again later). `completion` may run on any thread and must not block.
    func publish(_ messages: [OutboxMessage], completion: @escaping @Sendable ([TransportOutcome]) -> Void)
}

/// What became of one message handed to a transport.
public enum TransportOutcome: Sendable, Hashable {
    /// The other side has it.
    case confirmed
    /// It was not taken; `reason` says why, for the log ("broker unreachable", "no queue is bound", …).
    case failed(reason: String)

    public var isConfirmed: Bool { self == .confirmed }
}

/// One message as the outbox hands it to a transport: one event (`application/json`) or several that share a
/// routing key (`application/x-ndjson`), with the properties of the event schema (docs/EventSchema.md).
public struct OutboxMessage: Sendable, Hashable {
    public var routingKey: String
    /// ``Event/contentType`` or ``EventBatch/contentType``.
    public var contentType: String
    public var body: [UInt8]
    /// The event's id, or a batch id for several events.
    public var messageID: String
    /// When the message was made.
    public var timestamp: Event.Timestamp
    /// The producing service (AMQP `app_id`).
    public var service: String
    /// The events' kind (AMQP `type`).
    public var kind: Event.Kind
    /// How many events the message carries.
    public var eventCount: Int

    public init(
        routingKey: String,
        contentType: String,
        body: [UInt8],
        messageID: String,
        timestamp: Event.Timestamp,
        service: String,
        kind: Event.Kind,
        eventCount: Int
    ) {
        self.routingKey = routingKey
        self.contentType = contentType
        self.body = body
        self.messageID = messageID
        self.timestamp = timestamp
        self.service = service
        self.kind = kind
        self.eventCount = eventCount
    }

    /// The events the message carries, decoded.
    public func events() -> [Result<Event, EventDecodingError>] {
        EventBatch.decode(body, contentType: contentType)
    }
}
