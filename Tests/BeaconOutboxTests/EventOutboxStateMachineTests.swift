import Testing

@testable import BeaconOutbox

/// The outbox's ordering rules, input by input, without a transport or a disk.
@Suite struct EventOutboxStateMachineTests {
    typealias Machine = EventOutbox.StateMachine
    let start = ContinuousClock.now

    func records(_ range: Range<Int>, key: String = "web.request.info") -> [EventSpool.Record] {
        range.map { EventSpool.Record(routingKey: key, eventID: "id-\($0)", body: Array("{\"n\":\($0)}".utf8)) }
    }

    func machine(
        maximumPublishesInFlight: Int = 2,
        spoolThreshold: Int = 10,
        linger: EventOutbox.Linger? = nil,
        spoolIsEmpty: Bool = true
    ) -> Machine {
        Machine(
            configuration: .init(
                maximumPublishesInFlight: maximumPublishesInFlight,
                spoolThreshold: spoolThreshold,
                retryDelay: .milliseconds(100)...(.milliseconds(300)),
                shutdownDeadline: .seconds(5),
                linger: linger
            ),
            spoolIsEmpty: spoolIsEmpty,
            now: start,
            jitter: { _ in .zero }
        )
    }

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { start.advanced(by: .milliseconds(milliseconds)) }

    // MARK: Reading actions

    /// The actions, in a form that compares: the ids and records of publishes, the records spooled, and the rest.
    enum Done: Equatable {
        case publish(UInt64, [String])
        case replay(UInt64, [String])
        case spool([String])
        case remove(EventSpool.Position)
        case delivered(Int)
        case spooling(Bool)
        case report(Machine.Report)
        case wakeUp(ContinuousClock.Instant)
    }

    func done(_ actions: [Machine.Action]) -> [Done] {
        actions.map { action in
            switch action {
            case .publish(let id, let packed): .publish(id, packed.flatMap(\.records).map(\.eventID))
            case .replay(let id, let packed): .replay(id, packed.flatMap(\.records).map(\.eventID))
            case .spool(let records): .spool(records.map(\.eventID))
            case .removeFromSpool(let position): .remove(position)
            case .delivered(let count): .delivered(count)
            case .modeChanged(let isSpooling): .spooling(isSpooling)
            case .report(let report): .report(report)
            case .wakeUp(let instant): .wakeUp(instant)
            }
        }
    }

    func ids(_ range: Range<Int>) -> [String] { range.map { "id-\($0)" } }

    let failure = TransportOutcome.failed(reason: "broker away")
    let end = EventSpool.Position(segment: 1, offset: 4096)

    // MARK: Publishing directly

    @Test func publishesWhatItTakesAtOnce() {
        var machine = machine()
        let step = machine.turn(taken: records(0..<3), oldestArrival: start, closing: false, now: start)
        #expect(done(step.actions) == [.publish(0, ids(0..<3))])
        #expect(step.next == .waitForEvents(atLeast: 1))
        #expect(done(machine.published(id: 0, outcomes: [.confirmed], now: at(1))) == [.delivered(3)])
        #expect(!machine.isSpooling)
    }

    @Test func anEmptyTurnDoesNothing() {
        var machine = machine()
        let step = machine.turn(taken: [], oldestArrival: nil, closing: false, now: start)
        #expect(done(step.actions).isEmpty)
        #expect(step.next == .waitForEvents(atLeast: 1))
    }

    @Test func waitsForAFreeSlotUntilEnoughEventsCallForSpooling() {
        var machine = machine(maximumPublishesInFlight: 1, spoolThreshold: 10)
        _ = machine.turn(taken: records(0..<1), oldestArrival: start, closing: false, now: start)
        // The one slot is busy: 4 events wait, and the loop sleeps until 6 more (or a confirm) come.
        let waiting = machine.turn(taken: records(1..<5), oldestArrival: start, closing: false, now: at(1))
        #expect(done(waiting.actions).isEmpty)
        #expect(waiting.next == .waitForEvents(atLeast: 6))
        // A confirm frees the slot: what waited goes in one publish.
        _ = machine.published(id: 0, outcomes: [.confirmed], now: at(2))
        let freed = machine.turn(taken: [], oldestArrival: nil, closing: false, now: at(2))
        #expect(done(freed.actions) == [.publish(1, ids(1..<5))])
    }

    @Test func aBrokerThatFallsBehindMakesItSpoolAfterWhatIsInFlight() {
        var machine = machine(maximumPublishesInFlight: 1, spoolThreshold: 10)
        _ = machine.turn(taken: records(0..<1), oldestArrival: start, closing: false, now: start)
        let slow = machine.turn(taken: records(1..<11), oldestArrival: start, closing: false, now: at(1))
        // Spooling, but the ten wait: the publish in flight may yet fail and must reach the spool before them.
        #expect(done(slow.actions) == [.report(.brokerSlow(waiting: 10)), .spooling(true), .wakeUp(at(101))])
        #expect(done(machine.published(id: 0, outcomes: [failure], now: at(2))) == [.spool(ids(0..<1))])
        let next = machine.turn(taken: records(11..<12), oldestArrival: at(2), closing: false, now: at(3))
        #expect(done(next.actions) == [.spool(ids(1..<12))])
    }

    @Test func lingersWhileBusyButNotPastItsDuration() {
        var machine = machine(linger: .init(events: 64, duration: .milliseconds(5)))
        // Idle (nothing published yet): the first event goes at once.
        #expect(done(machine.turn(taken: records(0..<8), oldestArrival: start, closing: false, now: start).actions) == [.publish(0, ids(0..<8))])
        // Busy (the last publish carried 8 events, at least 64 / 16): the next ones wait up to 5 ms, or for 64 in all.
        let lingering = machine.turn(taken: records(8..<10), oldestArrival: at(1), closing: false, now: at(1))
        #expect(done(lingering.actions) == [.wakeUp(at(6))])
        #expect(lingering.next == .waitForEvents(atLeast: 62))
        let due = machine.turn(taken: records(10..<11), oldestArrival: at(2), closing: false, now: at(6))
        #expect(done(due.actions) == [.publish(1, ids(8..<11))])
    }

    @Test func aLingerIsCutShortByEnoughEvents() {
        var machine = machine(linger: .init(events: 16, duration: .seconds(60)))
        _ = machine.turn(taken: records(0..<16), oldestArrival: start, closing: false, now: start)
        #expect(done(machine.turn(taken: records(16..<20), oldestArrival: at(1), closing: false, now: at(1)).actions) == [.wakeUp(at(60_001))])
        // A second wait on the same linger asks for no second timer.
        #expect(done(machine.turn(taken: records(20..<24), oldestArrival: at(2), closing: false, now: at(2)).actions).isEmpty)
        #expect(done(machine.turn(taken: records(24..<32), oldestArrival: at(3), closing: false, now: at(3)).actions) == [.publish(1, ids(16..<32))])
    }

    // MARK: Failed publishes, in publish order

    @Test func aLaterFailureWaitsForTheEarlierPublishToSettle() {
        var machine = machine()
        _ = machine.turn(taken: records(0..<3), oldestArrival: start, closing: false, now: start)
        _ = machine.turn(taken: records(3..<6), oldestArrival: at(1), closing: false, now: at(1))
        // The second fails first: it is held, so that it does not overtake the first in the spool.
        #expect(
            done(machine.published(id: 1, outcomes: [failure], now: at(2)))
                == [.report(.publishFailed(reason: "broker away")), .spooling(true)]
        )
        #expect(done(machine.published(id: 0, outcomes: [failure], now: at(3))) == [.spool(ids(0..<6))])
    }

    @Test func aConfirmedEarlierPublishReleasesTheLaterFailure() {
        var machine = machine()
        _ = machine.turn(taken: records(0..<3), oldestArrival: start, closing: false, now: start)
        _ = machine.turn(taken: records(3..<6), oldestArrival: at(1), closing: false, now: at(1))
        _ = machine.published(id: 1, outcomes: [failure], now: at(2))
        #expect(done(machine.published(id: 0, outcomes: [.confirmed], now: at(3))) == [.delivered(3), .spool(ids(3..<6))])
    }

    @Test func eventsTakenWhileFailuresSettleAreSpooledAfterThem() {
        var machine = machine()
        _ = machine.turn(taken: records(0..<3), oldestArrival: start, closing: false, now: start)
        _ = machine.turn(taken: records(3..<6), oldestArrival: at(1), closing: false, now: at(1))
        #expect(
            done(machine.published(id: 0, outcomes: [failure], now: at(2)))
                == [.report(.publishFailed(reason: "broker away")), .spooling(true), .spool(ids(0..<3))]
        )
        // Spooling now, with publish 1 in flight: new events wait behind it.
        let held = machine.turn(taken: records(6..<8), oldestArrival: at(2), closing: false, now: at(3))
        #expect(done(held.actions) == [.wakeUp(at(102))])
        #expect(done(machine.published(id: 1, outcomes: [failure], now: at(4))) == [.spool(ids(3..<6))])
        #expect(done(machine.turn(taken: [], oldestArrival: nil, closing: false, now: at(5)).actions) == [.spool(ids(6..<8))])
    }

    @Test func onlyTheMessagesThatFailedAreSpooledAndAMissingOutcomeIsAFailure() {
        var machine = machine()
        let keys = records(0..<2, key: "web.request.info") + records(2..<4, key: "web.error.error") + records(4..<5, key: "web.log.info")
        let publish = machine.turn(taken: keys, oldestArrival: start, closing: false, now: start)
        guard case .publish(_, let packed) = publish.actions.first else {
            Issue.record("no publish")
            return
        }
        #expect(packed.count == 3)
        // The first confirmed, the second failed, the third never reported.
        #expect(
            done(machine.published(id: 0, outcomes: [.confirmed, failure], now: at(1)))
                == [.delivered(2), .report(.publishFailed(reason: "broker away")), .spooling(true), .spool(ids(2..<5))]
        )
    }

    // MARK: Replaying the spool

    @Test func replaysTheSpoolAfterTheRetryDelayAndSwitchesBackWhenItIsEmpty() {
        var machine = machine(spoolIsEmpty: false)
        #expect(machine.isSpooling)
        let early = machine.turn(taken: [], oldestArrival: nil, closing: false, now: at(50))
        #expect(done(early.actions) == [.wakeUp(at(100))])
        #expect(early.next == .waitForEvents(atLeast: 1))
        let due = machine.turn(taken: [], oldestArrival: nil, closing: false, now: at(100))
        #expect(due.next == .readSpool(maximumCount: 256 * 2))
        let replay = machine.spoolRead(.records(records(0..<5), end: end), now: at(101))
        #expect(done(replay.actions) == [.replay(0, ids(0..<5))])
        // Nothing more is read while the replay is out.
        #expect(machine.turn(taken: [], oldestArrival: nil, closing: false, now: at(102)).next == .waitForEvents(atLeast: 1))
        #expect(done(machine.replayed(id: 0, outcomes: [.confirmed], now: at(103))) == [.delivered(5), .remove(end)])
        // The next batch at once; an empty read ends the replay.
        #expect(machine.turn(taken: [], oldestArrival: nil, closing: false, now: at(103)).next == .readSpool(maximumCount: 512))
        #expect(
            done(machine.spoolRead(.records([], end: end), now: at(104)).actions) == [.report(.brokerBack(delivered: 5)), .spooling(false)]
        )
        #expect(done(machine.turn(taken: records(5..<6), oldestArrival: at(105), closing: false, now: at(105)).actions) == [.publish(1, ids(5..<6))])
    }

    @Test func switchesBackOnlyWhenNothingIsInFlight() {
        var machine = machine()
        _ = machine.turn(taken: records(0..<1), oldestArrival: start, closing: false, now: start)
        _ = machine.turn(taken: records(1..<2), oldestArrival: at(1), closing: false, now: at(1))
        _ = machine.published(id: 0, outcomes: [failure], now: at(2))
        #expect(machine.turn(taken: [], oldestArrival: nil, closing: false, now: at(102)).next == .readSpool(maximumCount: 512))
        // The spool reads empty but publish 1 may still fail: stay spooling.
        #expect(done(machine.spoolRead(.records([], end: end), now: at(103)).actions).isEmpty)
        #expect(machine.isSpooling)
        #expect(done(machine.published(id: 1, outcomes: [.confirmed], now: at(104))) == [.delivered(1)])
        #expect(machine.turn(taken: [], oldestArrival: nil, closing: false, now: at(105)).next == .readSpool(maximumCount: 512))
        #expect(done(machine.spoolRead(.records([], end: end), now: at(106)).actions) == [.spooling(false)])
    }

    @Test func aFailedReplayBacksOffUpToTheLongestDelay() {
        var machine = machine(spoolIsEmpty: false)
        var now = at(100)
        var expectedDelays: [Duration] = [.milliseconds(200), .milliseconds(300), .milliseconds(300)]
        while !expectedDelays.isEmpty {
            let delay = expectedDelays.removeFirst()
            #expect(machine.turn(taken: [], oldestArrival: nil, closing: false, now: now).next == .readSpool(maximumCount: 512))
            guard case .replay(let id, _) = machine.spoolRead(.records(records(0..<2), end: end), now: now).actions.first else {
                Issue.record("no replay")
                return
            }
            // One message of the batch failed: the whole batch stays in the spool.
            #expect(done(machine.replayed(id: id, outcomes: [failure], now: now)) == [.wakeUp(now.advanced(by: delay))])
            now = now.advanced(by: delay)
        }
    }

    @Test func aSpoolThatCannotBeReadIsRetriedLater() {
        var machine = machine(spoolIsEmpty: false)
        #expect(machine.turn(taken: [], oldestArrival: nil, closing: false, now: at(100)).next == .readSpool(maximumCount: 512))
        let failed = machine.spoolRead(.failed, now: at(100))
        #expect(done(failed.actions) == [.wakeUp(at(300))])
        #expect(machine.turn(taken: [], oldestArrival: nil, closing: false, now: at(200)).next == .waitForEvents(atLeast: 1))
    }

    @Test func aReplayOutcomeForAnotherReplayIsIgnored() {
        var machine = machine(spoolIsEmpty: false)
        _ = machine.turn(taken: [], oldestArrival: nil, closing: false, now: at(100))
        _ = machine.spoolRead(.records(records(0..<2), end: end), now: at(100))
        #expect(done(machine.replayed(id: 7, outcomes: [.confirmed], now: at(101))).isEmpty)
        #expect(done(machine.published(id: 7, outcomes: [.confirmed], now: at(101))).isEmpty)
    }

    // MARK: Shutdown

    @Test func shutdownPublishesEverythingAtOnceAndStopsWhenConfirmed() {
        var machine = machine(maximumPublishesInFlight: 1, linger: .init(events: 64, duration: .seconds(60)))
        _ = machine.turn(taken: records(0..<8), oldestArrival: start, closing: false, now: start)
        // Neither the busy slot nor the linger hold events back on shutdown.
        let closing = machine.turn(taken: records(8..<10), oldestArrival: at(1), closing: true, now: at(1))
        #expect(done(closing.actions) == [.publish(1, ids(8..<10)), .wakeUp(at(5001))])
        #expect(closing.next == .waitForEvents(atLeast: 1))
        _ = machine.published(id: 0, outcomes: [.confirmed], now: at(2))
        _ = machine.published(id: 1, outcomes: [.confirmed], now: at(3))
        #expect(machine.turn(taken: [], oldestArrival: nil, closing: true, now: at(4)).next == .stop)
    }

    @Test func pastTheDeadlineWhatIsUnconfirmedIsSpooledInOrder() {
        var machine = machine(maximumPublishesInFlight: 3)
        _ = machine.turn(taken: records(0..<2), oldestArrival: start, closing: false, now: start)
        _ = machine.turn(taken: records(2..<4), oldestArrival: at(1), closing: false, now: at(1))
        _ = machine.turn(taken: records(4..<6), oldestArrival: at(2), closing: false, now: at(2))
        // Publish 1 failed (held behind publish 0); 0 and 2 never answer.
        _ = machine.published(id: 1, outcomes: [failure], now: at(3))
        let closing = machine.turn(taken: records(6..<7), oldestArrival: at(3), closing: true, now: at(4))
        #expect(closing.next == .waitForEvents(atLeast: 1))
        let late = machine.turn(taken: [], oldestArrival: nil, closing: true, now: at(5004))
        #expect(done(late.actions) == [.spool(ids(0..<7)), .report(.shutdownDeadlinePassed(unconfirmed: 4))])
        #expect(late.next == .stop)
        // An outcome that comes after the spill changes nothing: those events are in the spool.
        #expect(done(machine.published(id: 0, outcomes: [.confirmed], now: at(5005))).isEmpty)
    }

    @Test func shutdownWhileSpoolingSpoolsWhatIsPendingAndStartsNoReplay() {
        var machine = machine(spoolIsEmpty: false)
        let closing = machine.turn(taken: records(0..<3), oldestArrival: start, closing: true, now: at(200))
        #expect(done(closing.actions) == [.spool(ids(0..<3))])
        #expect(closing.next == .stop)
    }

    @Test func shutdownWaitsForAReplayInFlightUntilTheDeadline() {
        var machine = machine(spoolIsEmpty: false)
        _ = machine.turn(taken: [], oldestArrival: nil, closing: false, now: at(100))
        _ = machine.spoolRead(.records(records(0..<2), end: end), now: at(100))
        let closing = machine.turn(taken: [], oldestArrival: nil, closing: true, now: at(101))
        #expect(done(closing.actions) == [.wakeUp(at(5101))])
        // Past the deadline it stops; the replayed records are still in the spool, so nothing is spooled again.
        let late = machine.turn(taken: [], oldestArrival: nil, closing: true, now: at(5101))
        #expect(done(late.actions) == [.report(.shutdownDeadlinePassed(unconfirmed: 0))])
        #expect(late.next == .stop)
    }
}
