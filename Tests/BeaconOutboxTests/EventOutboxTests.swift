import BeaconEvents
import Foundation
import IntegrationSupport
import Logging
import ServiceLifecycle
import Synchronization
import SystemPackage
import Testing

@testable import BeaconOutbox

/// The outbox around its state machine, with a transport in memory and a real spool: what it promises about threads
/// and tasks.
@Suite struct EventOutboxTests {
    let directory: FilePath
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    init() throws {
        directory = FilePath(try TestServices.temporaryDirectory("outbox").path)
    }

    func events(_ count: Int) -> [Event] {
        (0..<count).map { Event(service: "web", kind: .request, level: .info, message: "event \($0)") }
    }

    /// Runs `outbox` in a service group until `body` returns, then shuts it down gracefully and waits for it.
    func withRunning(_ outbox: EventOutbox, _ body: () async throws -> Void) async throws {
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: outbox)], gracefulShutdownSignals: [], logger: logger)
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func anEventAfterTheLoopEndedIsSpooledOffTheCallersThread() async throws {
        let gate = Gate()
        let spool = try EventSpool(directory: directory, maximumBytes: 1 << 20, segmentBytes: 1 << 20, syncsWrites: true, beforeSync: gate.pass)
        let outbox = EventOutbox(transport: ConfirmingTransport(), spool: spool, logger: logger)
        try await withRunning(outbox) {}

        // The spool's sync is held: an enqueue that wrote on the caller's thread would not return.
        gate.close()
        let late = events(1)[0]
        let enqueue = BlockingCall { outbox.enqueue(late) }
        #expect(enqueue.finished(), "enqueue waited for the spool's disk I/O")
        #expect(enqueue.value == true)
        #expect(gate.waitForArrivals(1), "the event is written on the spool's queue")
        let segment = URL(fileURLWithPath: EventSpool.State.segmentPath(1, in: directory).string)
        #expect(try Data(contentsOf: segment).count == SpoolRecordCoding.encodedSize(of: EventOutbox.record(for: late)))
        #expect(outbox.statistics.spooled == 0, "not counted as spooled before it is synced")

        gate.open()
        await outbox.waitForSpoolWrites()
        #expect(outbox.statistics.spooled == 1)
        #expect(outbox.statistics.enqueued == 1)
        // The next process finds it.
        #expect(try EventSpool(directory: directory).read(maximumCount: 10).records.map(\.eventID) == [late.id])
    }

    @Test func runLeavesNoTimerBehind() async throws {
        let sleepers = Sleepers()
        let outbox = EventOutbox(
            transport: ConfirmingTransport(),
            spool: try EventSpool(directory: directory, syncsWrites: false),
            // A linger far longer than the test: its timer is still waiting when the outbox shuts down.
            configuration: .init(linger: .init(events: 64, duration: .seconds(3600))),
            logger: logger,
            sleep: { await sleepers.sleep(until: $0) }
        )
        for event in events(8) { outbox.enqueue(event) }
        try await withRunning(outbox) {
            // Busy after a publish of 8: the next events linger, on a timer.
            #expect(await eventually { outbox.statistics.delivered == 8 })
            for event in events(2) { outbox.enqueue(event) }
            #expect(await eventually { sleepers.started.load(ordering: .relaxed) >= 1 })
        }
        #expect(outbox.statistics.delivered == 10)
        #expect(sleepers.waiting.load(ordering: .relaxed) == 0, "a timer outlived run()")
    }
}

/// The outbox's timers, counted: how many started, how many are waiting now.
final class Sleepers: Sendable {
    let started = Atomic(0)
    let waiting = Atomic(0)

    func sleep(until instant: ContinuousClock.Instant) async {
        started.add(1, ordering: .relaxed)
        waiting.add(1, ordering: .relaxed)
        defer { waiting.subtract(1, ordering: .relaxed) }
        try? await Task.sleep(until: instant, clock: .continuous)
    }
}
