/// One connection of a receiver to a signal, as `connect` returns it: cancel it to disconnect.
///
/// A connection lasts until it is cancelled, its signal is deallocated, or its object sender or receiver's owner is
/// deallocated. Dropping the `Subscription` does not disconnect (as in Blinker, connecting is not scoped); for a scoped
/// connection use `connected(_:from:during:)`, and to end connections with an object, ``store(in:)`` them in a
/// ``SubscriptionSet`` it holds.
public struct Subscription: Sendable, Hashable, CustomStringConvertible {
    let connection: any ConnectionHandle

    init(_ connection: any ConnectionHandle) {
        self.connection = connection
    }

    /// Disconnects the receiver from the sender it was connected for. Cancelling again does nothing.
    public func cancel() {
        connection.cancel()
    }

    /// Whether the receiver is still connected through this subscription: false once it is cancelled, and as soon as
    /// its signal, its object sender or its receiver's owner is deallocated (before the signal has noticed).
    public var isConnected: Bool {
        connection.isConnected
    }

    /// The connected receiver's description: where it was made.
    public var receiverDescription: String {
        connection.receiverDescription
    }

    /// The sender the receiver listens to, or nil for any sender.
    public var senderDescription: String? {
        connection.senderDescription
    }

    /// The signal's name, if it has one and still exists.
    public var signalName: String? {
        connection.signalName
    }

    /// `receiver at File.swift:12 for <sender> on signal 'name'`.
    public var description: String {
        let sender = senderDescription ?? "any sender"
        let signal = signalName.map { "signal '\($0)'" } ?? "a signal"
        return "\(receiverDescription) for \(sender) on \(signal)"
    }

    /// Whether both stand for the same connection.
    public static func == (lhs: Subscription, rhs: Subscription) -> Bool {
        lhs.connection === rhs.connection
    }

    /// Hashes the connection's identity.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(connection))
    }
}
