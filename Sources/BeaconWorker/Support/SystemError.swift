#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// A system call that failed: which one, on what, and `errno`.
public struct SystemError: Error, Hashable, CustomStringConvertible {
    /// `open`, `write`, `fsync`, `rename`, …
    public let operation: String
    /// The file or address it was about.
    public let subject: String
    public let errno: Int32

    init(_ operation: String, _ subject: String, errno: Int32 = Glibc.errno) {
        self.operation = operation
        self.subject = subject
        self.errno = errno
    }

    public var description: String { "\(operation) \(subject): \(String(cString: strerror(errno))) (errno \(errno))" }
}
