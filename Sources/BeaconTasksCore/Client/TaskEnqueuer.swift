/// What enqueues tasks: ``TaskClient`` in BeaconTasks (RabbitMQ), or BeaconTesting's eager queue in tests. Code that
/// enqueues (a route, a service) takes one of these, so that its tests can give it the eager queue.
///
/// ```swift
/// struct Checkout {
///     let tasks: any TaskEnqueuer
///     func placed(_ order: Order) async throws -> TaskHandle<SendReceipt> {
///         try await tasks.enqueue(SendReceipt.self, .init(order), options: TaskOptions(queue: "shop"))
///     }
/// }
/// ```
public protocol TaskEnqueuer: Sendable {
    /// Enqueues `task` with `arguments`; `options` are the task's ``TaskDefinition/defaultOptions`` when `nil`.
    /// Returns once the task is accepted (for RabbitMQ: confirmed by the broker).
    func enqueue<T: TaskDefinition>(_ task: T.Type, _ arguments: T.Arguments, options: TaskOptions?) async throws -> TaskHandle<T>
}

extension TaskEnqueuer {
    /// Enqueues `task` with `arguments` and its ``TaskDefinition/defaultOptions``.
    public func enqueue<T: TaskDefinition>(_ task: T.Type, _ arguments: T.Arguments) async throws -> TaskHandle<T> {
        try await enqueue(task, arguments, options: nil)
    }
}
