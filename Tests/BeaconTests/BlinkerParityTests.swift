import Beacon
import Testing

/// What a Blinker or Flask user reaches for (issue 16): the sender in the receiver, meta-signal payloads to act on, the
/// sync/async split, error handlers, and the ergonomics of connecting and sending.
@Suite("What a Blinker user expects")
struct BlinkerParityTests {
    final class Handler: Sendable {
        let handled = Log<Int>()

        func handle(_ value: Int) {
            handled.append(value)
        }
    }

    /// Collects what an error handler sees.
    final class Failures: Sendable {
        let log = Log<String>()

        var handler: ReceiverErrorHandler {
            { [log] failure in log.append("\(failure.signalName ?? "-"): \(failure.error)") }
        }
    }

    @Test("an any-sender receiver reads the sender of each send")
    func receiverSeesSender() {
        let signal = Signal<Int>()
        let app = Endpoint("app")
        let log = Log<String>()
        signal.connect { sender, value in
            let who = sender?.object === app ? "app" : sender?.value(as: String.self) ?? "nobody"
            log.append("\(who) \(value)")
        }

        signal.send(1, from: .object(app))
        signal.send(2, from: .value("cli"))
        signal.send(3)

        #expect(log.entries == ["app 1", "cli 2", "nobody 3"])
    }

    @Test("an asynchronous receiver reads the sender too")
    func asynchronousReceiverSeesSender() async {
        let signal = Signal<Int>()
        let log = Log<String?>()
        signal.connect { sender, _ in
            await Task.yield()
            log.append(sender?.value(as: String.self))
        }

        await signal.send(1, from: .value("worker"))

        #expect(log.entries == ["worker"])
    }

    @Test("meta-signal payloads carry the receiver, the sender and the signal, to compare and act on")
    func metaPayloadsAreObjects() {
        let signal = Signal<Int>(name: "watched")
        let unwanted = Receiver<Int, Void> { _ in }
        let seen = Log<String>()
        signal.receiverConnected.connect { change in
            #expect(change.signal === signal)
            #expect(change.sender == .value("s"))
            #expect(change.receiver(of: Signal<Int>()) == nil)
            if change.receiver === unwanted, let receiver = change.receiver(of: signal) {
                seen.append("refused \(receiver == unwanted)")
                signal.disconnect(receiver)
            }
        }

        let subscription = signal.connect(unwanted, from: .value("s"))

        #expect(seen.entries == ["refused true"])
        #expect(!subscription.isConnected)
        #expect(signal.receivers().isEmpty)
    }

    @Test("a meta-signal refuses an asynchronous receiver with a clear error")
    func metaSignalRefusesAsynchronousReceivers() throws {
        let signal = Signal<Int>(name: "watched")
        let asynchronous = Receiver<ReceiverChange, Void> { _ in await Task.yield() }

        let error = #expect(throws: SignalError.self) {
            try signal.receiverConnected.connect(asynchronous)
        }

        #expect(error?.code == .asynchronousMetaReceiver)
        #expect(error?.description.contains("watched.receiver-connected") == true)
        #expect(!signal.receiverConnected.hasReceivers())
        let synchronous = Receiver<ReceiverChange, Void> { _ in }
        try signal.receiverConnected.connect(synchronous)
        #expect(signal.receiverConnected.receivers() == [synchronous])
    }

    @Test("errors of meta receivers go to the signal's error handler")
    func metaReceiverErrorsAreReported() {
        let failures = Failures()
        let signal = Signal<Int>(name: "watched", onReceiverError: failures.handler)
        signal.receiverConnected.connect { _ in throw TestError(code: 1) }
        signal.receiverDisconnected.connect { _ in throw TestError(code: 2) }

        signal.connect { _ in }.cancel()

        #expect(
            failures.log.entries == [
                "watched.receiver-connected: TestError(code: 1)", "watched.receiver-disconnected: TestError(code: 2)",
            ]
        )
    }

    @Test("the error handler sees every receiver error, with payload and sender, however the signal is sent")
    func errorHandlerSeesEveryError() async {
        let seen = Log<String>()
        let signal = Signal<Int>(name: "ticks") { failure in
            seen.append("\(failure.anyPayload) from \(failure.sender?.value(as: String.self) ?? "-"): \(failure.error)")
        }
        signal.connect { value in throw TestError(code: value) }
        signal.connect { _ in }

        signal.sendSynchronously(1, from: .value("a"))
        await signal.send(2)
        #expect(throws: ReceiverError<Int, Void>.self) { try Self.sentStoppingAtFirstError(signal, 3) }

        #expect(seen.entries == ["1 from a: TestError(code: 1)", "2 from -: TestError(code: 2)", "3 from -: TestError(code: 3)"])
    }

    /// The plain `sendStoppingAtFirstError`, reached from a synchronous context.
    private static func sentStoppingAtFirstError(_ signal: Signal<Int>, _ value: Int) throws {
        try signal.sendStoppingAtFirstError(value)
    }

    @Test("a plain send reports each asynchronous receiver with a SignalError; sendSynchronously works from async code")
    func synchronousSendFromAsynchronousCode() async {
        let failures = Failures()
        let signal = Signal<Int>(name: "split", onReceiverError: failures.handler)
        let ran = Log<String>()
        signal.connect { ran.append("sync \($0)") }
        signal.connect { value in
            await Task.yield()
            ran.append("async \(value)")
        }

        let result = signal.sendSynchronously(1)

        #expect(ran.entries == ["sync 1"])
        #expect(result.count == 2)
        #expect((result.errors.first?.error as? SignalError)?.code == .asynchronousReceiverNotRun)
        #expect(failures.log.entries.count == 1)
        #expect(failures.log.entries.first?.hasPrefix("split: receiver at BeaconTests/BlinkerParityTests.swift") == true)
        await signal.send(2)
        #expect(ran.entries == ["sync 1", "sync 2", "async 2"])
    }

    @Test("a Void signal is sent without ()")
    func voidSignal() async {
        let signal = Signal<Void>()
        let count = Counter()
        signal.connect { count.increment() }
        signal.connect(from: .value("x")) { count.increment() }

        signalSentSynchronously(signal)
        await signal.send()
        await signal.send(from: .value("x"))

        #expect(count.value == 4)
    }

    private func signalSentSynchronously(_ signal: Signal<Void>) {
        signal.send()
    }

    @Test("a method reference is connected with its owner, and dies with it")
    func methodReference() {
        let signal = Signal<Int>()
        var handler: Handler? = Handler()
        let handled = handler!.handled
        let subscription = signal.connect(owner: handler!, Handler.handle)

        signal.send(1)
        handler = nil
        signal.send(2)

        #expect(handled.entries == [1])
        #expect(!subscription.isConnected)
    }

    @Test("the subscription of a closure receiver works with disconnect and connected(_:during:)")
    func subscriptionsStandForReceivers() {
        let signal = Signal<Int>()
        let log = Log<Int>()
        let sender = Endpoint("sender")
        let subscription = signal.connect(from: .object(sender)) { log.append($0) }
        #expect(signal.receiver(of: subscription).map { signal.receivers() == [$0] } == true)

        signal.connected(subscription) {
            signal.send(1)
        }
        signal.send(2)
        #expect(log.entries == [1], "connected for any sender during the body, then for the sender only")
        #expect(subscription.isConnected)

        signal.disconnect(subscription)
        signal.send(3, from: .object(sender))

        #expect(log.entries == [1])
        #expect(!subscription.isConnected)
        #expect(signal.receiver(of: subscription) == nil)
        signal.connected(subscription) { signal.send(4) }
        #expect(log.entries == [1])
    }
}
