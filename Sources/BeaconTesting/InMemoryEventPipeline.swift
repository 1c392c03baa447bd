import BeaconEvents
import BeaconOutbox
import BeaconWeb
import Foundation
import Logging
import ServiceLifecycle
import SystemPackage

/// A broker-less event pipeline for tests: the real ``EventOutbox`` and ``EventPublisher`` (with a real spool in a
/// temporary directory), over an ``InMemoryEventTransport`` that records what would have been published.
///
/// ```swift
/// let events = try InMemoryEventPipeline()
/// // The app's logs become events too (leave `factory` out for requests and errors only).
/// let app = BeaconApp(logger: Logger(label: "web", factory: events.logHandler))
/// events.publisher.publishRequests(of: app)
/// let router = app.router()
/// router.get("hello") { _, _ in "hi" }
/// try await app.test(router, events: events) { client in
///     try await client.execute(uri: "/hello", method: .get) { _ in }
/// }
/// // The app has stopped and the outbox has flushed.
/// #expect(events.transport.events(kind: .request).count == 1)
/// ```
public struct InMemoryEventPipeline: Sendable {
    public let transport: InMemoryEventTransport
    public let outbox: EventOutbox
    /// Publishes the requests and errors of the apps connected with ``EventPublisher/publishRequests(of:)``, and the
    /// records of ``logHandler(label:)``.
    public let publisher: EventPublisher

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
        outbox = EventOutbox(
            transport: transport,
            spool: try EventSpool(directory: directory, syncsWrites: false),
            configuration: configuration,
            logger: Logger(label: "beacon.outbox", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        publisher = EventPublisher(outbox: outbox, service: service, minimumLevel: minimumLevel)
    }

    /// The services to run beside the app: the outbox.
    public var services: [any Service] { [outbox] }

    /// A log handler whose records become events through this pipeline (``EventLogHandler``).
    @Sendable public func logHandler(label: String) -> any LogHandler {
        EventLogHandler(label: label, publisher: publisher)
    }
}
