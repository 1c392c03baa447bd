/// A setting of the `web` program that cannot be used, named by where it came from (`BEACON_PORT`, `--port`), with what is wrong.
struct WebConfigurationError: Error, Hashable, CustomStringConvertible {
    /// What is wrong.
    struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidValue = "invalid_value"
            case invalidAMQPURL = "invalid_amqp_url"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A value of the wrong form: not a port number, not a level, not a boolean, an empty name.
        static var invalidValue: Self { .init(.invalidValue) }
        /// The broker URL cannot be used.
        static var invalidAMQPURL: Self { .init(.invalidAMQPURL) }

        var description: String { base.rawValue }
    }

    let code: Code
    /// Where the value came from: a flag (`--port`) or an environment variable (`BEACON_PORT`).
    let setting: String
    let message: String

    init(_ code: Code, setting: String, _ message: String) {
        self.code = code
        self.setting = setting
        self.message = message
    }

    /// `BEACON_PORT: 'http' is not a port number (0-65535)`.
    var description: String { "\(setting): \(message)" }
}
