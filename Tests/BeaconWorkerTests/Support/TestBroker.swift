import BeaconAMQP
import BeaconEvents
import Foundation
import IntegrationSupport
import Logging
import ServiceLifecycle
import Testing

@testable import BeaconWorker

/// A worker setup of its own for one test, on the test broker: an exchange, queues, a dead-letter queue and a log
/// directory no other test uses, so tests run side by side.
struct TestWorld {
    let prefix: String
    let directory: URL
    var configuration: WorkerConfiguration

    /// A world whose queue `files` feeds a file sink `app.log` (every event) and, when `smtpURL` is given, whose queue
    /// `mail` feeds a mail sink (the stock one's bindings and filter: error events and error log lines).
    init(
        _ name: String = #function,
        format: String = "%(event_id)s %(levelname)s %(message)s",
        fileRetry: [Duration] = [.seconds(1), .seconds(2)],
        smtpURL: String? = nil,
        mailRetry: [Duration] = [.seconds(1), .seconds(2)],
        storm: StormControlConfiguration = StormControlConfiguration(window: .seconds(300), maxMailsPerMinute: 1000)
    ) throws {
        prefix = TestServices.uniqueName("t")
        directory = try TestServices.temporaryDirectory(name)
        var queues = [
            WorkerConfiguration.Queue(name: "\(prefix).files", bindings: [.everything], retryDelays: fileRetry, sinks: ["app.log"])
        ]
        var sinks = [
            WorkerConfiguration.Sink(name: "app.log", kind: .file(FileSinkConfiguration(path: "app.log", format: format, rotation: .none)))
        ]
        if let smtpURL {
            queues.append(
                .init(
                    name: "\(prefix).mail",
                    bindings: WorkerConfiguration.defaultQueues[1].bindings,
                    retryDelays: mailRetry,
                    sinks: ["mail"]
                )
            )
            sinks.append(
                .init(name: "mail", filter: MailSinkKind().defaultFilter, kind: .mail(try Fixtures.mailSink(smtpURL: smtpURL, storm: storm)))
            )
        }
        configuration = WorkerConfiguration(
            broker: .init(url: try TestServices.amqpURL(), exchange: "\(prefix).events", prefetch: 200, deadLetterQueue: "\(prefix).dead"),
            logDirectory: directory.appendingPathComponent("log").path,
            queues: queues,
            sinks: sinks
        )
    }

    var filesQueue: String { "\(prefix).files" }
    var mailQueue: String { "\(prefix).mail" }
    var deadQueue: String { configuration.broker.deadLetterQueue }
    var logFile: URL { URL(fileURLWithPath: configuration.logDirectory).appendingPathComponent("app.log") }

    /// The lines of `app.log` (none when it does not exist yet).
    func lines() -> [Substring] {
        guard let text = try? String(contentsOf: logFile, encoding: .utf8) else { return [] }
        return text.split(separator: "\n")
    }

    /// The ids at the start of each line (the default format of the world starts with `%(event_id)s`).
    func writtenIDs() -> [String] { lines().map { String($0.prefix { $0 != " " }) } }

    /// Starts a worker on this world, in this process; returns once its consumers are there.
    func startWorker(_ configuration: WorkerConfiguration? = nil, broker: TestBroker) async throws -> RunningWorker {
        let worker = RunningWorker(configuration ?? self.configuration)
        try await broker.waitForConsumers(on: (configuration ?? self.configuration).queues.map(\.name))
        return worker
    }
}

/// A ``WorkerService`` running in a `ServiceGroup` in the test process.
final class RunningWorker: Sendable {
    let statistics = WorkerStatistics()
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    init(_ configuration: WorkerConfiguration) {
        var logger = Logger(label: "test.worker")
        logger.logLevel = .warning
        let service = WorkerService(configuration: configuration, logger: logger, statistics: statistics)
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: logger))
        self.group = group
        task = Task { try await group.run() }
    }

    /// Graceful shutdown, as on SIGTERM; returns when the worker has stopped.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

/// A connection to the test broker for publishing events and looking at queues.
struct TestBroker: Sendable {
    let connection: AMQPConnection
    let channel: AMQPChannel

    /// Runs `body` with a connection to the test broker, closed afterwards.
    static func with<Result: Sendable>(_ body: (TestBroker) async throws -> Result) async throws -> Result {
        var logger = Logger(label: "test.broker")
        logger.logLevel = .warning
        return try await AMQPConnection.withConnection(configuration: AMQPConfiguration(url: TestServices.amqpURL()), logger: logger) {
            connection in
            try await body(TestBroker(connection: connection, channel: try await connection.openChannel()))
        }
    }

    /// Publishes each event as one message (schema v1 properties), with confirms.
    func publish(_ events: [Event], to world: TestWorld) async throws {
        let messages = events.map { event in
            AMQPMessage(
                exchange: world.configuration.broker.exchange,
                routingKey: event.routingKey,
                body: event.jsonBytes(),
                properties: AMQPProperties(
                    contentType: Event.contentType,
                    deliveryMode: .persistent,
                    messageID: event.id,
                    type: event.kind.rawValue,
                    appID: event.service
                )
            )
        }
        for chunk in stride(from: 0, to: messages.count, by: 1000) {
            let outcomes = await channel.publish(Array(messages[chunk..<min(chunk + 1000, messages.count)]))
            let unconfirmed = outcomes.filter { !$0.isConfirmed }
            try #require(unconfirmed.isEmpty, "publishes not confirmed: \(unconfirmed.prefix(3))")
        }
    }

    /// Publishes a raw body with a routing key, with confirms.
    func publish(body: [UInt8], contentType: String?, routingKey: String = "web.request.info", to world: TestWorld) async throws {
        let outcome = await channel.publish(
            AMQPMessage(
                exchange: world.configuration.broker.exchange,
                routingKey: routingKey,
                body: body,
                properties: AMQPProperties(contentType: contentType, deliveryMode: .persistent)
            )
        )
        try #require(outcome.isConfirmed)
    }

    /// The messages ready in a queue (not counting unacknowledged ones).
    func ready(_ queue: String) async throws -> Int { Int(try await channel.checkQueue(queue).messageCount) }

    /// Takes every message of a queue (acknowledged: they are gone).
    func drain(_ queue: String) async throws -> [AMQPDelivery] {
        var deliveries: [AMQPDelivery] = []
        while let delivery = try await channel.get(queue: queue) {
            try channel.ack(delivery)
            deliveries.append(delivery)
        }
        return deliveries
    }

    func waitForConsumers(on queues: [String], count: UInt32 = 1) async throws {
        let ready = await eventually(timeout: .seconds(30)) {
            for queue in queues {
                guard (try? await channel.checkQueue(queue).consumerCount) ?? 0 >= count else { return false }
            }
            return true
        }
        try #require(ready, "the worker's consumers did not appear on \(queues)")
    }
}
