/// A spool operation that failed on the file system.
public struct SpoolError: Error, Hashable, CustomStringConvertible {
    /// What kind of failure it is. Compare with the static members; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case cannotOpen = "cannot_open"
            case writeFailed = "write_failed"
            case readFailed = "read_failed"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The spool directory or a segment could not be created or opened.
        public static var cannotOpen: Self { .init(.cannotOpen) }
        /// Writing or syncing failed (disk full, permissions, I/O error): the records were not spooled.
        public static var writeFailed: Self { .init(.writeFailed) }
        /// Reading spooled records failed.
        public static var readFailed: Self { .init(.readFailed) }

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
