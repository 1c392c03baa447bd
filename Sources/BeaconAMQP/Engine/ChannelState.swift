import DequeModule
import Synchronization

/// What the public ``AMQPChannel`` and the connection thread share about one logical channel.
final class ChannelShared: Sendable {
    /// Unique for the connection's lifetime (channel numbers are reused, these are not).
    let id: UInt64
    /// Counts the times the channel was opened on the wire; deliveries remember it, so an acknowledgement for a
    /// delivery of an earlier incarnation (the broker requeued those) is never sent to a later one.
    let incarnation = Atomic<UInt64>(0)

    init(id: UInt64) { self.id = id }
}

/// A consumer as the connection thread keeps it: enough to subscribe again after a reconnect, and the deliveries
/// received in the current round, handed to its ``ConsumerSink`` together.
final class ConsumerRegistration {
    let tag: String
    let queue: String
    let exclusive: Bool
    let arguments: AMQPTable
    /// The broker counts deliveries as acknowledged when it sends them (`no-ack`): RabbitMQ's direct reply-to needs it.
    let noAck: Bool
    let sink: ConsumerSink
    var received: [AMQPDelivery] = []

    init(tag: String, queue: String, exclusive: Bool, arguments: AMQPTable, noAck: Bool = false, sink: ConsumerSink) {
        self.tag = tag
        self.queue = queue
        self.exclusive = exclusive
        self.arguments = arguments
        self.noAck = noAck
        self.sink = sink
    }
}

/// Content (header and body frames) being assembled after the method that announced it.
struct IncomingContent {
    enum Kind {
        case delivery(consumerTag: String, deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String)
        case get(deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String, messageCount: UInt32)
        case returned(AMQPError, exchange: String, routingKey: String)
    }

    var kind: Kind
    var properties = AMQPProperties()
    var bodySize = 0
    var body: [UInt8] = []
    var hasHeader = false

    var isComplete: Bool { hasHeader && body.count >= bodySize }
}

/// A logical channel on the connection thread: its wire number, whether it is open in the current session, and what
/// must be restored when it opens again (prefetch, consumers) or is still in flight (publishes, gets).
final class ChannelState {
    let shared: ChannelShared
    let number: UInt16
    var isOpen = false
    var prefetch: UInt16?
    var consumers: [String: ConsumerRegistration] = [:]
    var pipeline = PublishPipeline()
    var incoming: IncomingContent?
    /// `basic.get`s sent and not yet answered, oldest first.
    var pendingGets = Deque<@Sendable (Result<AMQPDelivery?, AMQPError>) -> Void>()
    /// Set when the application closes the channel: completions to call once it is closed.
    var closeWaiters: [@Sendable () -> Void]?
    private var consumerCount = 0

    init(shared: ChannelShared, number: UInt16) {
        self.shared = shared
        self.number = number
    }

    /// A consumer tag unique on this connection.
    func makeConsumerTag() -> String {
        consumerCount += 1
        return "beacon.\(shared.id).\(consumerCount)"
    }

    /// The receipt that deliveries of the current incarnation carry.
    var receipt: AMQPDelivery.Receipt {
        AMQPDelivery.Receipt(channelID: shared.id, incarnation: shared.incarnation.load(ordering: .relaxed))
    }
}
