import Synchronization

/// How a run under time limits ended.
enum LimitedRun: Sendable {
    /// The handler returned; `softLimitReached` when the soft limit had cancelled its task first.
    case finished(HandlerOutcome, softLimitReached: Bool)
    /// The hard limit came first: the handler may still be running, its outcome will be dropped.
    case hardLimitReached
    /// The worker's own task was cancelled (not a graceful shutdown): the run's outcome is unknown.
    case interrupted
}

extension TaskRunner {
    /// Runs `operation` in a task of its own, cancels that task at the soft limit, and stops waiting for it at the
    /// hard limit. Without limits it runs `operation` inline.
    static func run(within limits: TaskTimeLimits, _ operation: @escaping @Sendable () async -> HandlerOutcome) async -> LimitedRun {
        guard limits.soft != nil || limits.hard != nil else { return .finished(await operation(), softLimitReached: false) }
        let (outcomes, continuation) = AsyncStream.makeStream(of: LimitedRun.self, bufferingPolicy: .bufferingOldest(1))
        let softLimitReached = SoftLimitFlag()
        let work = Task {
            let outcome = await operation()
            continuation.yield(.finished(outcome, softLimitReached: softLimitReached.isSet))
            continuation.finish()
        }
        let timer = Task {
            let start = ContinuousClock.now
            if let soft = limits.soft, limits.hard.map({ soft < $0 }) ?? true {
                try await Task.sleep(until: start + soft)
                softLimitReached.set()
                work.cancel()
            }
            if let hard = limits.hard {
                try await Task.sleep(until: start + hard)
                work.cancel()
                continuation.yield(.hardLimitReached)
                continuation.finish()
            }
        }
        var iterator = outcomes.makeAsyncIterator()
        let first = await withTaskCancellationHandler {
            await iterator.next()
        } onCancel: {
            work.cancel()
        }
        timer.cancel()
        return first ?? .interrupted
    }
}

/// Set once the soft limit has cancelled a run.
private final class SoftLimitFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .acquiring) }
    func set() { flag.store(true, ordering: .releasing) }
}
