public import BeaconAMQP
import Foundation
public import Logging

/// `worker topology`: declares the worker's exchange and queues (idempotently) and tells what exists.
public struct TopologyReport: Sendable {
    /// One declared queue, as the broker counts it.
    public struct QueueRow: Sendable {
        public let queue: AMQPQueue
        public let messages: UInt32
        public let consumers: UInt32
        /// `events: #`, or for a retry queue `after 30s back to worker.mail`.
        public let routes: String
    }

    let configuration: WorkerConfiguration
    let logger: Logger

    /// Works on the topology of `configuration`, logging the broker connection to `logger`.
    public init(configuration: WorkerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Declares the topology and returns every queue with its counts.
    public func declare() async throws -> [QueueRow] {
        let topology = configuration.topology
        return try await AMQPConnection.withConnection(
            configuration: configuration.amqpConfiguration(role: "topology"),
            topology: topology,
            logger: logger
        ) { connection in
            let channel = try await connection.openChannel()
            var rows: [QueueRow] = []
            for queue in topology.queues {
                let counts = try await channel.checkQueue(queue.name)
                let bindings = topology.bindings.filter { $0.destination == .queue(queue.name) }.map { "\($0.exchange): \($0.routingKey)" }
                var routes = bindings.joined(separator: ", ")
                if let back = queue.arguments["x-dead-letter-routing-key"]?.stringValue, let ttl = queue.arguments["x-message-ttl"]?.intValue {
                    routes = "after \(ConfigurationText.text(.milliseconds(ttl))) back to \(back)"
                }
                rows.append(QueueRow(queue: queue, messages: counts.messageCount, consumers: counts.consumerCount, routes: routes))
            }
            return rows
        }
    }

    /// The rows as an aligned table, with the exchange above.
    public func table(_ rows: [QueueRow]) -> String {
        var lines = ["exchange \(configuration.broker.exchange) (topic, durable)", ""]
        let header = ["queue", "type", "messages", "consumers", "routes"]
        let cells = rows.map { row in
            [
                row.queue.name, row.queue.arguments["x-queue-type"]?.stringValue ?? "classic", String(row.messages), String(row.consumers),
                row.routes,
            ]
        }
        let widths = header.indices.map { column in ([header] + cells).map { $0[column].count }.max() ?? 0 }
        for row in [header] + cells {
            let padded = row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
            lines.append(String(padded.reversed().drop { $0 == " " }.reversed()))
        }
        return lines.joined(separator: "\n")
    }
}
