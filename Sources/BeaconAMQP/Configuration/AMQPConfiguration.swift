/// Where and how to connect: broker address, credentials, TLS, protocol tuning, deadlines and reconnection.
///
/// Usually built from a URL (see ``init(url:)``). The password is kept for logging in and never shown: not in
/// ``description``, not in `dump`, not in any log line or ``AMQPError``.
public struct AMQPConfiguration: Sendable {
    /// TLS settings for `amqps://`. rabbitmq-c 0.11 loads no CA by default: when ``caCertificateFile`` is `nil` the
    /// system bundle is used (Debian's `/etc/ssl/certs/ca-certificates.crt` and the usual other places).
    public struct TLS: Sendable, Hashable {
        /// PEM file with the certificate authorities that may sign the broker's certificate.
        public var caCertificateFile: String?
        /// PEM client certificate, for brokers that require one (with ``keyFile``).
        public var certificateFile: String?
        /// PEM private key of ``certificateFile``.
        public var keyFile: String?
        /// Check the broker's certificate chain against the CA. Off only for tests.
        public var verifyPeer: Bool
        /// Check that the broker's certificate names ``AMQPConfiguration/host``.
        public var verifyHostname: Bool

        public init(
            caCertificateFile: String? = nil,
            certificateFile: String? = nil,
            keyFile: String? = nil,
            verifyPeer: Bool = true,
            verifyHostname: Bool = true
        ) {
            self.caCertificateFile = caCertificateFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.verifyPeer = verifyPeer
            self.verifyHostname = verifyHostname
        }
    }

    public var host: String
    public var port: Int
    public var virtualHost: String
    public var user: String
    /// Sent at login only (SASL PLAIN; use TLS on untrusted networks).
    public var password: String
    /// `nil`: plain TCP (`amqp://`).
    public var tls: TLS?
    /// Heartbeat interval proposed to the broker, in whole seconds (the broker may lower it); `.zero` disables
    /// heartbeats. A connection that hears nothing for two intervals is considered dead.
    public var heartbeat: Duration
    /// How long connecting (TCP, TLS and the AMQP handshake) may take.
    public var connectionTimeout: Duration
    /// Largest frame, in bytes (the broker may lower it). Bodies larger than a frame are split.
    public var frameMax: Int
    /// Most channels on this connection (the broker may lower it); `0` takes the broker's limit.
    public var channelMax: Int
    /// How long a broker reply (declare, bind, get, consume…) may take before the connection is considered dead.
    public var rpcTimeout: Duration
    /// How long a publish may wait for its confirm, including time spent waiting for the connection or for a blocked
    /// broker, before it resolves as ``AMQPPublishOutcome/failed(_:)`` with ``AMQPError/Code/timeout``.
    public var publishTimeout: Duration
    /// Most published messages awaiting their confirm on one channel; further publishes wait their turn.
    public var confirmWindow: Int
    /// Shown in the management UI's connection list.
    public var connectionName: String?
    /// Whether and how fast to reconnect after the connection is lost.
    public var reconnect: AMQPReconnectPolicy

    public init(
        host: String = "localhost",
        port: Int? = nil,
        virtualHost: String = "/",
        user: String = "guest",
        password: String = "guest",
        tls: TLS? = nil,
        heartbeat: Duration = .seconds(60),
        connectionTimeout: Duration = .seconds(10),
        frameMax: Int = 131_072,
        channelMax: Int = 2047,
        rpcTimeout: Duration = .seconds(30),
        publishTimeout: Duration = .seconds(30),
        confirmWindow: Int = 1024,
        connectionName: String? = nil,
        reconnect: AMQPReconnectPolicy = AMQPReconnectPolicy()
    ) {
        self.host = host
        self.port = port ?? (tls == nil ? 5672 : 5671)
        self.virtualHost = virtualHost
        self.user = user
        self.password = password
        self.tls = tls
        self.heartbeat = heartbeat
        self.connectionTimeout = connectionTimeout
        self.frameMax = frameMax
        self.channelMax = channelMax
        self.rpcTimeout = rpcTimeout
        self.publishTimeout = publishTimeout
        self.confirmWindow = confirmWindow
        self.connectionName = connectionName
        self.reconnect = reconnect
    }

    /// The broker's address as a URL without the password, e.g. `amqp://guest@127.0.0.1:5672/%2F`: safe to log.
    public var redactedURL: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(tls == nil ? "amqp" : "amqps")://\(Self.percentEncode(user))@\(hostPart):\(port)/\(Self.percentEncode(virtualHost))"
    }

    /// Checks the values that rabbitmq-c would otherwise reject late or silently clamp.
    func validated() throws(AMQPError) -> AMQPConfiguration {
        func invalid(_ message: String) -> AMQPError {
            AMQPError(code: .invalidConfiguration, message: message, context: "AMQP configuration for \(redactedURL)")
        }
        guard !host.isEmpty else { throw invalid("the host is empty") }
        guard (1...65_535).contains(port) else { throw invalid("port \(port) is not in 1…65535") }
        guard heartbeat >= .zero, heartbeat <= .seconds(65_535) else { throw invalid("heartbeat must be 0…65535 s") }
        guard frameMax >= 4096 else { throw invalid("frame_max must be at least 4096 bytes") }
        guard (0...65_535).contains(channelMax) else { throw invalid("channel_max must be 0…65535") }
        guard connectionTimeout > .zero else { throw invalid("connection_timeout must be positive") }
        guard rpcTimeout > .zero, publishTimeout > .zero else { throw invalid("timeouts must be positive") }
        guard confirmWindow >= 1 else { throw invalid("the confirm window must hold at least one message") }
        if let tls, tls.certificateFile != nil, tls.keyFile == nil {
            throw invalid("a TLS client certificate needs its key file (keyfile)")
        }
        return self
    }

    /// The heartbeat in whole seconds, rounded up (AMQP negotiates seconds).
    var heartbeatSeconds: Int {
        let (seconds, attoseconds) = heartbeat.components
        return Int(seconds) + (attoseconds > 0 ? 1 : 0)
    }

    static func percentEncode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                result += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return result
    }
}

extension AMQPConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "AMQPConfiguration(\(redactedURL))" }

    public var debugDescription: String {
        "AMQPConfiguration(\(redactedURL), heartbeat: \(heartbeat), connectionTimeout: \(connectionTimeout), frameMax: \(frameMax), "
            + "channelMax: \(channelMax), tls: \(tls.map { "\($0)" } ?? "none"), password: <redacted>)"
    }

    /// What `dump` and debuggers show: every setting, the password redacted.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "url": redactedURL, "host": host, "port": port, "virtualHost": virtualHost, "user": user, "password": "<redacted>",
                "tls": tls as Any, "heartbeat": heartbeat, "connectionTimeout": connectionTimeout, "frameMax": frameMax,
                "channelMax": channelMax, "rpcTimeout": rpcTimeout, "publishTimeout": publishTimeout,
                "confirmWindow": confirmWindow, "connectionName": connectionName as Any, "reconnect": reconnect,
            ],
            displayStyle: .struct
        )
    }
}
