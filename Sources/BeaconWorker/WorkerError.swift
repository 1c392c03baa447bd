/// Something that stops the worker (or one of its commands) other than a bad setting, which is a
/// ``WorkerConfigurationError``.
public struct WorkerError: Error, Hashable, CustomStringConvertible {
    /// What kind of problem it is. Compare with the static members; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The state directory cannot be created or is in use by another worker.
        public static var stateDirectory: Self { .init("state_directory") }
        /// A sink cannot be opened (a log file, a syslog socket, a mail template).
        public static var sink: Self { .init("sink") }
        /// The broker refused something the worker needs (declaring its topology, consuming, publishing).
        public static var broker: Self { .init("broker") }

        public var description: String { name }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
