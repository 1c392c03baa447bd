/// A setting that cannot be used, named by where it came from (`BEACON_PORT`, `--port`), with what is wrong.
public struct ConfigurationError: Error, Hashable, CustomStringConvertible {
    /// What is wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidValue = "invalid_value"
            case invalidAMQPURL = "invalid_amqp_url"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A value of the wrong form: not a port number, not a level, not a boolean, an empty name.
        public static var invalidValue: Self { .init(.invalidValue) }
        /// The broker URL cannot be used.
        public static var invalidAMQPURL: Self { .init(.invalidAMQPURL) }

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// Where the value came from: a flag (`--port`) or an environment variable (`BEACON_PORT`).
    public let setting: String
    public let message: String

    public init(_ code: Code, setting: String, _ message: String) {
        self.code = code
        self.setting = setting
        self.message = message
    }

    /// `BEACON_PORT: 'http' is not a port number (0-65535)`.
    public var description: String { "\(setting): \(message)" }
}
