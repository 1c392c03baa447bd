public import BeaconEvents

/// Why a received message is not a task (or result) message this library runs.
///
/// ``code`` is the dead-letter reason: a worker dead-letters the message with it (it is never requeued: the same
/// bytes fail the same way). ``message`` says exactly what is wrong, naming the header, the field or the task.
public struct TaskDecodingError: CodedError {
    /// What kind of problem it is: compare with the static members; new codes may be added.
    public typealias Code = ErrorCode<TaskDecodingError>

    public let code: Code
    /// What exactly is wrong, e.g. `header "retries": expected an integer, found a string`.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ErrorCode where Failure == TaskDecodingError {
    /// The body is not JSON: pickle (`application/x-python-serialize`), YAML, msgpack or anything else is refused
    /// without being deserialised.
    public static var unsupportedContentType: Self { .init("unsupported_content_type") }
    /// The body is compressed (`compression` header) or in an encoding other than UTF-8.
    public static var unsupportedContentEncoding: Self { .init("unsupported_content_encoding") }
    /// The body is not one JSON document in UTF-8.
    public static var invalidJSON: Self { .init("invalid_json") }
    /// The body is JSON of the wrong shape (protocol v2: `[args, kwargs, embed]`).
    public static var invalidBody: Self { .init("invalid_body") }
    /// A Celery protocol v1 message: no `task` header, the task described in a JSON object body.
    public static var protocolV1: Self { .init("protocol_v1") }
    /// A required header (`task`, `id`) is missing.
    public static var missingHeader: Self { .init("missing_header") }
    /// A header has the wrong type or an invalid value.
    public static var invalidHeader: Self { .init("invalid_header") }
    /// The arguments do not decode into the task's `Arguments`.
    public static var invalidArguments: Self { .init("invalid_arguments") }
    /// The message is for another task than the one asked for.
    public static var wrongTask: Self { .init("wrong_task") }
    /// The result does not decode into the task's `Output`.
    public static var invalidResult: Self { .init("invalid_result") }
}

/// Why a task message or result message cannot be built.
public struct TaskEncodingError: CodedError {
    /// What kind of problem it is: compare with the static members; new codes may be added.
    public typealias Code = ErrorCode<TaskEncodingError>

    public let code: Code
    /// What exactly is wrong, naming the task and the option or value at fault.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ErrorCode where Failure == TaskEncodingError {
    /// The task name fails ``TaskName/validate(_:)``.
    public static var invalidTaskName: Self { .init("invalid_task_name") }
    /// The arguments do not encode, or not to a JSON object or array.
    public static var invalidArguments: Self { .init("invalid_arguments") }
    /// An option is out of range (a negative countdown, retries or time limit).
    public static var invalidOptions: Self { .init("invalid_options") }
    /// The output does not encode to JSON.
    public static var invalidOutput: Self { .init("invalid_output") }
}
