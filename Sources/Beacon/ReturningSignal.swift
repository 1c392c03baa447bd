import BeaconSynchronization
import Synchronization

/// A signal whose receivers return nothing: the common case, and the type of Flask's signals.
///
/// ```swift
/// let requestFinished = Signal<RequestEvent>(name: "request-finished")
/// requestFinished.connect { event in print(event.path, event.status) }
/// requestFinished.send(RequestEvent(path: "/hello", status: 200))
/// ```
public typealias Signal<Payload: Sendable> = ReturningSignal<Payload, Void>

/// A typed signal: receivers connect to it, senders send a `Payload` through it, and every receiver returns an `Output`
/// (`Signal<Payload>` is the `Void` case). Blinker's `Signal`, with typed payloads and results.
///
/// - Receivers run in registration order, synchronously in the sending task. A plain ``send(_:from:)`` runs the
///   synchronous receivers and reports each asynchronous one in its result (``SignalError/Code/asynchronousReceiverNotRun``);
///   `await send` runs all.
/// - Connect, disconnect and send from any thread or task at once. A send sees the receivers as they were when it
///   started: a receiver may connect or disconnect others (or itself) while running.
/// - Sending takes no lock: with no receiver, or muted, it costs one atomic load; otherwise it takes a reference to the
///   current immutable snapshot of receivers with one compare-and-swap (references paid for in advance, see
///   `PublishedSnapshot`), and lets go of it with one release when its result goes. (Once in 64 sends the references
///   run out and that send puts more in; a send from another thread at that instant reads the snapshot under the
///   lock.) Connecting and disconnecting take the lock and rebuild that snapshot, in time proportional to the number
///   of connections: they are meant to be rarer than sends.
///
/// A receiver tied to a deallocated sender or owner is disconnected at once as far as anyone can see: its
/// ``Subscription/isConnected`` is false, it never runs, and the inspections (`receivers`, `hasReceivers`) leave it
/// out. Swift has no callback for a weak reference being cleared, though, so the registry removes it (and
/// `receiverDisconnected` announces it, and its closure is released) at the signal's next send that meets it, or next
/// connect, disconnect or `muted` — never at an inspection, which has no side effects.
///
/// A send runs the receivers connected when it started. A receiver disconnected while a send is under way (by another
/// receiver of that send, or by another task) still runs in that send if the send has not reached it yet; it runs in
/// no send that starts after the disconnection returned. (Blinker skips it instead; Beacon does not, so that a send reads
/// no shared state per receiver.)
///
/// Receiver errors go to the error handler given at ``init(name:doc:onReceiverError:)``, and are in each send's result.
public final class ReturningSignal<Payload: Sendable, Output: Sendable>: Sendable, CustomStringConvertible {
    /// The signal's name: its key in a ``Namespace``.
    public let name: String?
    /// What the signal means and when it is sent.
    public let doc: String?

    /// What sees every receiver error, of the signal's receivers and of its meta-signals' receivers.
    public let onReceiverError: ReceiverErrorHandler?

    @usableFromInline let published = PublishedSnapshot<Payload, Output>()
    private let registry = Mutex(Registry())
    private let metaSignals = AtomicLazyReference<MetaSignals>()

    /// A signal. Give it a `name` to find it in logs and errors (``Namespace/signal(_:of:doc:onReceiverError:)`` names
    /// it for you), and an `onReceiverError` handler to see every error its receivers throw: without one, they are only
    /// in each send's result.
    public init(name: String? = nil, doc: String? = nil, onReceiverError: ReceiverErrorHandler? = nil) {
        self.name = name
        self.doc = doc
        self.onReceiverError = onReceiverError
    }

    /// `signal 'name'`, or `signal` when it has no name.
    public var description: String {
        name.map { "signal '\($0)'" } ?? "signal"
    }

    /// Emitted after a receiver connects; the payload names the connection, the receiver and the sender. Blinker's
    /// `receiver_connected`.
    ///
    /// Both meta-signals are sent synchronously by the task that made the change, after the change and outside the
    /// signal's lock (so that their receivers may connect and send): changes made at once by different tasks may be
    /// announced in either order. So their receivers are synchronous: ``MetaSignal`` refuses asynchronous ones.
    public var receiverConnected: MetaSignal {
        loadMetaSignals().receiverConnected
    }

    /// Emitted after a receiver disconnects, for whatever reason: cancelled, its sender or its owner deallocated.
    /// Blinker's `receiver_disconnected`.
    ///
    /// A deallocated owner or object sender is announced as it goes when it held the subscription in a
    /// ``SubscriptionSet``; otherwise with the signal's next send, connect or disconnect (Swift has no callback on
    /// deallocation, where Blinker uses weak-reference callbacks). Either way the connection is over at once.
    public var receiverDisconnected: MetaSignal {
        loadMetaSignals().receiverDisconnected
    }

    /// Runs `body` on the registry under the lock, changing nothing.
    func readRegistry<Result>(_ body: (borrowing Registry) -> Result) -> Result {
        registry.withTracedLock { body($0) }
    }

    /// The published snapshot as the registry has it, for a send that found the published word out of references.
    @usableFromInline
    func registeredSnapshot() -> Snapshot<Payload, Output>? {
        registry.withTracedLock { registry in
            registry.publishedSnapshot.map { unsafeDowncast($0, to: Snapshot<Payload, Output>.self) }
        }
    }

    private func loadMetaSignals() -> MetaSignals {
        metaSignals.load() ?? metaSignals.storeIfNil(MetaSignals(signalName: name, onReceiverError: onReceiverError))
    }

    /// Applies `update` to the registry under the lock, after removing the connections whose sender or owner is gone;
    /// publishes a new snapshot if anything a send can see changed; then, outside the lock (so that meta receivers may
    /// connect and send), announces the connections and disconnections on the meta-signals, and lets go of what the
    /// update removed.
    func updateRegistry<Result: Sendable>(_ update: (inout Registry) -> Result) -> Result {
        let (result, aftermath) = registry.withTracedLock { registry in
            let generation = registry.generation
            registry.removeDeadConnections()
            let result = update(&registry)
            if registry.generation != generation {
                registry.publish(into: published)
            }
            return (result, registry.takeAftermath())
        }
        if !aftermath.changes.isEmpty, let metaSignals = metaSignals.load() {
            for change in aftermath.changes {
                let metaSignal = change.reason == .connected ? metaSignals.receiverConnected : metaSignals.receiverDisconnected
                metaSignal.send(change)
            }
        }
        return result
    }
}

/// A signal's meta-signals, made on first use.
private final class MetaSignals: Sendable {
    let receiverConnected: MetaSignal
    let receiverDisconnected: MetaSignal

    init(signalName: String?, onReceiverError: ReceiverErrorHandler?) {
        let prefix = signalName.map { "\($0)." } ?? ""
        receiverConnected = MetaSignal(
            Signal<ReceiverChange>(name: prefix + "receiver-connected", doc: "Emitted after a receiver connects.", onReceiverError: onReceiverError)
        )
        receiverDisconnected = MetaSignal(
            Signal<ReceiverChange>(
                name: prefix + "receiver-disconnected",
                doc: "Emitted after a receiver disconnects.",
                onReceiverError: onReceiverError
            )
        )
    }
}
