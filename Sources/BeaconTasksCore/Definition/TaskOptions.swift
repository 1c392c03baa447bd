#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// How one task is enqueued: when it may run, until when, where, and what travels with it. Pure data; every field is
/// optional and `nil` means Celery's default.
public struct TaskOptions: Sendable, Hashable {
    /// Run no earlier than this long after enqueueing (Celery's `countdown`); becomes the `eta` header. Wins over
    /// ``eta`` when both are set, as in Celery. Zero means no delay.
    public var countdown: Duration?
    /// Run no earlier than this time (Celery's `eta` header).
    public var eta: Date?
    /// Do not run after this: the `expires` header and the per-message TTL (`expiration` property).
    public var expires: TaskExpiry?
    /// The routing key to publish with through the default exchange: the queue's name. `celery` when `nil`
    /// (Celery's `task_default_queue`).
    public var queue: String?
    /// The task's id (`id` header and `correlation_id`); a new lowercase UUID when `nil`.
    public var taskID: String?
    /// The key that makes a repeated run of the same work harmless (`beacon-idempotency-key` header). A worker treats
    /// two messages with the same key as the same work; `nil` sends no key.
    public var idempotencyKey: String?
    /// The request that enqueued the task (`beacon-request-id` header), for tracing.
    public var requestID: String?
    /// Soft and hard time limits (the `timelimit` header, `[hard, soft]` on the wire).
    public var timeLimits: TaskTimeLimits
    /// How many times the task has been retried already (the `retries` header); 0 for a first enqueue. A retry is a
    /// new message with the same id and this count plus one.
    public var retries: Int
    /// The AMQP priority, 0…255 (honoured only by classic queues declared with `x-max-priority`); Celery sends 0.
    public var priority: UInt8
    /// Where the result messages go (`reply_to`); none when `nil`.
    public var replyTo: String?
    /// Ask the worker to publish no result (`ignore_result` header).
    public var ignoreResult: Bool
    /// The task that enqueued this one (`parent_id`), for lineage.
    public var parentID: String?
    /// The first task of the workflow (`root_id`); the task's own id when `nil`.
    public var rootID: String?
    /// Who sent it (`origin` header), e.g. `web@host`; not sent when `nil`.
    public var origin: String?

    /// Options with the given fields set.
    public init(
        countdown: Duration? = nil,
        eta: Date? = nil,
        expires: TaskExpiry? = nil,
        queue: String? = nil,
        taskID: String? = nil,
        idempotencyKey: String? = nil,
        requestID: String? = nil,
        timeLimits: TaskTimeLimits = TaskTimeLimits(),
        retries: Int = 0,
        priority: UInt8 = 0,
        replyTo: String? = nil,
        ignoreResult: Bool = false,
        parentID: String? = nil,
        rootID: String? = nil,
        origin: String? = nil
    ) {
        self.countdown = countdown
        self.eta = eta
        self.expires = expires
        self.queue = queue
        self.taskID = taskID
        self.idempotencyKey = idempotencyKey
        self.requestID = requestID
        self.timeLimits = timeLimits
        self.retries = retries
        self.priority = priority
        self.replyTo = replyTo
        self.ignoreResult = ignoreResult
        self.parentID = parentID
        self.rootID = rootID
        self.origin = origin
    }
}

/// When a task expires: after a delay from enqueueing, or at a time.
public enum TaskExpiry: Sendable, Hashable {
    /// This long after enqueueing (Celery's `expires=600`).
    case after(Duration)
    /// At this time (Celery's `expires=datetime`).
    case at(Date)
}

/// A task's time limits. Celery's worker raises `SoftTimeLimitExceeded` in the task at the soft limit and kills it
/// at the hard one.
public struct TaskTimeLimits: Sendable, Hashable {
    /// The limit at which the task is asked to stop (Celery's `soft_time_limit`).
    public var soft: Duration?
    /// The limit at which the task is stopped (Celery's `time_limit`).
    public var hard: Duration?

    /// Limits with the given values; none by default.
    public init(soft: Duration? = nil, hard: Duration? = nil) {
        self.soft = soft
        self.hard = hard
    }
}

extension Duration {
    /// The duration in seconds, with its fraction.
    package var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

}
