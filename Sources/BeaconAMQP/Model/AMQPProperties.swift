#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The basic properties of a message (AMQP 0-9-1 `basic` content header). Every field is optional; `nil` is not sent.
public struct AMQPProperties: Sendable, Hashable {
    /// Whether the broker writes the message to disk (in a durable queue) or keeps it in memory only.
    public enum DeliveryMode: UInt8, Sendable, Hashable {
        case transient = 1
        case persistent = 2
    }

    /// MIME type of the body, e.g. `application/json`.
    public var contentType: String?
    /// MIME encoding of the body, e.g. `gzip`.
    public var contentEncoding: String?
    /// Application headers; `x-death`, `x-first-death-reason` and friends arrive here on dead-lettered messages.
    public var headers: AMQPTable
    /// ``DeliveryMode/persistent`` for messages that must survive a broker restart.
    public var deliveryMode: DeliveryMode?
    /// 0…9 (only honoured by priority queues).
    public var priority: UInt8?
    /// Ties a reply to its request.
    public var correlationID: String?
    /// Where a reply should go.
    public var replyTo: String?
    /// Per-message TTL in milliseconds, as a decimal string (RabbitMQ's format), e.g. `"60000"`.
    public var expiration: String?
    /// The message's identity (Beacon: the event id), for deduplication.
    public var messageID: String?
    /// Whole seconds: AMQP timestamps carry no fraction.
    public var timestamp: Date?
    /// The message type (Beacon: the event kind).
    public var type: String?
    /// Must match the connection's user if set (RabbitMQ checks it).
    public var userID: String?
    /// The producing application (Beacon: the service name).
    public var appID: String?

    /// Properties with the given fields set; everything else is absent.
    public init(
        contentType: String? = nil,
        contentEncoding: String? = nil,
        headers: AMQPTable = [:],
        deliveryMode: DeliveryMode? = nil,
        priority: UInt8? = nil,
        correlationID: String? = nil,
        replyTo: String? = nil,
        expiration: String? = nil,
        messageID: String? = nil,
        timestamp: Date? = nil,
        type: String? = nil,
        userID: String? = nil,
        appID: String? = nil
    ) {
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.headers = headers
        self.deliveryMode = deliveryMode
        self.priority = priority
        self.correlationID = correlationID
        self.replyTo = replyTo
        self.expiration = expiration
        self.messageID = messageID
        self.timestamp = timestamp
        self.type = type
        self.userID = userID
        self.appID = appID
    }
}
