import Beacon
import Testing

@Suite("Signal: payloads, results, receivers, errors")
struct SignalTests {
    @Test("a typed payload reaches the receiver unchanged")
    func typedPayload() {
        let signal = Signal<RequestEvent>(name: "request-finished")
        let log = Log<RequestEvent>()
        signal.connect { event in log.append(event) }

        signal.send(RequestEvent(path: "/hello", status: 200))
        signal.send(RequestEvent(path: "/missing", status: 404))

        #expect(log.entries == [RequestEvent(path: "/hello", status: 200), RequestEvent(path: "/missing", status: 404)])
    }

    @Test("a signal has an optional name and doc")
    func nameAndDoc() {
        let named = Signal<Int>(name: "request-started", doc: "Sent when a request starts.")
        let anonymous = Signal<Int>()

        #expect(named.name == "request-started")
        #expect(named.doc == "Sent when a request starts.")
        #expect(named.description == "signal 'request-started'")
        #expect(anonymous.name == nil)
        #expect(anonymous.doc == nil)
    }

    @Test("send returns each receiver with its result, in call order")
    func resultsInCallOrder() throws {
        let signal = ReturningSignal<Int, String>(name: "lookup")
        let first = Receiver<Int, String> { "first \($0)" }
        let second = Receiver<Int, String> { "second \($0)" }
        let third = Receiver<Int, String> { "third \($0)" }
        signal.connect(first)
        signal.connect(second)
        signal.connect(third)

        let result = signal.send(7)

        #expect(result.count == 3)
        #expect(result.map(\.receiver) == [first, second, third])
        #expect(try result.map { try $0.result.get() } == ["first 7", "second 7", "third 7"])
        #expect(result.outputs == ["first 7", "second 7", "third 7"])
        #expect(result.errors.isEmpty)
    }

    @Test("Void results are derived from the receivers that ran")
    func voidResults() {
        let signal = Signal<Int>()
        let first = Receiver<Int, Void> { _ in }
        let second = Receiver<Int, Void> { _ in }
        signal.connect(first)
        signal.connect(second)

        let result = signal.send(1)

        #expect(result.count == 2)
        #expect(result.map(\.receiver) == [first, second])
        #expect(result.allSatisfy { (try? $0.result.get()) != nil })
        #expect(signal.send(2).outputs.count == 2)
        #expect(Signal<Int>().send(1).isEmpty)
    }

    @Test("a kept result still names the receivers that ran after they disconnect and the signal is gone")
    func resultOutlivesItsSignal() async {
        var signal: Signal<Int>? = Signal<Int>()
        weak let weakSignal = signal
        let first = Receiver<Int, Void> { _ in }
        let subscription = signal?.connect(first)
        let asynchronous = Receiver<Int, Void> { _ in await Task.yield() }
        signal?.connect(asynchronous)

        let result = { signal?.send(1) }()  // the synchronous send
        let awaited = await signal?.send(2)
        subscription?.cancel()
        signal = nil

        #expect(weakSignal == nil)
        #expect(result?.map(\.receiver) == [first, asynchronous])
        #expect(result?.errors.map(\.receiver) == [asynchronous], "the plain send could not run it")
        #expect(awaited?.map(\.receiver) == [first, asynchronous])
    }

    @Test("reading a send's result past its end stops the program")
    func resultOutOfRange() async {
        await #expect(processExitsWith: .failure) {
            let signal = Signal<Int>()
            signal.connect { _ in }
            _ = signal.send(1)[1]
        }
    }

    @Test("send runs the synchronous receivers and reports the asynchronous ones; await send runs all, in order")
    func synchronousAndAsynchronousReceivers() async {
        let signal = Signal<String>()
        let log = Log<String>()
        signal.connect { log.append("sync A \($0)") }
        signal.connect { payload in
            await Task.yield()
            log.append("async B \(payload)")
        }
        signal.connect { log.append("sync C \($0)") }

        let synchronousResult = signal.sendSynchronously("1")
        #expect(log.entries == ["sync A 1", "sync C 1"])
        #expect(synchronousResult.count == 3)
        #expect(synchronousResult.outputs.count == 2)
        #expect(synchronousResult.errors.map(\.receiver) == [synchronousResult[1].receiver])
        #expect((synchronousResult.errors.first?.error as? SignalError)?.code == .asynchronousReceiverNotRun)

        log.removeAll()
        let asynchronousResult = await signal.send("2")
        #expect(log.entries == ["sync A 2", "async B 2", "sync C 2"])
        #expect(asynchronousResult.count == 3)
        #expect(asynchronousResult[1].receiver.isAsynchronous)
    }

    @Test("await send returns typed results of asynchronous receivers")
    func asynchronousResults() async {
        let signal = ReturningSignal<Int, Int>()
        signal.connect { $0 + 1 }
        signal.connect { value in
            await Task.yield()
            return value * 10
        }

        let result = await signal.send(4)

        #expect(result.outputs == [5, 40])
    }

    @Test("a throwing receiver does not stop the others, and the result names it with its error")
    func errorsAreCollected() {
        let signal = ReturningSignal<Int, Int>(name: "compute")
        let log = Log<String>()
        let first = Receiver<Int, Int> {
            log.append("first")
            return $0
        }
        let failing = Receiver<Int, Int> { _ in
            log.append("failing")
            throw TestError(code: 1)
        }
        let third = Receiver<Int, Int> {
            log.append("third")
            return $0 * 3
        }
        let alsoFailing = Receiver<Int, Int> { _ in
            log.append("also failing")
            throw TestError(code: 2)
        }
        for receiver in [first, failing, third, alsoFailing] {
            signal.connect(receiver)
        }

        let result = signal.send(5)

        #expect(log.entries == ["first", "failing", "third", "also failing"])
        #expect(result.count == 4)
        #expect(result.outputs == [5, 15])
        #expect(result.errors.map(\.receiver) == [failing, alsoFailing])
        #expect(result.errors.map { $0.error as? TestError } == [TestError(code: 1), TestError(code: 2)])
        #expect(result.errors.allSatisfy { $0.signalName == "compute" })
        #expect(throws: TestError(code: 1)) { try result[1].result.get() }
    }

    @Test("errors of Void receivers are reported too, with every receiver that ran")
    func voidErrors() {
        let signal = Signal<Int>()
        let failing = Receiver<Int, Void> { _ in throw TestError(code: 9) }
        signal.connect { _ in }
        signal.connect(failing)
        signal.connect { _ in }

        let result = signal.send(0)

        #expect(result.count == 3)
        #expect(result.errors.map(\.receiver) == [failing])
        #expect(result.map { (try? $0.result.get()) != nil } == [true, false, true])
    }

    @Test("strict mode stops at the first error and throws it with its receiver")
    func strictMode() throws {
        let signal = Signal<Int>(name: "strict")
        let log = Log<String>()
        let failing = Receiver<Int, Void> { _ in
            log.append("failing")
            throw TestError(code: 3)
        }
        signal.connect { _ in log.append("first") }
        signal.connect(failing)
        signal.connect { _ in log.append("never") }

        let error = #expect(throws: ReceiverError<Int, Void>.self) {
            try signal.sendStoppingAtFirstError(1)
        }

        #expect(log.entries == ["first", "failing"])
        #expect(error?.receiver === failing)
        #expect(error?.error as? TestError == TestError(code: 3))
        #expect(error?.signalName == "strict")
        #expect(error?.description.contains("SignalTests.swift") == true)
        #expect(error?.description.contains("signal 'strict'") == true)
    }

    @Test("strict mode returns every result when nothing throws")
    func strictModeWithoutErrors() throws {
        let signal = ReturningSignal<Int, Int>()
        signal.connect { $0 }
        signal.connect { $0 * 2 }

        #expect(try signal.sendStoppingAtFirstError(21).outputs == [21, 42])
    }

    @Test("asynchronous strict mode stops at the first error")
    func asynchronousStrictMode() async {
        let signal = Signal<Int>()
        let log = Log<String>()
        let failing = Receiver<Int, Void> { _ in
            await Task.yield()
            log.append("failing")
            throw TestError(code: 4)
        }
        signal.connect(failing)
        signal.connect { _ in log.append("never") }

        let error = await #expect(throws: ReceiverError<Int, Void>.self) {
            try await signal.sendStoppingAtFirstError(1)
        }

        #expect(log.entries == ["failing"])
        #expect(error?.receiver === failing)
    }

    @Test("receivers run in registration order, sender-specific and any-sender interleaved")
    func registrationOrder() {
        let signal = Signal<Int>()
        let log = Log<String>()
        let x = Endpoint("x")
        let y = Endpoint("y")
        signal.connect { _ in log.append("any 1") }
        signal.connect(from: .object(x)) { _ in log.append("x 1") }
        signal.connect(from: .value("db")) { _ in log.append("db 1") }
        signal.connect { _ in log.append("any 2") }
        signal.connect(from: .object(y)) { _ in log.append("y 1") }
        signal.connect(from: .object(x)) { _ in log.append("x 2") }
        signal.connect(from: .value("db")) { _ in log.append("db 2") }
        signal.connect { _ in log.append("any 3") }

        signal.send(0, from: .object(x))
        #expect(log.entries == ["any 1", "x 1", "any 2", "x 2", "any 3"])

        log.removeAll()
        signal.send(0, from: .object(y))
        #expect(log.entries == ["any 1", "any 2", "y 1", "any 3"])

        log.removeAll()
        signal.send(0, from: .value("db"))
        #expect(log.entries == ["any 1", "db 1", "any 2", "db 2", "any 3"])

        log.removeAll()
        signal.send(0)
        #expect(log.entries == ["any 1", "any 2", "any 3"])
    }

    @Test("the order is the same on every send, for many receivers and senders")
    func deterministicOrder() {
        let signal = Signal<Int>()
        let log = Log<Int>()
        let senders = (0..<5).map { Endpoint("sender \($0)") }
        var expected: [[Int]] = Array(repeating: [], count: senders.count)
        for index in 0..<200 {
            if index % 3 == 0 {
                signal.connect { _ in log.append(index) }
                for senderIndex in senders.indices {
                    expected[senderIndex].append(index)
                }
            } else {
                let senderIndex = index % senders.count
                signal.connect(from: .object(senders[senderIndex])) { _ in log.append(index) }
                expected[senderIndex].append(index)
            }
        }

        for _ in 0..<3 {
            for (senderIndex, sender) in senders.enumerated() {
                log.removeAll()
                signal.send(0, from: .object(sender))
                #expect(log.entries == expected[senderIndex])
            }
        }
    }
}
