#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Where a ``TaskWorker`` remembers, by idempotency key, the tasks whose handler succeeded, so that a task delivered
/// again (after a worker died before its acknowledgement, or enqueued twice with one key) does not run again.
///
/// The key is the message's ``TaskMessage/idempotencyKey`` (``TaskOptions/idempotencyKey``), or its id when it has
/// none. The worker asks ``completion(for:)`` before a run, and calls ``record(_:for:)`` after the handler returned
/// and before it publishes the result and acknowledges: a crash between the handler's effect and the record (a
/// window of one write) is the one case that runs the task again.
///
/// What holds across hosts is the store's: ``FileIdempotencyStore`` is one host's (a task redelivered to another
/// worker host runs there again); a store on a shared database would cover every worker that uses it.
public protocol TaskIdempotencyStore: Sendable {
    /// What was recorded for `key`, if it is still remembered.
    func completion(for key: String) async throws -> TaskCompletion?
    /// Records that the task with `key` succeeded. Durable when it returns: a crash of the process does not forget it.
    func record(_ completion: TaskCompletion, for key: String) async throws
}

/// A task run that succeeded, as an idempotency store remembers it.
public struct TaskCompletion: Sendable, Hashable {
    /// The id of the task that ran.
    public var taskID: String
    /// When it finished.
    public var finishedAt: Date
    /// Its output as its SUCCESS result carried it: published again to a caller awaiting a task that is not run again.
    public var result: JSONValue

    /// A completion of these parts.
    public init(taskID: String, finishedAt: Date, result: JSONValue) {
        self.taskID = taskID
        self.finishedAt = finishedAt
        self.result = result
    }
}
