/// Events to syslog: the local syslog(3), or RFC 5424 messages to a UDP or unix datagram socket.
public struct SyslogSinkConfiguration: Sendable {
    /// Where the messages go.
    public enum Transport: Sendable, Hashable {
        /// syslog(3).
        case local
        /// RFC 5424 over UDP (RFC 5426).
        case udp(host: String, port: Int)
        /// RFC 5424 to a unix datagram socket.
        case unix(path: String)
    }

    /// Where the messages go.
    public var transport: Transport
    /// The syslog facility (`user`, `daemon`, `local0` … `local7`).
    public var facility: SyslogFacility
    /// The message text: a Python logging format string.
    public var format: String
    /// RFC 5424 APP-NAME and syslog(3)'s ident; nil for each event's service.
    public var appName: String?

    public init(
        transport: Transport = .local,
        facility: SyslogFacility = .user,
        format: String = "%(levelname)s [%(request_id)s] %(message)s",
        appName: String? = nil
    ) {
        self.transport = transport
        self.facility = facility
        self.format = format
        self.appName = appName
    }
}

/// The syslog facilities (RFC 5424 numbers).
public enum SyslogFacility: Int, Sendable, CaseIterable {
    case kern = 0
    case user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp
    case local0 = 16
    case local1, local2, local3, local4, local5, local6, local7

    /// The facility's name as configured, e.g. `local0`.
    public var name: String { "\(self)" }

    /// Reads a facility name.
    public init?(name: String) {
        guard let facility = Self.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = facility
    }
}
