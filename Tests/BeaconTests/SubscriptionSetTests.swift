import Beacon
import Testing

/// Connections that end with their holder: the announcement of a dead owner or sender comes at once, not with the
/// signal's next call.
@Suite("Subscription sets")
struct SubscriptionSetTests {
    /// An owner (or object sender) that keeps its subscriptions.
    final class Holder: Sendable {
        let subscriptions = SubscriptionSet()
    }

    @Test("an owner holding its subscriptions is announced as deallocated as it goes, before any other call")
    func ownerAnnouncedAtOnce() {
        let signal = Signal<Int>()
        let announced = Log<ReceiverChange.Reason>()
        signal.receiverDisconnected.connect { announced.append($0.reason) }
        var owner: Holder? = Holder()
        let subscription = signal.connect(owner: owner!) { _, _ in }.store(in: owner!.subscriptions)

        owner = nil

        #expect(announced.entries == [.ownerDeallocated])
        #expect(!subscription.isConnected)
        #expect(!signal.hasReceivers())
    }

    @Test("an object sender holding its subscriptions is announced as deallocated as it goes")
    func senderAnnouncedAtOnce() {
        let signal = Signal<Int>()
        let announced = Log<ReceiverChange>()
        signal.receiverDisconnected.connect { announced.append($0) }
        var sender: Holder? = Holder()
        signal.connect(from: .object(sender!)) { _ in }.store(in: sender!.subscriptions)

        sender = nil

        #expect(announced.entries.map(\.reason) == [.senderDeallocated])
        #expect(announced.entries.first?.signal === signal)
    }

    @Test("a set that goes while its receivers' owner lives cancels them")
    func setGoingCancels() {
        let signal = Signal<Int>()
        let ran = Log<Int>()
        let announced = Log<ReceiverChange.Reason>()
        signal.receiverDisconnected.connect { announced.append($0.reason) }
        var set: SubscriptionSet? = SubscriptionSet()
        signal.connect { ran.append($0) }.store(in: set!)
        signal.send(1)

        set = nil
        signal.send(2)

        #expect(ran.entries == [1])
        #expect(announced.entries == [.disconnected])
    }

    @Test("cancelAll disconnects every subscription and empties the set; a cancelled one stays cancelled")
    func cancelAll() {
        let signal = Signal<Int>()
        let set = SubscriptionSet()
        let first = signal.connect { _ in }.store(in: set)
        let second = signal.connect(from: .value("key")) { _ in }.store(in: set)
        #expect(set.count == 2)

        set.cancelAll()

        #expect(set.count == 0)
        #expect(!first.isConnected && !second.isConnected)
        #expect(!signal.hasReceivers())
    }
}
