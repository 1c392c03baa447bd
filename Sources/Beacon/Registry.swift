/// A signal's registrations (its connections, in registration order: the order sends run them) and its mute depth:
/// the mutable state that every change goes through, under the signal's lock. Sends read the ``Snapshot`` published
/// from it; only the rare send that finds the published word out of references reads the snapshot kept here.
struct Registry {
    private(set) var registrations: [Registration] = []
    /// How many registrations can die (see ``Registration/isMortal``): with none, there is nothing to sweep.
    private var mortalRegistrations = 0
    private var muteDepth = 0
    /// Counts the changes a send can see; a snapshot is published when it moves.
    private(set) var generation: UInt64 = 0
    /// A strong reference to the published snapshot, so that replacing it never frees it under the lock; and where a
    /// send finds the snapshot when the published word has run out of references for a moment.
    private(set) var publishedSnapshot: (any AnyObject & Sendable)?
    private var aftermath = Aftermath()

    /// What an update leaves for after the lock: the changes to announce, and the references to drop. Dropping the last
    /// reference to a receiver runs the deinitialisers of what its closure captured — user code, which may well cancel
    /// a subscription of this very signal and so must not run under its lock.
    struct Aftermath {
        var changes: [ReceiverChange] = []
        var released: [any Sendable] = []
    }

    mutating func connect(_ receiver: any RegisteredReceiver, from sender: Sender?, through connection: any ConnectionHandle) {
        let registration = Registration(receiver: receiver, sender: sender, connection: connection)
        mortalRegistrations += registration.isMortal ? 1 : 0
        registrations.append(registration)
        generation += 1
        aftermath.changes.append(ReceiverChange(subscription: Subscription(connection), reason: .connected, receiver: receiver, sender: sender))
    }

    /// Which registrations a disconnection removes.
    enum Disconnection {
        /// The one behind a subscription.
        case connection(any ConnectionHandle)
        /// All of a receiver's.
        case receiver(any RegisteredReceiver)
        /// A receiver's for one sender.
        case receiverFromSender(any RegisteredReceiver, SenderMatch)

        /// Whether the registration at `position` is one to remove. (It reads the fields in place: passing a whole
        /// registration would copy it, retaining each of its references.)
        func removes(_ registrations: UnsafeBufferPointer<Registration>, at position: Int) -> Bool {
            switch self {
            case .connection(let connection):
                registrations[position].connection === connection
            case .receiver(let receiver):
                registrations[position].receiver === receiver
            case .receiverFromSender(let receiver, let sender):
                registrations[position].receiver === receiver && registrations[position].sender == sender
            }
        }
    }

    mutating func disconnect(_ disconnection: Disconnection) {
        remove(
            registrations.withUnsafeBufferPointer { registrations in
                registrations.indices.compactMap { disconnection.removes(registrations, at: $0) ? ($0, .disconnected) : nil }
            }
        )
    }

    /// Removes the connections whose object sender or receiver's owner has been deallocated.
    mutating func removeDeadConnections() {
        guard mortalRegistrations > 0 else {
            return
        }
        remove(
            registrations.withUnsafeBufferPointer { registrations in
                registrations.indices.compactMap { position in registrations[position].deathReason.map { (position, $0) } }
            }
        )
    }

    /// Removes the registrations at the given positions, for the given reasons. (Deciding which is done by the callers
    /// through a buffer pointer, which reads each registration in place where a loop over the array would copy it.)
    private mutating func remove(_ removals: [(position: Int, reason: ReceiverChange.Reason)]) {
        guard !removals.isEmpty else {
            return
        }
        for (position, reason) in removals {
            let registration = registrations[position]
            mortalRegistrations -= registration.isMortal ? 1 : 0
            registration.connection.markDisconnected()
            aftermath.changes.append(
                ReceiverChange(
                    subscription: Subscription(registration.connection),
                    reason: reason,
                    receiver: registration.receiver,
                    sender: registration.liveSender
                )
            )
            aftermath.released.append(registration)
        }
        registrations.removeSubranges(RangeSet(removals.map { $0.position }, within: registrations))
        generation += 1
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
    mutating func publish<Payload, Output>(into published: borrowing PublishedSnapshot<Payload, Output>) {
        let snapshot = muteDepth > 0 || registrations.isEmpty ? nil : Snapshot<Payload, Output>(registrations: registrations)
        published.replace(with: snapshot)
        if let replaced = publishedSnapshot {
            aftermath.released.append(replaced)
        }
        publishedSnapshot = snapshot
    }

    /// The receivers a send from `sender` would reach, in the order it would run them; every receiver when `sender`
    /// is ``SenderFilter/all``. Leaves out those whose sender or owner is gone, without removing them (that is for the
    /// next change).
    func receivers(reachedBy sender: SenderFilter) -> [any RegisteredReceiver] {
        DispatchPlan.receivers(of: registrations.filter { $0.deathReason == nil && sender.reaches($0) })
    }

    /// The receiver of `connection` while it lasts: registered, with its sender and owner alive.
    func liveReceiver(of connection: any ConnectionHandle) -> (any RegisteredReceiver)? {
        registrations.first { $0.connection === connection && $0.deathReason == nil }?.receiver
    }

    /// Whose receivers an inspection lists.
    enum SenderFilter {
        /// Those a send from this sender (nil: from no sender) reaches.
        case sender(Sender?)
        /// All, whoever they listen to.
        case all

        func reaches(_ registration: Registration) -> Bool {
            switch self {
            case .sender(let sender): registration.isReached(by: sender.map(SenderMatch.init))
            case .all: true
            }
        }
    }

    /// Hands over what is left to do after the lock.
    mutating func takeAftermath() -> Aftermath {
        defer { aftermath = Aftermath() }
        return aftermath
    }
}
