import Beacon
import BeaconSynchronization
import Synchronization
import Testing

@Suite("Concurrency: connecting, disconnecting and sending at once", .timeLimit(.minutes(1)))
struct ConcurrencyTests {
    @Test("many tasks connect, send and cancel at once; no send is lost and no receiver is missed")
    func stress() async {
        let signal = Signal<Int>(name: "stress")
        let senders = (0..<4).map { Endpoint("sender \($0)") }
        let permanent = Counter()
        signal.connect { _ in permanent.increment() }
        let tasks = 8
        let iterations = 500
        let missed = Counter()

        await withTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    for iteration in 0..<iterations {
                        let sender = senders[(task + iteration) % senders.count]
                        let ran = Counter()
                        let subscription =
                            iteration.isMultiple(of: 2)
                            ? signal.connect { _ in ran.increment() }
                            : signal.connect(from: .object(sender)) { _ in ran.increment() }
                        signal.send(iteration, from: .object(sender))
                        if !signal.hasReceivers(for: .object(sender)) {
                            missed.increment()
                        }
                        subscription.cancel()
                        if ran.value == 0 {
                            missed.increment()
                        }
                    }
                }
            }
        }

        #expect(permanent.value == tasks * iterations)
        #expect(missed.value == 0)
        #expect(signal.receivers(for: .object(senders[0])).count == 1)
    }

    @Test("sends from many tasks run every receiver once per send")
    func concurrentSends() async {
        let signal = ReturningSignal<Int, Int>()
        let counters = (0..<10).map { _ in Counter() }
        for counter in counters {
            signal.connect { value in
                counter.increment()
                return value
            }
        }

        let totals = await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var total = 0
                    for _ in 0..<1_000 {
                        total += signal.send(task).outputs.reduce(0, +)
                    }
                    return total
                }
            }
            return await group.reduce(0, +)
        }

        #expect(counters.allSatisfy { $0.value == 8_000 })
        #expect(totals == (0..<8).reduce(0) { $0 + $1 * 10 * 1_000 })
    }

    @Test("a send sees the receivers as they were when it started")
    func connectAndDisconnectDuringSend() {
        let signal = Signal<Int>()
        let log = Log<String>()
        let late = Receiver<Int, Void> { log.append("late \($0)") }
        let doomed = Mutex<Subscription?>(nil)
        signal.connect { value in
            log.append("first \(value)")
            if value == 1 {
                signal.connect(late)
                doomed.withTracedLock { $0?.cancel() }
            }
        }
        doomed.withTracedLock { $0 = signal.connect { log.append("doomed \($0)") } }

        signal.send(1)
        #expect(log.entries == ["first 1", "doomed 1"])

        log.removeAll()
        signal.send(2)
        #expect(log.entries == ["first 2", "late 2"])
    }

    @Test("a receiver that cancels itself runs once")
    func receiverCancelsItself() {
        let signal = Signal<Int>()
        let count = Counter()
        let subscription = Mutex<Subscription?>(nil)
        subscription.withTracedLock { stored in
            stored = signal.connect { _ in
                count.increment()
                subscription.withTracedLock { $0?.cancel() }
            }
        }

        signal.send(1)
        signal.send(2)

        #expect(count.value == 1)
    }

    @Test("a receiver may send the same signal again")
    func reentrantSend() {
        let signal = Signal<Int>()
        let log = Log<Int>()
        signal.connect { value in
            log.append(value)
            if value < 3 {
                signal.send(value + 1)
            }
        }

        signal.send(0)

        #expect(log.entries == [0, 1, 2, 3])
    }

    @Test("mutes from many tasks at once nest correctly")
    func concurrentMutes() async {
        let signal = Signal<Int>()
        let count = Counter()
        signal.connect { _ in count.increment() }

        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<200 {
                        signal.muted {
                            signal.muted { signal.send(0) }
                            signal.send(0)
                        }
                    }
                }
            }
        }
        let sentWhileMuted = count.value
        await signal.send(1)

        #expect(sentWhileMuted == 0)
        #expect(count.value == 1)
        #expect(signal.hasReceivers())
    }

    @Test("owners dying while other tasks send leave no receiver behind")
    func ownersDyingDuringSends() async {
        let signal = Signal<Int>()
        let stop = StopFlag()
        let permanent = Counter()
        let disconnections = Counter()
        signal.receiverDisconnected.connect { _ in disconnections.increment() }
        signal.connect { _ in permanent.increment() }

        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    await stop.repeatUntilStopped {
                        await signal.send(0)
                        await Task.yield()
                    }
                }
            }
            group.addTask {
                for index in 0..<500 {
                    let owner = Endpoint("owner \(index)")
                    signal.connect(owner: owner) { _, _ in }
                    signal.connect(from: .object(Endpoint("sender \(index)"))) { _ in }
                    if index.isMultiple(of: 50) {
                        await Task.yield()
                    }
                }
                stop.stop()
            }
        }
        await signal.send(1)
        let remaining = signal.receivers(for: nil)

        #expect(remaining.count == 1)
        #expect(disconnections.value == 1_000)
        #expect(permanent.value > 0)
    }

    @Test("await send from many tasks while receivers come and go")
    func concurrentAsynchronousSends() async {
        let signal = Signal<Int>()
        let asynchronousRuns = Counter()
        signal.connect { _ in
            await Task.yield()
            asynchronousRuns.increment()
        }

        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for iteration in 0..<200 {
                        let subscription = signal.connect { _ in await Task.yield() }
                        await signal.send(task * 1_000 + iteration)
                        subscription.cancel()
                    }
                }
            }
        }

        #expect(asynchronousRuns.value == 8 * 200)
        #expect(signal.receivers(for: nil).count == 1)
    }
}
