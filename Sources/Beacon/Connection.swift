import Synchronization

/// The bookkeeping of one connection that outlives it: whether it is still connected, what it was, and the way back to
/// its signal. ``Subscription`` is its public face. It holds the signal, the sender and the receiver's owner weakly, so
/// a subscription kept after its connection ended keeps nothing else alive.
///
/// It does not refer to the receiver at all: a weak reference gives its object a side table, and every retain and
/// release of a receiver with one takes the slow path — in each snapshot rebuild and each suspending send (2.7× the
/// cost of connect + cancel with 100 connected). ``ReturningSignal/receiver(of:)`` finds it in the registry instead.
final class Connection<Payload: Sendable, Output: Sendable>: Sendable {
    let receiverDescription: String
    let senderDescription: String?
    weak let signal: ReturningSignal<Payload, Output>?
    /// The receiver's owner, if it is bound to one (which already holds a weak reference to it): once it is gone, so
    /// is the connection.
    weak let owner: (any AnyObject & Sendable)?
    private let isOwnerBound: Bool
    /// The object sender, if the connection is for one: once it is gone, so is the connection.
    weak let senderObject: (any AnyObject & Sendable)?
    private let hasObjectSender: Bool
    private let cancelled = Atomic<Bool>(false)

    init(receiver: Receiver<Payload, Output>, sender: Sender?, signal: ReturningSignal<Payload, Output>) {
        self.receiverDescription = receiver.description
        self.senderDescription = sender?.description
        self.signal = signal
        self.owner = receiver.owner
        self.isOwnerBound = receiver.isOwnerBound
        self.senderObject = sender?.object
        self.hasObjectSender = sender?.object != nil
    }
}

/// The type-erased view of a ``Connection`` that ``Subscription`` holds.
protocol ConnectionHandle: AnyObject, Sendable {
    var isConnected: Bool { get }
    var receiverDescription: String { get }
    var senderDescription: String? { get }
    var signalName: String? { get }
    /// The signal, while it exists.
    var signalObject: (any AnyObject & Sendable)? { get }
    func cancel()
    /// Records that the registry removed the connection.
    func markDisconnected()
}

extension Connection: ConnectionHandle {
    /// Connected until removed from the registry, and no longer once the signal, the object sender or the receiver's
    /// owner is gone — whether or not the registry has noticed yet.
    var isConnected: Bool {
        guard !cancelled.load(ordering: .acquiring), signal != nil else {
            return false
        }
        return (!isOwnerBound || owner != nil) && (!hasObjectSender || senderObject != nil)
    }

    var signalName: String? {
        signal?.name
    }

    var signalObject: (any AnyObject & Sendable)? {
        signal
    }

    func cancel() {
        signal?.disconnect(self)
    }

    func markDisconnected() {
        cancelled.store(true, ordering: .releasing)
    }
}
