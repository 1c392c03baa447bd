import BeaconAMQP
import BeaconEvents
import Foundation

/// Publishes an outbox's messages to a RabbitMQ topic exchange with publisher confirms, as DESIGN.md's event schema
/// says: persistent, mandatory, `content_type`, `message_id`, `timestamp`, `app_id` = service, `type` = kind.
///
/// A message counts as delivered only when the broker confirmed it and a queue took it: a message that no queue is
/// bound for comes back (`basic.return`) and is reported failed, so the outbox keeps it in its spool until a
/// consumer (the worker) has declared its queues. While the connection is not up, publishes fail at once instead of
/// waiting for the reconnect, and the outbox spools.
public final class AMQPEventTransport: EventTransport {
    /// The exchange events go to.
    public let exchange: String
    public let connection: AMQPConnection
    private let channel: AMQPChannel

    /// The topology a producer declares: the durable topic exchange.
    public static func topology(exchange: String) -> AMQPTopology {
        AMQPTopology(exchanges: [AMQPExchange(exchange, kind: .topic, durable: true)])
    }

    /// Opens a confirm-mode channel on `connection` (also while it is still connecting).
    public init(connection: AMQPConnection, exchange: String) async throws(AMQPError) {
        self.exchange = exchange
        self.connection = connection
        self.channel = try await connection.openChannel()
    }

    public func publish(_ messages: [OutboxMessage], completion: @escaping @Sendable ([TransportOutcome]) -> Void) {
        let status = connection.status
        guard case .connected = status else {
            completion(Array(repeating: .failed(reason: "the broker connection is \(status)"), count: messages.count))
            return
        }
        channel.publish(messages.map(amqpMessage)) { outcomes in
            completion(outcomes.map(Self.transportOutcome))
        }
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
