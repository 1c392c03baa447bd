import Beacon
import Testing

@Suite("Meta-signals: receiverConnected, receiverDisconnected")
struct MetaSignalTests {
    @Test("connecting and disconnecting are announced with the subscription")
    func announcements() {
        let signal = Signal<Int>(name: "observed")
        let connected = Log<ReceiverChange>()
        let disconnected = Log<ReceiverChange>()
        signal.receiverConnected.connect { connected.append($0) }
        signal.receiverDisconnected.connect { disconnected.append($0) }

        let subscription = signal.connect(from: .value("sender")) { _ in }
        #expect(connected.entries.map(\.subscription) == [subscription])
        #expect(connected.entries.map(\.reason) == [.connected])
        #expect(disconnected.entries.isEmpty)

        subscription.cancel()
        #expect(disconnected.entries.map(\.subscription) == [subscription])
        #expect(disconnected.entries.map(\.reason) == [.disconnected])
        #expect(disconnected.entries.first?.subscription.signalName == "observed")
        #expect(signal.receiverConnected === signal.receiverConnected)
        #expect(signal.receiverConnected.name == "observed.receiver-connected")
    }

    @Test("a scoped connection is announced at both ends")
    func scopedAnnouncements() {
        let signal = Signal<Int>()
        let reasons = Log<ReceiverChange.Reason>()
        signal.receiverConnected.connect { reasons.append($0.reason) }
        signal.receiverDisconnected.connect { reasons.append($0.reason) }

        signal.connected(Receiver { _ in }) {}

        #expect(reasons.entries == [.connected, .disconnected])
    }

    @Test("a meta receiver may connect to and send on the signal it watches")
    func reentrantMetaReceiver() {
        let signal = Signal<Int>()
        let log = Log<String>()
        let once = Counter()
        signal.receiverConnected.connect { _ in
            once.increment()
            guard once.value == 1 else {
                return
            }
            signal.connect { log.append("connected by the meta receiver: \($0)") }
            signal.send(1)
        }

        signal.connect { log.append("first: \($0)") }

        #expect(log.entries == ["first: 1", "connected by the meta receiver: 1"])
    }
}
