extension Engine {
    /// The phases of a connection, as a value: what happens after a connect attempt, a lost session, a close request
    /// or a retry timer, decided without touching a socket or a clock. The ``Engine`` feeds it what happened and
    /// carries out what it answers.
    ///
    /// ```
    ///   connecting ──succeeded──▶ connected ──lost──▶ waiting ──due──▶ connecting
    ///        │ failed                 │ closed by the application        ▲
    ///        └────────▶ waiting ──────┼──────────────────────────────────┘
    ///   close requested, or no retry ─┴──▶ closed(error)
    /// ```
    struct StateMachine: Sendable {
        enum Phase: Hashable, Sendable {
            /// Connecting; `attempt` counts the failures since the last good session.
            case connecting(attempt: Int)
            case connected
            /// Disconnected until `until` (monotonic nanoseconds), then attempt `attempt`.
            case waiting(until: UInt64, attempt: Int)
            /// Done: `error` says why, nil when the application closed it.
            case closed(AMQPError?)
        }

        /// What the engine does after a failed attempt or a lost session.
        enum FailureAction: Hashable, Sendable {
            /// Wait `delay`, until `until`, then make attempt `attempt` (1 for the first retry after a loss).
            case retry(until: UInt64, delay: Duration, attempt: Int)
            /// Stop for good, with `error` (nil: the application asked to close).
            case close(AMQPError?)
        }

        /// What the engine does when the application asks to close.
        enum CloseAction: Hashable, Sendable {
            /// No session: finish at once.
            case finishNow
            /// Connected: close once every publish has an outcome.
            case closeWhenSettled
            /// Already closed (or closing): only wait for the end.
            case none
        }

        private(set) var phase = Phase.connecting(attempt: 0)
        /// The application asked to close.
        private(set) var isClosing = false
        /// A session was established at least once: later failures are losses to recover from.
        private(set) var hasConnected = false
        let reconnect: AMQPReconnectPolicy
        let startup: AMQPConnection.Startup

        init(reconnect: AMQPReconnectPolicy, startup: AMQPConnection.Startup) {
            self.reconnect = reconnect
            self.startup = startup
        }

        /// Errors that another attempt cannot mend: the broker refused the login, the virtual host or the topology,
        /// or TLS or the configuration is wrong. The first attempt stops at them even when waiting for the broker.
        static let permanentCodes: Set<AMQPError.Code> = [
            .accessRefused, .notAllowed, .preconditionFailed, .notFound, .invalidPath, .commandInvalid, .notImplemented, .tls,
            .invalidConfiguration,
        ]

        /// Whether a session that ended with `error` will be followed by another: decides whether consumers stay
        /// registered and unconfirmed publishes wait for the next session, or everything fails now.
        func willRetry(after error: AMQPError) -> Bool {
            guard !isClosing, reconnect.isEnabled else { return false }
            if hasConnected { return true }
            return startup == .waitForBroker && !Self.permanentCodes.contains(error.code)
        }

        /// Whether there is no session to serve and nothing left to do but finish.
        var isClosed: Bool {
            if case .closed = phase { return true }
            return false
        }

        /// The connect attempt succeeded; returns how many attempts had failed before it.
        mutating func attemptSucceeded() -> Int {
            guard case .connecting(let attempt) = phase else { preconditionFailure("connected while \(phase)") }
            phase = .connected
            hasConnected = true
            return attempt
        }

        /// The connect attempt failed with `error` at `now`.
        mutating func attemptFailed(_ error: AMQPError, now: UInt64, using random: inout some RandomNumberGenerator) -> FailureAction? {
            guard case .connecting(let attempt) = phase else { return nil }
            return fail(error, attempt: attempt, now: now, using: &random)
        }

        /// The connected session was lost with `error` at `now` (ignored in any other phase: a failure during an
        /// attempt is that attempt's).
        mutating func sessionLost(_ error: AMQPError, now: UInt64, using random: inout some RandomNumberGenerator) -> FailureAction? {
            guard case .connected = phase else { return nil }
            return fail(error, attempt: 0, now: now, using: &random)
        }

        private mutating func fail(_ error: AMQPError, attempt: Int, now: UInt64, using random: inout some RandomNumberGenerator) -> FailureAction {
            if isClosing {
                phase = .closed(nil)
                return .close(nil)
            }
            guard willRetry(after: error) else {
                phase = .closed(error)
                return .close(error)
            }
            let delay = reconnect.delay(attempt: attempt, using: &random)
            let until = now + delay.nanoseconds
            phase = .waiting(until: until, attempt: attempt + 1)
            return .retry(until: until, delay: delay, attempt: attempt + 1)
        }

        /// Whether a retry is due at `now`; if so the phase is connecting again.
        mutating func retryIsDue(now: UInt64) -> Bool {
            guard case .waiting(let until, let attempt) = phase, now >= until else { return false }
            phase = .connecting(attempt: attempt)
            return true
        }

        /// The application asks to close.
        mutating func closeRequested() -> CloseAction {
            let wasClosing = isClosing
            isClosing = true
            switch phase {
            case .connecting, .waiting:
                phase = .closed(nil)
                return .finishNow
            case .connected:
                return wasClosing ? .none : .closeWhenSettled
            case .closed:
                return .none
            }
        }

        /// The session was closed on the application's request, with everything settled.
        mutating func closedByApplication() {
            precondition(isClosing, "closed without a request")
            phase = .closed(nil)
        }
    }
}
