import Beacon
import Testing

@Suite("Senders: any sender, object senders, value senders")
struct SenderTests {
    @Test("a receiver for any sender hears every send; a receiver for one sender only that sender's")
    func anySenderAndOneSender() {
        let signal = Signal<Int>()
        let app = Endpoint("app")
        let other = Endpoint("other")
        let everyone = Log<Int>()
        let appOnly = Log<Int>()
        signal.connect { everyone.append($0) }
        signal.connect(from: .object(app)) { appOnly.append($0) }

        signal.send(1, from: .object(app))
        signal.send(2, from: .object(other))
        signal.send(3)

        #expect(everyone.entries == [1, 2, 3])
        #expect(appOnly.entries == [1])
    }

    @Test("object senders match by identity")
    func objectIdentity() {
        let signal = Signal<Int>()
        let first = Endpoint("same name")
        let second = Endpoint("same name")
        let log = Log<Int>()
        signal.connect(from: .object(first)) { log.append($0) }

        signal.send(1, from: .object(second))
        signal.send(2, from: .object(first))

        #expect(log.entries == [2])
    }

    @Test("an object sender is held weakly")
    func objectSenderHeldWeakly() {
        let signal = Signal<Int>()
        var sender: Endpoint? = Endpoint()
        weak let weakSender = sender
        let subscription = signal.connect(from: .object(sender!)) { _ in }

        sender = nil

        #expect(weakSender == nil)
        signal.connect { _ in }
        #expect(!subscription.isConnected)
    }

    @Test("a deallocated sender leaves nothing behind: its receivers are released and announced")
    func deallocatedSenderLeavesNothingBehind() {
        let signal = Signal<Int>()
        let disconnections = Log<ReceiverChange.Reason>()
        signal.receiverDisconnected.connect { disconnections.append($0.reason) }
        var sender: Endpoint? = Endpoint("short-lived")
        var captured: Endpoint? = Endpoint("captured by the receiver")
        weak let weakCaptured = captured
        let subscription = signal.connect(from: .object(sender!)) { [captured] _ in _ = captured }
        captured = nil
        #expect(weakCaptured != nil)

        sender = nil
        let survivor = signal.connect { _ in }

        #expect(weakCaptured == nil)
        #expect(!subscription.isConnected)
        #expect(disconnections.entries == [.senderDeallocated])
        #expect(signal.receivers(for: nil).count == 1)
        survivor.cancel()
        #expect(signal.receivers(for: nil).isEmpty)
    }

    @Test("a new object at a dead sender's address never receives the dead sender's receivers")
    func reusedAddress() {
        let signal = Signal<Int>()
        let deliveries = Counter()
        var sender: Endpoint? = Endpoint("dead")
        let deadAddress = ObjectIdentifier(sender!)
        signal.connect(from: .object(sender!)) { _ in deliveries.increment() }
        signal.connect { _ in }
        sender = nil

        // While the dead sender's connection exists, its address stays allocated: no new object can take it.
        var newcomers: [Endpoint] = []
        for index in 0..<200 {
            let newcomer = Endpoint("newcomer \(index)")
            signal.send(index, from: .object(newcomer))
            newcomers.append(newcomer)
        }
        #expect(!newcomers.contains { ObjectIdentifier($0) == deadAddress })

        // Once any change removes the connection the address is free again (the allocator usually hands it out at once),
        // and there is nothing left to reach.
        newcomers.removeAll()
        signal.connect { _ in }
        for index in 0..<200 {
            let newcomer = Endpoint("late newcomer \(index)")
            signal.send(index, from: .object(newcomer))
            newcomers.append(newcomer)
        }

        #expect(deliveries.value == 0)
    }

    @Test("value senders match by value")
    func valueSenders() {
        let signal = Signal<Int>()
        let log = Log<Int>()
        signal.connect(from: .value("database-1")) { log.append($0) }

        let suffix = String(1)
        signal.send(1, from: .value("database-" + suffix))
        signal.send(2, from: .value("database-2"))
        signal.send(3)

        #expect(log.entries == [1])
    }

    @Test("value senders match by type as well: true, 1, UInt8(1) and 1.0 are four senders")
    func valueSendersAreTypeAware() {
        // What Swift's AnyHashable does on its own: Bool is kept apart, but numbers compare across types.
        #expect(AnyHashable(true) != AnyHashable(1))
        #expect(AnyHashable(1) == AnyHashable(UInt8(1)))
        #expect(AnyHashable(1) == AnyHashable(1.0))

        let signal = Signal<String>()
        let log = Log<String>()
        let senders: [(String, Sender)] = [
            ("true", .value(true)), ("Int 1", .value(1)), ("UInt8 1", .value(UInt8(1))), ("Double 1", .value(1.0)),
            ("String 1", .value("1")),
        ]
        for (label, sender) in senders {
            signal.connect(from: sender) { log.append("\(label) heard \($0)") }
        }

        for (label, sender) in senders {
            signal.send(label, from: sender)
        }

        #expect(
            log.entries == [
                "true heard true", "Int 1 heard Int 1", "UInt8 1 heard UInt8 1", "Double 1 heard Double 1",
                "String 1 heard String 1",
            ]
        )
    }

    @Test("a Hashable object is an object sender however it is given; wrapped in a struct it is a value")
    func hashableObjects() {
        final class Route: Hashable, Sendable {
            let path: String
            init(_ path: String) { self.path = path }
            static func == (lhs: Route, rhs: Route) -> Bool { lhs.path == rhs.path }
            func hash(into hasher: inout Hasher) { hasher.combine(path) }
        }
        let signal = Signal<Int>()
        let byObject = Log<Int>()
        let byValueSpelling = Log<Int>()
        let byEquality = Log<Int>()
        struct RouteKey: Hashable, Sendable { let route: Route }
        let route = Route("/hello")
        let equalRoute = Route("/hello")
        signal.connect(from: .object(route)) { byObject.append($0) }
        signal.connect(from: .value(route)) { byValueSpelling.append($0) }
        signal.connect(from: .value(RouteKey(route: route))) { byEquality.append($0) }

        signal.send(1, from: .object(equalRoute))
        signal.send(2, from: .value(equalRoute))
        signal.send(3, from: .value(route))
        signal.send(4, from: .object(route))
        signal.send(5, from: .value(RouteKey(route: equalRoute)))

        #expect(byObject.entries == [3, 4])
        #expect(byValueSpelling.entries == [3, 4])
        #expect(byEquality.entries == [5])
        #expect(Sender.value(route) == .object(route))
        #expect(Sender.object(route) != .object(equalRoute))
    }

    @Test("a receiver connected for any sender and for sender X runs once for X")
    func runsOncePerSend() {
        let signal = Signal<Int>()
        let count = Counter()
        let receiver = Receiver<Int, Void> { _ in count.increment() }
        let x = Endpoint("x")
        signal.connect(receiver)
        signal.connect(receiver, from: .object(x))
        signal.connect(receiver, from: .object(x))

        let result = signal.send(1, from: .object(x))
        #expect(count.value == 1)
        #expect(result.count == 1)

        signal.send(2, from: .object(Endpoint("y")))
        signal.send(3)
        #expect(count.value == 3)
        #expect(signal.receivers(for: .object(x)) == [receiver])
    }

    @Test("a receiver keeps the place of its earliest matching connection")
    func dedupedReceiverKeepsEarliestPlace() {
        let signal = Signal<Int>()
        let log = Log<String>()
        let x = Endpoint("x")
        let repeated = Receiver<Int, Void> { _ in log.append("repeated") }
        signal.connect(repeated, from: .object(x))
        signal.connect { _ in log.append("other") }
        signal.connect(repeated)

        signal.send(0, from: .object(x))
        signal.send(0)

        #expect(log.entries == ["repeated", "other", "other", "repeated"])
    }

    @Test("senders describe themselves")
    func descriptions() {
        #expect(Sender.value(42).description == "42 (Int)")
        #expect(Sender.object(Endpoint()).description.hasPrefix("Endpoint object 0x"))
    }
}
