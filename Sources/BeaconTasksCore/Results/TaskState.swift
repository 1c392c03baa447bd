/// A task state as Celery's result messages name it (`status`). Custom states (`PROGRESS`) are states too.
public struct TaskState: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The state's name on the wire, e.g. `SUCCESS`.
    public let rawValue: String

    /// A state by name.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Not known (Celery's answer for any id it has no result for).
    public static let pending = TaskState(rawValue: "PENDING")
    /// Received by a worker.
    public static let received = TaskState(rawValue: "RECEIVED")
    /// Started (only with Celery's `task_track_started`).
    public static let started = TaskState(rawValue: "STARTED")
    /// Finished; `result` is the output.
    public static let success = TaskState(rawValue: "SUCCESS")
    /// Failed for good; `result` is the exception.
    public static let failure = TaskState(rawValue: "FAILURE")
    /// Failed and will run again; `result` is the exception.
    public static let retry = TaskState(rawValue: "RETRY")
    /// Revoked or expired; `result` is a `TaskRevokedError`.
    public static let revoked = TaskState(rawValue: "REVOKED")
    /// Beacon's and Celery's usual custom state for progress reports; `result` is the task's own metadata.
    public static let progress = TaskState(rawValue: "PROGRESS")

    /// Whether no further state follows (Celery's `READY_STATES`: success, failure, revoked).
    public var isFinal: Bool { self == .success || self == .failure || self == .revoked }

    /// Whether `result` holds an exception (failure, retry, revoked).
    public var carriesException: Bool { self == .failure || self == .retry || self == .revoked }

    public var description: String { rawValue }
}
