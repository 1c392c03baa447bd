public import Hummingbird

/// A route enqueued a task before the app had a ``TaskEnqueuer`` (``AppTasks/use(_:)``): the request is answered
/// `503 Service Unavailable`, and nothing was enqueued.
public struct TasksUnavailable: HTTPResponseError, CustomStringConvertible {
    /// The task the route tried to enqueue.
    public let task: String

    public var status: HTTPResponse.Status { .serviceUnavailable }

    public var description: String { "task \(task) not enqueued: the app has no task enqueuer yet" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try Response(status: status, headers: [.retryAfter: "1"], body: .init(byteBuffer: ByteBuffer(string: "tasks are not available yet\n")))
    }
}
