import Synchronization

/// A task that was enqueued: its id, and its result when the enqueue asked for one.
///
/// Results come through RabbitMQ's direct reply-to to the ``TaskClient`` that enqueued the task, once, while its
/// channel stays open: keep the handle to read the result; a handle dropped before the result came drops the result
/// too (nothing is left on the broker).
public struct TaskHandle<T: TaskDefinition>: Sendable {
    /// How an enqueue was accepted.
    public enum Acceptance: Sendable, Hashable {
        /// The broker confirmed the task (or the eager queue ran it): it is in its queue.
        case confirmed
        /// The broker could not take it: it is on the client's disk spool, and goes to the broker once it can
        /// (BeaconTasks' `TaskSpool`). A caller that must know the broker has it uses a client without a spool,
        /// which throws instead.
        case spooled
    }

    /// The task id (`id` header, `correlation_id`).
    public let id: String
    /// Whether the broker has it yet.
    public let acceptance: Acceptance
    package let slot: ResultSlot?

    package init(id: String, slot: ResultSlot?, acceptance: Acceptance = .confirmed) {
        self.id = id
        self.slot = slot
        self.acceptance = acceptance
    }

    /// The task's output, once a final state came: SUCCESS gives the output, FAILURE or REVOKED throws the
    /// ``TaskFailure``. Intermediate states (RETRY, PROGRESS…) are skipped.
    ///
    /// Throws ``TaskClientError`` with ``TaskClientError/Code/timeout`` when no final state came within `timeout` (the
    /// result may still come: call again), ``TaskClientError/Code/noResult`` when the enqueue asked for none,
    /// ``TaskClientError/Code/closed`` when the client's channel closed first; ``TaskDecodingError`` with
    /// ``TaskDecodingError/Code/invalidResult`` when the output does not decode.
    public func result(timeout: Duration) async throws -> T.Output {
        guard let slot else {
            throw TaskClientError(.noResult, "task \(T.name) \(id) was enqueued without asking for a result")
        }
        let message = try await slot.wait(timeout: timeout, task: T.name)
        return try message.output(for: T.self)
    }
}

/// The final result of one task, filled by the client's reply consumer and awaited by its handle's callers.
package final class ResultSlot: Sendable {
    package typealias Outcome = Result<TaskResultMessage, TaskClientError>

    package let taskID: String
    private let state = Mutex(State.pending(Waiters()))
    private let onDrop: @Sendable (String, ObjectIdentifier) -> Void

    private enum State {
        case pending(Waiters)
        case done(Outcome)
    }

    /// The callers waiting, and the outcomes of waits that ended (timeout, cancellation) before they began to wait.
    private struct Waiters {
        var waiting: [Int: CheckedContinuation<Outcome, Never>] = [:]
        var ended: [Int: Outcome] = [:]
    }

    package init(taskID: String, onDrop: @escaping @Sendable (String, ObjectIdentifier) -> Void) {
        self.taskID = taskID
        self.onDrop = onDrop
    }

    deinit { onDrop(taskID, ObjectIdentifier(self)) }

    /// Settles the slot (the first settlement wins) and wakes every waiter.
    package func settle(_ outcome: Outcome) {
        let waiters: [CheckedContinuation<Outcome, Never>] = state.withLock { state in
            guard case .pending(let waiters) = state else { return [] }
            state = .done(outcome)
            return Array(waiters.waiting.values)
        }
        for waiter in waiters { waiter.resume(returning: outcome) }
    }

    /// Ends one caller's wait with `outcome` (kept for it if it has not begun to wait).
    private func end(_ key: Int, with outcome: Outcome) {
        let waiter: CheckedContinuation<Outcome, Never>? = state.withLock { state in
            guard case .pending(var waiters) = state else { return nil }
            let waiter = waiters.waiting.removeValue(forKey: key)
            if waiter == nil { waiters.ended[key] = outcome }
            state = .pending(waiters)
            return waiter
        }
        waiter?.resume(returning: outcome)
    }

    private static let keys = Atomic<Int>(0)

    package func wait(timeout: Duration, task: String) async throws -> TaskResultMessage {
        // Settled already (the eager queue, a fast worker): no timer, no child task.
        let settled: Outcome? = state.withLock { state in
            guard case .done(let outcome) = state else { return nil }
            return outcome
        }
        if let settled { return try settled.get() }
        let key = Self.keys.add(1, ordering: .relaxed).newValue
        let taskID = taskID
        let outcome: Outcome = await withTaskGroup(of: Void.self) { group in
            group.addTask { [weak self] in
                let ended: TaskClientError
                do {
                    try await Task.sleep(for: timeout)
                    ended = TaskClientError(.timeout, "task \(task) \(taskID): no final result within \(timeout)")
                } catch {
                    ended = TaskClientError(.timeout, "task \(task) \(taskID): stopped waiting (cancelled)")
                }
                self?.end(key, with: .failure(ended))
            }
            let outcome = await withCheckedContinuation { continuation in
                let early: Outcome? = state.withLock { state in
                    switch state {
                    case .done(let outcome): return outcome
                    case .pending(var waiters):
                        if let ended = waiters.ended.removeValue(forKey: key) {
                            state = .pending(waiters)
                            return ended
                        }
                        waiters.waiting[key] = continuation
                        state = .pending(waiters)
                        return nil
                    }
                }
                if let early { continuation.resume(returning: early) }
            }
            group.cancelAll()
            return outcome
        }
        // A wait that ended before the result leaves nothing behind.
        state.withLock { state in
            if case .pending(var waiters) = state {
                waiters.ended[key] = nil
                state = .pending(waiters)
            }
        }
        return try outcome.get()
    }
}
