import Synchronization

/// The bookkeeping of one connection that outlives it: whether it is still connected, what it was, and the way back to
/// its signal. ``Subscription`` is its public face. It holds neither the receiver nor the sender, so a subscription kept
/// after its connection ended keeps nothing else alive.
final class Connection<Payload: Sendable, Output: Sendable>: Sendable {
    let receiverDescription: String
    let senderDescription: String?
    weak let signal: ReturningSignal<Payload, Output>?
    let connected = Atomic<Bool>(true)

    init(receiver: Receiver<Payload, Output>, sender: Sender?, signal: ReturningSignal<Payload, Output>) {
        self.receiverDescription = receiver.description
        self.senderDescription = sender?.description
        self.signal = signal
    }
}

/// The type-erased view of a ``Connection`` that ``Subscription`` holds.
protocol ConnectionHandle: AnyObject, Sendable {
    var isConnected: Bool { get }
    var receiverDescription: String { get }
    var senderDescription: String? { get }
    var signalName: String? { get }
    func cancel()
}

extension Connection: ConnectionHandle {
    var isConnected: Bool {
        connected.load(ordering: .acquiring) && signal != nil
    }

    var signalName: String? {
        signal?.name
    }

    func cancel() {
        signal?.disconnect(self)
    }
}
