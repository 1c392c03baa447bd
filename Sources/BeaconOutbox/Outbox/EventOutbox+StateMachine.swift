extension EventOutbox {
    /// The outbox loop's ordering rules as a value: it takes what happened (events taken from the buffer, a publish
    /// or a replay settled, a spool read, the time) and returns what to do; ``EventOutbox`` only carries it out.
    ///
    /// The rules it keeps:
    /// - Publishing directly, events go out as they leave the buffer, a linger and the publish slots permitting;
    ///   while every slot is busy and ``Configuration/spoolThreshold`` events wait, it switches to spooling.
    /// - What failed publishes carried is spooled in publish order: a failure waits until every earlier publish has
    ///   settled, and events taken later wait until every publish in flight has settled.
    /// - While spooling, the spool is replayed one batch at a time after the retry delay (doubling, with jitter, up
    ///   to its upper bound); it switches back to publishing directly only once the spool reads empty and nothing is
    ///   in flight.
    /// - On shutdown it publishes everything at once (no linger, no slot limit, no replay) and stops when nothing is
    ///   pending or unconfirmed; past the shutdown deadline it spools whatever is not confirmed, in the order the
    ///   events left the buffer, and stops.
    struct StateMachine {
        typealias Instant = ContinuousClock.Instant

        /// How the outbox delivers now.
        enum Mode: Equatable {
            /// Publishing straight from the buffer.
            case direct
            /// Events go to the spool; it is replayed from `nextAttempt` on; `replayed` events were delivered from it
            /// since it began.
            case spooling(nextAttempt: Instant, delay: Duration, replayed: Int)
        }

        /// Something the outbox does for the machine.
        enum Action {
            /// Hand these messages to the transport; report the outcomes with ``StateMachine/published(id:outcomes:now:)``.
            case publish(id: UInt64, [MessagePacker.Packed])
            /// Hand this batch read from the spool to the transport; report with ``StateMachine/replayed(id:outcomes:now:)``.
            case replay(id: UInt64, [MessagePacker.Packed])
            /// Append these records to the spool, in this order.
            case spool([EventSpool.Record])
            /// Forget what the spool holds up to `position`: it was delivered.
            case removeFromSpool(through: EventSpool.Position)
            /// The transport confirmed this many events.
            case delivered(Int)
            /// Publishing switched between direct and spooling.
            case modeChanged(isSpooling: Bool)
            /// Something an operator should read in the log.
            case report(Report)
            /// Wake the loop up at this instant even if nothing else happens.
            case wakeUp(at: Instant)
        }

        /// What the log says, and why.
        enum Report: Equatable {
            /// Every publish slot is busy and `waiting` events wait: the broker is not keeping up.
            case brokerSlow(waiting: Int)
            /// A direct publish failed: spooling until the broker takes events again.
            case publishFailed(reason: String)
            /// The spool has been replayed: `delivered` events from it.
            case brokerBack(delivered: Int)
            /// The shutdown deadline passed with `unconfirmed` events published and not confirmed (now spooled).
            case shutdownDeadlinePassed(unconfirmed: Int)
        }

        /// What the loop does once it has carried out a step's actions.
        enum Next: Equatable {
            /// Sleep until the buffer holds this many events (or a wake-up).
            case waitForEvents(atLeast: Int)
            /// Read up to this many records from the spool's cursor; report with ``StateMachine/spoolRead(_:now:)``.
            case readSpool(maximumCount: Int)
            /// Everything is confirmed or spooled after shutdown: the loop ends.
            case stop
        }

        /// What an input asks the outbox to do, in order, and what comes after.
        struct Step {
            var actions: [Action]
            var next: Next
        }

        /// What a spool read returned.
        enum SpoolRead {
            case records([EventSpool.Record], end: EventSpool.Position)
            case failed
        }

        let configuration: Configuration
        let packer: MessagePacker
        /// The random part added to each longer retry delay, given that delay.
        let jitter: (Duration) -> Duration

        private(set) var mode: Mode
        /// Records taken from the buffer and not yet published or spooled.
        private(set) var pending: [EventSpool.Record] = []
        /// Publishes awaiting their outcomes, by id (ids follow the order events left the buffer): the records of each
        /// message.
        private(set) var inFlight: [UInt64: [[EventSpool.Record]]] = [:]
        /// What failed publishes carried, by id, until every earlier publish has settled.
        private(set) var failed: [UInt64: [EventSpool.Record]] = [:]
        /// The replay awaiting its outcomes: its id, where it ends in the spool, its events and its messages.
        private(set) var replay: (id: UInt64, end: EventSpool.Position, events: Int, messages: Int)?
        private var nextID: UInt64 = 0
        /// When the oldest of `pending` came into the buffer.
        private var pendingSince: Instant?
        /// Events the last direct publish carried: how busy the outbox is, for ``Configuration/linger``.
        private var lastPublishCount = 0
        /// The wake-up asked for last.
        private var wakeUpAt: Instant?
        /// How many new events are worth waking the loop for.
        private var eventsAwaited = 1
        private(set) var shutdownDeadline: Instant?

        /// A machine that starts spooling (and replays after the first retry delay) when the spool holds events from
        /// an earlier run.
        init(
            configuration: Configuration,
            spoolIsEmpty: Bool,
            now: Instant,
            jitter: @escaping (Duration) -> Duration = Self.randomJitter
        ) {
            self.configuration = configuration
            self.packer = MessagePacker(
                maximumEventsPerMessage: configuration.maximumEventsPerMessage,
                maximumMessageBytes: configuration.maximumMessageBytes
            )
            self.jitter = jitter
            self.mode = .direct
            if !spoolIsEmpty { mode = spoolingNow(now) }
        }

        /// Up to a fifth of `delay`, at random.
        static func randomJitter(_ delay: Duration) -> Duration {
            let milliseconds = delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
            return .milliseconds(Int64.random(in: 0...max(Int64(1), milliseconds / 5)))
        }

        var isSpooling: Bool { mode != .direct }

        // MARK: Inputs

        /// A loop turn: `taken` left the buffer (the oldest of them at `oldestArrival`); `closing` once shutdown has
        /// begun.
        mutating func turn(taken: [EventSpool.Record], oldestArrival: Instant?, closing: Bool, now: Instant) -> Step {
            var actions: [Action] = []
            eventsAwaited = 1
            if pending.isEmpty { pendingSince = oldestArrival }
            pending += taken
            if closing, shutdownDeadline == nil { shutdownDeadline = now.advanced(by: configuration.shutdownDeadline) }
            let readsSpool =
                switch mode {
                case .direct: publishPending(closing: closing, now: now, &actions)
                case .spooling: spoolPendingOrReplay(closing: closing, now: now, &actions)
                }
            if readsSpool {
                return Step(
                    actions: actions,
                    next: .readSpool(maximumCount: configuration.maximumEventsPerMessage * configuration.maximumPublishesInFlight)
                )
            }
            if closing, finishClosing(now: now, &actions) { return Step(actions: actions, next: .stop) }
            return Step(actions: actions, next: .waitForEvents(atLeast: eventsAwaited))
        }

        /// The spool read that ``Next/readSpool(maximumCount:)`` asked for returned.
        mutating func spoolRead(_ read: SpoolRead, now: Instant) -> Step {
            var actions: [Action] = []
            guard case .spooling(_, let delay, let replayed) = mode else {
                return Step(actions: actions, next: .waitForEvents(atLeast: eventsAwaited))
            }
            switch read {
            case .failed:
                retryLater(after: delay, replayed: replayed, now: now, &actions)
            case .records(let records, _) where records.isEmpty:
                // Caught up. Direct publishes still in flight may yet fail and spool again; switch back only after them.
                guard inFlight.isEmpty else { break }
                if replayed > 0 { actions.append(.report(.brokerBack(delivered: replayed))) }
                setMode(.direct, &actions)
            case .records(let records, let end):
                let id = takeID()
                let packed = packer.pack(records)
                replay = (id, end, records.count, packed.count)
                actions.append(.replay(id: id, packed))
            }
            return Step(actions: actions, next: .waitForEvents(atLeast: eventsAwaited))
        }

        /// The transport reported the outcomes of publish `id`, one per message.
        mutating func published(id: UInt64, outcomes: [TransportOutcome], now: Instant) -> [Action] {
            // An abandoned publish (past the shutdown deadline) was spooled already.
            guard let messages = inFlight.removeValue(forKey: id) else { return [] }
            var actions: [Action] = []
            var undelivered: [EventSpool.Record] = []
            var delivered = 0
            var reason: String?
            for (index, records) in messages.enumerated() {
                switch index < outcomes.count ? outcomes[index] : .failed(reason: "no outcome reported") {
                case .confirmed:
                    delivered += records.count
                case .failed(let why):
                    undelivered += records
                    reason = reason ?? why
                }
            }
            if delivered > 0 { actions.append(.delivered(delivered)) }
            if !undelivered.isEmpty {
                if mode == .direct {
                    actions.append(.report(.publishFailed(reason: reason ?? "unknown")))
                    setMode(spoolingNow(now), &actions)
                }
                failed[id] = undelivered
            }
            spoolSettledFailures(&actions)
            return actions
        }

        /// The transport reported the outcomes of replay `id`, one per message.
        mutating func replayed(id: UInt64, outcomes: [TransportOutcome], now: Instant) -> [Action] {
            guard let replay, replay.id == id else { return [] }
            self.replay = nil
            guard case .spooling(_, let delay, let replayed) = mode else { return [] }
            var actions: [Action] = []
            if outcomes.count == replay.messages, outcomes.allSatisfy(\.isConfirmed) {
                actions.append(.delivered(replay.events))
                actions.append(.removeFromSpool(through: replay.end))
                mode = .spooling(nextAttempt: now, delay: configuration.retryDelay.lowerBound, replayed: replayed + replay.events)
            } else {
                // The whole batch stays in the spool; what was confirmed of it may be delivered twice.
                retryLater(after: delay, replayed: replayed, now: now, &actions)
            }
            return actions
        }

        // MARK: Rules

        /// Publishes what is pending, lingers, waits for a slot, or switches to spooling; true when the spool is to be
        /// read.
        private mutating func publishPending(closing: Bool, now: Instant, _ actions: inout [Action]) -> Bool {
            guard !pending.isEmpty else { return false }
            if inFlight.count < configuration.maximumPublishesInFlight || closing {
                if !closing, let linger = configuration.linger, let since = pendingSince,
                    let lingerUntil = linger.deadline(pending: pending.count, since: since, lastPublished: lastPublishCount),
                    now < lingerUntil
                {
                    wakeUp(at: lingerUntil, now: now, &actions)
                    eventsAwaited = linger.events - pending.count
                    return false
                }
                lastPublishCount = pending.count
                let id = takeID()
                let packed = packer.pack(pending)
                pending.removeAll(keepingCapacity: true)
                inFlight[id] = packed.map(\.records)
                actions.append(.publish(id: id, packed))
                return false
            }
            if pending.count < configuration.spoolThreshold {
                // A completion wakes the loop when a slot frees up; until then, only enough events to spool.
                eventsAwaited = configuration.spoolThreshold - pending.count
                return false
            }
            actions.append(.report(.brokerSlow(waiting: pending.count)))
            setMode(spoolingNow(now), &actions)
            return spoolPendingOrReplay(closing: closing, now: now, &actions)
        }

        /// Spools what is pending once nothing taken before it is unsettled; true when the spool is due to be read.
        private mutating func spoolPendingOrReplay(closing: Bool, now: Instant, _ actions: inout [Action]) -> Bool {
            if !pending.isEmpty, inFlight.isEmpty, failed.isEmpty {
                actions.append(.spool(pending))
                pending.removeAll(keepingCapacity: true)
            }
            guard case .spooling(let nextAttempt, _, _) = mode, replay == nil, !closing else { return false }
            guard now >= nextAttempt else {
                wakeUp(at: nextAttempt, now: now, &actions)
                return false
            }
            return true
        }

        /// Spools what failed publishes carried, in publish order: each once every earlier publish has settled.
        private mutating func spoolSettledFailures(_ actions: inout [Action]) {
            let oldestInFlight = inFlight.keys.min() ?? .max
            let settled = failed.keys.filter { $0 < oldestInFlight }.sorted()
            guard !settled.isEmpty else { return }
            actions.append(.spool(settled.flatMap { failed.removeValue(forKey: $0)! }))
        }

        /// True when everything is confirmed or spooled; past the deadline, spools what is still unconfirmed.
        private mutating func finishClosing(now: Instant, _ actions: inout [Action]) -> Bool {
            if pending.isEmpty, inFlight.isEmpty, failed.isEmpty, replay == nil { return true }
            guard let deadline = shutdownDeadline, now >= deadline else {
                if let deadline = shutdownDeadline { wakeUp(at: deadline, now: now, &actions) }
                return false
            }
            // In the order the events left the buffer: what failed or is unconfirmed, by publish, then what waits.
            let unconfirmed = inFlight.mapValues { $0.flatMap { $0 } }
            let unsettled = unconfirmed.merging(failed) { inFlight, _ in inFlight }
            let records = unsettled.keys.sorted().flatMap { unsettled[$0]! } + pending
            inFlight.removeAll()
            failed.removeAll()
            pending.removeAll()
            if !records.isEmpty { actions.append(.spool(records)) }
            actions.append(.report(.shutdownDeadlinePassed(unconfirmed: unconfirmed.values.reduce(0) { $0 + $1.count })))
            return true
        }

        // MARK: Helpers

        private mutating func takeID() -> UInt64 {
            defer { nextID += 1 }
            return nextID
        }

        private mutating func setMode(_ mode: Mode, _ actions: inout [Action]) {
            let wasSpooling = isSpooling
            self.mode = mode
            if isSpooling != wasSpooling { actions.append(.modeChanged(isSpooling: isSpooling)) }
        }

        private func spoolingNow(_ now: Instant) -> Mode {
            .spooling(nextAttempt: now.advanced(by: configuration.retryDelay.lowerBound), delay: configuration.retryDelay.lowerBound, replayed: 0)
        }

        /// Waits longer before the next replay (doubling the delay, with jitter, up to the upper bound).
        private mutating func retryLater(after delay: Duration, replayed: Int, now: Instant, _ actions: inout [Action]) {
            let longer = min(delay * 2, configuration.retryDelay.upperBound)
            let next = longer + jitter(longer)
            mode = .spooling(nextAttempt: now.advanced(by: next), delay: next, replayed: replayed)
            wakeUp(at: now.advanced(by: next), now: now, &actions)
        }

        /// Asks for a wake-up at `instant` unless one already comes by then.
        private mutating func wakeUp(at instant: Instant, now: Instant, _ actions: inout [Action]) {
            if let scheduled = wakeUpAt, scheduled > now, scheduled <= instant { return }
            wakeUpAt = instant
            actions.append(.wakeUp(at: instant))
        }
    }
}
