import Synchronization

/// A signal's registrations (its connections, in registration order) and its mute depth: the mutable state that every
/// change goes through, under the signal's lock. Sends never read it; they read the ``Snapshot`` published from it.
struct Registry<Payload: Sendable, Output: Sendable> {
    private(set) var registrations: [Registration<Payload, Output>] = []
    private var nextOrder: UInt64 = 0
    private var muteDepth = 0
    /// Counts the changes a send can see; a snapshot is published when it moves.
    private(set) var generation: UInt64 = 0
    /// A strong reference to the published snapshot, so that replacing it never frees it under the lock.
    private var publishedSnapshot: Snapshot<Payload, Output>?
    private var aftermath = Aftermath()

    /// What an update leaves for after the lock: the changes to announce, and the references to drop. Dropping the last
    /// reference to a receiver runs the deinitialisers of what its closure captured — user code, which may well cancel
    /// a subscription of this very signal and so must not run under its lock.
    struct Aftermath {
        var changes: [ReceiverChange] = []
        var released: [any Sendable] = []
    }

    mutating func connect(
        _ receiver: Receiver<Payload, Output>,
        from sender: Sender?,
        to signal: ReturningSignal<Payload, Output>
    ) -> Connection<Payload, Output> {
        let connection = Connection(receiver: receiver, sender: sender, signal: signal)
        registrations.append(Registration(order: nextOrder, receiver: receiver, sender: sender, connection: connection))
        nextOrder += 1
        generation += 1
        aftermath.changes.append(ReceiverChange(subscription: Subscription(connection), reason: .connected))
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
                aftermath.changes.append(ReceiverChange(subscription: Subscription(registration.connection), reason: reason))
                aftermath.released.append(registration)
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

    /// Publishes the registrations as they are now into `published`: a fresh snapshot (a snapshot is never published
    /// twice), or none when muted or empty.
    mutating func publish(into published: borrowing PublishedSnapshot<Payload, Output>) {
        let snapshot = muteDepth > 0 || registrations.isEmpty ? nil : Snapshot(registrations: registrations)
        published.replace(with: snapshot)
        if let replaced = publishedSnapshot {
            aftermath.released.append(replaced)
        }
        publishedSnapshot = snapshot
    }

    /// Hands over what is left to do after the lock.
    mutating func takeAftermath() -> Aftermath {
        defer { aftermath = Aftermath() }
        return aftermath
    }
}
