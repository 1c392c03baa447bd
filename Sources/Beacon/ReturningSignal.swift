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
///   synchronous receivers; `await send` runs all.
/// - Connect, disconnect and send from any thread or task at once. A send sees the receivers as they were when it
///   started: a receiver may connect or disconnect others (or itself) while running.
/// - Sending takes no lock: with no receiver, or muted, it costs one atomic load; otherwise it takes a reference to the
///   current immutable snapshot of receivers with one compare-and-swap (references paid for in advance, see
///   `PublishedSnapshot`), and lets go of it with one release when its result goes. (Once in 64 sends the references
///   run out and that send puts more in; a send from another thread at that instant reads the snapshot under the
///   lock.) Connecting and disconnecting take the lock and rebuild that snapshot, in time proportional to the number
///   of connections: they are meant to be rarer than sends.
///
/// Receivers tied to a deallocated sender or owner are found and removed lazily, since Swift has no callback for a
/// weak reference being cleared: a send that meets a receiver whose owner is gone skips and removes it; every connect,
/// disconnect, `muted` and `receivers(for:)` removes all such receivers; `hasReceivers(for:)` skips them. Such a receiver
/// never runs, but its closure is released only at that point.
public final class ReturningSignal<Payload: Sendable, Output: Sendable>: Sendable, CustomStringConvertible {
    /// The signal's name: its key in a ``Namespace``.
    public let name: String?
    /// What the signal means and when it is sent.
    public let doc: String?

    @usableFromInline let published = PublishedSnapshot<Payload, Output>()
    private let registry = Mutex(Registry())
    private let metaSignals = AtomicLazyReference<MetaSignals>()

    /// A signal. Give it a `name` to find it in logs and errors; ``Namespace/signal(_:of:doc:)`` names it for you.
    public init(name: String? = nil, doc: String? = nil) {
        self.name = name
        self.doc = doc
    }

    /// `signal 'name'`, or `signal` when it has no name.
    public var description: String {
        name.map { "signal '\($0)'" } ?? "signal"
    }

    /// Emitted after a receiver connects; the payload names the connection. Blinker's `receiver_connected`.
    ///
    /// Both meta-signals are sent by the task that made the change, after the change and outside the signal's lock (so
    /// that their receivers may connect and send): changes made at once by different tasks may be announced in either
    /// order.
    public var receiverConnected: Signal<ReceiverChange> {
        loadMetaSignals().receiverConnected
    }

    /// Emitted after a receiver disconnects, for whatever reason: cancelled, its sender or its owner deallocated
    /// (noticed lazily, see the type's documentation). Blinker's `receiver_disconnected`.
    public var receiverDisconnected: Signal<ReceiverChange> {
        loadMetaSignals().receiverDisconnected
    }

    /// The published snapshot as the registry has it, for a send that found the published word out of references.
    @usableFromInline
    func registeredSnapshot() -> Snapshot<Payload, Output>? {
        registry.withLock { registry in
            registry.publishedSnapshot.map { unsafeDowncast($0, to: Snapshot<Payload, Output>.self) }
        }
    }

    private func loadMetaSignals() -> MetaSignals {
        metaSignals.load() ?? metaSignals.storeIfNil(MetaSignals(signalName: name))
    }

    /// Applies `update` to the registry under the lock, after removing the connections whose sender or owner is gone;
    /// publishes a new snapshot if anything a send can see changed; then, outside the lock (so that meta receivers may
    /// connect and send), announces the connections and disconnections on the meta-signals, and lets go of what the
    /// update removed.
    func updateRegistry<Result: Sendable>(_ update: (inout Registry) -> Result) -> Result {
        let (result, aftermath) = registry.withLock { registry in
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
    let receiverConnected: Signal<ReceiverChange>
    let receiverDisconnected: Signal<ReceiverChange>

    init(signalName: String?) {
        let prefix = signalName.map { "\($0)." } ?? ""
        receiverConnected = Signal(name: prefix + "receiver-connected", doc: "Emitted after a receiver connects.")
        receiverDisconnected = Signal(name: prefix + "receiver-disconnected", doc: "Emitted after a receiver disconnects.")
    }
}
