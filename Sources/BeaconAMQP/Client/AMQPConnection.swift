import Logging
import Synchronization

/// A connection to a RabbitMQ broker (AMQP 0-9-1 over rabbitmq-c), kept alive by a thread of its own.
///
/// The connection thread owns the rabbitmq-c connection: it answers heartbeats when idle, publishes, reads confirms
/// and deliveries, and reconnects with exponential backoff and jitter when the connection is lost (missed heartbeats,
/// socket errors, `connection.close`). After a reconnect it declares the ``AMQPTopology`` again, reopens every
/// ``AMQPChannel`` with its prefetch and consumers, and publishes again whatever was not confirmed.
///
/// Nothing in this API blocks the calling thread: `async` methods suspend until the connection thread answers, and the
/// callback variant of ``AMQPChannel/publish(_:completion:)`` needs no task at all.
///
/// ```swift
/// let connection = try await AMQPConnection.connect(url: "amqp://guest:guest@127.0.0.1:5672/%2F", topology: topology)
/// let channel = try await connection.openChannel()
/// let outcomes = await channel.publish(messages)   // one outcome per message
/// await connection.close()
/// ```
public final class AMQPConnection: Sendable {
    /// The settings in use (``AMQPConfiguration/description`` hides the password).
    public let configuration: AMQPConfiguration
    let mailbox: Mailbox
    private let shared: ConnectionShared

    /// Starts connecting in the background and returns at once; the connection keeps trying (per the reconnect policy)
    /// and meanwhile queues publishes, up to their deadline. Watch ``statusUpdates()`` to know when the broker is
    /// unreachable. Throws only for an unusable configuration.
    ///
    /// - Parameters:
    ///   - topology: declared on every connect, before channels reopen.
    ///   - logger: connection-level events (connected, lost, reconnecting, blocked); never the password.
    public convenience init(
        configuration: AMQPConfiguration,
        topology: AMQPTopology = AMQPTopology(),
        logger: Logger = Logger(label: "beacon.amqp")
    ) throws(AMQPError) {
        try self.init(validated: configuration.validated(), topology: topology, logger: logger, firstAttempt: nil)
    }

    /// Connects and returns once connected and the topology is declared; throws the first attempt's error (wrong
    /// password: ``AMQPError/Code/accessRefused``, unknown vhost: ``AMQPError/Code/notAllowed``, nothing listening:
    /// ``AMQPError/Code/socketError``, no answer within the connection timeout: ``AMQPError/Code/timeout``). Later
    /// losses reconnect per the configuration's policy.
    public static func connect(
        configuration: AMQPConfiguration,
        topology: AMQPTopology = AMQPTopology(),
        logger: Logger = Logger(label: "beacon.amqp")
    ) async throws(AMQPError) -> AMQPConnection {
        let firstAttempt = FirstAttempt()
        let connection = try AMQPConnection(
            validated: configuration.validated(),
            topology: topology,
            logger: logger,
            firstAttempt: { firstAttempt.fulfil($0) }
        )
        if let error = await firstAttempt.value { throw error }
        return connection
    }

    /// ``connect(configuration:topology:logger:)`` with a configuration read from `url` (see
    /// ``AMQPConfiguration/init(url:)``).
    public static func connect(
        url: String,
        topology: AMQPTopology = AMQPTopology(),
        logger: Logger = Logger(label: "beacon.amqp")
    ) async throws(AMQPError) -> AMQPConnection {
        try await connect(configuration: AMQPConfiguration(url: url), topology: topology, logger: logger)
    }

    private init(
        validated configuration: AMQPConfiguration,
        topology: AMQPTopology,
        logger: Logger,
        firstAttempt: (@Sendable (AMQPError?) -> Void)?
    ) throws(AMQPError) {
        self.configuration = configuration
        self.mailbox = try Mailbox()
        self.shared = ConnectionShared()
        var logger = logger
        logger[metadataKey: "amqp.broker"] = "\(configuration.redactedURL)"
        Engine.start(
            configuration: configuration,
            topology: topology,
            logger: logger,
            mailbox: mailbox,
            shared: shared,
            firstAttempt: firstAttempt
        )
    }

    deinit {
        mailbox.post { $0.requestClose {} }
    }

    /// Where the connection stands now.
    public var status: Status { shared.status }

    /// The current status, then every change, until the connection is closed.
    public func statusUpdates() -> AsyncStream<Status> { shared.updates() }

    /// Opens a channel (in confirm mode). While disconnected it is registered and opens with the next connection.
    public func openChannel() async throws(AMQPError) -> AMQPChannel {
        let shared = try await perform { engine, reply in
            reply(Result { () throws(AMQPError) in try engine.addChannel().shared })
        }
        return AMQPChannel(connection: self, shared: shared)
    }

    /// Declares exchanges, queues and bindings now, and again after every reconnect.
    public func declare(_ topology: AMQPTopology) async throws(AMQPError) {
        try await perform { engine, reply in reply(engine.declareAndRecord(topology)) }
    }

    /// Opens a channel of its own for one consumer and starts consuming `queue` with manual acknowledgements.
    ///
    /// - Parameters:
    ///   - prefetch: most unacknowledged deliveries the broker sends this consumer (`basic.qos`).
    ///   - maximumBatchSize: most deliveries one iteration step yields.
    public func consume(
        queue: String,
        prefetch: UInt16,
        maximumBatchSize: Int = 1024,
        exclusive: Bool = false,
        arguments: AMQPTable = [:]
    ) async throws(AMQPError) -> AMQPConsumer {
        let channel = try await openChannel()
        do {
            return try await channel.consume(
                queue: queue,
                prefetch: prefetch,
                maximumBatchSize: maximumBatchSize,
                exclusive: exclusive,
                arguments: arguments
            )
        } catch {
            await channel.close()
            throw error
        }
    }

    /// Closes the connection: publishes in flight first get their outcomes (bounded by the publish timeout), then
    /// `connection.close`; consumers end. Returns when the connection thread is done.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let posted = mailbox.post { engine in engine.requestClose { continuation.resume() } }
            if !posted { continuation.resume() }
        }
    }

    /// Runs `body` on the connection thread; it answers through `reply` (at once or later).
    func perform<T: Sendable>(
        _ body: @escaping @Sendable (Engine, @escaping @Sendable (Result<T, AMQPError>) -> Void) -> Void
    ) async throws(AMQPError) -> T {
        let result: Result<T, AMQPError> = await withCheckedContinuation { continuation in
            let posted = mailbox.post { engine in body(engine) { continuation.resume(returning: $0) } }
            if !posted { continuation.resume(returning: .failure(shared.closedError)) }
        }
        return try result.get()
    }

    /// The error for requests after the connection closed.
    var closedError: AMQPError { shared.closedError }
}

/// The outcome of the first connection attempt, awaited by ``AMQPConnection/connect(configuration:topology:logger:)``.
private final class FirstAttempt: Sendable {
    private struct State {
        var outcome: AMQPError??
        var waiter: CheckedContinuation<AMQPError?, Never>?
    }

    private let state = Mutex(State())

    func fulfil(_ error: AMQPError?) {
        let waiter: CheckedContinuation<AMQPError?, Never>? = state.withLock { state in
            guard state.outcome == nil else { return nil }
            state.outcome = .some(error)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: error)
    }

    var value: AMQPError? {
        get async {
            await withCheckedContinuation { continuation in
                let outcome: AMQPError?? = state.withLock { state in
                    if state.outcome == nil { state.waiter = continuation }
                    return state.outcome
                }
                if let outcome { continuation.resume(returning: outcome) }
            }
        }
    }
}
