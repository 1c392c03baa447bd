/// Why a message body is not an event of a schema this library reads.
///
/// ``code`` says what kind of problem it is (the worker writes it into the dead-letter reason header);
/// ``message`` says exactly what is wrong, naming the field or the byte offset.
public struct EventDecodingError: Error, Hashable, CustomStringConvertible {
    /// What kind of problem it is. Compare with the static members; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidUTF8 = "invalid_utf8"
            case invalidJSON = "invalid_json"
            case unsupportedSchema = "unsupported_schema"
            case missingField = "missing_field"
            case invalidField = "invalid_field"
            case tooLarge = "too_large"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The body is not valid UTF-8.
        public static var invalidUTF8: Self { .init(.invalidUTF8) }
        /// The body is not a JSON object.
        public static var invalidJSON: Self { .init(.invalidJSON) }
        /// The `schema` member is missing or names a version this library does not read.
        public static var unsupportedSchema: Self { .init(.unsupportedSchema) }
        /// A required member is missing.
        public static var missingField: Self { .init(.missingField) }
        /// A member has the wrong type or an invalid value.
        public static var invalidField: Self { .init(.invalidField) }
        /// The body is larger than the consumer accepts.
        public static var tooLarge: Self { .init(.tooLarge) }

        /// A short snake_case name, e.g. `invalid_json`.
        public var description: String { base.rawValue }
    }

    public let code: Code
    /// What exactly is wrong, e.g. `field "level": "loud" is not a level`.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
