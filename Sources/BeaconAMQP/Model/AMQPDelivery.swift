/// A message received from a queue, by a consumer (`basic.deliver`) or by ``AMQPChannel/get(queue:)``.
///
/// Acknowledge it through the channel that received it (``AMQPChannel/ack(_:multiple:)``,
/// ``AMQPChannel/nack(_:multiple:requeue:)``, ``AMQPChannel/reject(_:requeue:)``).
public struct AMQPDelivery: Sendable {
    /// The channel-scoped tag that acknowledgements name.
    public let deliveryTag: UInt64
    /// Whether the broker delivered this message before (to this or another consumer) without an acknowledgement.
    public let redelivered: Bool
    /// The exchange the message was published to (`""`: the default exchange).
    public let exchange: String
    public let routingKey: String
    public let properties: AMQPProperties
    public let body: [UInt8]
    /// For ``AMQPChannel/get(queue:)``: the messages left in the queue after this one; `nil` for consumer deliveries.
    public let messageCount: UInt32?

    /// Which channel incarnation received it: acknowledgements for an older incarnation are not sent, the broker has
    /// already requeued those messages.
    let receipt: Receipt

    struct Receipt: Sendable, Hashable {
        let channelID: UInt64
        let incarnation: UInt64
    }

    /// The body decoded as UTF-8 (invalid bytes are replaced).
    public var text: String { String(decoding: body, as: UTF8.self) }
}
