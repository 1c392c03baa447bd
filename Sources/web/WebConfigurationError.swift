import BeaconEvents

/// A setting of the `web` program that cannot be used, named by where it came from (`BEACON_PORT`, `--port`), with what is wrong.
struct WebConfigurationError: CodedError {
    /// What kind of problem it is: compare with the static members; new codes may be added.
    typealias Code = ErrorCode<WebConfigurationError>

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

extension ErrorCode where Failure == WebConfigurationError {
    /// A value of the wrong form: not a port number, not a level, not a boolean, an empty name.
    static var invalidValue: Self { .init("invalid_value") }
    /// The broker URL cannot be used.
    static var invalidAMQPURL: Self { .init("invalid_amqp_url") }
}
