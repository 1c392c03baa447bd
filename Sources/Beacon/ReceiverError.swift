/// An error thrown by a receiver, with the receiver that threw it.
///
/// `send` collects these (``SendResult/errors``) and runs the remaining receivers; `sendStoppingAtFirstError` throws the
/// first one and runs no further receiver.
public struct ReceiverError<Payload: Sendable, Output: Sendable>: Error, CustomStringConvertible {
    /// The receiver that threw.
    public let receiver: Receiver<Payload, Output>
    /// What it threw.
    public let error: any Error
    /// The name of the signal being sent, if it has one.
    public let signalName: String?

    @usableFromInline
    init(receiver: Receiver<Payload, Output>, error: any Error, signalName: String?) {
        self.receiver = receiver
        self.error = error
        self.signalName = signalName
    }

    public var description: String {
        let signal = signalName.map { "signal '\($0)'" } ?? "a signal"
        return "\(receiver) of \(signal) threw: \(error)"
    }
}
