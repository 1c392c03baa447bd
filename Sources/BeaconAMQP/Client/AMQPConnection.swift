public import Logging
public import ServiceLifecycle
import Synchronization

/// A connection to a RabbitMQ broker (AMQP 0-9-1 over rabbitmq-c), kept alive by a thread of its own while it runs.
///
/// Making a connection starts nothing. ``run()`` (a swift-service-lifecycle `Service`: put the connection in your
/// `ServiceGroup`) starts the connection thread, which owns the rabbitmq-c connection: it answers heartbeats when
/// idle, publishes, reads confirms and deliveries, and reconnects with exponential backoff and jitter when the
/// connection is lost (missed heartbeats, socket errors, `connection.close`). After a reconnect it declares the
/// ``AMQPTopology`` again, reopens every ``AMQPChannel`` with its prefetch and consumers, and publishes again whatever
/// was not confirmed. `run()` returns after ``close()``, graceful shutdown or cancellation, once publishes in flight
/// have their outcomes.
///
/// Nothing in this API blocks the calling thread: `async` methods suspend until the connection thread answers (or
/// their task is cancelled), and the callback variant of ``AMQPChannel/publish(_:completion:)`` needs no task at all.
/// Requests made before `run()` starts wait for it.
///
/// ```swift
/// let connection = try AMQPConnection(configuration: configuration, topology: topology, logger: logger)
/// let services = ServiceGroup(services: [connection, myService], logger: logger)   // myService opens channels
/// ```
///
/// For scoped work (a tool, a script, a test), ``withConnection(configuration:topology:startup:logger:_:)`` runs the
/// connection around a closure and closes it on every path.
public final class AMQPConnection: Service, Sendable {
    /// What ``run()`` does when the very first connection attempt fails.
    public enum Startup: Sendable, Hashable {
        /// Keep trying with the reconnect policy (a service waiting for its broker). A refusal that no retry can
        /// mend (a wrong password or virtual host, a topology that contradicts the broker's, TLS) still ends
        /// `run()` with that error.
        case waitForBroker
        /// End `run()` with the first attempt's error, whatever it is (a tool that should not hang).
        case failFast
    }

    /// The settings in use (``AMQPConfiguration/description`` hides the password).
    public let configuration: AMQPConfiguration
    let mailbox: Mailbox
    private let shared: ConnectionShared
    private let topology: AMQPTopology
    private let startup: Startup
    private let logger: Logger
    private let lifecycle = Mutex(Lifecycle.idle)

    private enum Lifecycle {
        case idle
        case running
        case closed
    }

    /// A connection that ``run()`` will open. Throws only for an unusable configuration.
    ///
    /// - Parameters:
    ///   - topology: declared on every connect, before channels reopen.
    ///   - startup: what a failed first attempt does.
    ///   - logger: connection-level events (connected, lost, reconnecting, blocked); never the password.
    public init(
        configuration: AMQPConfiguration,
        topology: AMQPTopology = AMQPTopology(),
        startup: Startup = .waitForBroker,
        logger: Logger
    ) throws(AMQPError) {
        self.configuration = try configuration.validated()
        self.topology = topology
        self.startup = startup
        self.mailbox = try Mailbox()
        self.shared = ConnectionShared()
        var logger = logger
        logger[metadataKey: "amqp.broker"] = "\(self.configuration.redactedURL)"
        self.logger = logger
    }

    /// Runs the connection until ``close()``, graceful shutdown or cancellation; then publishes in flight get their
    /// outcomes (bounded by the publish timeout), `connection.close` is sent, consumers end, and it returns.
    ///
    /// Throws the error that ended the connection when it could not go on: the first attempt failed and
    /// ``Startup`` says not to retry, the broker refused for good, or the connection was lost with reconnection
    /// disabled. A connection runs once.
    ///
    /// In a `ServiceGroup`, list the connection before the services that use it: the group shuts services down in
    /// reverse order, so they finish (and acknowledge) before the connection closes.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await runUntilClosed()
        } onGracefulShutdown: {
            self.requestClose {}
        }
    }

    /// ``run()`` without reacting to graceful shutdown: for an owner that closes the connection itself once its own
    /// work is done (``withConnection(configuration:topology:startup:logger:_:)``).
    private func runUntilClosed() async throws {
        let previous = lifecycle.withLock { lifecycle in
            defer { if case .idle = lifecycle { lifecycle = .running } }
            return lifecycle
        }
        switch previous {
        case .idle: break
        case .running: throw AMQPError(code: .invalidArgument, message: "run() was called before: a connection runs once")
        case .closed: return
        }
        let error: AMQPError? = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<AMQPError?, Never>) in
                Engine.start(
                    configuration: configuration,
                    topology: topology,
                    startup: startup,
                    logger: logger,
                    mailbox: mailbox,
                    shared: shared,
                    finished: { continuation.resume(returning: $0) }
                )
            }
        } onCancel: {
            self.requestClose {}
        }
        if let error { throw error }
    }

    /// Runs a connection around `body` and closes it on every path: waits until connected (see ``Startup``; the
    /// default fails at once when the broker cannot be reached), calls `body`, then closes and returns what `body`
    /// returned or rethrows what it threw. Graceful shutdown is `body`'s to handle: the connection closes only after
    /// `body` has returned, so what `body` finishes on shutdown (acknowledgements, confirms) still goes out. Graceful
    /// shutdown or cancellation before the connection is up closes it and throws ``AMQPError/Code/cancelled``.
    public static func withConnection<Result: Sendable>(
        configuration: AMQPConfiguration,
        topology: AMQPTopology = AMQPTopology(),
        startup: Startup = .failFast,
        logger: Logger,
        _ body: (AMQPConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try AMQPConnection(configuration: configuration, topology: topology, startup: startup, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await connection.runUntilClosed() }
            let result: Swift.Result<Result, any Error>
            do {
                try await cancelWhenGracefulShutdown { try await connection.waitUntilConnected() }
                result = .success(try await body(connection))
            } catch {
                result = .failure(error)
            }
            await connection.close()
            // The connection's own failure (it ended the wait above) is already in `result`.
            while let _ = try? await group.next() {}
            return try result.get()
        }
    }

    /// Returns once connected (now, or after the attempts ``run()`` makes); throws the error that ended the
    /// connection if it ends first, or ``AMQPError/Code/cancelled`` if the task is cancelled.
    public func waitUntilConnected() async throws(AMQPError) {
        for await status in statusUpdates() {
            switch status {
            case .connected, .blocked: return
            case .closed: throw closedError
            case .connecting, .disconnected: continue
            }
        }
        if case .closed = status { throw closedError }
        throw AMQPError(code: .cancelled, message: "stopped waiting for the connection: the task was cancelled")
    }

    /// Where the connection stands now.
    public var status: Status { shared.status }

    /// The current status, then every change, until the connection is closed.
    public func statusUpdates() -> AsyncStream<Status> { shared.updates() }

    /// Opens a channel (in confirm mode). While disconnected it is registered and opens with the next connection.
    public func openChannel() async throws(AMQPError) -> AMQPChannel {
        // A channel opened for a task that was cancelled meanwhile is closed again.
        let abandoned: @Sendable (ChannelShared) -> Void = { [mailbox] shared in mailbox.post { $0.closeChannel(shared.id) {} } }
        let shared = try await perform(abandoned: abandoned) { engine, reply in
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
    /// `connection.close`; consumers end, and ``run()`` returns. Returns when the connection thread is done (at once if
    /// the connection never ran).
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            requestClose { continuation.resume() }
        }
    }

    /// Asks the connection thread to close; `completion` runs once it is done. A connection that never ran is closed
    /// here and now (a later ``run()`` returns at once): nothing else would answer the requests waiting for it.
    private func requestClose(_ completion: @escaping @Sendable () -> Void) {
        let wasIdle = lifecycle.withLock { lifecycle in
            guard case .idle = lifecycle else { return false }
            lifecycle = .closed
            return true
        }
        if wasIdle {
            Engine.closeUnstarted(configuration: configuration, topology: topology, logger: logger, mailbox: mailbox, shared: shared)
            completion()
            return
        }
        let posted = mailbox.post { engine in engine.requestClose(completion) }
        if !posted { completion() }
    }

    /// Runs `body` on the connection thread; it answers through `reply` (at once or later). A cancelled task stops
    /// waiting with ``AMQPError/Code/cancelled``; the request may still take effect, and `abandoned` then gets the
    /// answer nobody waits for (to undo it).
    func perform<T: Sendable>(
        abandoned: (@Sendable (T) -> Void)? = nil,
        _ body: @escaping @Sendable (Engine, @escaping @Sendable (Result<T, AMQPError>) -> Void) -> Void
    ) async throws(AMQPError) -> T {
        let waiter = ReplyWaiter<T>()
        let result: Result<T, AMQPError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard waiter.install(continuation) else { return }
                let posted = mailbox.post { engine in
                    body(engine) { result in
                        if !waiter.resume(result), case .success(let value) = result { abandoned?(value) }
                    }
                }
                if !posted { waiter.resume(.failure(closedError)) }
            }
        } onCancel: {
            waiter.resume(.failure(AMQPError(code: .cancelled, message: "the task was cancelled while waiting for the broker")))
        }
        return try result.get()
    }

    /// The error for requests after the connection closed.
    var closedError: AMQPError { shared.closedError }
}

/// The continuation of one ``AMQPConnection/perform(abandoned:_:)``, resumed once: by the connection thread's answer or
/// by cancellation, whichever comes first.
private final class ReplyWaiter<T: Sendable>: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<Result<T, AMQPError>, Never>)
        /// Resumed, or cancelled before the continuation was installed (then with this result).
        case done(Result<T, AMQPError>?)
    }

    private let state = Mutex(State.idle)

    /// Installs the continuation; false (and resumed) if an answer or a cancellation came first.
    func install(_ continuation: CheckedContinuation<Result<T, AMQPError>, Never>) -> Bool {
        let early: Result<T, AMQPError>? = state.withLock { state in
            guard case .done(let result) = state else {
                state = .waiting(continuation)
                return nil
            }
            state = .done(nil)
            return result
        }
        guard let early else { return true }
        continuation.resume(returning: early)
        return false
    }

    /// Resumes the waiter with `result`; false if it was resumed before (the result is then nobody's).
    @discardableResult
    func resume(_ result: Result<T, AMQPError>) -> Bool {
        let continuation: CheckedContinuation<Result<T, AMQPError>, Never>?? = state.withLock { state in
            switch state {
            case .idle:
                state = .done(result)
                return .some(nil)
            case .waiting(let continuation):
                state = .done(nil)
                return .some(continuation)
            case .done:
                return nil
            }
        }
        guard let continuation else { return false }
        continuation?.resume(returning: result)
        return true
    }
}
