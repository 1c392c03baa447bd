import BeaconAMQP
import Foundation
import IntegrationSupport
import Logging
import Synchronization
import Testing

/// The shared test broker that `make test` starts (see `scripts/test-services`).
enum Broker {
    /// The test broker's configuration, changed by `change`.
    static func configuration(_ change: (inout AMQPConfiguration) -> Void = { _ in }) throws -> AMQPConfiguration {
        var configuration = try AMQPConfiguration(url: TestServices.amqpURL())
        configuration.connectionName = "BeaconAMQPTests"
        change(&configuration)
        return configuration
    }

    /// A configuration for 127.0.0.1:`port`, where no broker runs: for tests of connection failures that need none.
    static func noBroker(port: Int, _ change: (inout AMQPConfiguration) -> Void = { _ in }) throws -> AMQPConfiguration {
        var configuration = try AMQPConfiguration(url: "amqp://guest:guest@127.0.0.1:\(port)/%2F")
        change(&configuration)
        return configuration
    }

    /// Runs `body` with a connection to the test broker (closed afterwards, whatever happens).
    static func withConnection<Result: Sendable>(
        configuration: AMQPConfiguration? = nil,
        topology: AMQPTopology = AMQPTopology(),
        logger: Logger = Logger(label: "test"),
        _ body: (AMQPConnection) async throws -> Result
    ) async throws -> Result {
        try await AMQPConnection.withConnection(configuration: configuration ?? Self.configuration(), topology: topology, logger: logger, body)
    }

    /// The messages ready in `queue`, exactly (`rabbitmqctl list_queues`).
    static func messageCount(_ queue: String) async throws -> Int {
        let count = try await offThePool { try TestServices.messageCount(queue: queue) }
        return try #require(count, "queue \(queue) not found by rabbitmqctl")
    }
}

/// Persistent test messages with distinct ids and bodies.
func messages(_ count: Int, exchange: String = "", routingKey: String, prefix: String = "m") -> [AMQPMessage] {
    (0..<count).map { index in
        AMQPMessage(
            exchange: exchange,
            routingKey: routingKey,
            text: "{\"n\":\(index),\"p\":\"\(prefix)\"}",
            properties: AMQPProperties(contentType: "application/json", deliveryMode: .persistent, messageID: "\(prefix)-\(index)")
        )
    }
}

/// Collects what a consumer delivers until `count` deliveries arrived (or `timeout` passes), acknowledging each batch.
func receive(_ count: Int, from consumer: AMQPConsumer, timeout: Duration = .seconds(20)) async throws -> [AMQPDelivery] {
    try await withThrowingTaskGroup(of: [AMQPDelivery].self) { group in
        group.addTask {
            var received: [AMQPDelivery] = []
            for try await batch in consumer {
                received += batch
                try consumer.channel.ack(batch.last!, multiple: true)
                if received.count >= count { break }
            }
            return received
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return []
        }
        let first = try await group.next()!
        group.cancelAll()
        return first
    }
}

/// Log lines captured for assertions (level, message and metadata, rendered).
final class LogCapture: Sendable {
    private let storage = Mutex<[String]>([])

    var lines: [String] { storage.withLock { $0 } }

    var logger: Logger {
        Logger(label: "capture") { _ in Handler(capture: self) }
    }

    fileprivate func append(_ line: String) { storage.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append("\(event.level) \(event.message) \(merged)")
        }
    }
}

/// A TCP port on 127.0.0.1 that accepts connections (the kernel completes them) but never says anything: an AMQP
/// handshake against it can only time out.
final class SilentListener {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(fd, 16) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
