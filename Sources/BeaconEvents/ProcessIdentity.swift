#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The host name and process id that a producer stamps on its events, read once.
public struct ProcessIdentity: Sendable, Hashable {
    public var host: String
    public var pid: Int

    public init(host: String, pid: Int) {
        self.host = host
        self.pid = pid
    }

    /// This process.
    public static let current: ProcessIdentity = {
        var buffer = [CChar](repeating: 0, count: 256)
        let host =
            gethostname(&buffer, buffer.count - 1) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : "localhost"
        return ProcessIdentity(host: host, pid: Int(getpid()))
    }()
}
