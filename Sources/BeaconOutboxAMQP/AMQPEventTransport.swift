public import BeaconAMQP
import BeaconEvents
public import BeaconOutbox
import Foundation
public import ServiceLifecycle
import Synchronization

/// Publishes an outbox's messages to a RabbitMQ topic exchange with publisher confirms, as the event schema says:
/// persistent, mandatory, `content_type`, `message_id`, `timestamp`, `app_id` = service, `type` = kind.
///
/// A message counts as delivered only when the broker confirmed it and a queue took it: a message that no queue is
/// bound for comes back (`basic.return`) and is reported failed, so the outbox keeps it in its spool until a
/// consumer (the worker) has declared its queues. While the connection is down, publishes fail at once instead of
/// waiting for the reconnect, and the outbox spools; while it is still making its first connection, they wait for it
/// (up to the publish timeout).
///
/// A swift-service-lifecycle `Service`: ``run()`` opens its channel and holds it until graceful shutdown. Run it
/// after the connection and before the outbox (a `ServiceGroup` stops services in reverse order, so the outbox
/// flushes through it before it stops).
public final class AMQPEventTransport: EventTransport, Service {
    /// The exchange events go to.
    public let exchange: String
    public let connection: AMQPConnection
    private let channel = Mutex(ChannelState.opening([]))
    /// Set once a publish found the connection up: from then on, connecting means reconnecting.
    private let hasConnected = Atomic(false)

    /// The topology a producer declares: the durable topic exchange.
    public static func topology(exchange: String) -> AMQPTopology {
        AMQPTopology(exchanges: [AMQPExchange(exchange, kind: .topic, durable: true)])
    }

    /// A transport to `exchange` over `connection` (which ``run()`` uses once it runs).
    public init(connection: AMQPConnection, exchange: String) {
        self.exchange = exchange
        self.connection = connection
    }

    /// Where the channel stands; publishes that come before it is open wait for it.
    private enum ChannelState {
        case opening([Publish])
        case open(AMQPChannel)
        case failed(String)
    }

    private typealias Publish = (messages: [OutboxMessage], completion: @Sendable ([TransportOutcome]) -> Void)

    /// Opens the confirm-mode channel (at once, also while the connection is still connecting), sends the publishes
    /// that waited for it, and keeps it until graceful shutdown or cancellation.
    public func run() async throws {
        let opened: AMQPChannel
        do {
            opened = try await connection.openChannel()
        } catch {
            let waiting = channel.withLock { state in
                defer { state = .failed("the broker channel could not be opened: \(error)") }
                guard case .opening(let waiting) = state else { return [] as [Publish] }
                return waiting
            }
            for publish in waiting { publish.completion(Self.failures(publish.messages.count, "the broker channel could not be opened: \(error)")) }
            throw error
        }
        let waiting = channel.withLock { state in
            defer { state = .open(opened) }
            guard case .opening(let waiting) = state else { return [] as [Publish] }
            return waiting
        }
        for publish in waiting { self.publish(publish.messages, completion: publish.completion) }
        try? await gracefulShutdown()
    }

    public func publish(_ messages: [OutboxMessage], completion: @escaping @Sendable ([TransportOutcome]) -> Void) {
        let opened: AMQPChannel
        switch channel.withLock({ state -> ChannelState in
            if case .opening(let waiting) = state { state = .opening(waiting + [(messages, completion)]) }
            return state
        }) {
        case .opening: return
        case .failed(let reason): return completion(Self.failures(messages.count, reason))
        case .open(let channel): opened = channel
        }
        let status = connection.status
        if status == .connected { hasConnected.store(true, ordering: .relaxed) }
        switch status {
        case .connected:
            break
        case .connecting where !hasConnected.load(ordering: .relaxed):
            break  // the first connection: the channel holds the publishes until it is up, or their deadline
        default:
            return completion(Self.failures(messages.count, "the broker connection is \(status)"))
        }
        opened.publish(messages.map(amqpMessage)) { outcomes in
            completion(outcomes.map(Self.transportOutcome))
        }
    }

    private static func failures(_ count: Int, _ reason: String) -> [TransportOutcome] {
        Array(repeating: .failed(reason: reason), count: count)
    }

    private func amqpMessage(_ message: OutboxMessage) -> AMQPMessage {
        AMQPMessage(
            exchange: exchange,
            routingKey: message.routingKey,
            body: message.body,
            properties: AMQPProperties(
                contentType: message.contentType,
                deliveryMode: .persistent,
                messageID: message.messageID,
                timestamp: Date(timeIntervalSince1970: TimeInterval(message.timestamp.wholeSecondsSince1970)),
                type: message.kind.rawValue,
                appID: message.service
            ),
            mandatory: true
        )
    }

    private static func transportOutcome(_ outcome: AMQPPublishOutcome) -> TransportOutcome {
        switch outcome {
        case .confirmed: .confirmed
        case .returned(let error): .failed(reason: "no queue is bound for it (\(error)); is the worker running?")
        case .nacked: .failed(reason: "the broker refused it (basic.nack)")
        case .failed(let error): .failed(reason: "\(error)")
        }
    }
}
