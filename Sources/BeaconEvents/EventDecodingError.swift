/// Why a message body is not an event of a schema this library reads.
///
/// ``code`` says what kind of problem it is (the worker writes it into the dead-letter reason header);
/// ``message`` says exactly what is wrong, naming the field or the byte offset.
public struct EventDecodingError: CodedError {
    /// What kind of problem it is: compare with the static members; new codes may be added.
    public typealias Code = ErrorCode<EventDecodingError>

    public let code: Code
    /// What exactly is wrong, e.g. `field "level": "loud" is not a level`.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

extension ErrorCode where Failure == EventDecodingError {
    /// The body is not valid UTF-8.
    public static var invalidUTF8: Self { .init("invalid_utf8") }
    /// The body is not a JSON object.
    public static var invalidJSON: Self { .init("invalid_json") }
    /// The `schema` member is missing or names a version this library does not read.
    public static var unsupportedSchema: Self { .init("unsupported_schema") }
    /// A required member is missing.
    public static var missingField: Self { .init("missing_field") }
    /// A member has the wrong type or an invalid value.
    public static var invalidField: Self { .init("invalid_field") }
    /// The body is larger than the consumer accepts.
    public static var tooLarge: Self { .init("too_large") }
}
