public import BeaconEvents
import BeaconSynchronization
import Dispatch
public import Logging
public import ServiceLifecycle
import Synchronization

/// Delivers events to a transport without ever making the producer wait, and without losing them.
///
/// ``enqueue(_:)`` puts an event in a bounded memory buffer and returns at once; it never blocks and never does
/// I/O. The outbox's ``run()`` loop (a swift-service-lifecycle `Service`) drains the buffer, packs events that
/// share a routing key into one message, and hands them to the transport, which confirms each message. Several
/// publishes may be in flight; while every slot is busy, the loop sleeps until a confirm frees one or until enough
/// events wait to call for spooling, however many arrive meanwhile.
///
/// When the transport fails (the broker is away or refuses) or falls behind (every publish slot busy and events
/// piling up), the outbox switches to spooling: unconfirmed events and everything after them go to the
/// ``EventSpool`` on disk, in order, and the loop retries with backoff and jitter. Once the broker confirms again,
/// the spool is replayed in order and the outbox switches back to publishing directly. The spool survives a
/// restart: a new process replays what the last one left.
///
/// Nothing is dropped except past a bound, and every drop is counted in ``statistics`` and in the
/// `beacon_outbox_events_dropped_total` metric: a full buffer (the producer outran even the spool), a full spool,
/// a spool that cannot be written. On graceful shutdown the outbox publishes what it holds within a deadline and
/// spools what is not confirmed by then (it may then be delivered twice, never lost; consumers deduplicate by event
/// id).
public final class EventOutbox: Service, Sendable {
    /// Bounds and timings.
    public struct Configuration: Sendable {
        /// Events the memory buffer holds before it drops.
        public var bufferCapacity: Int
        /// Events packed into one NDJSON message at most.
        public var maximumEventsPerMessage: Int
        /// Bytes of one NDJSON message at most.
        public var maximumMessageBytes: Int
        /// Publishes awaiting their confirms at once.
        public var maximumPublishesInFlight: Int
        /// Events waiting for a free publish slot before the outbox considers the broker too slow and spools.
        public var spoolThreshold: Int
        /// The first and the longest wait between delivery attempts while the transport fails.
        public var retryDelay: ClosedRange<Duration>
        /// How long a graceful shutdown may wait for confirms before it spools the rest.
        public var shutdownDeadline: Duration
        /// Under load, how long a publish may wait for more events to pack with its first; `nil` publishes at once.
        public var linger: Linger?

        /// Bounds and timings; `spoolThreshold` defaults to a quarter of the buffer.
        public init(
            bufferCapacity: Int = 8192,
            maximumEventsPerMessage: Int = 256,
            maximumMessageBytes: Int = 256 << 10,
            maximumPublishesInFlight: Int = 8,
            spoolThreshold: Int? = nil,
            retryDelay: ClosedRange<Duration> = .milliseconds(100)...(.seconds(5)),
            shutdownDeadline: Duration = .seconds(5),
            linger: Linger? = nil
        ) {
            precondition(bufferCapacity > 0 && maximumEventsPerMessage > 0 && maximumMessageBytes > 0)
            precondition(maximumPublishesInFlight > 0)
            precondition(
                linger.map { $0.events > 0 && $0.events <= maximumEventsPerMessage } ?? true,
                "a linger waits for 1 to maximumEventsPerMessage events"
            )
            self.bufferCapacity = bufferCapacity
            self.maximumEventsPerMessage = maximumEventsPerMessage
            self.maximumMessageBytes = maximumMessageBytes
            self.maximumPublishesInFlight = maximumPublishesInFlight
            self.spoolThreshold = spoolThreshold ?? max(1, bufferCapacity / 4)
            self.retryDelay = retryDelay
            self.shutdownDeadline = shutdownDeadline
            self.linger = linger
        }
    }

    /// Packing more events into each message while events arrive fast: a broker spends about the same on a message
    /// of 10 events as on one of 100 (a quorum queue, one publish in flight: ~300 µs of its CPU each), so fewer,
    /// fuller messages take it less CPU an event.
    ///
    /// A publish waits until ``events`` events are ready, or until the first of them has waited ``duration``, but
    /// only while the previous publish carried at least a sixteenth of ``events`` (and at least 2): at a trickle
    /// every event goes at once, and the wait is never longer than ``duration``. Graceful shutdown never waits.
    public struct Linger: Sendable, Hashable {
        /// Events that make a message worth publishing at once.
        public var events: Int
        /// The longest the first event of a message waits for others.
        public var duration: Duration

        /// Waits for up to `events` events, for at most `duration`.
        public init(events: Int, duration: Duration) {
            self.events = events
            self.duration = duration
        }

        /// Until when `pending` events, the oldest ready since `since`, wait for more after a publish of
        /// `lastPublished` events; `nil` when they go now.
        func deadline(pending: Int, since: ContinuousClock.Instant, lastPublished: Int) -> ContinuousClock.Instant? {
            guard pending < events, lastPublished >= max(2, events / 16) else { return nil }
            return since.advanced(by: duration)
        }
    }

    /// What the outbox has done since it started.
    public struct Statistics: Sendable, Hashable {
        /// Events handed to ``enqueue(_:)``.
        public var enqueued: Int
        /// Events handed to the transport (each attempt counts).
        public var published: Int
        /// Events the transport confirmed.
        public var delivered: Int
        /// Events written to the spool.
        public var spooled: Int
        /// Events dropped because the memory buffer was full.
        public var droppedBufferFull: Int
        /// Events dropped because the spool was full.
        public var droppedSpoolFull: Int
        /// Events dropped because the spool could not be written.
        public var droppedSpoolError: Int
        /// Events in the memory buffer now.
        public var buffered: Int
        /// Events in the spool now.
        public var inSpool: Int
        /// True while the transport fails and events go to the spool.
        public var isSpooling: Bool

        /// Events dropped, whatever the reason.
        public var dropped: Int { droppedBufferFull + droppedSpoolFull + droppedSpoolError }
    }

    /// The bounds and timings it was made with.
    public let configuration: Configuration
    private let transport: any EventTransport
    private let spool: EventSpool
    private let buffer: EventBuffer
    private let completions = Mutex<[Completion]>([])
    private let counters: OutboxCounters
    private let logger: Logger
    /// Blocking spool I/O runs here, never on the cooperative pool nor on an enqueuing caller's thread.
    private let spoolQueue = DispatchQueue(label: "beacon.outbox.spool")
    /// How the loop's timers wait until an instant (returning early when cancelled).
    private let sleep: @Sendable (ContinuousClock.Instant) async -> Void

    /// An outbox delivering to `transport`, spooling to `spool`; `logger` gets its warnings (the broker is away or
    /// slow, events dropped): one whose records do not become events themselves.
    public convenience init(
        transport: some EventTransport,
        spool: EventSpool,
        configuration: Configuration = .init(),
        logger: Logger
    ) {
        self.init(transport: transport, spool: spool, configuration: configuration, logger: logger) { instant in
            try? await Task.sleep(until: instant, clock: .continuous)
        }
    }

    /// An outbox as the public initializer makes it, whose timers wait with `sleep` (a test observes them).
    init(
        transport: some EventTransport,
        spool: EventSpool,
        configuration: Configuration,
        logger: Logger,
        sleep: @escaping @Sendable (ContinuousClock.Instant) async -> Void
    ) {
        self.configuration = configuration
        self.transport = transport
        self.spool = spool
        self.buffer = EventBuffer(capacity: configuration.bufferCapacity)
        self.counters = OutboxCounters(spooledAtStart: spool.statistics.records)
        self.logger = logger
        self.sleep = sleep
    }

    /// Hands an event to the outbox. Never blocks and never does I/O; returns false when the buffer is full and the
    /// event was dropped (and counted).
    ///
    /// After ``run()`` has returned, nothing drains the buffer any more: the event is written to the spool on the
    /// outbox's own spool queue (the caller does not wait for the write), and the next run delivers it. Call
    /// ``waitForSpoolWrites()`` before the process exits so that such late events are on disk.
    @discardableResult
    public func enqueue(_ event: Event) -> Bool {
        counters.enqueued()
        switch buffer.append(event) {
        case .accepted:
            return true
        case .full:
            counters.dropped(1, reason: .bufferFull)
            return false
        case .closed:
            let record = Self.record(for: event)
            spoolQueue.async {
                self.account(spooling: 1, result: Result { () throws(SpoolError) in try self.spool.append([record]) })
            }
            return true
        }
    }

    /// Returns once every spool write handed to the outbox's spool queue so far is done: events enqueued after
    /// ``run()`` returned are then on disk (or counted as dropped). A program calls it after its service group has
    /// stopped, before it exits.
    public func waitForSpoolWrites() async {
        _ = await onSpoolQueue { () throws(SpoolError) in }
    }

    /// What the outbox has done so far; never waits for a spool write or sync in progress.
    public var statistics: Statistics {
        counters.snapshot(buffered: buffer.count, inSpool: spool.statistics.records)
    }

    /// Delivers until graceful shutdown or cancellation, then flushes within the deadline and returns.
    ///
    /// Everything taken from the buffer that is not confirmed by then, and whatever the buffer still holds, is in
    /// the spool when it returns; its timers end with it.
    public func run() async {
        if !spool.isEmpty {
            logger.info(
                "events left in the spool by an earlier run will be delivered",
                metadata: ["events": "\(spool.statistics.records)", "spool": "\(spool.directory)"]
            )
        }
        await withGracefulShutdownHandler {
            await self.deliverUntilClosed()
        } onGracefulShutdown: {
            self.buffer.beginClosing()
        }
        let late = buffer.close().map(Self.record(for:))
        if !late.isEmpty { await spool(late) }
    }

    // MARK: The loop

    private enum Completion {
        case published(id: UInt64, outcomes: [TransportOutcome])
        case replayed(id: UInt64, outcomes: [TransportOutcome])
    }

    /// Runs the state machine: feeds it what happened, carries out what it asks for. Its timers are child tasks, so
    /// none outlives the loop.
    private func deliverUntilClosed() async {
        await withDiscardingTaskGroup { timers in
            var machine = StateMachine(configuration: configuration, spoolIsEmpty: spool.isEmpty, now: .now)
            counters.modeChanged(isSpooling: machine.isSpooling)
            while true {
                for completion in completions.withTracedLock({ completions in
                    defer { completions.removeAll(keepingCapacity: true) }
                    return completions
                }) {
                    let actions =
                        switch completion {
                        case .published(let id, let outcomes): machine.published(id: id, outcomes: outcomes, now: .now)
                        case .replayed(let id, let outcomes): machine.replayed(id: id, outcomes: outcomes, now: .now)
                        }
                    await perform(actions, timers: &timers)
                }
                let taken = buffer.takeAll()
                var step = machine.turn(
                    taken: taken.events.map(Self.record(for:)),
                    oldestArrival: taken.oldestArrival,
                    closing: buffer.isClosing || Task.isCancelled,
                    now: .now
                )
                await perform(step.actions, timers: &timers)
                while case .readSpool(let maximumCount) = step.next {
                    let read: StateMachine.SpoolRead
                    switch await onSpoolQueue({ () throws(SpoolError) in try self.spool.read(maximumCount: maximumCount) }) {
                    case .success(let batch):
                        read = .records(batch.records, end: batch.end)
                    case .failure(let error):
                        logger.error("cannot read the event spool", metadata: ["error": "\(error)"])
                        read = .failed
                    }
                    step = machine.spoolRead(read, now: .now)
                    await perform(step.actions, timers: &timers)
                }
                counters.observe(buffered: buffer.count, inSpool: spool.statistics.records)
                guard case .waitForEvents(let count) = step.next else { break }
                await buffer.waitForEvents(atLeast: count)
            }
            timers.cancelAll()
        }
    }

    /// Carries out what the state machine asked for, in order.
    private func perform(_ actions: [StateMachine.Action], timers: inout DiscardingTaskGroup) async {
        for action in actions {
            switch action {
            case .publish(let id, let packed):
                counters.published(packed.reduce(0) { $0 + $1.records.count })
                transport.publish(packed.map(\.message)) { outcomes in
                    self.complete(.published(id: id, outcomes: outcomes))
                }
            case .replay(let id, let packed):
                counters.published(packed.reduce(0) { $0 + $1.records.count })
                transport.publish(packed.map(\.message)) { outcomes in
                    self.complete(.replayed(id: id, outcomes: outcomes))
                }
            case .spool(let records):
                await spool(records)
            case .removeFromSpool(let position):
                let removed = await onSpoolQueue { () throws(SpoolError) in try self.spool.remove(through: position) }
                if case .failure(let error) = removed {
                    logger.error("cannot advance the spool cursor: delivered events may be sent again", metadata: ["error": "\(error)"])
                }
            case .delivered(let count):
                counters.delivered(count)
            case .modeChanged(let isSpooling):
                counters.modeChanged(isSpooling: isSpooling)
            case .report(let report):
                log(report)
            case .wakeUp(let instant):
                // It only nudges the loop, which tolerates spurious wake-ups; cancelled when the loop ends.
                timers.addTask { [buffer, sleep] in
                    await sleep(instant)
                    buffer.wake()
                }
            }
        }
    }

    private func log(_ report: StateMachine.Report) {
        switch report {
        case .brokerSlow(let waiting):
            logger.warning(
                "the event broker is not keeping up: spooling events to disk until it catches up",
                metadata: ["waiting": "\(waiting)", "spool": "\(spool.directory)"]
            )
        case .publishFailed(let reason):
            logger.warning(
                "events not delivered: spooling them to disk until the broker takes them",
                metadata: ["reason": "\(reason)", "spool": "\(spool.directory)"]
            )
        case .brokerBack(let delivered):
            logger.notice("the event broker is back: spooled events delivered", metadata: ["events": "\(delivered)"])
        case .shutdownDeadlinePassed(let unconfirmed):
            logger.warning(
                "shutdown deadline passed before every event was confirmed: the rest is spooled for the next run",
                metadata: ["events": "\(unconfirmed)"]
            )
        }
    }

    private func complete(_ completion: Completion) {
        completions.withTracedLock { $0.append(completion) }
        buffer.wake()
    }

    // MARK: Spool

    private func spool(_ records: [EventSpool.Record]) async {
        guard !records.isEmpty else { return }
        let result = await onSpoolQueue { () throws(SpoolError) in try self.spool.append(records) }
        account(spooling: records.count, result: result)
    }

    private func account(spooling count: Int, result: Result<Int, SpoolError>) {
        switch result {
        case .success(let appended):
            counters.spooled(appended)
            if appended < count {
                counters.dropped(count - appended, reason: .spoolFull)
                logger.error(
                    "the event spool is full: events dropped",
                    metadata: ["dropped": "\(count - appended)", "spool": "\(spool.directory)", "limit": "\(spool.maximumBytes)"]
                )
            }
        case .failure(let error):
            counters.dropped(count, reason: .spoolError)
            logger.error("cannot write the event spool: events dropped", metadata: ["dropped": "\(count)", "error": "\(error)"])
        }
    }

    private func onSpoolQueue<T: Sendable>(_ work: @escaping @Sendable () throws(SpoolError) -> T) async -> Result<T, SpoolError> {
        await withCheckedContinuation { continuation in
            spoolQueue.async {
                continuation.resume(returning: Result { () throws(SpoolError) in try work() })
            }
        }
    }

    static func record(for event: Event) -> EventSpool.Record {
        EventSpool.Record(routingKey: event.routingKey, eventID: event.id, body: event.jsonBytes())
    }
}
