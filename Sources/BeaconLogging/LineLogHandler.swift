import BeaconEvents
public import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A swift-log handler that writes each record as exactly one line to a file descriptor (standard error by default):
///
/// ```
/// 2026-11-21T10:15:30.123Z info web: GET /hello 200 0.41ms [hb.request.id=8c1f…]
/// ```
///
/// Line feeds, carriage returns and other control characters in the message, the metadata and the error are
/// escaped (``LogText``), so text from a request can never end the line or forge another one. Each line is written
/// with one `write(2)` call: lines of concurrent loggers do not interleave (for lines up to `PIPE_BUF` on a pipe).
public struct LineLogHandler: LogHandler {
    public let label: String
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level
    private let fileDescriptor: Int32

    /// A handler writing to `fileDescriptor`.
    public init(label: String, fileDescriptor: Int32, logLevel: Logger.Level = .info, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.fileDescriptor = fileDescriptor
        self.logLevel = logLevel
        self.metadataProvider = metadataProvider
    }

    /// A handler writing to standard error.
    public static func standardError(label: String, logLevel: Logger.Level = .info) -> LineLogHandler {
        LineLogHandler(label: label, fileDescriptor: STDERR_FILENO, logLevel: logLevel)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let line = format(event)
        line.withUnsafeBufferPointer { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    guard errno == EINTR else { return }
                    continue
                }
                offset += written
            }
        }
    }

    /// The record as one line, newline included.
    func format(_ event: LogEvent) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(192)
        line += Event.Timestamp.now().rfc3339.utf8
        line.append(UInt8(ascii: " "))
        line += event.level.rawValue.utf8
        line.append(UInt8(ascii: " "))
        LogText.appendEscaped(label, to: &line)
        line += ": ".utf8
        LogText.appendEscaped(event.message.description, to: &line)
        if let error = event.error {
            line += " (error: ".utf8
            LogText.appendEscaped(String(reflecting: type(of: error)), to: &line)
            line += ": ".utf8
            LogText.appendEscaped(String(describing: error), to: &line)
            line.append(UInt8(ascii: ")"))
        }
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let recordMetadata = event.metadata { merged.merge(recordMetadata) { _, new in new } }
        if !merged.isEmpty {
            line += " [".utf8
            for (index, key) in merged.keys.sorted().enumerated() {
                if index > 0 { line.append(UInt8(ascii: " ")) }
                LogText.appendEscaped(key, to: &line)
                line.append(UInt8(ascii: "="))
                // As the events do: a value under a secret-sounding key (`password`, `token`, …) is not written.
                let value = Redaction.standard.isSecretName(key) ? Redaction.placeholder : merged[key]!.description
                LogText.appendEscaped(value, to: &line)
            }
            line.append(UInt8(ascii: "]"))
        }
        line.append(UInt8(ascii: "\n"))
        return line
    }
}
