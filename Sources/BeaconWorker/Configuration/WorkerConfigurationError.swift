public import BeaconEvents

/// A setting the worker cannot use. It names the key (a `worker.yaml` path such as `sinks.app.rotate.max_bytes`,
/// an environment variable or a flag) and, for `worker.yaml`, the file and line.
public struct WorkerConfigurationError: CodedError {
    /// What kind of problem it is: compare with the static members; new codes may be added.
    public typealias Code = ErrorCode<WorkerConfigurationError>

    public let code: Code
    /// The key, environment variable or flag, e.g. `sinks.app.rotate.max_bytes`, `AMQP_URL`, `--log-dir`.
    public let key: String
    /// `worker/worker.yaml:12` for a value from the file; nil for the environment, flags and defaults.
    public let location: String?
    /// What is wrong, e.g. `"ten" is not a byte count (write 10485760 or 10MiB)`.
    public let message: String

    public init(_ code: Code, key: String, location: String? = nil, _ message: String) {
        self.code = code
        self.key = key
        self.location = location
        self.message = message
    }

    public var description: String {
        let prefix = location.map { "\($0): " } ?? ""
        return key.isEmpty ? prefix + message : "\(prefix)\(key): \(message)"
    }
}

extension ErrorCode where Failure == WorkerConfigurationError {
    /// The configuration file or a template cannot be read.
    public static var unreadableFile: Self { .init("unreadable_file") }
    /// The configuration file is not valid YAML.
    public static var invalidYAML: Self { .init("invalid_yaml") }
    /// A key the worker does not know (often a typo).
    public static var unknownKey: Self { .init("unknown_key") }
    /// A key that must be given is missing.
    public static var missingKey: Self { .init("missing_key") }
    /// A value of the wrong type or out of range.
    public static var invalidValue: Self { .init("invalid_value") }
}
