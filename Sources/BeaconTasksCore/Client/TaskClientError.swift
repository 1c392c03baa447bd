public import BeaconEvents

/// Why an enqueue did not reach a queue, or why no result came.
public struct TaskClientError: CodedError {
    /// What kind of problem it is: compare with the static members; new codes may be added.
    public typealias Code = ErrorCode<TaskClientError>

    public let code: Code
    /// What exactly happened, naming the task and its id.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ErrorCode where Failure == TaskClientError {
    /// No queue took the message (`basic.return`, `312 NO_ROUTE`): no queue of that name exists. Nothing was enqueued.
    public static var unroutable: Self { .init("unroutable") }
    /// The broker refused the message (`basic.nack`), e.g. the queue is full and rejects publishes. Nothing was
    /// enqueued.
    public static var nacked: Self { .init("nacked") }
    /// The message was not confirmed (the connection closed, or the publish deadline passed): the broker may or may
    /// not have it.
    public static var unconfirmed: Self { .init("unconfirmed") }
    /// No final result came within the time given. The task may still run; a later call may still get its result.
    public static var timeout: Self { .init("timeout") }
    /// The enqueue asked for no result (``TaskOptions/ignoreResult``, or a ``TaskOptions/replyTo`` of the caller's
    /// own, where results go instead).
    public static var noResult: Self { .init("no_result") }
    /// The client's reply consumer ended (its channel or connection closed, or it reconnected: direct reply-to
    /// replies for the earlier channel are gone).
    public static var closed: Self { .init("closed") }
    /// A result message for the task could not be read.
    public static var invalidResult: Self { .init("invalid_result") }
}
