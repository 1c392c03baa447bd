public import BeaconEvents

/// Something that stops the worker (or one of its commands) other than a bad setting, which is a
/// ``WorkerConfigurationError``.
public struct WorkerError: CodedError {
    /// What kind of problem it is: compare with the static members; new codes may be added.
    public typealias Code = ErrorCode<WorkerError>

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension ErrorCode where Failure == WorkerError {
    /// The state directory cannot be created or is in use by another worker.
    public static var stateDirectory: Self { .init("state_directory") }
    /// A sink cannot be opened (a log file, a syslog socket, a mail template).
    public static var sink: Self { .init("sink") }
    /// The broker refused something the worker needs (declaring its topology, consuming, publishing).
    public static var broker: Self { .init("broker") }
}
