import Synchronization

extension AMQPChannel {
    /// Sets how many unacknowledged deliveries the broker sends each consumer started on this channel afterwards
    /// (`basic.qos`); kept across reconnects.
    public func setPrefetch(_ count: UInt16) async throws(AMQPError) {
        try await request("setting the prefetch") { engine, channel, session throws(AMQPError) in
            try engine.setPrefetch(count, on: channel, session)
        }
    }

    /// Starts consuming `queue` with manual acknowledgements (unless `noAck`); iterate the consumer for batches of
    /// deliveries.
    ///
    /// The consumer survives reconnects (it subscribes again, and the broker redelivers what was not acknowledged,
    /// with ``AMQPDelivery/redelivered`` set). It ends when cancelled, when its channel closes, or with
    /// ``AMQPError/Code/consumerCancelled`` when the broker cancels it (e.g. its queue was deleted).
    ///
    /// Acknowledging with `multiple` covers every earlier delivery on the channel: give each consumer a channel of its
    /// own (``AMQPConnection/consume(queue:prefetch:maximumBatchSize:exclusive:arguments:)`` does).
    ///
    /// - Parameters:
    ///   - prefetch: if given, set first (see ``setPrefetch(_:)``).
    ///   - tag: the consumer tag; one is made up if `nil`.
    ///   - maximumBatchSize: most deliveries one iteration step yields.
    ///   - noAck: the broker counts each delivery as acknowledged when it sends it (`no-ack`); do not acknowledge
    ///     them. RabbitMQ's direct reply-to (`amq.rabbitmq.reply-to`) takes only such consumers, on the channel that
    ///     publishes the requests.
    public func consume(
        queue: String,
        prefetch: UInt16? = nil,
        tag: String? = nil,
        maximumBatchSize: Int = 1024,
        exclusive: Bool = false,
        arguments: AMQPTable = [:],
        noAck: Bool = false
    ) async throws(AMQPError) -> AMQPConsumer {
        let sink = ConsumerSink(maximumBatchSize: maximumBatchSize)
        let id = shared.id
        // A consumer started for a task that was cancelled meanwhile is cancelled again: nobody would take its deliveries.
        let abandoned: @Sendable (String) -> Void = { [connection] tag in
            connection.mailbox.post { _ = $0.cancelConsumer(tag, channelID: id) }
        }
        let consumerTag = try await request("consuming from queue '\(queue)'", abandoned: abandoned) { engine, channel, session throws(AMQPError) in
            if let prefetch { try engine.setPrefetch(prefetch, on: channel, session) }
            let consumer = ConsumerRegistration(
                tag: tag ?? channel.makeConsumerTag(),
                queue: queue,
                exclusive: exclusive,
                arguments: arguments,
                noAck: noAck,
                sink: sink
            )
            try engine.addConsumer(consumer, on: channel, session)
            return consumer.tag
        }
        return AMQPConsumer(channel: self, queue: queue, tag: consumerTag, sink: sink)
    }

    /// Takes one message from `queue` (`basic.get`, to be acknowledged), or `nil` if the queue is empty.
    public func get(queue: String) async throws(AMQPError) -> AMQPDelivery? {
        let id = shared.id
        return try await connection.perform { engine, reply in engine.get(queue, channelID: id, completion: reply) }
    }

    /// Acknowledges a delivery (and, with `multiple`, every earlier unacknowledged one on this channel): the broker
    /// forgets them.
    ///
    /// Returns at once; the acknowledgement is sent in order with everything else on the channel. Throws
    /// ``AMQPError/Code/staleDelivery`` if the delivery came before a reconnect (the broker has requeued it and will
    /// deliver it again), ``AMQPError/Code/invalidArgument`` if it came through another channel.
    public func ack(_ delivery: AMQPDelivery, multiple: Bool = false) throws(AMQPError) {
        try acknowledge(delivery, .ack(multiple: multiple))
    }

    /// Negatively acknowledges a delivery (and, with `multiple`, every earlier unacknowledged one): requeued, or
    /// dead-lettered / dropped when `requeue` is `false`.
    public func nack(_ delivery: AMQPDelivery, multiple: Bool = false, requeue: Bool) throws(AMQPError) {
        try acknowledge(delivery, .nack(multiple: multiple, requeue: requeue))
    }

    /// Rejects one delivery: requeued, or dead-lettered / dropped when `requeue` is `false`.
    public func reject(_ delivery: AMQPDelivery, requeue: Bool) throws(AMQPError) {
        try acknowledge(delivery, .reject(requeue: requeue))
    }

    private func acknowledge(_ delivery: AMQPDelivery, _ acknowledgement: Engine.Acknowledgement) throws(AMQPError) {
        guard delivery.receipt.channelID == shared.id else {
            throw AMQPError(code: .invalidArgument, message: "the delivery came through another channel", context: "acknowledging")
        }
        guard delivery.receipt.incarnation == shared.incarnation.load(ordering: .relaxed) else {
            throw AMQPError(
                code: .staleDelivery,
                message: "delivery \(delivery.deliveryTag) came before the channel reopened; the broker delivers it again",
                context: "acknowledging"
            )
        }
        guard connection.mailbox.post({ $0.acknowledge(delivery, acknowledgement) }) else { throw connection.closedError }
    }
}
