public import BeaconEvents

/// A spool operation that failed on the file system.
public struct SpoolError: CodedError {
    /// What kind of problem it is: compare with the static members; new codes may be added.
    public typealias Code = ErrorCode<SpoolError>

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension ErrorCode where Failure == SpoolError {
    /// The spool directory or a segment could not be created or opened.
    public static var cannotOpen: Self { .init("cannot_open") }
    /// Writing or syncing failed (disk full, permissions, I/O error): the records were not spooled.
    public static var writeFailed: Self { .init("write_failed") }
    /// Reading spooled records failed.
    public static var readFailed: Self { .init("read_failed") }
}
