/// A consumer: an asynchronous sequence of delivery batches from one queue.
///
/// Each step yields everything received since the last one (at most the maximum batch size), so a consumer that
/// keeps up gets small batches with low latency and one that falls behind gets large ones. Acknowledge through
/// ``channel``, typically the last delivery of a batch with `multiple: true` once the batch is safely processed:
///
/// ```swift
/// let consumer = try await connection.consume(queue: "worker.files", prefetch: 500)
/// for try await batch in consumer {
///     try sink.write(batch)                                  // make the events durable first
///     try consumer.channel.ack(batch.last!, multiple: true)  // then acknowledge them all at once
/// }
/// ```
///
/// Iterate it from one task at a time. The iteration ends (returns `nil`) when the consumer is cancelled, its channel
/// or connection is closed, or the iterating task is cancelled; it throws when the broker cancels the consumer
/// (``AMQPError/Code/consumerCancelled``), the channel fails, or the connection is lost for good.
public final class AMQPConsumer: AsyncSequence, Sendable {
    public typealias Element = [AMQPDelivery]
    public typealias Failure = AMQPError

    /// The channel the deliveries come through; acknowledge them there.
    public let channel: AMQPChannel
    public let queue: String
    /// The consumer tag.
    public let tag: String
    private let sink: ConsumerSink

    init(channel: AMQPChannel, queue: String, tag: String, sink: ConsumerSink) {
        self.channel = channel
        self.queue = queue
        self.tag = tag
        self.sink = sink
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Element = [AMQPDelivery]
        public typealias Failure = AMQPError

        let sink: ConsumerSink

        public mutating func next() async throws(AMQPError) -> [AMQPDelivery]? {
            try await sink.next()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(AMQPError) -> [AMQPDelivery]? {
            try await sink.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(sink: sink) }

    /// Stops the deliveries (`basic.cancel`); the iteration ends after what was already received. Unacknowledged
    /// deliveries stay with this channel until acknowledged or the channel closes.
    public func cancel() async throws(AMQPError) {
        let id = channel.shared.id
        let tag = self.tag
        try await channel.connection.perform { engine, reply in reply(engine.cancelConsumer(tag, channelID: id)) }
    }
}
