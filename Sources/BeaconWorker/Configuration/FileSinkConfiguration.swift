import BeaconEvents

/// A log file written as Python's `RotatingFileHandler` or `TimedRotatingFileHandler` writes it.
public struct FileSinkConfiguration: Sendable {
    /// The file, relative to the log directory unless absolute.
    public var path: String
    /// A Python logging format string; ``LogFormat/beaconDefault`` when not set.
    public var format: String
    /// A `strftime` pattern for `%(asctime)s` (Python's `datefmt`); nil for `2026-11-21 10:15:30,123`.
    public var dateFormat: String?
    /// The clock `%(asctime)s` reads.
    public var timeZone: LogFormat.TimeZone
    /// When the file is rotated.
    public var rotation: Rotation
    /// When lines are forced to the disk.
    public var fsync: FsyncPolicy

    public init(
        path: String,
        format: String = LogFormat.beaconDefault,
        dateFormat: String? = nil,
        timeZone: LogFormat.TimeZone = .local,
        rotation: Rotation = .size(maxBytes: 10 << 20, backupCount: 5),
        fsync: FsyncPolicy = .everyBatch
    ) {
        self.path = path
        self.format = format
        self.dateFormat = dateFormat
        self.timeZone = timeZone
        self.rotation = rotation
        self.fsync = fsync
    }

    /// When a log file is rotated.
    public enum Rotation: Sendable, Hashable {
        /// Never: the file grows.
        case none
        /// `RotatingFileHandler(maxBytes, backupCount)`: before a line that would make the file reach `maxBytes`,
        /// `app.log` becomes `app.log.1`, `app.log.1` becomes `app.log.2`, … up to `backupCount`.
        case size(maxBytes: Int64, backupCount: Int)
        /// `TimedRotatingFileHandler(when, interval, backupCount, utc)`: `app.log` becomes `app.log.2026-11-21`
        /// (or `app.log.2026-11-21_10` hourly); the oldest beyond `backupCount` are deleted (0 keeps all).
        case timed(TimedRotation)
    }

    /// The schedule of a timed rotation.
    public struct TimedRotation: Sendable, Hashable {
        /// Python's `when`.
        public enum Unit: String, Sendable, CaseIterable {
            /// Every `interval` hours from the start (or the file's last change). Suffix `%Y-%m-%d_%H`.
            case hours = "H"
            /// Every `interval` days from the start. Suffix `%Y-%m-%d`.
            case days = "D"
            /// At midnight. Suffix `%Y-%m-%d`.
            case midnight
        }

        public var unit: Unit
        /// How many units between rotations (Python's `interval`).
        public var interval: Int
        /// How many rotated files are kept; 0 keeps all.
        public var backupCount: Int
        /// Midnight and suffixes in UTC rather than local time.
        public var utc: Bool

        public init(unit: Unit, interval: Int = 1, backupCount: Int = 0, utc: Bool = false) {
            self.unit = unit
            self.interval = interval
            self.backupCount = backupCount
            self.utc = utc
        }
    }

    /// When written lines are forced to the disk with `fsync(2)`.
    public enum FsyncPolicy: Sendable, Hashable {
        /// After every batch, before it is acknowledged: a power cut loses nothing that was acknowledged.
        case everyBatch
        /// At most this often; batches are acknowledged once written: a power cut can lose that much.
        case interval(Duration)
        /// Never (the operating system writes back on its own, as Python's handlers do).
        case never
    }
}
