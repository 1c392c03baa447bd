import BeaconAMQP
public import BeaconEvents
public import Logging
public import ServiceLifecycle

/// The worker: consumes the configured queues and feeds the sinks, as a swift-service-lifecycle service — what
/// `worker run` runs, and what a program of one's own puts in its `ServiceGroup`, with its own sink kinds:
///
/// ```swift
/// let configuration = try WorkerConfiguration.load(kinds: .standard.registering(JSONLinesKind()))
/// let worker = WorkerService(configuration: configuration, logger: logger)
/// try await ServiceGroup(
///     configuration: .init(services: [.init(service: worker)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// ).run()
/// ```
///
/// At start it takes the state directory's lock, connects (waiting for the broker if it is not there yet),
/// declares the topology, opens every queue's sinks on the queue's own thread and starts one consumer per queue
/// (each on a channel of its own, so `multiple` acknowledgements cover only its deliveries). On graceful shutdown
/// (SIGTERM, SIGINT through a `ServiceGroup`) it cancels the consumers, finishes, flushes and acknowledges what is in
/// hand, closes the sinks and the connection, and returns.
public struct WorkerService: Service {
    /// The settings it runs with.
    public let configuration: WorkerConfiguration
    /// Its counts, live (also logged when it stops).
    public let statistics: WorkerStatistics
    private let logger: Logger
    private let clock: @Sendable () -> Int64

    /// - Parameters:
    ///   - logger: the worker's own logging (a library makes up none); the program bootstraps the logging system.
    ///   - clock: milliseconds since 1970; tests move it to cross rotation times and storm windows.
    public init(
        configuration: WorkerConfiguration,
        logger: Logger,
        statistics: WorkerStatistics = WorkerStatistics(),
        clock: @escaping @Sendable () -> Int64 = { Event.Timestamp.now().millisecondsSince1970 }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.statistics = statistics
        self.clock = clock
    }

    /// Runs until graceful shutdown; throws when the state directory is taken, a sink cannot be opened or the
    /// broker refuses the login or the topology.
    public func run() async throws {
        let lock = try StateDirectoryLock(directory: configuration.resolvedStateDirectory)
        let amqp = try configuration.amqpConfiguration()
        logger.info(
            "starting",
            metadata: [
                "broker": "\(amqp.redactedURL)",
                "queues": "\(configuration.queues.map(\.name).joined(separator: ","))",
                "log_dir": "\(configuration.logDirectory)",
                "prefetch": "\(configuration.broker.prefetch)",
            ]
        )
        do {
            // Waits for a broker that is not there yet (the connection retries, and logs it once); a broker that
            // refuses the login or the topology ends the wait with its error.
            try await AMQPConnection.withConnection(
                configuration: amqp,
                topology: configuration.topology,
                startup: .waitForBroker,
                logger: logger
            ) { connection in
                try await withThrowingDiscardingTaskGroup { group in
                    for queue in configuration.queues {
                        let runner = try await QueueRunner.start(
                            queue: queue,
                            configuration: configuration,
                            connection: connection,
                            statistics: statistics,
                            clock: clock,
                            logger: logger
                        )
                        group.addTask { try await runner.run() }
                    }
                }
            }
        } catch let error as AMQPError {
            // Shut down before the broker was reached: nothing was consumed, nothing to report.
            if error.code == .cancelled { return }
            throw WorkerError(.broker, error.description)
        }
        logger.info("stopped", metadata: ["counts": "\(statistics.summary)"])
        withExtendedLifetime(lock) {}
    }
}
