import Beacon
import Testing

@Suite("Owner-bound receivers")
struct OwnerTests {
    final class Handler: Sendable {
        let handled = Log<Int>()

        func handle(_ value: Int) {
            handled.append(value)
        }
    }

    @Test("an owner-bound receiver gets its owner, and the signal does not keep the owner alive")
    func receivesOwner() {
        let signal = Signal<Int>()
        var handler: Handler? = Handler()
        weak let weakHandler = handler
        signal.connect(owner: handler!) { handler, value in handler.handle(value) }

        signal.send(1)
        signal.send(2)
        #expect(handler?.handled.entries == [1, 2])

        handler = nil
        #expect(weakHandler == nil)
    }

    @Test("when the owner is deallocated, the next send skips the receiver, disconnects it and announces it")
    func ownerDeallocationDisconnects() {
        let signal = Signal<Int>()
        let changes = Log<ReceiverChange.Reason>()
        signal.receiverDisconnected.connect { changes.append($0.reason) }
        let ran = Counter()
        var owner: Endpoint? = Endpoint("owner")
        let subscription = signal.connect(owner: owner!) { _, _ in ran.increment() }
        let other = Receiver<Int, Void> { _ in }
        signal.connect(other)
        signal.send(1)
        #expect(ran.value == 1)

        owner = nil
        let result = signal.send(2)

        #expect(ran.value == 1)
        #expect(result.map(\.receiver) == [other])
        #expect(changes.entries == [.ownerDeallocated])
        #expect(!subscription.isConnected)
        #expect(signal.receivers(for: nil) == [other])
    }

    @Test("hasReceivers ignores receivers whose owner is gone")
    func hasReceiversIgnoresDeadOwners() {
        let signal = Signal<Int>()
        var owner: Endpoint? = Endpoint("owner")
        let subscription = signal.connect(from: .value("sender"), owner: owner!) { _, _ in }
        #expect(signal.hasReceivers(for: .value("sender")))

        owner = nil

        #expect(!signal.hasReceivers(for: .value("sender")))
        #expect(!subscription.isConnected)
    }

    @Test("asynchronous owner-bound receivers run in await send")
    func asynchronousOwnerBound() async {
        let signal = Signal<Int>()
        let handler = Handler()
        signal.connect(owner: handler) { handler, value in
            await Task.yield()
            handler.handle(value)
        }

        await signal.send(7)

        #expect(handler.handled.entries == [7])
    }

    @Test("an owner-bound Receiver can be connected to several signals and dies with its owner on each")
    func sharedOwnerBoundReceiver() {
        let started = Signal<Int>()
        let finished = Signal<Int>()
        var handler: Handler? = Handler()
        let receiver = Receiver<Int, Void>(owner: handler!) { handler, value in handler.handle(value) }
        let subscriptions = [started.connect(receiver), finished.connect(receiver)]
        started.send(1)
        finished.send(2)
        #expect(handler?.handled.entries == [1, 2])

        handler = nil
        started.send(3)
        _ = finished.receivers(for: nil)

        #expect(subscriptions.allSatisfy { !$0.isConnected })
        #expect(!receiver.isAlive)
    }
}
