/// What a ``TaskWorker`` puts on a message it sends to its dead-letter queue: the original body and properties
/// (headers included, without an `expiration`, so that the dead letter does not expire) plus these headers. The
/// names are those of BeaconWorker's dead letters, so that its tools read both.
///
/// | header | value |
/// | --- | --- |
/// | `x-beacon-reason` | why: a ``TaskDecodingError`` code (`unsupported_content_type`, `invalid_arguments`, …), ``unknownTask``, ``expired``, ``failed``, ``retriesExhausted`` or ``timeLimit`` |
/// | `x-beacon-error` | what exactly, e.g. `no task "shop.nope" is registered on this worker` |
/// | `x-beacon-queue` | the queue the message came from |
/// | `x-beacon-routing-key` | the routing key it was published with |
/// | `x-beacon-failed-at` | when (ISO 8601) |
/// | `x-beacon-expiration` | the message's `expiration` property, when it had one |
public enum TaskDeadLetter {
    /// `x-beacon-reason`.
    public static let reasonHeader = "x-beacon-reason"
    /// `x-beacon-error`.
    public static let errorHeader = "x-beacon-error"
    /// `x-beacon-queue`.
    public static let queueHeader = "x-beacon-queue"
    /// `x-beacon-routing-key`.
    public static let routingKeyHeader = "x-beacon-routing-key"
    /// `x-beacon-failed-at`.
    public static let failedAtHeader = "x-beacon-failed-at"
    /// `x-beacon-expiration`.
    public static let expirationHeader = "x-beacon-expiration"

    /// The reason for a task name no handler is registered for.
    public static let unknownTask = "unknown_task"
    /// The reason for a task whose handler threw an error that is not retried.
    public static let failed = "failed"
    /// The reason for a task received after its `expires`: it never ran (its awaiting caller gets REVOKED).
    public static let expired = "expired"
    /// The reason for a task whose last allowed run failed with an error worth a retry, or asked for a retry
    /// (``TaskRetry``) with no attempt left.
    public static let retriesExhausted = "retries_exhausted"
    /// The reason for a task stopped by its time limit: past the hard limit, or ending with an error after the soft
    /// limit cancelled it.
    public static let timeLimit = "time_limit"
}
