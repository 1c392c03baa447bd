/// A misuse of the signal API that Beacon reports instead of ignoring: each has a ``code`` to match on and a
/// description that says what happened and what to do.
public struct SignalError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: Sendable, Hashable {
        /// A plain (non-suspending) send met an asynchronous receiver, which only `await send` runs: it did not run.
        /// Blinker's `send` raises for a coroutine receiver in the same situation.
        case asynchronousReceiverNotRun
        /// An asynchronous receiver was offered to a meta-signal (``MetaSignal``), which is sent synchronously by the
        /// task that connects or disconnects and so could never run it. Blinker raises here too.
        case asynchronousMetaReceiver
        /// A ``Namespace`` already has a signal of that name, with other payload or output types.
        case signalTypeMismatch
    }

    /// What went wrong.
    public let code: Code
    /// What happened, naming the receiver, the signal or the types involved.
    public let message: String

    /// An error with `code`, described by `message`.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String {
        message
    }
}
