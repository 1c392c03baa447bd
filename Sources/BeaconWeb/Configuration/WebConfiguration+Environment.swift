import BeaconAMQP
import BeaconEvents

extension WebConfiguration {
    /// Values given as command-line flags; they win over the environment.
    public struct Flags: Sendable, Hashable {
        public var amqpURL: String?
        public var host: String?
        public var port: String?
        public var noEvents: Bool

        public init(amqpURL: String? = nil, host: String? = nil, port: String? = nil, noEvents: Bool = false) {
            self.amqpURL = amqpURL
            self.host = host
            self.port = port
            self.noEvents = noEvents
        }
    }

    /// The settings from `flags`, then `environment`, then the defaults; throws for the first unusable value.
    public init(flags: Flags = Flags(), environment: [String: String]) throws(ConfigurationError) {
        self.init()
        /// A non-empty environment variable, with its name.
        func variable(_ name: String) -> (String, setting: String)? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return (value, name)
        }
        /// A flag if given, else an environment variable, with the name of the one used.
        func value(flag: String?, flagName: String, variable name: String) -> (String, setting: String)? {
            flag.map { ($0, flagName) } ?? variable(name)
        }
        if let (url, setting) = value(flag: flags.amqpURL, flagName: "--amqp-url", variable: "AMQP_URL") {
            amqpURL = url
            do {
                _ = try AMQPConfiguration(url: url)
            } catch {
                throw ConfigurationError(
                    .invalidAMQPURL,
                    setting: setting,
                    "cannot use '\(Redaction.standard.redactingPassword(inURL: url))': \(error)"
                )
            }
        }
        if let (exchange, setting) = variable("BEACON_EXCHANGE") {
            guard Self.isExchangeName(exchange) else {
                throw ConfigurationError(
                    .invalidValue,
                    setting: setting,
                    "'\(LogText.escaped(exchange))' is not an exchange name (letters, digits, -, _, ., :)"
                )
            }
            self.exchange = exchange
        }
        if let (host, setting) = value(flag: flags.host, flagName: "--host", variable: "BEACON_HOST") {
            guard !host.contains(where: \.isWhitespace) else {
                throw ConfigurationError(.invalidValue, setting: setting, "'\(LogText.escaped(host))' is not a host name or address")
            }
            self.host = host
        }
        if let (port, setting) = value(flag: flags.port, flagName: "--port", variable: "BEACON_PORT") {
            guard let number = Int(port), (0...65535).contains(number) else {
                throw ConfigurationError(.invalidValue, setting: setting, "'\(LogText.escaped(port))' is not a port number (0-65535)")
            }
            self.port = number
        }
        if let (service, setting) = variable("BEACON_SERVICE") {
            guard Event.isValidServiceName(service) else {
                throw ConfigurationError(
                    .invalidValue,
                    setting: setting,
                    "'\(LogText.escaped(service))' is not a service name (letters, digits, - and _, at most 64)"
                )
            }
            self.service = service
        }
        if let (level, setting) = variable("BEACON_EVENT_LEVEL") {
            guard let parsed = Event.Level(name: level) else {
                let names = Event.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError(.invalidValue, setting: setting, "'\(LogText.escaped(level))' is not a level (\(names))")
            }
            eventLevel = parsed
        }
        if let (directory, _) = variable("BEACON_SPOOL_DIR") {
            spoolDirectory = directory
        }
        if let (debug, setting) = variable("BEACON_DEBUG") {
            self.debug = try Self.boolean(debug, setting: setting)
        }
        if flags.noEvents {
            eventsEnabled = false
        } else if let (events, setting) = variable("BEACON_EVENTS") {
            eventsEnabled = try Self.boolean(events, setting: setting)
        }
    }

    /// AMQP's rule for exchange names: up to 255 letters, digits, `-`, `_`, `.` and `:`.
    static func isExchangeName(_ name: String) -> Bool {
        name.utf8.count <= 255 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }
    }

    /// `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, any case.
    static func boolean(_ text: String, setting: String) throws(ConfigurationError) -> Bool {
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default:
            throw ConfigurationError(.invalidValue, setting: setting, "'\(LogText.escaped(text))' is not a boolean (true/false, on/off, 1/0)")
        }
    }
}
