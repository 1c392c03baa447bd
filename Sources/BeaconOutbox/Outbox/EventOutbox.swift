public import BeaconEvents
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
        public var enqueued: Int
        /// Events handed to the transport (each attempt counts).
        public var published: Int
        /// Events the transport confirmed.
        public var delivered: Int
        /// Events written to the spool.
        public var spooled: Int
        public var droppedBufferFull: Int
        public var droppedSpoolFull: Int
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

    public let configuration: Configuration
    private let transport: any EventTransport
    private let spool: EventSpool
    private let packer: MessagePacker
    private let buffer: EventBuffer
    private let completions = Mutex<[Completion]>([])
    private let counters: OutboxCounters
    private let logger: Logger
    /// Blocking spool I/O runs here, never on the cooperative pool.
    private let spoolQueue = DispatchQueue(label: "beacon.outbox.spool")

    public init(
        transport: some EventTransport,
        spool: EventSpool,
        configuration: Configuration = .init(),
        logger: Logger = Logger(label: "beacon.outbox")
    ) {
        self.configuration = configuration
        self.transport = transport
        self.spool = spool
        self.packer = MessagePacker(
            maximumEventsPerMessage: configuration.maximumEventsPerMessage,
            maximumMessageBytes: configuration.maximumMessageBytes
        )
        self.buffer = EventBuffer(capacity: configuration.bufferCapacity)
        self.counters = OutboxCounters(spooledAtStart: spool.statistics.records)
        self.logger = logger
    }

    /// Hands an event to the outbox. Never blocks; returns false when the buffer is full and the event was dropped
    /// (and counted).
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
            // The loop has ended (after shutdown): nothing drains the buffer any more, so the event goes to disk.
            let result = Result { () throws(SpoolError) in try spool.append([Self.record(for: event)]) }
            account(spooling: 1, result: result)
            return true
        }
    }

    public var statistics: Statistics {
        counters.snapshot(buffered: buffer.count, inSpool: spool.statistics.records)
    }

    /// Delivers until graceful shutdown or cancellation, then flushes within the deadline and returns.
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

    private enum Mode {
        /// Publishing straight from the buffer.
        case direct
        /// Events go to the spool; it is replayed from `nextAttempt` on.
        case spooling(nextAttempt: ContinuousClock.Instant, delay: Duration, replayed: Int)

        var isSpooling: Bool {
            if case .spooling = self { return true }
            return false
        }
    }

    private enum Completion {
        case published(id: UInt64, outcomes: [TransportOutcome])
        case replayed(id: UInt64, outcomes: [TransportOutcome])
    }

    private struct LoopState {
        var mode: Mode
        /// Records taken from the buffer and not yet published or spooled.
        var pending: [EventSpool.Record] = []
        /// Publishes awaiting their confirms, by id (ids follow the order events left the buffer).
        var inFlight: [UInt64: [MessagePacker.Packed]] = [:]
        /// What publishes that failed carried, by id, until every earlier publish has settled: the spool takes events
        /// in the order they left the buffer.
        var failed: [UInt64: [EventSpool.Record]] = [:]
        /// The replay awaiting its confirms: its id, where it ends in the spool, and how many events it carries.
        var replay: (id: UInt64, end: EventSpool.Position, count: Int, messages: Int)?
        var nextID: UInt64 = 0
        /// When the oldest of `pending` came into the buffer.
        var pendingSince: ContinuousClock.Instant?
        /// Events the last direct publish carried: how busy the outbox is, for ``Configuration/linger``.
        var lastPublishCount = 0
        /// When the loop has asked to be woken up by a timer.
        var wakeUpAt: ContinuousClock.Instant?
        /// How many new events are worth waking the loop for: more than one while a publish waits for a free slot or
        /// lingers, so that a busy producer does not wake it for every event.
        var eventsAwaited = 1
        var shutdownDeadline: ContinuousClock.Instant?
    }

    private func deliverUntilClosed() async {
        var state = LoopState(mode: spool.isEmpty ? .direct : spoolingNow())
        counters.modeChanged(isSpooling: state.mode.isSpooling)
        while true {
            state.eventsAwaited = 1
            await handleCompletions(&state)
            let taken = buffer.takeAll()
            if state.pending.isEmpty { state.pendingSince = taken.oldestArrival }
            state.pending += taken.events.map(Self.record(for:))
            let closing = buffer.isClosing || Task.isCancelled
            if closing, state.shutdownDeadline == nil {
                state.shutdownDeadline = .now.advanced(by: configuration.shutdownDeadline)
            }
            switch state.mode {
            case .direct:
                await publishPending(&state, closing: closing)
            case .spooling:
                await spoolPendingAndReplay(&state, closing: closing)
            }
            counters.observe(buffered: buffer.count, inSpool: spool.statistics.records)
            if closing, await finishClosing(&state) { return }
            await buffer.waitForEvents(atLeast: state.eventsAwaited)
        }
    }

    /// Switches the delivery mode; the spooling gauge and ``Statistics/isSpooling`` follow at once.
    private func setMode(_ mode: Mode, in state: inout LoopState) {
        state.mode = mode
        counters.modeChanged(isSpooling: mode.isSpooling)
    }

    private func publishPending(_ state: inout LoopState, closing: Bool) async {
        guard !state.pending.isEmpty else { return }
        if state.inFlight.count < configuration.maximumPublishesInFlight || closing {
            if !closing, let linger = configuration.linger, let since = state.pendingSince,
                let lingerUntil = linger.deadline(pending: state.pending.count, since: since, lastPublished: state.lastPublishCount),
                ContinuousClock.now < lingerUntil
            {
                wakeUp(at: lingerUntil, &state)
                state.eventsAwaited = linger.events - state.pending.count
                return
            }
            let records = state.pending
            state.lastPublishCount = records.count
            state.pending.removeAll(keepingCapacity: true)
            let id = state.nextID
            state.nextID += 1
            let packed = packer.pack(records)
            state.inFlight[id] = packed
            counters.published(records.count)
            transport.publish(packed.map(\.message)) { outcomes in
                self.complete(.published(id: id, outcomes: outcomes))
            }
        } else if state.pending.count < configuration.spoolThreshold {
            // A completion wakes the loop when a slot frees up; until then, only enough events to spool.
            state.eventsAwaited = configuration.spoolThreshold - state.pending.count
        } else {
            logger.warning(
                "the event broker is not keeping up: spooling events to disk until it catches up",
                metadata: ["waiting": "\(state.pending.count)", "spool": "\(spool.directory)"]
            )
            setMode(spoolingNow(), in: &state)
            await spoolPendingAndReplay(&state, closing: closing)
        }
    }

    private func spoolPendingAndReplay(_ state: inout LoopState, closing: Bool) async {
        // Pending events are newer than any publish in flight: they wait until those have settled (and spooled what
        // failed), so that they do not overtake them in the spool.
        if !state.pending.isEmpty, state.inFlight.isEmpty, state.failed.isEmpty {
            await spool(state.pending)
            state.pending.removeAll(keepingCapacity: true)
        }
        guard case .spooling(let nextAttempt, let delay, let replayed) = state.mode, state.replay == nil, !closing else { return }
        guard ContinuousClock.now >= nextAttempt else {
            wakeUp(at: nextAttempt, &state)
            return
        }
        let batchSize = configuration.maximumEventsPerMessage * configuration.maximumPublishesInFlight
        switch await onSpoolQueue({ () throws(SpoolError) in try self.spool.read(maximumCount: batchSize) }) {
        case .failure(let error):
            logger.error("cannot read the event spool", metadata: ["error": "\(error)"])
            let next = nextDelay(after: delay)
            state.mode = .spooling(nextAttempt: .now.advanced(by: next), delay: next, replayed: replayed)
            wakeUp(at: .now.advanced(by: next), &state)
        case .success(let batch) where batch.records.isEmpty:
            // Caught up. Direct publishes still in flight may yet fail and spool again; switch back only after them.
            guard state.inFlight.isEmpty else { return }
            if replayed > 0 {
                logger.notice("the event broker is back: spooled events delivered", metadata: ["events": "\(replayed)"])
            }
            setMode(.direct, in: &state)
        case .success(let batch):
            let id = state.nextID
            state.nextID += 1
            let messages = packer.pack(batch.records).map(\.message)
            state.replay = (id, batch.end, batch.records.count, messages.count)
            counters.published(batch.records.count)
            transport.publish(messages) { outcomes in
                self.complete(.replayed(id: id, outcomes: outcomes))
            }
        }
    }

    private func handleCompletions(_ state: inout LoopState) async {
        for completion in completions.withLock({ completions in
            defer { completions.removeAll(keepingCapacity: true) }
            return completions
        }) {
            switch completion {
            case .published(let id, let outcomes):
                // An abandoned publish (past the shutdown deadline) was spooled already.
                guard let packed = state.inFlight.removeValue(forKey: id) else { continue }
                var failed: [EventSpool.Record] = []
                var reason: String?
                for (index, message) in packed.enumerated() {
                    let outcome = index < outcomes.count ? outcomes[index] : .failed(reason: "no outcome reported")
                    switch outcome {
                    case .confirmed:
                        counters.delivered(message.records.count)
                    case .failed(let why):
                        failed += message.records
                        reason = reason ?? why
                    }
                }
                guard !failed.isEmpty else { continue }
                if case .direct = state.mode {
                    logger.warning(
                        "events not delivered: spooling them to disk until the broker takes them",
                        metadata: ["reason": "\(reason ?? "unknown")", "spool": "\(spool.directory)"]
                    )
                    setMode(spoolingNow(), in: &state)
                }
                state.failed[id] = failed
            case .replayed(let id, let outcomes):
                guard let replay = state.replay, replay.id == id else { continue }
                state.replay = nil
                guard case .spooling(_, let delay, let replayed) = state.mode else { continue }
                if outcomes.count == replay.messages, outcomes.allSatisfy(\.isConfirmed) {
                    counters.delivered(replay.count)
                    let removed = await onSpoolQueue { () throws(SpoolError) in try self.spool.remove(through: replay.end) }
                    if case .failure(let error) = removed {
                        logger.error("cannot advance the spool cursor: delivered events may be sent again", metadata: ["error": "\(error)"])
                    }
                    state.mode = .spooling(nextAttempt: .now, delay: configuration.retryDelay.lowerBound, replayed: replayed + replay.count)
                } else {
                    // The whole batch stays in the spool; what was confirmed of it may be delivered twice.
                    let next = nextDelay(after: delay)
                    state.mode = .spooling(nextAttempt: .now.advanced(by: next), delay: next, replayed: replayed)
                }
            }
        }
        await spoolSettledFailures(&state)
    }

    /// Spools what failed publishes carried, in publish order: each once every earlier publish has settled.
    private func spoolSettledFailures(_ state: inout LoopState) async {
        let oldestInFlight = state.inFlight.keys.min() ?? .max
        let settled = state.failed.keys.filter { $0 < oldestInFlight }.sorted()
        guard !settled.isEmpty else { return }
        await spool(settled.flatMap { state.failed.removeValue(forKey: $0)! })
    }

    /// Returns true when everything is confirmed or spooled; past the deadline, spools what is still in flight.
    private func finishClosing(_ state: inout LoopState) async -> Bool {
        if state.pending.isEmpty, state.inFlight.isEmpty, state.failed.isEmpty, state.replay == nil { return true }
        guard let deadline = state.shutdownDeadline, ContinuousClock.now >= deadline else {
            if let deadline = state.shutdownDeadline { wakeUp(at: deadline, &state) }
            return false
        }
        // In the order the events left the buffer: what failed or is unconfirmed, by publish, then what waits.
        let unconfirmed = state.inFlight.mapValues { $0.flatMap(\.records) }
        let unsettled = unconfirmed.merging(state.failed) { inFlight, _ in inFlight }
        state.inFlight.removeAll()
        state.failed.removeAll()
        await spool(unsettled.keys.sorted().flatMap { unsettled[$0]! } + state.pending)
        state.pending.removeAll()
        logger.warning(
            "shutdown deadline passed before every event was confirmed: the rest is spooled for the next run",
            metadata: ["events": "\(unconfirmed.values.reduce(0) { $0 + $1.count })"]
        )
        return true
    }

    private func complete(_ completion: Completion) {
        completions.withLock { $0.append(completion) }
        buffer.wake()
    }

    /// Makes sure the loop wakes up at `instant` even if nothing else happens.
    private func wakeUp(at instant: ContinuousClock.Instant, _ state: inout LoopState) {
        if let scheduled = state.wakeUpAt, scheduled > .now, scheduled <= instant { return }
        state.wakeUpAt = instant
        let buffer = buffer
        // A timer, not awaited by anyone: it only nudges the loop, which tolerates spurious wake-ups.
        Task {
            try? await Task.sleep(until: instant, clock: .continuous)
            buffer.wake()
        }
    }

    private func spoolingNow() -> Mode {
        .spooling(nextAttempt: .now.advanced(by: configuration.retryDelay.lowerBound), delay: configuration.retryDelay.lowerBound, replayed: 0)
    }

    private func nextDelay(after delay: Duration) -> Duration {
        let next = min(delay * 2, configuration.retryDelay.upperBound)
        let jitterLimit = max(Int64(1), next.totalMilliseconds / 5)
        return next + .milliseconds(Int64.random(in: 0...jitterLimit))
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

extension Duration {
    fileprivate var totalMilliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
