import Beacon
import Testing

@Suite("Subscriptions, disconnecting, scoped connections")
struct SubscriptionTests {
    @Test("cancel disconnects, and cancelling again does nothing")
    func cancelIsIdempotent() {
        let signal = Signal<Int>()
        let disconnections = Counter()
        signal.receiverDisconnected.connect { _ in disconnections.increment() }
        let log = Log<Int>()
        let subscription = signal.connect { log.append($0) }
        signal.send(1)

        subscription.cancel()
        subscription.cancel()
        signal.send(2)

        #expect(log.entries == [1])
        #expect(!subscription.isConnected)
        #expect(disconnections.value == 1)
    }

    @Test("cancelling one connection of a receiver leaves its others")
    func cancelOneConnection() {
        let signal = Signal<Int>()
        let count = Counter()
        let receiver = Receiver<Int, Void> { _ in count.increment() }
        let x = Endpoint("x")
        let anySender = signal.connect(receiver)
        let onlyX = signal.connect(receiver, from: .object(x))

        anySender.cancel()
        signal.send(1, from: .object(x))
        signal.send(2)
        #expect(count.value == 1)

        onlyX.cancel()
        signal.send(3, from: .object(x))
        #expect(count.value == 1)
    }

    @Test("disconnect(receiver) removes every connection of the receiver")
    func disconnectEverywhere() {
        let signal = Signal<Int>()
        let count = Counter()
        let receiver = Receiver<Int, Void> { _ in count.increment() }
        let x = Endpoint("x")
        let subscriptions = [signal.connect(receiver), signal.connect(receiver, from: .object(x))]

        signal.disconnect(receiver)
        signal.send(1, from: .object(x))
        signal.send(2)

        #expect(count.value == 0)
        #expect(subscriptions.allSatisfy { !$0.isConnected })
    }

    @Test("disconnect(receiver, from:) removes only that sender's connection")
    func disconnectFromOneSender() {
        let signal = Signal<Int>()
        let log = Log<String>()
        let receiver = Receiver<Int, Void> { log.append("\($0)") }
        let x = Endpoint("x")
        let anySender = signal.connect(receiver)
        let onlyX = signal.connect(receiver, from: .object(x))

        signal.disconnect(receiver, from: .object(x))

        #expect(anySender.isConnected)
        #expect(!onlyX.isConnected)
        signal.send(1, from: .object(x))
        #expect(log.entries == ["1"])
    }

    @Test("a scoped connection restores exactly the previous state")
    func scopedConnectionRestoresState() {
        let signal = Signal<Int>()
        let log = Log<String>()
        let receiver = Receiver<Int, Void> { log.append("receiver \($0)") }
        let earlier = signal.connect(receiver)
        let visitor = Receiver<Int, Void> { log.append("visitor \($0)") }

        let returned = signal.connected(receiver) {
            signal.connected(visitor) {
                signal.send(1)
                return "body's value"
            }
        }

        #expect(returned == "body's value")
        #expect(log.entries == ["receiver 1", "visitor 1"])
        #expect(earlier.isConnected)
        #expect(signal.receivers(for: nil) == [receiver])
        log.removeAll()
        signal.send(2)
        #expect(log.entries == ["receiver 2"])
    }

    @Test("a scoped connection ends when its body throws")
    func scopedConnectionEndsOnError() {
        let signal = Signal<Int>()
        let receiver = Receiver<Int, Void> { _ in }

        #expect(throws: TestError(code: 5)) {
            try signal.connected(receiver, from: .value("sender")) {
                #expect(signal.hasReceivers(for: .value("sender")))
                throw TestError(code: 5)
            }
        }

        #expect(!signal.hasReceivers(for: .value("sender")))
    }

    @Test("a scoped connection around asynchronous work")
    func asynchronousScopedConnection() async {
        let signal = Signal<Int>()
        let log = Log<Int>()

        await signal.connected(Receiver { log.append($0) }) {
            await Task.yield()
            await signal.send(1)
        }
        await signal.send(2)

        #expect(log.entries == [1])
    }

    @Test("a subscription describes its receiver, sender and signal")
    func descriptions() {
        let signal = Signal<Int>(name: "request-started")
        let subscription = signal.connect(from: .value(8080)) { _ in }

        #expect(subscription.signalName == "request-started")
        #expect(subscription.senderDescription == "8080 (Int)")
        #expect(subscription.receiverDescription.hasPrefix("receiver at BeaconTests/SubscriptionTests.swift:"))
        #expect(subscription.description.hasSuffix("for 8080 (Int) on signal 'request-started'"))
        #expect(signal.connect { _ in }.senderDescription == nil)
    }

    @Test("what a receiver captured may cancel another subscription of the signal when the receiver is released")
    func capturedDeinitializerCancels() {
        final class CancelOnDeinit: Sendable {
            let subscription: Subscription
            init(_ subscription: Subscription) { self.subscription = subscription }
            deinit { subscription.cancel() }
        }
        let signal = Signal<Int>()
        let other = signal.connect { _ in }
        var captured: CancelOnDeinit? = CancelOnDeinit(other)
        let subscription = signal.connect { [captured] _ in _ = captured }
        captured = nil
        #expect(other.isConnected)

        subscription.cancel()

        #expect(!other.isConnected)
        #expect(signal.receivers(for: nil).isEmpty)
    }

    @Test("a subscription outliving its signal is disconnected, and cancelling it is harmless")
    func subscriptionOutlivesSignal() {
        var signal: Signal<Int>? = Signal<Int>()
        let subscription = signal!.connect { _ in }
        #expect(subscription.isConnected)

        signal = nil

        #expect(!subscription.isConnected)
        subscription.cancel()
    }
}
