public import BeaconEvents

/// Why a ``TaskWorker`` cannot run.
public struct TaskWorkerError: CodedError {
    /// What kind of problem it is: compare with the static members; new codes may be added.
    public typealias Code = ErrorCode<TaskWorkerError>

    public let code: Code
    /// What exactly is wrong, naming the task or queue.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ErrorCode where Failure == TaskWorkerError {
    /// A registration cannot be served: an invalid task name, a task registered twice, an invalid queue name or
    /// concurrency.
    public static var invalidRegistration: Self { .init("invalid_registration") }
    /// A task's time limit is not under the broker's consumer timeout (``TaskWorker/warnings``).
    public static var timeLimitBeyondConsumerTimeout: Self { .init("time_limit_beyond_consumer_timeout") }
    /// Nothing is registered: the worker would consume no queue.
    public static var nothingRegistered: Self { .init("nothing_registered") }
}
