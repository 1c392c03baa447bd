extension Event {
    /// How severe an event is. The names are swift-log's; ``pythonName`` and ``pythonNumber`` are Python logging's,
    /// for log formats written for Python.
    public enum Level: String, Sendable, Hashable, CaseIterable, Comparable {
        case trace
        case debug
        case info
        case notice
        case warning
        case error
        case critical

        /// Reads a level name as people write it in configuration: any case, swift-log's names and Python's
        /// (`WARN`, `FATAL`).
        public init?(name: some StringProtocol) {
            let lowered = name.lowercased()
            switch lowered {
            case "warn": self = .warning
            case "fatal": self = .critical
            default:
                guard let level = Level(rawValue: lowered) else { return nil }
                self = level
            }
        }

        /// `levelname` in Python logging: `INFO`, `WARNING`, … (`TRACE` and `NOTICE` for the two levels Python lacks).
        public var pythonName: String {
            switch self {
            case .trace: "TRACE"
            case .debug: "DEBUG"
            case .info: "INFO"
            case .notice: "NOTICE"
            case .warning: "WARNING"
            case .error: "ERROR"
            case .critical: "CRITICAL"
            }
        }

        /// `levelno` in Python logging: 10 for DEBUG … 50 for CRITICAL; 5 for TRACE and 25 for NOTICE.
        public var pythonNumber: Int {
            switch self {
            case .trace: 5
            case .debug: 10
            case .info: 20
            case .notice: 25
            case .warning: 30
            case .error: 40
            case .critical: 50
            }
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.pythonNumber < rhs.pythonNumber }
    }
}
