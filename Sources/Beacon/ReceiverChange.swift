/// What the meta-signals `receiverConnected` and `receiverDisconnected` carry: which connection changed, and why.
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

    /// The connection that changed.
    public let subscription: Subscription
    public let reason: Reason

    public var description: String {
        "\(subscription): \(reason)"
    }
}
