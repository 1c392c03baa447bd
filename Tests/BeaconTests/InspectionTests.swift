import Beacon
import Testing

@Suite("muted, hasReceivers, receivers")
struct InspectionTests {
    @Test("muted runs no receiver until it returns")
    func muted() {
        let signal = Signal<Int>()
        let log = Log<Int>()
        signal.connect { log.append($0) }

        let value = signal.muted {
            signal.send(1)
            return 99
        }
        signal.send(2)

        #expect(value == 99)
        #expect(log.entries == [2])
    }

    @Test("nested mutes keep the signal muted until the outermost returns")
    func nestedMutes() {
        let signal = Signal<Int>()
        let log = Log<Int>()
        signal.connect { log.append($0) }

        signal.muted {
            signal.muted { signal.send(1) }
            signal.send(2)
            #expect(!signal.hasReceivers())
        }
        signal.send(3)

        #expect(log.entries == [3])
        #expect(signal.hasReceivers())
    }

    @Test("a receiver connected while muted is heard once the mute ends")
    func connectWhileMuted() {
        let signal = Signal<Int>()
        let log = Log<Int>()

        signal.muted {
            signal.connect { log.append($0) }
            signal.send(1)
            #expect(signal.receivers(for: nil).count == 1)
        }
        signal.send(2)

        #expect(log.entries == [2])
    }

    @Test("muted ends when its body throws, and works around asynchronous work")
    func mutedErrorsAndAsync() async {
        let signal = Signal<Int>()
        let log = Log<Int>()
        signal.connect { log.append($0) }

        #expect(throws: TestError(code: 6)) {
            try signal.muted { throw TestError(code: 6) }
        }
        await signal.muted {
            await Task.yield()
            await signal.send(1)
        }
        await signal.send(2)

        #expect(log.entries == [2])
    }

    @Test("hasReceivers is true only when a receiver would run")
    func hasReceivers() {
        let signal = Signal<Int>()
        let x = Endpoint("x")
        let y = Endpoint("y")
        #expect(!signal.hasReceivers())

        let onlyX = signal.connect(from: .object(x)) { _ in }
        #expect(signal.hasReceivers(for: .object(x)))
        #expect(!signal.hasReceivers(for: .object(y)))
        #expect(!signal.hasReceivers(for: nil))
        #expect(signal.hasReceivers(), "a sender-specific receiver is a receiver of the signal")

        // Blinker still answers true here: it keeps an empty entry for x after the disconnect.
        onlyX.cancel()
        #expect(!signal.hasReceivers(for: .object(x)))
        #expect(!signal.hasReceivers())

        signal.connect { _ in }
        #expect(signal.hasReceivers(for: .object(y)))
        #expect(signal.hasReceivers())
        signal.muted {
            #expect(!signal.hasReceivers(for: .object(y)))
        }
    }

    @Test("receivers(for:) lists the receivers a send would run, in order")
    func listing() {
        let signal = Signal<Int>()
        let x = Endpoint("x")
        let first = Receiver<Int, Void> { _ in }
        let forX = Receiver<Int, Void> { _ in }
        let last = Receiver<Int, Void> { _ in }
        signal.connect(first)
        signal.connect(forX, from: .object(x))
        signal.connect(last)
        signal.connect(first, from: .object(x))

        #expect(signal.receivers(for: .object(x)) == [first, forX, last])
        #expect(signal.receivers(for: nil) == [first, last])
        #expect(signal.receivers(for: .value("elsewhere")) == [first, last])
        #expect(Signal<Int>().receivers(for: nil).isEmpty)
    }
}
