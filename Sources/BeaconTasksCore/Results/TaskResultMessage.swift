#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// One result message as Celery's `rpc://` backend sends it: a state change of one task, published to the caller's
/// `reply_to` queue.
///
/// Body: `{"status", "result", "traceback", "children", "date_done", ["parent_id",] "task_id"}`. A task produces one
/// per state change (RETRY, PROGRESS… then SUCCESS, FAILURE or REVOKED).
public struct TaskResultMessage: Sendable, Hashable {
    /// The task the result is for (`task_id`, also `correlation_id`).
    public var taskID: String
    /// The state (`status`).
    public var state: TaskState
    /// The output (SUCCESS), the exception (FAILURE, RETRY, REVOKED: see ``failure``), or the task's metadata
    /// (custom states such as PROGRESS).
    public var result: JSONValue
    /// The failure's traceback; Beacon sends none unless asked to (it may show internals).
    public var traceback: String?
    /// Celery's child results (`children`), kept as received.
    public var children: [JSONValue]
    /// When the task reached a final state (`date_done`); `nil` for intermediate states.
    public var dateDone: Date?
    /// The run that retried into this one (`parent_id`, present on states produced by a retried run).
    public var parentID: String?

    /// A result message of these parts.
    public init(
        taskID: String,
        state: TaskState,
        result: JSONValue = .null,
        traceback: String? = nil,
        children: [JSONValue] = [],
        dateDone: Date? = nil,
        parentID: String? = nil
    ) {
        self.taskID = taskID
        self.state = state
        self.result = result
        self.traceback = traceback
        self.children = children
        self.dateDone = dateDone
        self.parentID = parentID
    }

    /// A SUCCESS with `task`'s output, done at `dateDone`. Throws ``TaskEncodingError/Code/invalidOutput`` when the
    /// output does not encode.
    public static func success<Task: TaskDefinition>(
        _ task: Task.Type,
        taskID: String,
        output: Task.Output,
        dateDone: Date = Date()
    ) throws(TaskEncodingError) -> TaskResultMessage {
        let result: JSONValue
        do {
            result = try TaskCoding.encode(output)
        } catch {
            throw TaskEncodingError(.invalidOutput, "task \(Task.name): output does not encode: \(error)")
        }
        return TaskResultMessage(taskID: taskID, state: .success, result: result, dateDone: dateDone)
    }

    /// A FAILURE (final) or, with `state: .retry`, a RETRY (the task runs again; no `date_done`).
    public static func failure(
        taskID: String,
        _ failure: TaskFailure,
        state: TaskState = .failure,
        traceback: String? = nil,
        dateDone: Date = Date()
    ) -> TaskResultMessage {
        TaskResultMessage(
            taskID: taskID,
            state: state,
            result: failure.json,
            traceback: traceback,
            dateDone: state.isFinal ? dateDone : nil
        )
    }

    /// A REVOKED: Celery's `TaskRevokedError` with `reason` (`revoked`, `expired`…).
    public static func revoked(taskID: String, reason: String = "revoked", dateDone: Date = Date()) -> TaskResultMessage {
        let failure = TaskFailure(type: "TaskRevokedError", message: reason, module: "celery.exceptions")
        return TaskResultMessage(taskID: taskID, state: .revoked, result: failure.json, dateDone: dateDone)
    }

    /// A progress report (custom state `PROGRESS` unless told otherwise) with the task's own metadata.
    public static func progress(taskID: String, meta: JSONValue, state: TaskState = .progress) -> TaskResultMessage {
        TaskResultMessage(taskID: taskID, state: state, result: meta)
    }

    /// The failure, for states that carry an exception (FAILURE, RETRY, REVOKED) and a result that describes one.
    public var failure: TaskFailure? {
        state.carriesException ? TaskFailure(json: result) : nil
    }

    /// The SUCCESS output as `task`'s `Output`. Throws the ``failure`` when the state carries one, and
    /// ``TaskDecodingError`` (``TaskDecodingError/Code/invalidResult``) when the state is not SUCCESS or the result
    /// does not decode.
    public func output<Task: TaskDefinition>(for task: Task.Type) throws -> Task.Output {
        if let failure { throw failure }
        guard state == .success else {
            throw TaskDecodingError(.invalidResult, "task \(Task.name) \(taskID): state \(state) has no output")
        }
        do {
            return try TaskCoding.decode(Task.Output.self, from: result)
        } catch {
            let (path, problem) = TaskCoding.describe(error)
            throw TaskDecodingError(.invalidResult, "task \(Task.name) \(taskID): result\(path.isEmpty ? "" : ".\(path)"): \(problem)")
        }
    }
}
