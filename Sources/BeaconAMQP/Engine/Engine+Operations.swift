import CAMQPShim
import CRabbitMQ
import Logging
import Synchronization

// The requests behind the public API, run on the connection thread by the commands that AMQPConnection, AMQPChannel
// and AMQPConsumer post. Broker requests are synchronous here (rabbitmq-c's RPC calls, bounded by the RPC timeout):
// frames that arrive meanwhile for other purposes are queued by rabbitmq-c and handled right after.

extension Engine {
    /// Runs `body` with the channel open (opening it first if it is not, e.g. after the broker closed it), or answers
    /// why it cannot: the channel is closed, or there is no connection.
    func withOpenChannel<T>(
        _ id: UInt64,
        _ context: String,
        _ body: (ChannelState, Session) throws(AMQPError) -> T
    ) -> Result<T, AMQPError> {
        guard let channel = channels[id: id], channel.closeWaiters == nil else {
            return .failure(AMQPError(code: .channelClosed, message: "the channel is closed", context: context))
        }
        guard let session else { return .failure(notConnected(context)) }
        do throws(AMQPError) {
            try open(channel, session)
            return .success(try body(channel, session))
        } catch {
            return .failure(error.within(context))
        }
    }

    // MARK: Topology

    func declare(_ exchange: AMQPExchange, passive: Bool, on channel: ChannelState, _ session: Session) throws(AMQPError) {
        let scratch = session.scratch
        try rpc(
            amqp_exchange_declare(
                session.state,
                channel.number,
                scratch.bytes(exchange.name),
                scratch.bytes(exchange.kind.rawValue),
                passive ? 1 : 0,
                exchange.durable ? 1 : 0,
                exchange.autoDelete ? 1 : 0,
                exchange.internal ? 1 : 0,
                exchange.arguments.cTable(in: scratch)
            ),
            on: channel,
            session,
            "\(passive ? "checking" : "declaring") exchange '\(exchange.name)'"
        )
    }

    func declare(_ queue: AMQPQueue, passive: Bool, on channel: ChannelState, _ session: Session) throws(AMQPError) -> AMQPQueue.DeclareResult {
        let scratch = session.scratch
        let reply = try rpc(
            amqp_queue_declare(
                session.state,
                channel.number,
                scratch.bytes(queue.name),
                passive ? 1 : 0,
                queue.durable ? 1 : 0,
                queue.exclusive ? 1 : 0,
                queue.autoDelete ? 1 : 0,
                queue.arguments.cTable(in: scratch)
            ),
            on: channel,
            session,
            "\(passive ? "checking" : "declaring") queue '\(queue.name)'"
        )
        return AMQPQueue.DeclareResult(name: reply.queue.string, messageCount: reply.message_count, consumerCount: reply.consumer_count)
    }

    func bind(_ binding: AMQPBinding, unbind: Bool, on channel: ChannelState, _ session: Session) throws(AMQPError) {
        let scratch = session.scratch
        let source = scratch.bytes(binding.exchange)
        let routingKey = scratch.bytes(binding.routingKey)
        let arguments = binding.arguments.cTable(in: scratch)
        let state = session.state
        switch binding.destination {
        case .queue(let queue):
            let context = "\(unbind ? "unbinding" : "binding") queue '\(queue)' \(unbind ? "from" : "to") exchange '\(binding.exchange)'"
            let name = scratch.bytes(queue)
            if unbind {
                try rpc(amqp_queue_unbind(state, channel.number, name, source, routingKey, arguments), on: channel, session, context)
            } else {
                try rpc(amqp_queue_bind(state, channel.number, name, source, routingKey, arguments), on: channel, session, context)
            }
        case .exchange(let exchange):
            let context = "\(unbind ? "unbinding" : "binding") exchange '\(exchange)' \(unbind ? "from" : "to") exchange '\(binding.exchange)'"
            let name = scratch.bytes(exchange)
            if unbind {
                try rpc(amqp_exchange_unbind(state, channel.number, name, source, routingKey, arguments), on: channel, session, context)
            } else {
                try rpc(amqp_exchange_bind(state, channel.number, name, source, routingKey, arguments), on: channel, session, context)
            }
        }
    }

    func deleteQueue(_ name: String, ifUnused: Bool, ifEmpty: Bool, on channel: ChannelState, _ session: Session) throws(AMQPError) -> UInt32 {
        let reply = try rpc(
            amqp_queue_delete(session.state, channel.number, session.scratch.bytes(name), ifUnused ? 1 : 0, ifEmpty ? 1 : 0),
            on: channel,
            session,
            "deleting queue '\(name)'"
        )
        return reply.message_count
    }

    func deleteExchange(_ name: String, ifUnused: Bool, on channel: ChannelState, _ session: Session) throws(AMQPError) {
        try rpc(
            amqp_exchange_delete(session.state, channel.number, session.scratch.bytes(name), ifUnused ? 1 : 0),
            on: channel,
            session,
            "deleting exchange '\(name)'"
        )
    }

    func purgeQueue(_ name: String, on channel: ChannelState, _ session: Session) throws(AMQPError) -> UInt32 {
        let reply = try rpc(
            amqp_queue_purge(session.state, channel.number, session.scratch.bytes(name)),
            on: channel,
            session,
            "purging queue '\(name)'"
        )
        return reply.message_count
    }

    /// Declares `topology` now (if connected) and records it, so every reconnect declares it again.
    func declareAndRecord(_ topology: AMQPTopology) -> Result<Void, AMQPError> {
        self.topology.merge(topology)
        guard let session else { return .failure(notConnected("declaring the topology")) }
        do throws(AMQPError) {
            try declare(topology, session)
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    // MARK: Consuming

    func setPrefetch(_ count: UInt16, on channel: ChannelState, _ session: Session) throws(AMQPError) {
        try rpc(amqp_basic_qos(session.state, channel.number, 0, count, 0), on: channel, session, "setting the prefetch to \(count)")
        channel.prefetch = count
    }

    /// `basic.consume` for a consumer (new, or restored after a reconnect).
    func subscribe(_ consumer: ConsumerRegistration, on channel: ChannelState, _ session: Session) throws(AMQPError) {
        let scratch = session.scratch
        try rpc(
            amqp_basic_consume(
                session.state,
                channel.number,
                scratch.bytes(consumer.queue),
                scratch.bytes(consumer.tag),
                0,
                consumer.noAck ? 1 : 0,
                consumer.exclusive ? 1 : 0,
                consumer.arguments.cTable(in: scratch)
            ),
            on: channel,
            session,
            "consuming from queue '\(consumer.queue)'"
        )
    }

    func addConsumer(_ consumer: ConsumerRegistration, on channel: ChannelState, _ session: Session) throws(AMQPError) {
        guard channel.consumers[consumer.tag] == nil else {
            throw AMQPError(code: .invalidArgument, message: "consumer tag '\(consumer.tag)' is already in use on this channel")
        }
        try subscribe(consumer, on: channel, session)
        channel.consumers[consumer.tag] = consumer
    }

    /// `basic.cancel`: the consumer's iteration ends after what it already received.
    func cancelConsumer(_ tag: String, channelID: UInt64) -> Result<Void, AMQPError> {
        guard let channel = channels[id: channelID], let consumer = channel.consumers.removeValue(forKey: tag) else { return .success(()) }
        if !consumer.received.isEmpty {
            consumer.sink.push(consumer.received)
            consumer.received = []
        }
        consumer.sink.finish(nil)
        guard channel.isOpen, let session else { return .success(()) }
        do throws(AMQPError) {
            try rpc(amqp_basic_cancel(session.state, channel.number, session.scratch.bytes(tag)), on: channel, session, "cancelling consumer \(tag)")
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    /// `basic.get`; the answer (`get-ok` with content, or `get-empty`) completes it when it arrives.
    func get(_ queue: String, channelID: UInt64, completion: @escaping @Sendable (Result<AMQPDelivery?, AMQPError>) -> Void) {
        let context = "getting a message from queue '\(queue)'"
        let sent = withOpenChannel(channelID, context) { channel, session throws(AMQPError) in
            var method = amqp_basic_get_t(ticket: 0, queue: session.scratch.bytes(queue), no_ack: 0)
            let status = amqp_send_method(session.state, channel.number, AMQP_BASIC_GET_METHOD, &method)
            guard status == AMQP_STATUS_OK.rawValue else {
                let error = AMQPError(status: status, context: context)
                lose(error)
                throw error
            }
            channel.pendingGets.append(completion)
        }
        if case .failure(let error) = sent { completion(.failure(error)) }
    }

    /// What an acknowledgement says about a delivery.
    enum Acknowledgement: Sendable {
        case ack(multiple: Bool)
        case nack(multiple: Bool, requeue: Bool)
        case reject(requeue: Bool)
    }

    /// Sends an acknowledgement, unless its delivery came from an earlier channel incarnation or session (the broker
    /// has requeued those; acknowledging a stale tag would close the channel).
    func acknowledge(_ delivery: AMQPDelivery, _ acknowledgement: Acknowledgement) {
        guard let session, let channel = channels[id: delivery.receipt.channelID], channel.isOpen,
            channel.receipt == delivery.receipt
        else { return }
        let status: Int32
        switch acknowledgement {
        case .ack(let multiple):
            status = amqp_basic_ack(session.state, channel.number, delivery.deliveryTag, multiple ? 1 : 0)
        case .nack(let multiple, let requeue):
            status = amqp_basic_nack(session.state, channel.number, delivery.deliveryTag, multiple ? 1 : 0, requeue ? 1 : 0)
        case .reject(let requeue):
            status = amqp_basic_reject(session.state, channel.number, delivery.deliveryTag, requeue ? 1 : 0)
        }
        if status != AMQP_STATUS_OK.rawValue { lose(AMQPError(status: status, context: "acknowledging")) }
    }

    // MARK: Publishing and closing

    /// Queues messages for publishing on a channel; `completion` gets one outcome per message, in order.
    func publish(
        _ messages: [AMQPMessage],
        channelID: UInt64,
        completion: @escaping @Sendable ([AMQPPublishOutcome]) -> Void
    ) {
        let deadline = Monotonic.now() + configuration.publishTimeout.nanoseconds
        let batch = PublishBatch(messages: messages, deadline: deadline, completion: completion)
        guard let channel = channels[id: channelID], channel.closeWaiters == nil, !isClosing else {
            let error =
                isClosing ? notConnected("publishing") : AMQPError(code: .channelClosed, message: "the channel is closed", context: "publishing")
            for index in messages.indices { batch.resolve(index, .failed(error)) }
            return
        }
        enqueue(batch, on: channel)
    }

    /// Closes a channel once its publishes have outcomes.
    func closeChannel(_ id: UInt64, completion: @escaping @Sendable () -> Void) {
        guard let channel = channels[id: id] else {
            completion()
            return
        }
        channel.closeWaiters = (channel.closeWaiters ?? []) + [completion]
    }
}
