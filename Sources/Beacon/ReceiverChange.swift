/// What the meta-signals `receiverConnected` and `receiverDisconnected` carry: which connection changed, and why, with
/// the receiver, the sender and the signal themselves (Blinker's receiver, sender and signal arguments), to compare
/// with those a meta receiver holds or to act on.
///
/// ```swift
/// signal.receiverConnected.connect { change in
///     if change.receiver === unwanted { change.subscription.cancel() }
/// }
/// ```
public struct ReceiverChange: Sendable, CustomStringConvertible {
    /// Why a receiver was connected or disconnected.
    public enum Reason: Sendable, Hashable {
        /// `connect` (or a scoped connection) connected it.
        case connected
        /// `Subscription.cancel()`, `disconnect`, or the end of a scoped connection disconnected it.
        case disconnected
        /// The object sender it listened to was deallocated.
        case senderDeallocated
        /// The owner it was bound to was deallocated.
        case ownerDeallocated
    }

    /// The connection that changed: cancel it to disconnect the receiver a meta receiver was told of.
    public let subscription: Subscription
    /// Why it changed.
    public let reason: Reason
    /// The receiver (a ``Receiver`` of the signal's types): compare it with `===`, or get it typed with
    /// ``receiver(of:)``.
    public let receiver: any AnyObject & Sendable
    /// The sender the receiver listens to: nil for any sender, and for an object sender that has been deallocated
    /// (``Reason/senderDeallocated``); ``Subscription/senderDescription`` still names it.
    public let sender: Sender?

    init(subscription: Subscription, reason: Reason, receiver: any AnyObject & Sendable, sender: Sender?) {
        self.subscription = subscription
        self.reason = reason
        self.receiver = receiver
        self.sender = sender
    }

    /// The signal that changed, while it exists: compare it with `===`.
    public var signal: (any AnyObject & Sendable)? {
        subscription.connection.signalObject
    }

    /// The receiver, typed, if the change is one of `signal`'s; nil otherwise. `signal.disconnect(receiver)` then
    /// disconnects every connection of it.
    public func receiver<Payload, Output>(of signal: ReturningSignal<Payload, Output>) -> Receiver<Payload, Output>? {
        self.signal === signal ? receiver as? Receiver<Payload, Output> : nil
    }

    /// The subscription's description and the reason.
    public var description: String {
        "\(subscription): \(reason)"
    }
}
