import BeaconEvents
import BeaconSynchronization
import DequeModule
import Synchronization

/// The outbox's bounded memory buffer: producers append without waiting; one consumer takes everything at once.
///
/// The consumer sleeps in ``waitForEvents(atLeast:)`` and is woken only when the buffer reaches the count it asked for
/// (or by ``wake()``), so a busy producer pays for one wake-up per batch, not one per event.
final class EventBuffer: Sendable {
    enum AppendResult {
        case accepted
        /// The buffer holds its capacity: the event was not taken.
        case full
        /// The buffer is closed: nothing will drain it any more.
        case closed
    }

    private struct State: ~Copyable {
        var events: Deque<Event> = []
        /// When the oldest of `events` came in.
        var oldestArrival: ContinuousClock.Instant?
        var waiter: CheckedContinuation<Void, Never>?
        /// How many events wake the waiter.
        var wakeCount = 1
        /// A ``wake()`` that came while nobody waited: the next wait returns at once.
        var isWakePending = false
        var isClosing = false
        var isClosed = false
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    var count: Int { state.withTracedLock { $0.events.count } }

    /// True once graceful shutdown has begun.
    var isClosing: Bool { state.withTracedLock { $0.isClosing } }

    func append(_ event: Event) -> AppendResult {
        let (result, waiter) = state.withTracedLock { state -> (AppendResult, CheckedContinuation<Void, Never>?) in
            if state.isClosed { return (.closed, nil) }
            guard state.events.count < capacity else { return (.full, nil) }
            if state.events.isEmpty { state.oldestArrival = .now }
            state.events.append(event)
            guard state.events.count >= state.wakeCount else { return (.accepted, nil) }
            let waiter = state.waiter
            state.waiter = nil
            return (.accepted, waiter)
        }
        waiter?.resume()
        return result
    }

    /// Everything buffered, oldest first, and when the oldest came in; the buffer is left empty.
    func takeAll() -> (events: [Event], oldestArrival: ContinuousClock.Instant?) {
        state.withTracedLock { state in
            let taken = (events: Array(state.events), oldestArrival: state.oldestArrival)
            state.events.removeAll(keepingCapacity: true)
            state.oldestArrival = nil
            return taken
        }
    }

    /// Returns when the buffer holds `count` events (at most its capacity), on ``wake()``, when closing begins, or
    /// when the task is cancelled.
    func waitForEvents(atLeast count: Int = 1) async {
        let wakeCount = min(max(1, count), capacity)
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withTracedLock { state in
                    if state.isWakePending || state.events.count >= wakeCount || state.isClosing || Task.isCancelled {
                        state.isWakePending = false
                        return true
                    }
                    state.waiter = continuation
                    state.wakeCount = wakeCount
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            wake()
        }
    }

    /// Wakes the consumer (now, or at its next wait).
    func wake() {
        let waiter = state.withTracedLock { state in
            let waiter = state.waiter
            state.waiter = nil
            if waiter == nil { state.isWakePending = true }
            return waiter
        }
        waiter?.resume()
    }

    /// Starts graceful shutdown: wakes the consumer so that it can flush.
    func beginClosing() {
        state.withTracedLock { $0.isClosing = true }
        wake()
    }

    /// Closes the buffer and returns what it still held. Later appends get `.closed`.
    func close() -> [Event] {
        state.withTracedLock { state in
            state.isClosing = true
            state.isClosed = true
            let events = Array(state.events)
            state.events.removeAll()
            return events
        }
    }
}
