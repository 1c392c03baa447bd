public import BeaconEvents
public import BeaconLogging
public import BeaconOutbox
import Foundation
public import Logging
public import ServiceLifecycle
public import SystemPackage

/// A broker-less event pipeline for tests: the real ``EventOutbox`` and ``EventPublisher`` (with a real spool in a
/// temporary directory), over an ``InMemoryEventTransport`` that records what would have been published. For any
/// producer; `BeaconWebTesting` runs it beside a web app.
///
/// ```swift
/// let events = try InMemoryEventPipeline(service: "billing")
/// let logger = Logger(label: "billing", factory: events.logHandler)
/// try await events.run {
///     logger.warning("card declined")
/// }
/// // The outbox has flushed.
/// #expect(events.transport.events(kind: .log).map(\.message) == ["card declined"])
/// ```
public struct InMemoryEventPipeline: Sendable {
    public let transport: InMemoryEventTransport
    /// The pipeline: outbox, publisher, services.
    public let pipeline: EventPipeline

    /// A pipeline for events of `service` from `minimumLevel` on.
    ///
    /// - Parameters:
    ///   - spoolDirectory: where the outbox spools while ``InMemoryEventTransport/isAvailable`` is false; a new
    ///     temporary directory by default.
    public init(
        service: String = "web",
        minimumLevel: Event.Level = .info,
        spoolDirectory: FilePath? = nil,
        configuration: EventOutbox.Configuration = .init(retryDelay: .milliseconds(10)...(.milliseconds(100)))
    ) throws {
        let directory =
            spoolDirectory
            ?? FilePath(FileManager.default.temporaryDirectory.appendingPathComponent("beacon-spool-\(UUID().uuidString)").path)
        transport = InMemoryEventTransport()
        let outbox = EventOutbox(
            transport: transport,
            spool: try EventSpool(directory: directory, syncsWrites: false),
            configuration: configuration,
            logger: Logger(label: "beacon.outbox", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        pipeline = EventPipeline(outbox: outbox, publisher: try EventPublisher(outbox: outbox, service: service, minimumLevel: minimumLevel))
    }

    /// The outbox.
    public var outbox: EventOutbox { pipeline.outbox }

    /// Publishes the process's events (and, in BeaconWeb, the requests of the apps connected to it).
    public var publisher: EventPublisher { pipeline.publisher }

    /// The services to run beside the code under test: the outbox.
    public var services: [any Service] { pipeline.services }

    /// A log handler whose records become events through this pipeline (``EventLogHandler``).
    @Sendable public func logHandler(label: String) -> any LogHandler {
        pipeline.logHandler(label: label)
    }

    /// Runs the outbox while `body` runs, then shuts it down gracefully: when this returns, everything `body`
    /// published is in ``transport`` (or, if the transport was unavailable, in the spool).
    public func run<Result: Sendable>(_ body: @Sendable () async throws -> Result) async throws -> Result {
        let group = ServiceGroup(services: services, logger: Logger(label: "beacon.testing", factory: { _ in SwiftLogNoOpLogHandler() }))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let result: Swift.Result<Result, any Error>
            do {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try result.get()
        }
    }
}
