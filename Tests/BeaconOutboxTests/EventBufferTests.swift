import BeaconEvents
import Synchronization
import Testing

@testable import BeaconOutbox

/// The outbox's pieces that need neither a broker nor a disk: the linger rule and the buffer's wake-ups.
@Suite struct EventBufferTests {
    func events(_ count: Int) -> [Event] {
        (0..<count).map { Event(service: "web", kind: .request, level: .info, message: "event \($0)") }
    }

    @Test func lingersOnlyWhileBusyAndNeverPastItsDuration() {
        let linger = EventOutbox.Linger(events: 128, duration: .milliseconds(5))
        let since = ContinuousClock.now
        // Busy (the last publish carried at least 128 / 16 = 8 events): fewer than 128 wait, at most 5 ms.
        #expect(linger.deadline(pending: 1, since: since, lastPublished: 8) == since.advanced(by: .milliseconds(5)))
        #expect(linger.deadline(pending: 127, since: since, lastPublished: 500) == since.advanced(by: .milliseconds(5)))
        // Enough for a message: they go now.
        #expect(linger.deadline(pending: 128, since: since, lastPublished: 500) == nil)
        // A trickle (the last publish carried fewer than 8): every event goes at once.
        #expect(linger.deadline(pending: 1, since: since, lastPublished: 7) == nil)
        #expect(linger.deadline(pending: 1, since: since, lastPublished: 0) == nil)
        // However small `events`, a publish of one event is a trickle.
        #expect(EventOutbox.Linger(events: 4, duration: .seconds(1)).deadline(pending: 1, since: since, lastPublished: 1) == nil)
    }

    @Test func theBufferWakesItsConsumerOnlyForTheEventsItAwaits() async throws {
        let buffer = EventBuffer(capacity: 5)
        let woken = WakeUps()
        let consumer = Task {
            await buffer.waitForEvents(atLeast: 3)
            woken.count.add(1, ordering: .relaxed)
            await buffer.waitForEvents(atLeast: 1000)  // more than the buffer holds: until it is full
            woken.count.add(1, ordering: .relaxed)
            _ = buffer.takeAll()
            await buffer.waitForEvents(atLeast: 1000)
            woken.count.add(1, ordering: .relaxed)
        }
        func wakeUps(after appending: Int) async throws -> Int {
            for event in events(appending) { #expect(buffer.append(event) == .accepted) }
            try await Task.sleep(for: .milliseconds(100))
            return woken.count.load(ordering: .relaxed)
        }
        #expect(try await wakeUps(after: 2) == 0)
        #expect(try await wakeUps(after: 1) == 1)
        #expect(try await wakeUps(after: 1) == 1)
        #expect(try await wakeUps(after: 1) == 2)
        #expect(try await wakeUps(after: 1) == 2)
        // A wake-up (a confirm, a timer) does not wait for events.
        buffer.wake()
        await consumer.value
        #expect(woken.count.load(ordering: .relaxed) == 3)
    }
}

/// How often a consumer of the buffer has woken up.
private final class WakeUps: Sendable {
    let count = Atomic<Int>(0)
}
