import Beacon
import Testing

/// What a user sees of a connection whose owner or object sender is gone, before and after the signal notices, and
/// the whole-signal inspections. (These tests build against the API of before issue 16 too.)
@Suite("Liveness and whole-signal inspection")
struct LivenessTests {
    final class Key: Hashable, Sendable {
        let name: String
        init(_ name: String) { self.name = name }
        static func == (lhs: Key, rhs: Key) -> Bool { lhs.name == rhs.name }
        func hash(into hasher: inout Hasher) { hasher.combine(name) }
    }

    @Test("a subscription is disconnected as soon as its owner is deallocated, before any other call")
    func ownerGoneDisconnectsAtOnce() {
        let signal = Signal<Int>()
        var owner: Endpoint? = Endpoint("owner")
        let subscription = signal.connect(owner: owner!) { _, _ in }
        #expect(subscription.isConnected)

        owner = nil

        #expect(!subscription.isConnected)
    }

    @Test("a subscription is disconnected as soon as its object sender is deallocated, before any other call")
    func senderGoneDisconnectsAtOnce() {
        let signal = Signal<Int>()
        var sender: Endpoint? = Endpoint("sender")
        let subscription = signal.connect(from: .object(sender!)) { _ in }
        #expect(subscription.isConnected)

        sender = nil

        #expect(!subscription.isConnected)
    }

    @Test("inspections have no side effect: the dead receiver is announced by the next send, not by hasReceivers")
    func inspectionsAnnounceNothing() {
        let signal = Signal<Int>()
        let announced = Log<ReceiverChange.Reason>()
        signal.receiverDisconnected.connect { announced.append($0.reason) }
        signal.connect { _ in }
        var owner: Endpoint? = Endpoint("owner")
        signal.connect(owner: owner!) { _, _ in }
        owner = nil

        #expect(signal.hasReceivers(for: nil))
        #expect(signal.hasReceivers())
        #expect(signal.receivers(for: nil).count == 1)
        #expect(announced.entries.isEmpty)

        signal.send(1)

        #expect(announced.entries == [.ownerDeallocated])
    }

    @Test("hasReceivers() is true when only sender-specific receivers are connected")
    func hasReceiversForTheWholeSignal() {
        let signal = Signal<Int>()
        let sender = Endpoint("sender")
        #expect(!signal.hasReceivers())

        let subscription = signal.connect(from: .object(sender)) { _ in }

        #expect(signal.hasReceivers())
        subscription.cancel()
        #expect(!signal.hasReceivers())
    }

    @Test("receivers() lists every receiver, any-sender and sender-specific, in registration order, each once")
    func allReceivers() {
        let signal = Signal<Int>()
        let sender = Endpoint("sender")
        let first = Receiver<Int, Void> { _ in }
        let forSender = Receiver<Int, Void> { _ in }
        let forValue = Receiver<Int, Void> { _ in }
        signal.connect(first)
        signal.connect(forSender, from: .object(sender))
        signal.connect(forValue, from: .value(7))
        signal.connect(first, from: .value(7))

        #expect(signal.receivers() == [first, forSender, forValue])
    }

    @Test("connecting with .object(k) and sending with .value(k), or the reverse, reaches the receiver")
    func objectAndValueSpellingsMeet() {
        let signal = Signal<Int>()
        let log = Log<String>()
        let key = Key("k")
        signal.connect(from: .object(key)) { log.append("object \($0)") }
        signal.connect(from: .value(key)) { log.append("value \($0)") }

        signal.send(1, from: .value(key))
        signal.send(2, from: .object(key))

        #expect(log.entries == ["object 1", "value 1", "object 2", "value 2"])
    }

    @Test("a plain send that meets an asynchronous receiver says so in its result")
    func plainSendReportsAsynchronousReceivers() {
        let signal = Signal<Int>()
        let ran = Log<Int>()
        signal.connect { ran.append($0) }
        let asynchronous = Receiver<Int, Void> { value in
            await Task.yield()
            ran.append(value)
        }
        signal.connect(asynchronous)

        let result = signal.send(1)

        #expect(ran.entries == [1])
        #expect(result.errors.map(\.receiver) == [asynchronous])
    }
}
