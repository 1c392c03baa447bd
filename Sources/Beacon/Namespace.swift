import Synchronization

/// Signals by name: asking twice for the same name returns the same signal. Blinker's `Namespace`.
///
/// A name belongs to one payload and output type: asking for an existing name with other types is a programming error
/// and stops the program with a message naming both, as a type mismatch the compiler could not see.
///
/// ```swift
/// let flask = Namespace()
/// let requestStarted = flask.signal("request-started", of: RequestEvent.self)
/// ```
public final class Namespace: Sendable {
    /// The process-wide namespace: Blinker's `default_namespace` (and `blinker.signal(name)`).
    public static let `default` = Namespace()

    private let signals = Mutex<[String: any AnyObject & Sendable]>([:])

    /// An empty namespace.
    public init() {}

    /// The signal named `name`, made with `doc` on first request.
    public func signal<Payload: Sendable>(
        _ name: String,
        of payloadType: Payload.Type = Payload.self,
        doc: String? = nil
    ) -> Signal<Payload> {
        signal(name, of: payloadType, returning: Void.self, doc: doc)
    }

    /// The signal named `name`, whose receivers return `Output`, made with `doc` on first request.
    public func signal<Payload: Sendable, Output: Sendable>(
        _ name: String,
        of payloadType: Payload.Type = Payload.self,
        returning outputType: Output.Type,
        doc: String? = nil
    ) -> ReturningSignal<Payload, Output> {
        signals.withLock { signals in
            guard let existing = signals[name] else {
                let signal = ReturningSignal<Payload, Output>(name: name, doc: doc)
                signals[name] = signal
                return signal
            }
            guard let signal = existing as? ReturningSignal<Payload, Output> else {
                preconditionFailure(
                    "Beacon: signal '\(name)' is a \(type(of: existing)), not a \(ReturningSignal<Payload, Output>.self)"
                )
            }
            return signal
        }
    }

    /// The names of the signals in this namespace, sorted.
    public var names: [String] {
        signals.withLock { $0.keys.sorted() }
    }
}
