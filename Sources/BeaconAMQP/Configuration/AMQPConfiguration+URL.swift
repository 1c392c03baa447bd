extension AMQPConfiguration {
    /// Reads a RabbitMQ URI: `amqp[s]://[user[:password]@]host[:port][/vhost][?query]`.
    ///
    /// User, password and vhost are percent-decoded (`%2F` is the vhost `/`; an empty or absent vhost is also `/`).
    /// The port defaults to 5672 (`amqp`) or 5671 (`amqps`). Query parameters, as in the RabbitMQ URI spec:
    ///
    /// | parameter | meaning |
    /// | --- | --- |
    /// | `heartbeat` | seconds; `0` disables |
    /// | `connection_timeout` | milliseconds |
    /// | `frame_max`, `channel_max` | protocol limits |
    /// | `cacertfile`, `certfile`, `keyfile` | PEM files for TLS (`amqps` only) |
    /// | `verify` | `verify_peer` (default) or `verify_none` |
    /// | `server_name_indication` | must be the host (rabbitmq-c 0.11 always sends and checks the host) |
    /// | `auth_mechanism` | `plain` (the only one supported) |
    /// | `connection_name` | shown in the management UI |
    ///
    /// Any other parameter is an error, so a typo does not go unnoticed. Settings the URL does not cover keep the
    /// defaults of ``init(host:port:virtualHost:user:password:tls:heartbeat:connectionTimeout:frameMax:channelMax:rpcTimeout:publishTimeout:confirmWindow:connectionName:reconnect:)``.
    public init(url: String) throws(AMQPError) {
        let parsed = try URLParser(url).parse()
        self.init(
            host: parsed.host,
            port: parsed.port,
            virtualHost: parsed.virtualHost,
            user: parsed.user,
            password: parsed.password,
            tls: parsed.tls
        )
        try apply(query: parsed.query, redacted: parsed.redacted)
        self = try validated()
    }

    private mutating func apply(query: [(name: String, value: String)], redacted: String) throws(AMQPError) {
        func invalid(_ message: String) -> AMQPError {
            AMQPError(code: .invalidConfiguration, message: message, context: "AMQP URL \(redacted)")
        }
        func integer(_ name: String, _ value: String) throws(AMQPError) -> Int {
            guard let number = Int(value), number >= 0 else { throw invalid("\(name)=\(value) is not a non-negative integer") }
            return number
        }
        for (name, value) in query {
            switch name {
            case "heartbeat":
                heartbeat = .seconds(try integer(name, value))
            case "connection_timeout":
                connectionTimeout = .milliseconds(try integer(name, value))
            case "frame_max":
                frameMax = try integer(name, value)
            case "channel_max":
                channelMax = try integer(name, value)
            case "connection_name":
                connectionName = value
            case "auth_mechanism":
                guard value.lowercased() == "plain" else { throw invalid("auth_mechanism=\(value): only plain is supported") }
            case "cacertfile", "certfile", "keyfile", "verify", "server_name_indication":
                guard var options = tls else { throw invalid("\(name) needs an amqps:// URL") }
                switch name {
                case "cacertfile": options.caCertificateFile = value
                case "certfile": options.certificateFile = value
                case "keyfile": options.keyFile = value
                case "verify":
                    switch value {
                    case "verify_peer": options.verifyPeer = true
                    case "verify_none":
                        options.verifyPeer = false
                        options.verifyHostname = false
                    default: throw invalid("verify=\(value): use verify_peer or verify_none")
                    }
                default:
                    guard value == host else {
                        throw invalid("server_name_indication=\(value): rabbitmq-c 0.11 always uses the host (\(host)) for SNI and verification")
                    }
                }
                tls = options
            default:
                throw invalid("unknown query parameter \(name)")
            }
        }
    }
}

/// The pieces of an AMQP URL, percent-decoded.
private struct URLParser {
    struct Parsed {
        var host: String
        var port: Int?
        var virtualHost: String
        var user: String
        var password: String
        var tls: AMQPConfiguration.TLS?
        var query: [(name: String, value: String)]
        var redacted: String
    }

    let url: String

    init(_ url: String) { self.url = url }

    /// The URL with any password left out, for error messages. The user info is taken to end at the URL's last `@`,
    /// so that a password with an unencoded `/`, `?` or `#` in it (a malformed URL) is left out too.
    var redacted: String {
        guard let schemeEnd = url.firstRange(of: "://") else { return "<not a URL>" }
        guard let at = url.lastIndex(of: "@"), at >= schemeEnd.upperBound else { return url }
        let userInfo = url[schemeEnd.upperBound..<at]
        let user = userInfo.firstIndex(of: ":").map { userInfo[..<$0] } ?? userInfo
        return String(url[..<schemeEnd.upperBound]) + String(user) + String(url[at...])
    }

    func invalid(_ message: String) -> AMQPError {
        AMQPError(code: .invalidConfiguration, message: message, context: "AMQP URL \(redacted)")
    }

    func parse() throws(AMQPError) -> Parsed {
        guard let schemeEnd = url.firstRange(of: "://") else { throw invalid("expected amqp://… or amqps://…") }
        let tls: AMQPConfiguration.TLS?
        switch url[..<schemeEnd.lowerBound].lowercased() {
        case "amqp": tls = nil
        case "amqps": tls = AMQPConfiguration.TLS()
        case let scheme: throw invalid("unsupported scheme \(scheme): expected amqp or amqps")
        }
        var rest = url[schemeEnd.upperBound...]
        if let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }), rest[authorityEnd...].contains("@") {
            // Most likely a password with an unencoded delimiter; parsing on would quote pieces of it in the error.
            throw invalid(
                "an '@' after the host: percent-encode '/', '?' and '#' in the user and password (%2F, %3F, %23), and '@' in the vhost or query (%40)"
            )
        }
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }

        var queryText: Substring = ""
        if let question = rest.firstIndex(of: "?") {
            queryText = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...]

        var user = "guest"
        var password = "guest"
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                user = try decode(userInfo[..<colon], "user")
                password = try decode(userInfo[userInfo.index(after: colon)...], "password")
            } else {
                user = try decode(userInfo, "user")
                password = ""
            }
        }

        var host: String
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw invalid("unterminated [IPv6] host") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw invalid("unexpected text after the host") }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = try decode(hostPort[..<colon], "host")
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = try decode(hostPort, "host")
        }
        if host.isEmpty { host = "localhost" }
        var port: Int?
        if let portText, !portText.isEmpty {
            guard let number = Int(portText), (1...65_535).contains(number) else { throw invalid("port \(portText) is not in 1…65535") }
            port = number
        }

        var virtualHost = "/"
        if path.count > 1 {
            let encoded = path.dropFirst()
            guard !encoded.contains("/") else { throw invalid("the vhost must be one path segment (write / as %2F)") }
            virtualHost = try decode(encoded, "vhost")
        }

        var query: [(name: String, value: String)] = []
        for pair in queryText.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try decode(parts[0], "query parameter")
            let value = parts.count > 1 ? try decode(parts[1], "query parameter \(name)") : ""
            query.append((name: name, value: value))
        }
        return Parsed(
            host: host,
            port: port,
            virtualHost: virtualHost,
            user: user,
            password: password,
            tls: tls,
            query: query,
            redacted: redacted
        )
    }

    /// Percent-decodes `text` as UTF-8; `what` names the part in the error (never its value: it may be the password).
    func decode(_ text: Substring, _ what: String) throws(AMQPError) -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw invalid("bad percent-encoding in the \(what)")
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else { throw invalid("the \(what) is not UTF-8 once decoded") }
        return decoded
    }

    private func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
