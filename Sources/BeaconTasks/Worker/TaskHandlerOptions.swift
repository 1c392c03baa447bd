/// How a ``TaskWorker`` runs one registered task: when a failed run is retried, and how long a run may take.
///
/// ```swift
/// worker.register(SendReceipt.self, queue: "shop",
///                 options: TaskHandlerOptions(retry: RetryPolicy(maximumAttempts: 5),
///                                             retryWhen: { $0 is SMTPError },
///                                             timeLimits: TaskTimeLimits(soft: .seconds(30), hard: .seconds(60)))) { … }
/// ```
///
/// **Retries.** A run that throws an error `retryWhen` accepts, or throws ``TaskRetry``, runs again while ``retry``
/// allows (``RetryPolicy/maximumAttempts`` runs in all, counted by the message's `retries` header): the worker
/// publishes the next attempt (same id, `retries` + 1, an `eta`) through the broker's delay ladder, waits for the
/// broker's confirm, and only then acknowledges the failed run. Nothing waits in the worker. Attempts used up: the
/// message goes to the dead letters with reason ``TaskDeadLetter/retriesExhausted``; an error `retryWhen` refuses:
/// reason ``TaskDeadLetter/failed``, at once. By default nothing is retried automatically (Celery's empty
/// `autoretry_for`), but ``TaskRetry`` may ask for up to ``RetryPolicy``'s default of 4 runs.
///
/// **Time limits.** The message's `timelimit` header (`[hard, soft]`, Celery's per-call `time_limit` and
/// `soft_time_limit`) wins over ``timeLimits``. At the soft limit the handler's task is cancelled: a handler that
/// ends by throwing then fails with `SoftTimeLimitExceeded` and is dead-lettered ``TaskDeadLetter/timeLimit``, not
/// retried (it would likely run out of time again); one that returns still succeeds. At the hard limit the worker
/// stops waiting: the caller gets `TimeLimitExceeded`, the message goes to the dead letters with reason
/// ``TaskDeadLetter/timeLimit``, and the concurrency slot is free for the next task. Swift cannot stop a task that
/// ignores cancellation: such a handler runs on in the background until it returns; its result is dropped.
public struct TaskHandlerOptions: Sendable {
    /// How many runs in all, and the waits between them.
    public var retry: RetryPolicy
    /// Whether an error the handler threw is worth a retry (``TaskRetry`` always is, while attempts remain).
    public var retryWhen: @Sendable (any Error) -> Bool
    /// The limits of a run whose message sets none.
    public var timeLimits: TaskTimeLimits
    /// At most this many runs of the task start per interval in this worker (Celery's `rate_limit`, per worker
    /// process as there), spread evenly; none when `nil`. Deliveries wait for their turn in the worker, within the
    /// queue's prefetch.
    public var rateLimit: TaskRateLimit?

    /// Options with these values; by default no automatic retry (``TaskRetry`` still allowed: 4 runs, waits from 1 s,
    /// full jitter), no time limit and no rate limit.
    public init(
        retry: RetryPolicy = RetryPolicy(),
        retryWhen: @escaping @Sendable (any Error) -> Bool = { _ in false },
        timeLimits: TaskTimeLimits = TaskTimeLimits(),
        rateLimit: TaskRateLimit? = nil
    ) {
        self.retry = retry
        self.retryWhen = retryWhen
        self.timeLimits = timeLimits
        self.rateLimit = rateLimit
    }

    /// The limits of a run of `message`: the message's own where it sets them, these otherwise.
    func timeLimits(for message: TaskMessage) -> TaskTimeLimits {
        TaskTimeLimits(soft: message.timeLimits.soft ?? timeLimits.soft, hard: message.timeLimits.hard ?? timeLimits.hard)
    }
}

/// How many runs of a task may start per interval: `TaskRateLimit(10, per: .seconds(60))` is Celery's `"10/m"`.
public struct TaskRateLimit: Sendable, Hashable {
    /// Runs per ``interval``, at least 1.
    public var count: Int
    /// The interval, positive.
    public var interval: Duration

    /// `count` runs per `interval`.
    public init(_ count: Int, per interval: Duration) {
        self.count = count
        self.interval = interval
    }

    /// The wait between two starts: the interval divided by the count.
    var spacing: Duration { interval / count }
}

/// Thrown by a task handler to run the task again later (Celery's `self.retry(countdown=…)`), while its
/// ``TaskHandlerOptions/retry`` policy has attempts left; then the run counts as failed with ``reason``.
///
/// ```swift
/// guard mailer.isUp else { throw TaskRetry(after: .seconds(30), reason: "the mail server is down") }
/// ```
public struct TaskRetry: Error, Sendable, CustomStringConvertible {
    /// The wait before the next run; the policy's backoff when `nil`.
    public var delay: Duration?
    /// Why, for the logs and for the failure when no attempt is left.
    public var reason: String

    /// Asks for another run after `delay` (the policy's backoff when `nil`).
    public init(after delay: Duration? = nil, reason: String) {
        self.delay = delay
        self.reason = reason
    }

    public var description: String { "retry requested: \(reason)" }
}
