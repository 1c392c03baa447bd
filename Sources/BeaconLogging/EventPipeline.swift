import BeaconEvents
public import BeaconOutbox
import Logging
public import ServiceLifecycle

/// The way events leave a process: an ``EventOutbox`` over a transport, the ``EventPublisher`` in front of it, and
/// the services that must run while it works.
///
/// Run ``services`` in your `ServiceGroup` (or a Hummingbird application's `services`), in their order: the
/// transport's first, the outbox last, so that on graceful shutdown the outbox flushes before the transport stops.
/// `BeaconOutboxAMQP` makes a pipeline to RabbitMQ (`EventPipeline.amqp(…)`); `BeaconTesting` one in memory.
///
/// ```swift
/// let pipeline = try EventPipeline.amqp(connection: connection, exchange: "events", spool: spool, service: "billing", logger: logger)
/// LoggingSystem.bootstrap { label in
///     LogHandlerPair(LineLogHandler.standardError(label: label), pipeline.logHandler(label: label))
/// }
/// ```
public struct EventPipeline: Sendable {
    /// Where publishers put events.
    public let outbox: EventOutbox
    /// Publishes the process's events into ``outbox``.
    public let publisher: EventPublisher
    /// What must run while the pipeline works, in start order: the transport's services, then the outbox.
    public let services: [any Service]
    /// How the transport fares, for a health check (`"connected"`, `"disconnected: …"`); nil if it cannot tell.
    public let transportStatus: @Sendable () -> String?

    /// A pipeline around an outbox whose transport needs `transportServices` to run.
    public init(
        outbox: EventOutbox,
        publisher: EventPublisher,
        transportServices: [any Service] = [],
        transportStatus: @escaping @Sendable () -> String? = { nil }
    ) {
        self.outbox = outbox
        self.publisher = publisher
        self.services = transportServices + [outbox]
        self.transportStatus = transportStatus
    }

    /// A log handler whose records become events through this pipeline (``EventLogHandler``).
    public func logHandler(label: String, excludedSources: Set<String> = EventLogHandler.producerSources) -> EventLogHandler {
        EventLogHandler(label: label, publisher: publisher, excludedSources: excludedSources)
    }
}
