public import Logging

/// What a task handler knows about the run: the message, where it came from, a logger for it.
public struct TaskContext: Sendable {
    /// The task message as received (id, name, retries, lineage, eta, expiry, headers…).
    public let message: TaskMessage
    /// The queue it came from.
    public let queue: String
    /// Whether the broker delivered it before without an acknowledgement (a worker stopped or died mid-task): the
    /// work may be done already, in part or whole.
    public let redelivered: Bool
    /// The worker's logger with `task`, `task_id` and `queue` metadata.
    public let logger: Logger

    /// The task id.
    public var taskID: String { message.id }
    /// Which run this is: 1 for the first, 2 for the first retry (the message's `retries` + 1).
    public var attempt: Int { message.retries + 1 }
}
