import BeaconEvents
import BeaconFileSystem
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Events to syslog, as Python's `SysLogHandler` sends them: through the local syslog(3), or as RFC 5424 messages
/// to a UDP or unix datagram socket.
///
/// A datagram cannot be taken back, so a worker killed between a send and its journal record sends that event
/// again after the restart; everything else is deduplicated as for the other sinks.
final class SyslogSink: JournaledSink {
    let name: String
    let journal: SinkJournal

    private let configuration: SyslogSinkConfiguration
    private var format: LogFormat
    /// The connection to a remote receiver, made when first needed and made again after a failed send.
    private var socket: SyslogSocket?

    init(name: String, configuration: SyslogSinkConfiguration, journal: SinkJournal) throws(SinkError) {
        self.name = name
        self.journal = journal
        self.configuration = configuration
        do {
            format = try LogFormat(configuration.format)
        } catch {
            throw SinkError(.syslog, sink: name, error.description, isPermanent: true)
        }
        if configuration.transport == .local {
            Self.openLocal(ident: configuration.appName ?? "beacon", facility: configuration.facility)
        }
    }

    func write(_ events: [Event]) -> [SinkError?] {
        var results = [SinkError?](repeating: nil, count: events.count)
        var sent = 0
        defer {
            if sent > 0 { try? journal.commit(events.prefix(sent).map(\.id), sync: false) }
        }
        for event in events {
            let severity = Self.severity(event.level)
            if configuration.transport != .local {
                var message = RFC5424.header(event, facility: configuration.facility, severity: severity, appName: configuration.appName)
                format.append(event, to: &message)
                do throws(SystemCallError) {
                    if socket == nil { socket = try SyslogSocket(configuration.transport) }
                    try socket?.send(RFC5424.truncated(message))
                } catch {
                    socket = nil
                    let failure = SinkError(.syslog, sink: name, error.description)
                    for index in sent..<events.count { results[index] = failure }
                    return results
                }
            } else {
                let line = format.format(event)
                withVaList([line]) { arguments in
                    vsyslog(Int32(configuration.facility.rawValue << 3) | severity, "%s", arguments)
                }
            }
            sent += 1
        }
        return results
    }

    func close() {
        if configuration.transport == .local { closelog() }
        socket = nil
    }

    /// swift-log's levels as syslog severities (trace has none of its own: debug).
    static func severity(_ level: Event.Level) -> Int32 {
        switch level {
        case .trace, .debug: LOG_DEBUG
        case .info: LOG_INFO
        case .notice: LOG_NOTICE
        case .warning: LOG_WARNING
        case .error: LOG_ERR
        case .critical: LOG_CRIT
        }
    }

    /// openlog(3) keeps the ident pointer: it must stay valid for the life of the process.
    private static func openLocal(ident: String, facility: SyslogFacility) {
        openlog(strdup(ident), LOG_PID | LOG_NDELAY, Int32(facility.rawValue << 3))
    }
}

/// RFC 5424 message headers: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] `.
enum RFC5424 {
    /// The private enterprise number RFC 5612 reserves for documentation, for the structured data id `event@32473`.
    static let structuredDataID = "event@32473"
    /// Receivers must take 480 bytes and should take 2048 (RFC 5426); longer messages are cut here.
    static let maximumLength = 8192

    static func header(_ event: Event, facility: SyslogFacility, severity: Int32, appName: String?) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256 + event.message.utf8.count)
        bytes.append(contentsOf: "<\(facility.rawValue * 8 + Int(severity))>1 \(event.time.rfc3339) ".utf8)
        appendField(event.host, maximum: 255, to: &bytes)
        appendField(appName ?? event.service, maximum: 48, to: &bytes)
        appendField(event.pid.map(String.init), maximum: 128, to: &bytes)
        appendField(event.kind.rawValue, maximum: 32, to: &bytes)
        bytes.append(contentsOf: "[\(structuredDataID)".utf8)
        var parameters = [("id", event.id)]
        if let logger = event.logger { parameters.append(("logger", logger)) }
        if let requestID = event.request?.id { parameters.append(("request_id", requestID)) }
        if let fingerprint = event.error?.fingerprint { parameters.append(("fingerprint", fingerprint)) }
        for (name, value) in parameters {
            bytes.append(contentsOf: " \(name)=\"".utf8)
            for byte in LogText.escaped(value).utf8 {
                // PARAM-VALUE escapes '"', '\' and ']' with a backslash.
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "]") {
                    bytes.append(UInt8(ascii: "\\"))
                }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(contentsOf: "] ".utf8)
        return bytes
    }

    /// A header field: printable US-ASCII without spaces, at most `maximum` characters, `-` when absent.
    private static func appendField(_ value: String?, maximum: Int, to bytes: inout [UInt8]) {
        let printable = (value ?? "").utf8.prefix(maximum).map { (33...126).contains($0) ? $0 : UInt8(ascii: "_") }
        bytes.append(contentsOf: printable.isEmpty ? [UInt8(ascii: "-")] : printable)
        bytes.append(UInt8(ascii: " "))
    }

    /// The message cut to ``maximumLength`` bytes, at a UTF-8 character boundary.
    static func truncated(_ message: [UInt8]) -> [UInt8] {
        guard message.count > maximumLength else { return message }
        var end = maximumLength
        while end > 0 && message[end] & 0xc0 == 0x80 { end -= 1 }
        return Array(message[..<end])
    }
}

/// A connected datagram socket to a syslog receiver: UDP, or a unix socket such as `/dev/log`.
final class SyslogSocket {
    private let descriptor: Int32
    private let peer: String

    init(_ transport: SyslogSinkConfiguration.Transport) throws(SystemCallError) {
        switch transport {
        case .local:
            preconditionFailure("syslog(3) needs no socket")
        case .unix(let path):
            peer = path
            descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else { throw SystemCallError("socket", path) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let capacity = MemoryLayout.size(ofValue: address.sun_path)
            guard path.utf8.count < capacity else {
                close(descriptor)
                throw SystemCallError("connect", path, .fileNameTooLong)
            }
            withUnsafeMutableBytes(of: &address.sun_path) { buffer in
                buffer.copyBytes(from: path.utf8)
                buffer[path.utf8.count] = 0
            }
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard result == 0 else {
                let error = SystemCallError("connect", path)
                close(descriptor)
                throw error
            }
        case .udp(let host, let port):
            peer = "\(host):\(port)"
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
            hints.ai_flags = AI_NUMERICSERV
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, String(port), &hints, &list)
            guard status == 0, let first = list else {
                throw SystemCallError("getaddrinfo", "\(host):\(port) (\(String(cString: gai_strerror(status))))", .noRouteToHost)
            }
            defer { freeaddrinfo(list) }
            descriptor = socket(first.pointee.ai_family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else { throw SystemCallError("socket", peer) }
            guard connect(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
                let error = SystemCallError("connect", peer)
                close(descriptor)
                throw error
            }
        }
    }

    deinit { close(descriptor) }

    func send(_ message: [UInt8]) throws(SystemCallError) {
        while true {
            let sent = message.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent >= 0 { return }
            if errno != EINTR { throw SystemCallError("send", peer) }
        }
    }
}
