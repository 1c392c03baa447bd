public import Beacon
public import BeaconWeb
import Synchronization

/// Records every signal an app sends, in order, with its payload: to assert on the request lifecycle in tests.
///
/// ```swift
/// let recorder = SignalRecorder(app.signals)
/// try await client.execute(uri: "/boom", method: .get) { _ in }
/// #expect(await recorder.names(until: "request-tearing-down") == [
///     "appcontext-pushed", "request-started", "got-request-exception", "request-finished", "request-tearing-down",
/// ])
/// ```
///
/// It records until ``cancel()``; ``WebSignals/recording(_:)`` records for the length of a block.
public final class SignalRecorder: Sendable {
    /// One signal sent: its name and payload.
    public struct Record: Sendable {
        /// The signal's name, Flask's: `request-started`, `request-finished`, …
        public let name: String
        public let payload: any Sendable
        /// Which signal it was, by identity (names are optional).
        let signal: ObjectIdentifier
    }

    private let state = Mutex<[Record]>([])
    private let subscriptions = Mutex<[Subscription]>([])

    /// Starts recording every signal of `signals`.
    public init(_ signals: WebSignals) {
        let subscriptions = [
            record(signals.appContextPushed),
            record(signals.requestStarted),
            record(signals.gotRequestException),
            record(signals.requestFinished),
            record(signals.requestTearingDown),
            record(signals.appContextTearingDown),
            record(signals.appContextPopped),
            record(signals.appStarted),
            record(signals.appStopping),
            record(signals.beforeRenderTemplate),
            record(signals.templateRendered),
            record(signals.messageFlashed),
        ]
        self.subscriptions.withLock { $0 = subscriptions }
    }

    private func record<Payload: Sendable>(_ signal: Signal<Payload>) -> Subscription {
        let name = signal.name ?? "\(signal)"
        let identity = ObjectIdentifier(signal)
        return signal.connect { [weak self] payload in
            self?.state.withLock { $0.append(Record(name: name, payload: payload, signal: identity)) }
        }
    }

    /// Stops recording.
    public func cancel() {
        for subscription in subscriptions.withLock({ $0 }) { subscription.cancel() }
    }

    /// What was recorded so far, in sending order.
    public var records: [Record] { state.withLock { $0 } }

    /// The names of the signals recorded so far, in sending order.
    public var names: [String] { records.map(\.name) }

    /// The payloads recorded for `signal`, in sending order.
    public func payloads<Payload: Sendable>(of signal: Signal<Payload>) -> [Payload] {
        records.compactMap { $0.signal == ObjectIdentifier(signal) ? $0.payload as? Payload : nil }
    }

    /// The names recorded once `name` has been recorded `count` times (or `timeout` has passed): the request signals
    /// after the response are sent once it is written, which a live client may see before they are done.
    public func names(until name: String, count: Int = 1, timeout: Duration = .seconds(10)) async -> [String] {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while names.filter({ $0 == name }).count < count, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        return names
    }
}

extension WebSignals {
    /// Runs `body` and returns what it returned with the signals sent while it ran (from anywhere, so run it where
    /// nothing else uses these signals).
    public func recording<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> Result
    ) async rethrows -> (result: Result, records: [SignalRecorder.Record]) {
        let recorder = SignalRecorder(self)
        defer { recorder.cancel() }
        let result = try await body()
        return (result, recorder.records)
    }
}
