/// A message to publish: where it goes, its body and its properties.
///
/// Messages are persistent and mandatory unless told otherwise: a persistent message in a durable queue survives a
/// broker restart, and a mandatory message that no queue takes comes back as ``AMQPPublishOutcome/returned(_:)``
/// instead of being confirmed and silently dropped.
public struct AMQPMessage: Sendable, Hashable {
    /// The exchange to publish to; `""` is the default exchange (routing key = queue name).
    public var exchange: String
    public var routingKey: String
    public var body: [UInt8]
    public var properties: AMQPProperties
    /// Ask the broker to return the message if it reaches no queue (recommended; the default).
    public var mandatory: Bool

    public init(
        exchange: String,
        routingKey: String,
        body: [UInt8],
        properties: AMQPProperties = AMQPProperties(deliveryMode: .persistent),
        mandatory: Bool = true
    ) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.properties = properties
        self.mandatory = mandatory
    }

    /// A message whose body is the UTF-8 of `text`.
    public init(
        exchange: String,
        routingKey: String,
        text: String,
        properties: AMQPProperties = AMQPProperties(deliveryMode: .persistent),
        mandatory: Bool = true
    ) {
        self.init(exchange: exchange, routingKey: routingKey, body: Array(text.utf8), properties: properties, mandatory: mandatory)
    }
}
