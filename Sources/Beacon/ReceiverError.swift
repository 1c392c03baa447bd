/// An error thrown by a receiver, with the receiver that threw it, the payload and the sender of the send.
///
/// `send` collects these (``SendResult/errors``) and runs the remaining receivers; `sendStoppingAtFirstError` throws the
/// first one and runs no further receiver. Either way the signal's error handler (``ReceiverErrorHandler``) sees each.
public struct ReceiverError<Payload: Sendable, Output: Sendable>: ReceiverFailure, CustomStringConvertible {
    /// The receiver that threw.
    public let receiver: Receiver<Payload, Output>
    /// What it threw: the receiver's own error, or a ``SignalError`` when a plain send could not run an asynchronous
    /// receiver.
    public let error: any Error
    /// The name of the signal being sent, if it has one.
    public let signalName: String?
    /// The payload the receiver was given.
    public let payload: Payload
    /// The sender the send named, if any.
    public let sender: Sender?

    @usableFromInline
    init(receiver: Receiver<Payload, Output>, error: any Error, context: SendContext<Payload>) {
        self.receiver = receiver
        self.error = error
        self.signalName = context.signalName
        self.payload = context.payload
        self.sender = context.sender
    }

    /// The receiver's description: where it was made.
    public var receiverDescription: String {
        receiver.description
    }

    /// The payload, without its type.
    public var anyPayload: any Sendable {
        payload
    }

    /// `receiver at File.swift:12 of signal 'name' threw: …`.
    public var description: String {
        let signal = signalName.map { "signal '\($0)'" } ?? "a signal"
        return "\(receiver) of \(signal) threw: \(error)"
    }
}

/// A receiver's error without its signal's types: what a ``ReceiverErrorHandler`` gets. ``ReceiverError`` is the one
/// conforming type; cast to it (or to the payload's type, through ``anyPayload``) for more.
public protocol ReceiverFailure: Error, CustomStringConvertible, Sendable {
    /// What the receiver threw.
    var error: any Error { get }
    /// The name of the signal being sent, if it has one.
    var signalName: String? { get }
    /// The receiver's description: where it was made.
    var receiverDescription: String { get }
    /// The payload the receiver was given.
    var anyPayload: any Sendable { get }
    /// The sender the send named, if any.
    var sender: Sender? { get }
}

/// What a signal calls with every error one of its receivers throws, in the sending task, after the send has run its
/// receivers (and before it returns or throws): give one to ``ReturningSignal/init(name:doc:onReceiverError:)`` to log
/// receiver errors in one place. Its meta-signals report their receivers' errors to it too.
///
/// ```swift
/// let signal = Signal<Int>(name: "ticks") { failure in logger.error("\(failure)") }
/// ```
public typealias ReceiverErrorHandler = @Sendable (any ReceiverFailure) -> Void

/// What a receiver's error says about the send it happened in.
@usableFromInline
struct SendContext<Payload: Sendable>: Sendable {
    @usableFromInline let signalName: String?
    @usableFromInline let payload: Payload
    @usableFromInline let sender: Sender?

    @inlinable
    init(signalName: String?, payload: Payload, sender: Sender?) {
        self.signalName = signalName
        self.payload = payload
        self.sender = sender
    }
}
