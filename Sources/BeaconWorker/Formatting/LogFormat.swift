public import BeaconEvents

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A Python logging format string (`%`-style, as `logging.Formatter` takes it), applied to events.
///
/// Format strings written for Python work verbatim, flags, widths and precisions included:
/// `%(asctime)s %(levelname)-8s %(name)s: %(message)s [in %(pathname)s:%(lineno)d]`.
///
/// | name | value |
/// | --- | --- |
/// | `asctime` | `2026-11-21 10:15:30,123` (or `dateFormat`, a `strftime` pattern, as Python's `datefmt`) |
/// | `created`, `msecs` | seconds since 1970 (float), milliseconds within the second |
/// | `levelname`, `levelno` | `INFO`, 20 (Python's names and numbers; `TRACE` 5, `NOTICE` 25) |
/// | `name` | the event's logger (its service when it has none) |
/// | `message` | the message |
/// | `pathname`, `filename`, `module`, `funcName`, `lineno` | from the event's source |
/// | `process`, `processName` | the producer's pid and service |
/// | `request_id`, `method`, `path`, `status`, `duration_ms`, `remote`, `user_agent` | from the event's request |
/// | `error_type`, `error_message`, `fingerprint` | from the event's error |
/// | `service`, `host`, `kind`, `event_id`, `routing_key` | the event's own |
/// | any other name | the event's metadata of that name (Python's `extra`) |
///
/// A value the event does not have is written as `-`. Every value is escaped with ``LogText``, so one event is
/// always one line. The format keeps a small cache of the last second's date, so keep one per writer.
public struct LogFormat: Sendable {
    /// The default line of the worker's log files (docs/Configuration.md).
    public static let beaconDefault = "%(asctime)s %(levelname)s [%(request_id)s] %(message)s [in %(pathname)s:%(lineno)d]"
    /// The format Flask's documentation gives for file and mail handlers.
    public static let flaskDefault = "%(asctime)s %(levelname)s: %(message)s [in %(pathname)s:%(lineno)d]"

    /// Which clock `asctime` reads: local time (Python's default) or UTC.
    public enum TimeZone: String, Sendable, Hashable {
        case local
        case utc
    }

    /// The format string, as given.
    public let pattern: String
    /// A `strftime` pattern for `asctime`, as Python's `datefmt`; nil for `2026-11-21 10:15:30,123`.
    public let dateFormat: String?
    public let timeZone: TimeZone

    private let segments: [Segment]
    private var dateCache = DateCache()

    /// Parses a format string. Throws for a malformed placeholder, naming it and its position.
    public init(_ pattern: String, dateFormat: String? = nil, timeZone: TimeZone = .local) throws(LogFormatError) {
        self.pattern = pattern
        self.dateFormat = dateFormat
        self.timeZone = timeZone
        self.segments = try Segment.parse(pattern)
    }

    /// The event as one log line, without a line terminator.
    public mutating func format(_ event: Event) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(160 + event.message.utf8.count)
        append(event, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the event as one log line, without a line terminator.
    public mutating func append(_ event: Event, to bytes: inout [UInt8]) {
        for segment in segments {
            switch segment {
            case .literal(let text):
                bytes.append(contentsOf: text)
            case .placeholder(let field, let specification):
                if case .asctime = field {
                    specification.append(.bytes(asctime(event.time)), to: &bytes)
                } else {
                    specification.append(field.value(in: event), to: &bytes)
                }
            }
        }
    }

    private mutating func asctime(_ time: Event.Timestamp) -> [UInt8] {
        let second = time.wholeSecondsSince1970
        if dateCache.second != second {
            dateCache = DateCache(second: second, text: formatSecond(second))
        }
        guard dateFormat == nil else { return dateCache.text }
        var text = dateCache.text
        text.append(UInt8(ascii: ","))
        text.appendDigits(time.milliseconds, width: 3)
        return text
    }

    private func formatSecond(_ second: Int64) -> [UInt8] {
        var clock = time_t(second)
        var parts = tm()
        switch timeZone {
        case .local: localtime_r(&clock, &parts)
        case .utc: gmtime_r(&clock, &parts)
        }
        var buffer = [CChar](repeating: 0, count: 256)
        let count = strftime(&buffer, buffer.count, dateFormat ?? "%Y-%m-%d %H:%M:%S", &parts)
        return buffer.prefix(count).map { UInt8(bitPattern: $0) }
    }
}

/// A log format string that cannot be used, e.g. `%(message` without its `)`.
public struct LogFormatError: Error, Hashable, CustomStringConvertible {
    public let pattern: String
    /// The character offset of the bad placeholder.
    public let offset: Int
    public let reason: String

    public var description: String { "log format \"\(pattern)\" at character \(offset + 1): \(reason)" }
}

private struct DateCache: Sendable {
    var second: Int64 = .min
    var text: [UInt8] = []
}

/// One piece of a parsed format string.
private enum Segment: Sendable {
    case literal([UInt8])
    case placeholder(Field, Specification)

    static func parse(_ pattern: String) throws(LogFormatError) -> [Segment] {
        let characters = Array(pattern)
        var segments: [Segment] = []
        var literal = ""
        var index = 0
        func fail(_ reason: String, at offset: Int) -> LogFormatError {
            LogFormatError(pattern: pattern, offset: offset, reason: reason)
        }
        while index < characters.count {
            guard characters[index] == "%" else {
                literal.append(characters[index])
                index += 1
                continue
            }
            let start = index
            index += 1
            guard index < characters.count else { throw fail("a lone '%' at the end (write %% for a percent sign)", at: start) }
            if characters[index] == "%" {
                literal.append("%")
                index += 1
                continue
            }
            guard characters[index] == "(" else {
                throw fail("'%' must be followed by (name) or % (Python's %-style)", at: start)
            }
            guard let close = characters[index...].firstIndex(of: ")") else {
                throw fail("'%(' without its ')'", at: start)
            }
            let name = String(characters[(index + 1)..<close])
            guard !name.isEmpty else { throw fail("an empty name in '%()'", at: start) }
            index = close + 1
            var flags = ""
            while index < characters.count, "-0 +#".contains(characters[index]) {
                flags.append(characters[index])
                index += 1
            }
            var width = ""
            while index < characters.count, characters[index].isASCII, characters[index].isNumber {
                width.append(characters[index])
                index += 1
            }
            var precision: Int?
            if index < characters.count, characters[index] == "." {
                index += 1
                var digits = ""
                while index < characters.count, characters[index].isASCII, characters[index].isNumber {
                    digits.append(characters[index])
                    index += 1
                }
                precision = Int(digits) ?? 0
            }
            guard index < characters.count else { throw fail("%(\(name)) needs a conversion such as s or d", at: start) }
            guard let conversion = Specification.Conversion(rawValue: characters[index]) else {
                throw fail("unsupported conversion '\(characters[index])' (use s, r, d, i, f or F)", at: index)
            }
            index += 1
            if !literal.isEmpty {
                segments.append(.literal(Array(literal.utf8)))
                literal = ""
            }
            let specification = Specification(
                leftAligned: flags.contains("-"),
                zeroPadded: flags.contains("0"),
                sign: flags.contains("+") ? "+" : flags.contains(" ") ? " " : "",
                width: Int(width) ?? 0,
                precision: precision,
                conversion: conversion
            )
            segments.append(.placeholder(Field(name: name), specification))
        }
        if !literal.isEmpty { segments.append(.literal(Array(literal.utf8))) }
        return segments
    }
}

/// What a placeholder reads from an event.
private enum Field: Sendable {
    case asctime, created, msecs, levelname, levelno, name, message
    case pathname, filename, module, funcName, lineno, process, processName
    case requestID, method, path, status, durationMilliseconds, remote, userAgent
    case errorType, errorMessage, fingerprint
    case service, host, kind, eventID, routingKey
    case metadata(String)

    init(name: String) {
        switch name {
        case "asctime": self = .asctime
        case "created": self = .created
        case "msecs": self = .msecs
        case "levelname": self = .levelname
        case "levelno": self = .levelno
        case "name": self = .name
        case "message": self = .message
        case "pathname": self = .pathname
        case "filename": self = .filename
        case "module": self = .module
        case "funcName": self = .funcName
        case "lineno": self = .lineno
        case "process": self = .process
        case "processName": self = .processName
        case "request_id": self = .requestID
        case "method": self = .method
        case "path": self = .path
        case "status": self = .status
        case "duration_ms": self = .durationMilliseconds
        case "remote": self = .remote
        case "user_agent": self = .userAgent
        case "error_type": self = .errorType
        case "error_message": self = .errorMessage
        case "fingerprint": self = .fingerprint
        case "service": self = .service
        case "host": self = .host
        case "kind": self = .kind
        case "event_id": self = .eventID
        case "routing_key": self = .routingKey
        default: self = .metadata(name)
        }
    }

    func value(in event: Event) -> Value {
        switch self {
        case .asctime: .text(event.time.rfc3339)
        case .created: .double(event.time.secondsSince1970)
        case .msecs: .integer(event.time.milliseconds)
        case .levelname: .text(event.level.pythonName)
        case .levelno: .integer(event.level.pythonNumber)
        case .name: .text(event.logger ?? event.service)
        case .message: .text(event.message)
        case .pathname: .optionalText(event.source?.file)
        case .filename: .optionalText(event.source?.file.map(Self.fileName))
        case .module: .optionalText(event.source?.module ?? event.source?.file.map(Self.moduleName))
        case .funcName: .optionalText(event.source?.function)
        case .lineno: .optionalInteger(event.source?.line)
        case .process: .optionalInteger(event.pid)
        case .processName: .text(event.service)
        case .requestID: .optionalText(event.request?.id)
        case .method: .optionalText(event.request?.method)
        case .path: .optionalText(event.request?.path)
        case .status: .optionalInteger(event.request?.status)
        case .durationMilliseconds: event.request?.durationMilliseconds.map(Value.double) ?? .missing
        case .remote: .optionalText(event.request?.remote)
        case .userAgent: .optionalText(event.request?.userAgent)
        case .errorType: .optionalText(event.error?.type)
        case .errorMessage: .optionalText(event.error?.message)
        case .fingerprint: .optionalText(event.error?.fingerprint)
        case .service: .text(event.service)
        case .host: .optionalText(event.host)
        case .kind: .text(event.kind.rawValue)
        case .eventID: .text(event.id)
        case .routingKey: .text(event.routingKey)
        case .metadata(let key): .optionalText(event.metadata[key])
        }
    }

    private static func fileName(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
    }

    private static func moduleName(_ path: String) -> String {
        let name = fileName(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }
}

/// A placeholder's value.
private enum Value {
    case text(String)
    case bytes([UInt8])
    case integer(Int)
    case double(Double)
    case missing

    static func optionalText(_ text: String?) -> Value { text.map(Value.text) ?? .missing }
    static func optionalInteger(_ integer: Int?) -> Value { integer.map(Value.integer) ?? .missing }
}

/// The flags, width, precision and conversion of a placeholder, as in `%(levelname)-8s` or `%(msecs)03d`.
private struct Specification: Sendable {
    enum Conversion: Character, Sendable {
        case string = "s"
        case representation = "r"
        case decimal = "d"
        case integer = "i"
        case float = "f"
        case floatUppercase = "F"
    }

    let leftAligned: Bool
    let width: Int
    let precision: Int?
    let conversion: Conversion
    /// The printf formats for an integer and a float with these flags, width and precision.
    private let integerFormat: String
    private let floatFormat: String

    init(leftAligned: Bool, zeroPadded: Bool, sign: String, width: Int, precision: Int?, conversion: Conversion) {
        self.leftAligned = leftAligned
        self.width = width
        self.precision = precision
        self.conversion = conversion
        let flags = "%" + (leftAligned ? "-" : "") + (zeroPadded ? "0" : "") + sign + (width > 0 ? String(width) : "")
        self.integerFormat = flags + "lld"
        self.floatFormat = flags + ".\(precision ?? 6)f"
    }

    func append(_ value: Value, to bytes: inout [UInt8]) {
        switch (conversion, value) {
        case (.decimal, .integer(let number)), (.integer, .integer(let number)):
            appendC(integerFormat, Int64(number), to: &bytes)
        case (.decimal, .double(let number)), (.integer, .double(let number)):
            appendC(integerFormat, Int64(exactly: number.rounded(.towardZero)) ?? 0, to: &bytes)
        case (.float, .double(let number)), (.floatUppercase, .double(let number)):
            appendC(floatFormat, number, to: &bytes)
        case (.float, .integer(let number)), (.floatUppercase, .integer(let number)):
            appendC(floatFormat, Double(number), to: &bytes)
        case (_, .missing):
            appendPadded(Array("-".utf8), to: &bytes)
        case (_, .bytes(let text)):
            appendPadded(text, to: &bytes)
        case (_, .text(let text)):
            var escaped: [UInt8] = []
            escaped.reserveCapacity(text.utf8.count + 2)
            if conversion == .representation { escaped.append(UInt8(ascii: "'")) }
            LogText.appendEscaped(text, to: &escaped)
            if conversion == .representation { escaped.append(UInt8(ascii: "'")) }
            appendPadded(escaped, to: &bytes)
        case (_, .integer(let number)):
            appendPadded(Array(String(number).utf8), to: &bytes)
        case (_, .double(let number)):
            appendPadded(Array(String(number).utf8), to: &bytes)
        }
    }

    /// Text, cut to the precision and padded to the width, counted in Unicode scalars as Python counts.
    private func appendPadded(_ text: [UInt8], to bytes: inout [UInt8]) {
        var text = text
        if let precision, conversion == .string || conversion == .representation {
            let string = String(decoding: text, as: UTF8.self)
            text = Array(String(string.unicodeScalars.prefix(precision)).utf8)
        }
        let length = width > 0 ? String(decoding: text, as: UTF8.self).unicodeScalars.count : 0
        let padding = [UInt8](repeating: UInt8(ascii: " "), count: max(0, width - length))
        if leftAligned {
            bytes.append(contentsOf: text)
            bytes.append(contentsOf: padding)
        } else {
            bytes.append(contentsOf: padding)
            bytes.append(contentsOf: text)
        }
    }

    /// A number through C's printf, which takes Python's flags, width and precision as they are.
    private func appendC(_ format: String, _ argument: any CVarArg, to bytes: inout [UInt8]) {
        var buffer = [CChar](repeating: 0, count: 350 + width + (precision ?? 6))
        let count = withVaList([argument]) { arguments in
            vsnprintf(&buffer, buffer.count, format, arguments)
        }
        bytes.append(contentsOf: buffer.prefix(max(0, min(Int(count), buffer.count - 1))).map { UInt8(bitPattern: $0) })
    }
}
