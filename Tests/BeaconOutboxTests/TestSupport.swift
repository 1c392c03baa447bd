import BeaconEvents
import BeaconSynchronization
import Foundation
import Synchronization

@testable import BeaconOutbox

/// A transport that confirms every message at once and remembers what it was handed.
final class ConfirmingTransport: EventTransport {
    let messages = Mutex<[OutboxMessage]>([])

    func publish(_ messages: [OutboxMessage], completion: @escaping @Sendable ([TransportOutcome]) -> Void) {
        self.messages.withTracedLock { $0 += messages }
        completion(Array(repeating: .confirmed, count: messages.count))
    }
}

/// A gate that a blocking call (the spool's sync hook) passes: while closed, it holds every caller until opened.
final class Gate: @unchecked Sendable {
    // `condition` guards the two variables below.
    private let condition = NSCondition()
    private var isClosed = false
    private var arrivals = 0

    func close() {
        condition.withLock { isClosed = true }
    }

    func open() {
        condition.withLock {
            isClosed = false
            condition.broadcast()
        }
    }

    /// Called by the code under test: counts the arrival and waits while the gate is closed.
    func pass() {
        condition.withLock {
            arrivals += 1
            condition.broadcast()
            while isClosed { condition.wait() }
        }
    }

    /// Blocks until `count` callers have arrived; false if they have not within `limit` (the test then fails
    /// instead of hanging).
    func waitForArrivals(_ count: Int, limit: TimeInterval = 30) -> Bool {
        let deadline = Date(timeIntervalSinceNow: limit)
        return condition.withLock {
            while arrivals < count {
                if !condition.wait(until: deadline) { return false }
            }
            return true
        }
    }
}

/// Runs `work` on a thread of its own; ``finished(within:)`` says whether it has returned, ``value`` what it returned.
/// A call that blocks on the old code makes the test fail (after `limit`) instead of hanging it.
final class BlockingCall<Value: Sendable>: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let result = Mutex<Value?>(nil)

    init(_ work: @escaping @Sendable () -> Value) {
        Thread {
            let value = work()
            self.result.withTracedLock { $0 = value }
            self.done.signal()
        }.start()
    }

    /// What `work` returned; nil until it has.
    var value: Value? { result.withTracedLock { $0 } }

    func finished(within limit: TimeInterval = 30) -> Bool {
        done.wait(timeout: .now() + limit) == .success
    }
}
