import BeaconAMQP
import BeaconEvents
import BeaconLogging
import BeaconOutbox
import BeaconOutboxAMQP
import BeaconTasks
import BeaconWeb
import Hummingbird
import Logging
import Metrics
import ServiceLifecycle
import SystemPackage

/// The `web` program's server: a ``BeaconApp`` publishing its requests, errors and logs to RabbitMQ through an
/// outbox (unless events are off), Prometheus metrics, `/healthz` and `/metrics`, graceful shutdown on SIGINT and
/// SIGTERM. The process-wide logging and metrics systems are bootstrapped here, in the program, never by a library.
struct WebServer {
    let settings: WebConfiguration
    let app: BeaconApp
    let pipeline: EventPipeline?
    /// The task client's connection and the service that hands the client to the app (none without a broker).
    let taskServices: [any Service]
    let metrics: PrometheusMetrics
    /// The app's request metrics (they are recorded while this lives).
    let requestMetrics: RequestMetrics

    /// Bootstraps metrics and logging, opens the spool and prepares the broker connection (which connects once the
    /// server runs; with no broker the server serves anyway and spools).
    ///
    /// - Throws: ``WebConfigurationError`` for a spool directory or broker URL that cannot be used.
    init(settings: WebConfiguration) throws(WebConfigurationError) {
        self.settings = settings
        let consoleLevel: Logger.Level = settings.debug ? .debug : .info
        let console: @Sendable (String) -> LineLogHandler = { LineLogHandler.standardError(label: $0, logLevel: consoleLevel) }
        // Metrics first: the outbox makes its counters when it is made.
        metrics = PrometheusMetrics()
        MetricsSystem.bootstrap(metrics.factory)
        let pipeline = settings.eventsEnabled ? try Self.pipeline(settings, logger: Logger(label: "beacon.outbox", factory: { console($0) })) : nil
        LoggingSystem.bootstrap { label in
            guard let pipeline else { return console(label) }
            return LogHandlerPair(console(label), pipeline.logHandler(label: label))
        }
        do {
            app = try BeaconApp(service: settings.service, debug: settings.debug, logger: Logger(label: settings.service))
        } catch {
            throw WebConfigurationError(.invalidValue, setting: "BEACON_SERVICE", "\(error)")
        }
        if let pipeline { pipeline.publisher.publishRequests(of: app) }
        requestMetrics = RequestMetrics(app: app)
        self.pipeline = pipeline
        taskServices = settings.eventsEnabled ? try Self.taskServices(settings, app: app) : []
    }

    /// A connection of its own for tasks (the outbox's is tuned for batches of events), and the service that gives
    /// the app a ``TaskClient`` on it once it runs, with a spool beside the events' (`<BEACON_SPOOL_DIR>.tasks`).
    static func taskServices(_ settings: WebConfiguration, app: BeaconApp) throws(WebConfigurationError) -> [any Service] {
        let spool: TaskSpool
        do {
            spool = try TaskSpool(directory: settings.spoolDirectory + ".tasks")
        } catch {
            throw WebConfigurationError(
                .invalidValue,
                setting: "BEACON_SPOOL_DIR",
                "cannot use '\(settings.spoolDirectory).tasks' as the task spool: \(error)"
            )
        }
        do {
            var amqp = try AMQPConfiguration(url: settings.amqpURL)
            amqp.connectionName = "\(settings.service)-tasks@\(ProcessIdentity.current.host)"
            let logger = Logger(label: "beacon.tasks")
            // The outbox reports an unreachable broker (one warning); the task connection's own would say it again.
            var amqpLogger = logger
            amqpLogger.logLevel = .error
            let connection = try AMQPConnection(configuration: amqp, logger: amqpLogger)
            return [connection, TaskClientService(connection: connection, spool: spool, app: app, logger: logger)]
        } catch {
            throw WebConfigurationError(.invalidAMQPURL, setting: "AMQP_URL", "\(error)")
        }
    }

    /// The events to RabbitMQ: the spool, a connection that waits for the broker, the outbox over it.
    static func pipeline(
        _ settings: WebConfiguration,
        outboxConfiguration: EventOutbox.Configuration = outboxConfiguration,
        logger: Logger
    ) throws(WebConfigurationError) -> EventPipeline {
        let spool: EventSpool
        do {
            spool = try EventSpool(directory: FilePath(settings.spoolDirectory))
        } catch {
            throw WebConfigurationError(.invalidValue, setting: "BEACON_SPOOL_DIR", "cannot use '\(settings.spoolDirectory)' as the spool: \(error)")
        }
        var amqp: AMQPConfiguration
        do {
            amqp = try AMQPConfiguration(url: settings.amqpURL)
        } catch {
            throw WebConfigurationError(.invalidAMQPURL, setting: "AMQP_URL", "\(error)")
        }
        amqp.connectionName = "\(settings.service)@\(ProcessIdentity.current.host)"
        var amqpLogger = logger
        // The outbox reports an unreachable broker (one warning, then one notice when it is back); the connection's
        // own warning would say it a second time.
        amqpLogger.logLevel = .error
        do {
            let connection = try AMQPConnection(
                configuration: amqp,
                topology: AMQPEventTransport.topology(exchange: settings.exchange),
                logger: amqpLogger
            )
            return try EventPipeline.amqp(
                connection: connection,
                exchange: settings.exchange,
                spool: spool,
                service: settings.service,
                minimumLevel: settings.eventLevel,
                configuration: outboxConfiguration,
                logger: logger
            )
        } catch {
            throw WebConfigurationError(.invalidAMQPURL, setting: "AMQP_URL", "\(error)")
        }
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
    func router() -> Router<BasicBeaconRequestContext> {
        let router = app.router()
        metrics.addRoute(to: router)
        router.addHealthRoute(pipeline: pipeline)
        return router
    }

    /// Serves `router` on the configured address until SIGINT or SIGTERM; then stops accepting, finishes the
    /// requests in flight, sends `appStopping`, flushes the events (or spools them) and closes the broker connection.
    func run(_ router: Router<BasicBeaconRequestContext>) async throws {
        let application = app.application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: nil),
            services: (pipeline?.services ?? []) + taskServices
        )
        // Events that come after the outbox has stopped (an `appStopping` receiver) are written to the spool on the
        // outbox's queue: on disk before the process exits, however the application ends.
        do {
            try await application.runService()
        } catch {
            await pipeline?.outbox.waitForSpoolWrites()
            throw error
        }
        await pipeline?.outbox.waitForSpoolWrites()
    }
}
