import Synchronization

/// A signal's registrations (its connections, in registration order) and its mute depth: the mutable state that every change goes through,
/// under the signal's lock. Sends never read it; they read the ``Snapshot`` published from it.
struct Registry<Payload: Sendable, Output: Sendable> {
    private(set) var registrations: [Registration<Payload, Output>] = []
    private var nextOrder: UInt64 = 0
    private var muteDepth = 0
    /// Counts the changes a send can see; a snapshot is published when it moves.
    private(set) var generation: UInt64 = 0
    /// Connections and disconnections not yet announced on the meta-signals.
    private var changes: [ReceiverChange] = []

    mutating func connect(
        _ receiver: Receiver<Payload, Output>,
        from sender: Sender?,
        to signal: ReturningSignal<Payload, Output>
    ) -> Connection<Payload, Output> {
        let connection = Connection(receiver: receiver, sender: sender, signal: signal)
        registrations.append(Registration(order: nextOrder, receiver: receiver, sender: sender, connection: connection))
        nextOrder += 1
        generation += 1
        changes.append(ReceiverChange(subscription: Subscription(connection), reason: .connected))
        return connection
    }

    mutating func disconnect(where shouldDisconnect: (Registration<Payload, Output>) -> Bool) {
        remove { shouldDisconnect($0) ? .disconnected : nil }
    }

    /// Removes the connections whose object sender or receiver's owner has been deallocated.
    mutating func removeDeadConnections() {
        remove(\.deathReason)
    }

    private mutating func remove(_ reasonForRemoving: (Registration<Payload, Output>) -> ReceiverChange.Reason?) {
        var kept: [Registration<Payload, Output>] = []
        kept.reserveCapacity(registrations.count)
        for registration in registrations {
            if let reason = reasonForRemoving(registration) {
                registration.connection.connected.store(false, ordering: .releasing)
                changes.append(ReceiverChange(subscription: Subscription(registration.connection), reason: reason))
            } else {
                kept.append(registration)
            }
        }
        if kept.count != registrations.count {
            registrations = kept
            generation += 1
        }
    }

    mutating func mute() {
        muteDepth += 1
        if muteDepth == 1 {
            generation += 1
        }
    }

    mutating func unmute() {
        muteDepth -= 1
        if muteDepth == 0 {
            generation += 1
        }
    }

    /// The snapshot to publish: a fresh one (a snapshot is never published twice), or none when muted or empty.
    func makeSnapshot() -> Snapshot<Payload, Output>? {
        muteDepth > 0 || registrations.isEmpty ? nil : Snapshot(registrations: registrations)
    }

    /// Hands over the changes to announce.
    mutating func takeChanges() -> [ReceiverChange] {
        defer { changes = [] }
        return changes
    }
}
