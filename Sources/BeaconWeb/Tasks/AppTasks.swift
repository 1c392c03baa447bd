public import BeaconTasksCore
import Synchronization

/// Where an app's routes enqueue tasks (``BeaconApp/tasks``): empty until the program gives it a ``TaskEnqueuer``
/// (BeaconTasks' `TaskClient` once its connection runs, BeaconTesting's `EagerTaskQueue` in tests).
///
/// ```swift
/// app.tasks.use(try await TaskClient(connection: connection, logger: logger))
/// router.post("orders") { request, context in
///     let handle = try await context.tasks.enqueue(SendReceipt.self, receipt)   // carries the request id
///     …
/// }
/// ```
public final class AppTasks: Sendable {
    private let enqueuer = Mutex<(any TaskEnqueuer)?>(nil)

    init() {}

    /// Routes enqueue through `enqueuer` from now on.
    public func use(_ enqueuer: any TaskEnqueuer) { self.enqueuer.withLock { $0 = enqueuer } }

    /// The enqueuer in use; `nil` before ``use(_:)``.
    public var current: (any TaskEnqueuer)? { enqueuer.withLock { $0 } }
}

/// A request's way to enqueue tasks (``BeaconRequestContext/tasks``): the app's ``AppTasks``, with the request id set
/// on every task it enqueues (``TaskOptions/requestID``), so that the task's log lines and events name the request.
///
/// Before the app has an enqueuer it throws ``TasksUnavailable``, which answers `503 Service Unavailable`.
public struct RequestTasks: TaskEnqueuer {
    let tasks: AppTasks
    /// The request's id.
    public let requestID: String

    public func enqueue<T: TaskDefinition>(_ task: T.Type, _ arguments: T.Arguments, options: TaskOptions?) async throws -> TaskHandle<T> {
        guard let enqueuer = tasks.current else { throw TasksUnavailable(task: T.name) }
        var options = options ?? T.defaultOptions
        if options.requestID == nil { options.requestID = requestID }
        return try await enqueuer.enqueue(task, arguments, options: options)
    }
}
