public import BeaconAMQP

/// A message as it goes on the wire: where to publish it, its properties and its body.
public struct TaskWireMessage: Sendable, Hashable {
    /// The exchange (`""`: the default exchange, where the routing key is the queue's name).
    public var exchange: String
    /// The routing key.
    public var routingKey: String
    /// The AMQP properties, headers included.
    public var properties: AMQPProperties
    /// The JSON body, UTF-8.
    public var body: [UInt8]

    /// A wire message of these parts.
    public init(exchange: String, routingKey: String, properties: AMQPProperties, body: [UInt8]) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.properties = properties
        self.body = body
    }

    /// The message for ``BeaconAMQP``'s publisher. Task messages are mandatory (a task no queue takes must come
    /// back, not vanish); pass `mandatory: false` for result messages to a direct reply-to queue, which RabbitMQ
    /// both delivers and returns when mandatory.
    public func amqpMessage(mandatory: Bool = true) -> AMQPMessage {
        AMQPMessage(exchange: exchange, routingKey: routingKey, body: body, properties: properties, mandatory: mandatory)
    }
}
