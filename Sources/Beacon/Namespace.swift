import BeaconSynchronization
import Synchronization

/// Signals by name: asking twice for the same name returns the same signal. Blinker's `Namespace`.
///
/// A name belongs to one payload and output type: asking for an existing name with other types throws a
/// ``SignalError`` with code ``SignalError/Code/signalTypeMismatch`` that names both.
///
/// ```swift
/// let flask = Namespace()
/// let requestStarted = try flask.signal("request-started", of: RequestEvent.self)
/// ```
public final class Namespace: Sendable {
    /// The process-wide namespace: Blinker's `default_namespace` (and `blinker.signal(name)`).
    public static let `default` = Namespace()

    private let signals = Mutex<[String: any AnyObject & Sendable]>([:])

    /// An empty namespace.
    public init() {}

    /// The signal named `name`, made with `doc` and `onReceiverError` on first request (later requests get it as it
    /// was made). Throws ``SignalError/Code/signalTypeMismatch`` when the name belongs to a signal of another type.
    public func signal<Payload: Sendable>(
        _ name: String,
        of payloadType: Payload.Type = Payload.self,
        doc: String? = nil,
        onReceiverError: ReceiverErrorHandler? = nil
    ) throws(SignalError) -> Signal<Payload> {
        try signal(name, of: payloadType, returning: Void.self, doc: doc, onReceiverError: onReceiverError)
    }

    /// The signal named `name`, whose receivers return `Output`, made with `doc` and `onReceiverError` on first
    /// request. Throws ``SignalError/Code/signalTypeMismatch`` when the name belongs to a signal of another type.
    public func signal<Payload: Sendable, Output: Sendable>(
        _ name: String,
        of payloadType: Payload.Type = Payload.self,
        returning outputType: Output.Type,
        doc: String? = nil,
        onReceiverError: ReceiverErrorHandler? = nil
    ) throws(SignalError) -> ReturningSignal<Payload, Output> {
        let found: Result<ReturningSignal<Payload, Output>, SignalError> = signals.withTracedLock { signals in
            guard let existing = signals[name] else {
                let signal = ReturningSignal<Payload, Output>(name: name, doc: doc, onReceiverError: onReceiverError)
                signals[name] = signal
                return .success(signal)
            }
            guard let signal = existing as? ReturningSignal<Payload, Output> else {
                return .failure(
                    SignalError(
                        code: .signalTypeMismatch,
                        message: "signal '\(name)' is a \(type(of: existing)), not a \(ReturningSignal<Payload, Output>.self)"
                    )
                )
            }
            return .success(signal)
        }
        return try found.get()
    }

    /// The names of the signals in this namespace, sorted.
    public var names: [String] {
        signals.withTracedLock { $0.keys.sorted() }
    }
}
