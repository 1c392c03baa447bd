import CAMQPShim
import CRabbitMQ
import DequeModule
import Logging
import Synchronization

import class Foundation.Thread

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything one ``AMQPConnection`` does, on its own thread.
///
/// rabbitmq-c connections are not thread-safe and answer heartbeats only while called, so one dedicated thread owns
/// the connection and all its state: it connects (and reconnects with backoff), declares the topology, opens channels,
/// runs the commands that other threads post to its ``Mailbox``, sends publishes within each channel's confirm window,
/// reads frames (confirms, returns, deliveries, closes, blocked notifications) and sleeps in `poll()` on the socket and
/// the mailbox's wake pipe, never longer than a quarter heartbeat or the next publish deadline.
///
/// Nothing here is touched by another thread: Swift tasks only post commands and are answered through continuations
/// and callbacks.
final class Engine {
    let configuration: AMQPConfiguration
    let logger: Logger
    private let mailbox: Mailbox
    private let shared: ConnectionShared
    private let sendGuard = SendGuard()
    private var state: StateMachine
    /// The topology declared on every connect.
    var topology: AMQPTopology
    private(set) var session: Session?
    var channels = ChannelTable()
    /// Set while the broker blocks publishing (`connection.blocked`).
    private(set) var blockedReason: String?
    private(set) var lastError: AMQPError?
    /// `AMQPConnection.run()`, told once the connection has ended, with the error that ended it.
    private let finished: @Sendable (AMQPError?) -> Void
    /// Who to tell when the close the application asked for is done.
    private var closeWaiters: [@Sendable () -> Void] = []
    /// No publish deadline is due before this (monotonic nanoseconds).
    private var nextDeadline = UInt64.max
    /// Consumers that received deliveries in the current round.
    var consumersWithDeliveries: [ConsumerRegistration] = []
    private var randomness = SystemRandomNumberGenerator()

    /// How long the connection thread may be stuck in one round of socket writes before the watchdog drops the socket.
    private var stallLimit: Duration { max(configuration.publishTimeout, configuration.rpcTimeout) }

    /// Why the connection was dropped when the watchdog had to shut the socket down.
    private var stalled: AMQPError {
        AMQPError(
            code: .publishStalled,
            message: "the broker read nothing for \(stallLimit.readable) (memory or disk alarm?): the connection was dropped",
            context: "writing to \(configuration.redactedURL)"
        )
    }

    /// Starts the connection thread; `finished` hears, once, that the connection has ended and with which error
    /// (nil: the application closed it).
    static func start(
        configuration: AMQPConfiguration,
        topology: AMQPTopology,
        startup: AMQPConnection.Startup,
        logger: Logger,
        mailbox: Mailbox,
        shared: ConnectionShared,
        finished: @escaping @Sendable (AMQPError?) -> Void
    ) {
        let thread = Thread {
            let engine = Engine(
                configuration: configuration,
                topology: topology,
                startup: startup,
                logger: logger,
                mailbox: mailbox,
                shared: shared,
                finished: finished
            )
            engine.run()
        }
        thread.name = "amqp \(configuration.host):\(configuration.port)"
        thread.start()
    }

    private init(
        configuration: AMQPConfiguration,
        topology: AMQPTopology,
        startup: AMQPConnection.Startup,
        logger: Logger,
        mailbox: Mailbox,
        shared: ConnectionShared,
        finished: @escaping @Sendable (AMQPError?) -> Void
    ) {
        self.configuration = configuration
        self.topology = topology
        self.state = StateMachine(reconnect: configuration.reconnect, startup: startup)
        self.logger = logger
        self.mailbox = mailbox
        self.shared = shared
        self.finished = finished
    }

    /// Closes a connection that never ran, on the calling thread: requests that were waiting for it fail as they
    /// would after a close.
    static func closeUnstarted(
        configuration: AMQPConfiguration,
        topology: AMQPTopology,
        logger: Logger,
        mailbox: Mailbox,
        shared: ConnectionShared
    ) {
        let engine = Engine(
            configuration: configuration,
            topology: topology,
            startup: .failFast,
            logger: logger,
            mailbox: mailbox,
            shared: shared,
            finished: { _ in }
        )
        _ = engine.state.closeRequested()
        engine.finish(nil)
    }

    private func run() {
        StallWatchdog.shared.register(sendGuard)
        defer { StallWatchdog.shared.unregister(sendGuard) }
        while true {
            switch state.phase {
            case .connecting(let attempt): connect(attempt: attempt)
            case .connected: serve()
            case .waiting(let until, _): wait(until: until)
            case .closed(let error):
                finish(error)
                return
            }
        }
    }

    // MARK: Connecting and losing the connection

    private func connect(attempt: Int) {
        shared.set(.connecting)
        do throws(AMQPError) {
            let session = try Session(configuration: configuration)
            self.session = session
            if !topology.isEmpty { try declare(topology, session) }
            for channel in channels.inOrder {
                do throws(AMQPError) {
                    try open(channel, session)
                } catch  where self.session != nil {
                    // A channel-level failure (e.g. a consumer's queue is gone) ended that channel's consumers only.
                    continue
                }
            }
        } catch {
            let error = session != nil ? tearDown(error) : error
            handle(state.attemptFailed(error, now: Monotonic.now(), using: &randomness), error)
            return
        }
        let failedAttempts = state.attemptSucceeded()
        blockedReason = nil
        lastError = nil
        shared.set(.connected)
        logger.info(
            failedAttempts == 0 ? "AMQP connected" : "AMQP reconnected after \(failedAttempts) failed attempt(s)",
            metadata: ["amqp.heartbeat": "\(session?.heartbeatSeconds ?? 0)s", "amqp.channel_max": "\(session?.channelMax ?? 0)"]
        )
    }

    /// The connection is gone (socket error, missed heartbeats, `connection.close`, a stalled write): tears the session
    /// down and, when connected, schedules the reconnect. During a connect attempt, the attempt handles it.
    func lose(_ error: AMQPError) {
        let error = tearDown(error)
        handle(state.sessionLost(error, now: Monotonic.now(), using: &randomness), error)
    }

    /// Destroys the session and resets every channel for the next one: unconfirmed publishes go back in line (or
    /// fail, when there will be no next session), pending gets fail, consumers stay registered (or end).
    private func tearDown(_ error: AMQPError) -> AMQPError {
        let error = sendGuard.disarm() ? stalled : error
        session?.destroy()
        session = nil
        blockedReason = nil
        lastError = error
        let retrying = state.willRetry(after: error)
        for channel in channels.all {
            channel.isOpen = false
            channel.incoming = nil
            channel.pipeline.sessionEnded(retry: retrying, error)
            while let get = channel.pendingGets.popFirst() { get(.failure(error)) }
            for consumer in channel.consumers.values {
                consumer.received = []
                // Buffered deliveries can no longer be acknowledged; the broker redelivers them.
                consumer.sink.discardBuffered()
                if !retrying { consumer.sink.finish(error) }
            }
            if !retrying { channel.consumers = [:] }
        }
        consumersWithDeliveries = []
        return error
    }

    /// Carries out what the state machine decided after a failed attempt or a lost session (`nil`: nothing to do).
    private func handle(_ action: StateMachine.FailureAction?, _ error: AMQPError) {
        guard let action else { return }
        lastError = error
        switch action {
        case .close(nil):
            break
        case .close(let error?):
            logger.error("AMQP connection failed, not reconnecting", metadata: ["amqp.error": "\(error)"])
        case .retry(_, let delay, let attempt):
            shared.set(.disconnected(error))
            let metadata: Logger.Metadata = ["amqp.error": "\(error)", "amqp.retry_in": "\(delay.readable)", "amqp.attempt": "\(attempt)"]
            if attempt == 1 {
                logger.warning("AMQP connection unavailable; reconnecting with backoff", metadata: metadata)
            } else {
                logger.debug("AMQP reconnect attempt failed", metadata: metadata)
            }
        }
    }

    // MARK: The loop

    /// One round while connected: commands, publishes, incoming frames, deadlines, then sleep.
    private func serve() {
        guard let session else { return }
        sendGuard.arm(fd: session.fd, deadline: Monotonic.now() + stallLimit.nanoseconds)
        runCommands()
        if self.session != nil { flushPublishes() }
        if self.session != nil { readFrames() }
        if let session = self.session {
            handOverDeliveries()
            session.scratch.recycle()
            amqp_maybe_release_buffers(session.state)
        }
        if sendGuard.disarm(), self.session != nil { lose(stalled) }
        expireDeadlines()
        closeSettledChannels()
        if state.isClosing, let session = self.session, channels.all.allSatisfy({ $0.pipeline.isSettled }) {
            session.close()
            _ = tearDown(AMQPError(code: .connectionClosed, message: "the connection was closed by the application"))
            state.closedByApplication()
            return
        }
        if let session = self.session { sleep(session) }
    }

    /// One round while disconnected: commands (publishes queue up, requests fail), deadlines, then sleep until the next
    /// attempt.
    private func wait(until: UInt64) {
        runCommands()
        expireDeadlines()
        closeSettledChannels()
        guard case .waiting = state.phase else { return }
        let now = Monotonic.now()
        if state.retryIsDue(now: now) { return }
        let wakeAt = min(until, nextDeadline)
        let timeout = wakeAt > now ? wakeAt - now : 0
        guard mailbox.willSleep() else { return }
        var fds = [pollfd(fd: mailbox.wakeFD, events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 1, Int32(clamping: timeout / 1_000_000 + 1))
        mailbox.didWake(signalled: fds[0].revents != 0)
    }

    private func runCommands() {
        for command in mailbox.take() { command(self) }
    }

    /// Sleeps in `poll()` until the socket is readable, a command arrives, or it is time for heartbeats or a deadline.
    private func sleep(_ session: Session) {
        if amqp_frames_enqueued(session.state) != 0 || amqp_data_in_buffer(session.state) != 0 { return }
        // Confirms read in this round may have opened a window: send again before sleeping.
        if blockedReason == nil,
            channels.all.contains(where: { $0.pipeline.canSend(window: configuration.confirmWindow) })
        {
            return
        }
        let now = Monotonic.now()
        var timeoutMilliseconds = 5_000
        if session.heartbeatSeconds > 0 { timeoutMilliseconds = min(timeoutMilliseconds, session.heartbeatSeconds * 250) }
        if nextDeadline != .max {
            let untilDeadline = nextDeadline > now ? Int((nextDeadline - now) / 1_000_000) + 1 : 0
            timeoutMilliseconds = min(timeoutMilliseconds, untilDeadline)
        }
        guard mailbox.willSleep() else { return }
        var fds = [
            pollfd(fd: session.fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: mailbox.wakeFD, events: Int16(POLLIN), revents: 0),
        ]
        _ = poll(&fds, 2, Int32(timeoutMilliseconds))
        mailbox.didWake(signalled: fds[1].revents != 0)
    }

    /// Reads and handles every frame available without waiting (this is also when rabbitmq-c sends heartbeats and
    /// notices missed ones).
    private func readFrames() {
        var frame = amqp_frame_t()
        var noWait = timeval(tv_sec: 0, tv_usec: 0)
        for _ in 0..<65_536 {
            guard let session else { return }
            let status = amqp_simple_wait_frame_noblock(session.state, &frame, &noWait)
            if status == AMQP_STATUS_TIMEOUT.rawValue { return }
            guard status == AMQP_STATUS_OK.rawValue else {
                lose(AMQPError(status: status, context: "reading from \(configuration.redactedURL)", systemError: errno))
                return
            }
            handle(frame, session)
        }
    }

    /// Gives each consumer what it received in this round, in one batch.
    private func handOverDeliveries() {
        for consumer in consumersWithDeliveries {
            consumer.sink.push(consumer.received)
            consumer.received = []
        }
        consumersWithDeliveries = []
    }

    // MARK: Publishing

    /// Sends waiting publishes while each channel's confirm window has room (not while the broker blocks publishing),
    /// corked so that they leave in full TCP segments.
    private func flushPublishes() {
        guard blockedReason == nil, let session else { return }
        var corked = false
        defer { if corked, self.session != nil { session.cork(false) } }
        for channel in channels.all where !channel.pipeline.waiting.isEmpty {
            if !channel.isOpen {
                do throws(AMQPError) {
                    try open(channel, session)
                } catch {
                    guard self.session != nil else { return }
                    channel.pipeline.failAll(error)
                    continue
                }
            }
            while let pending = channel.pipeline.nextToSend(window: configuration.confirmWindow) {
                if !corked {
                    session.cork(true)
                    corked = true
                }
                let status = session.publish(pending.message, channel: channel.number)
                guard status == AMQP_STATUS_OK.rawValue else {
                    lose(AMQPError(status: status, context: "publishing to \(configuration.redactedURL)", systemError: errno))
                    return
                }
            }
        }
    }

    /// Queues a batch on a channel; it leaves with the next flush (or after the reconnect).
    func enqueue(_ batch: PublishBatch, on channel: ChannelState) {
        channel.pipeline.enqueue(batch)
        nextDeadline = min(nextDeadline, batch.deadline)
    }

    /// Records `connection.blocked` (with the broker's reason) or `connection.unblocked` (`nil`).
    func setBlocked(_ reason: String?) {
        blockedReason = reason
        shared.set(reason.map { .blocked(reason: $0) } ?? .connected)
    }

    /// Fails publishes whose deadline passed, saying why they did not get through.
    private func expireDeadlines() {
        let now = Monotonic.now()
        guard now >= nextDeadline else { return }
        var reason = "no confirm within \(configuration.publishTimeout.readable)"
        if let blockedReason {
            reason += "; the broker blocks publishing: \(blockedReason)"
        } else if session == nil {
            reason += "; not connected" + (lastError.map { " (\($0))" } ?? "")
        }
        let error = AMQPError(code: .timeout, message: reason, context: "publishing to \(configuration.redactedURL)")
        nextDeadline = .max
        for channel in channels.all {
            channel.pipeline.expire(now: now, error)
            if let deadline = channel.pipeline.nextDeadline { nextDeadline = min(nextDeadline, deadline) }
        }
    }

    // MARK: Closing

    /// The application closes the connection: publishes in flight get their outcomes first (bounded by their deadline).
    func requestClose(_ completion: @escaping @Sendable () -> Void) {
        closeWaiters.append(completion)
        _ = state.closeRequested()
    }

    /// Whether the application asked to close the connection, or it is closed.
    var isClosing: Bool { state.isClosing || state.isClosed }

    /// The error for requests that arrive when there is no connection.
    func notConnected(_ context: String) -> AMQPError {
        if state.isClosed { return shared.closedError.within(context) }
        if state.isClosing { return AMQPError(code: .connectionClosed, message: "the connection is closing", context: context) }
        let reason = lastError.map { "not connected to the broker (\($0))" } ?? "not connected to the broker"
        return AMQPError(code: .connectionLost, message: reason, context: context)
    }

    private func finish(_ error: AMQPError?) {
        if session != nil { _ = tearDown(error ?? AMQPError(code: .connectionClosed, message: "closed")) }
        shared.set(.closed(error))
        let closedError = shared.closedError
        for channel in channels.all { end(channel, closedError, consumersError: error) }
        for command in mailbox.seal() { command(self) }
        for waiter in closeWaiters { waiter() }
        closeWaiters = []
        if let error {
            logger.error("AMQP connection closed", metadata: ["amqp.error": "\(error)"])
        } else {
            logger.info("AMQP connection closed")
        }
        finished(error)
    }

    // MARK: Channels

    /// Registers a new logical channel and opens it now if connected (else it opens with the next session).
    func addChannel() throws(AMQPError) -> ChannelState {
        guard !isClosing else { throw notConnected("opening a channel") }
        let channel = try channels.add(limit: channelLimit)
        if let session {
            do throws(AMQPError) {
                try open(channel, session)
            } catch {
                channels.remove(channel)
                throw error
            }
        }
        return channel
    }

    /// The channel numbers usable now: the broker's `channel_max`, or the configured one before a session.
    private var channelLimit: Int { ChannelTable.limit(channelMax: session?.channelMax ?? configuration.channelMax) }

    /// Opens a channel on the wire in confirm mode and restores its prefetch and consumers.
    func open(_ channel: ChannelState, _ session: Session) throws(AMQPError) {
        guard !channel.isOpen else { return }
        let context = "opening channel \(channel.number)"
        try rpc(amqp_channel_open(session.state, channel.number), on: channel, session, context)
        channel.isOpen = true
        channel.shared.incarnation.add(1, ordering: .relaxed)
        try rpc(amqp_confirm_select(session.state, channel.number), on: channel, session, context)
        if let prefetch = channel.prefetch {
            try rpc(amqp_basic_qos(session.state, channel.number, 0, prefetch, 0), on: channel, session, context)
        }
        for consumer in channel.consumers.values.sorted(by: { $0.tag < $1.tag }) {
            try subscribe(consumer, on: channel, session)
        }
    }

    /// Closes channels whose close the application requested, once their publishes have outcomes.
    private func closeSettledChannels() {
        for channel in channels.all where channel.closeWaiters != nil && channel.pipeline.isSettled {
            if channel.isOpen, let session {
                let reply = amqp_channel_close(session.state, channel.number, AMQP_REPLY_SUCCESS)
                if reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION {
                    lose(AMQPError(status: reply.library_error, context: "closing channel \(channel.number)"))
                }
            }
            end(channel, AMQPError(code: .channelClosed, message: "the channel was closed by the application"), consumersError: nil)
        }
    }

    /// Forgets a channel for good: what is pending fails with `error`; consumers end (with `consumersError`).
    func end(_ channel: ChannelState, _ error: AMQPError, consumersError: AMQPError?) {
        channel.pipeline.failAll(error)
        while let get = channel.pendingGets.popFirst() { get(.failure(error)) }
        for consumer in channel.consumers.values { consumer.sink.finish(consumersError) }
        channel.consumers = [:]
        channels.remove(channel)
        for waiter in channel.closeWaiters ?? [] { waiter() }
        channel.closeWaiters = nil
    }

    /// The broker closed a channel (`channel.close`, already answered): what was in flight on it fails, its consumers
    /// end with the error. The channel opens again (a new incarnation) the next time it is used.
    func channelClosedByBroker(_ channel: ChannelState, _ error: AMQPError) {
        channel.isOpen = false
        channel.incoming = nil
        channel.pipeline.sessionEnded(retry: false, error)
        while let get = channel.pendingGets.popFirst() { get(.failure(error)) }
        for consumer in channel.consumers.values {
            consumer.received = []
            consumer.sink.finish(error)
        }
        channel.consumers = [:]
        logger.warning("AMQP channel closed by the broker", metadata: ["amqp.channel": "\(channel.number)", "amqp.error": "\(error)"])
    }

    // MARK: Synchronous requests

    /// Checks the answer of a rabbitmq-c RPC call that returns a pointer to the reply (`nil` on failure) and handles a
    /// failure: a `channel.close` closes the channel, anything else loses the connection.
    @discardableResult
    func rpc<Reply>(
        _ reply: UnsafeMutablePointer<Reply>?,
        on channel: ChannelState,
        _ session: Session,
        _ context: @autoclosure () -> String
    ) throws(AMQPError) -> Reply {
        if let reply { return reply.pointee }
        throw failure(amqp_get_rpc_reply(session.state), on: channel, session, context())
    }

    /// The error in a failed RPC reply, after reacting to it (see ``rpc(_:on:_:_:)``).
    func failure(_ reply: amqp_rpc_reply_t, on channel: ChannelState, _ session: Session, _ context: String) -> AMQPError {
        let error = AMQPError(reply: reply, context: context) ?? AMQPError(code: .protocolError, message: "no reply", context: context)
        switch (reply.reply_type, reply.reply.id) {
        case (AMQP_RESPONSE_SERVER_EXCEPTION, AMQP_CHANNEL_CLOSE_METHOD):
            _ = session.send(AMQP_CHANNEL_CLOSE_OK_METHOD, channel: channel.number, amqp_channel_close_ok_t())
            channelClosedByBroker(channel, error)
        case (AMQP_RESPONSE_SERVER_EXCEPTION, AMQP_CONNECTION_CLOSE_METHOD):
            _ = session.send(AMQP_CONNECTION_CLOSE_OK_METHOD, channel: 0, amqp_connection_close_ok_t())
            lose(error)
        default:
            lose(error)
        }
        return error
    }

    /// Declares a topology on a short-lived channel of its own.
    func declare(_ topology: AMQPTopology, _ session: Session) throws(AMQPError) {
        guard let number = channels.freeNumber(limit: ChannelTable.limit(channelMax: session.channelMax)) else {
            throw AMQPError(code: .resourceError, message: "no channel number left", context: "declaring the topology")
        }
        let channel = ChannelState(shared: ChannelShared(id: 0), number: number)
        try rpc(amqp_channel_open(session.state, number), on: channel, session, "opening a channel for the topology")
        channel.isOpen = true
        for exchange in topology.exchanges { try declare(exchange, passive: false, on: channel, session) }
        for queue in topology.queues { _ = try declare(queue, passive: false, on: channel, session) }
        for binding in topology.bindings { try bind(binding, unbind: false, on: channel, session) }
        let reply = amqp_channel_close(session.state, number, AMQP_REPLY_SUCCESS)
        if reply.reply_type != AMQP_RESPONSE_NORMAL { throw failure(reply, on: channel, session, "closing the topology channel") }
    }
}
