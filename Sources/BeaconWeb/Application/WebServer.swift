import BeaconAMQP
import BeaconOutbox
import Hummingbird
import Logging

/// A Beacon web server wired as DESIGN.md says, for the `web` executable and for your own: logs to standard error
/// (one escaped line per record), events through an outbox to RabbitMQ (unless switched off), Prometheus metrics,
/// `/healthz` and `/metrics`, graceful shutdown on SIGINT and SIGTERM.
///
/// ```swift
/// let server = try await WebServer(settings: WebConfiguration(environment: ProcessInfo.processInfo.environment))
/// let router = server.router()
/// router.get("hello") { _, _ in "Hello!" }
/// server.app.signals.requestFinished.connect { finished in … }
/// try await server.run(router)
/// ```
///
/// Making a server bootstraps the process-wide logging and metrics systems: make one per process.
public struct WebServer: Sendable {
    public let settings: WebConfiguration
    /// The application, sender of the signals.
    public let app: BeaconApp
    /// The event pipeline; nil when events are off.
    public let pipeline: EventPipeline?
    /// The publisher of the app's requests, errors and logs; nil when events are off.
    public let publisher: EventPublisher?
    public let metrics: PrometheusMetrics
    /// The app's request metrics.
    public let requestMetrics: RequestMetrics

    /// Opens the spool, connects to the broker (serving anyway when it is unreachable), and bootstraps logging and
    /// metrics.
    ///
    /// - Throws: ``ConfigurationError`` for a spool directory or broker URL that cannot be used.
    public init(settings: WebConfiguration) async throws(ConfigurationError) {
        self.settings = settings
        let consoleLevel: Logger.Level = settings.debug ? .debug : .info
        let console: @Sendable (String) -> LineLogHandler = { LineLogHandler.standardError(label: $0, logLevel: consoleLevel) }
        // Metrics first: the outbox makes its counters when it is made.
        metrics = PrometheusMetrics()
        metrics.bootstrap()
        let pipeline =
            settings.eventsEnabled
            ? try await EventPipeline.connect(configuration: settings, outboxConfiguration: Self.outboxConfiguration, logHandler: { console($0) })
            : nil
        let publisher = pipeline.map { EventPublisher(outbox: $0.outbox, service: settings.service, minimumLevel: settings.eventLevel) }
        LoggingSystem.bootstrap { label in
            guard let publisher else { return console(label) }
            return LogHandlerPair(console(label), EventLogHandler(label: label, publisher: publisher))
        }
        app = BeaconApp(service: settings.service, debug: settings.debug, logger: Logger(label: settings.service))
        publisher?.publishRequests(of: app)
        requestMetrics = RequestMetrics(app: app)
        self.pipeline = pipeline
        self.publisher = publisher
    }

    /// The web's outbox: room for a few seconds of a busy server's events in memory, so that a broker that falls
    /// behind for a moment (on a loaded machine, its confirms lag) is waited for rather than answered with disk
    /// writes; past three quarters of the buffer, events go to the spool. One publish in flight: the events of a
    /// confirm's round trip go together in the next message, and the broker's cost is per message (scripts/bench-web
    /// on 2 cores: about 45 events a message and 16 µs of broker CPU an event, against 25 and 27 µs with 8 in flight).
    /// Under load a publish also lingers up to 5 ms for more events: a quorum queue confirms in about a millisecond,
    /// which alone makes messages of ~14 events at 12k requests a second.
    static let outboxConfiguration = EventOutbox.Configuration(
        bufferCapacity: 16384,
        maximumEventsPerMessage: 512,
        maximumPublishesInFlight: 1,
        spoolThreshold: 12288,
        linger: EventOutbox.Linger(events: 128, duration: .milliseconds(5))
    )

    /// A router of the app (request lifecycle first), with `GET /healthz` and `GET /metrics`.
    public func router() -> Router<BasicBeaconRequestContext> {
        let router = app.router()
        metrics.addRoute(to: router)
        let pipeline = pipeline
        router.get("healthz") { _, _ in Health(pipeline: pipeline) }
        return router
    }

    /// Serves `router` on the configured address until SIGINT or SIGTERM; then stops accepting, finishes the
    /// requests in flight, sends `appStopping`, flushes the events (or spools them) and closes the broker connection.
    public func run(_ router: Router<BasicBeaconRequestContext>) async throws {
        let application = app.application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: nil),
            services: pipeline.map { [$0.outbox] } ?? []
        )
        do {
            try await application.runService()
        } catch {
            await pipeline?.close()
            throw error
        }
        await pipeline?.close()
    }
}

/// `GET /healthz`: the process serves; how its events fare.
struct Health: ResponseEncodable {
    struct Events: Encodable {
        var broker: String?
        var buffered: Int
        var inSpool: Int
        var spooling: Bool
        var delivered: Int
        var dropped: Int

        enum CodingKeys: String, CodingKey {
            case broker, buffered, spooling, delivered, dropped
            case inSpool = "in_spool"
        }
    }

    var status = "ok"
    var events: Events?

    init(pipeline: EventPipeline?) {
        events = pipeline.map { pipeline in
            let statistics = pipeline.outbox.statistics
            return Events(
                broker: pipeline.connection.map { "\($0.status)" },
                buffered: statistics.buffered,
                inSpool: statistics.inSpool,
                spooling: statistics.isSpooling,
                delivered: statistics.delivered,
                dropped: statistics.dropped
            )
        }
    }
}
