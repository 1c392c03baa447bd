import BeaconSynchronization
import Synchronization

/// Subscriptions that end with their holder, as Combine's `Set<AnyCancellable>` does: keep one in the owner of
/// owner-bound receivers, or in an object sender, and store their subscriptions in it.
///
/// When the set is deallocated, each of its connections ends at once: one whose owner or object sender has just gone
/// (the set's holder) is announced on ``ReturningSignal/receiverDisconnected`` with ``ReceiverChange/Reason/ownerDeallocated``
/// or ``ReceiverChange/Reason/senderDeallocated``, any other is cancelled (``ReceiverChange/Reason/disconnected``).
/// Without a set, Swift has no hook in an object's deallocation (Blinker uses weak-reference callbacks): the
/// connection is over at once (``Subscription/isConnected`` is false and no send runs the receiver) but it is only
/// announced at the signal's next send, connect or disconnect.
///
/// ```swift
/// final class Mailer: Sendable {
///     let subscriptions = SubscriptionSet()
///     init(app: BeaconApp<some RequestContext>) {
///         app.signals.gotRequestException.connect(owner: self, Mailer.mail).store(in: subscriptions)
///     }
/// }
/// ```
public final class SubscriptionSet: Sendable {
    private let subscriptions = Mutex<[Subscription]>([])

    /// An empty set.
    public init() {}

    /// Adds `subscription`: it ends when the set does, unless cancelled before.
    public func insert(_ subscription: Subscription) {
        subscriptions.withTracedLock { $0.append(subscription) }
    }

    /// How many subscriptions the set holds (ended ones included, until ``cancelAll()``).
    public var count: Int {
        subscriptions.withTracedLock { $0.count }
    }

    /// Cancels every subscription of the set and empties it.
    public func cancelAll() {
        let cancelled = subscriptions.withTracedLock { subscriptions in
            defer { subscriptions.removeAll() }
            return subscriptions
        }
        for subscription in cancelled {
            subscription.cancel()
        }
    }

    deinit {
        // Cancelling first sweeps the signal's connections whose owner or sender is gone, with that reason.
        for subscription in subscriptions.withTracedLock({ $0 }) {
            subscription.cancel()
        }
    }
}

extension Subscription {
    /// Stores the subscription in `set`, so that it ends when the set does. Combine's `store(in:)`.
    @discardableResult
    public func store(in set: SubscriptionSet) -> Subscription {
        set.insert(self)
        return self
    }
}
