import BeaconAMQP
import BeaconEvents

extension WebConfiguration {
    /// Values given as command-line flags; they win over the environment.
    struct Flags: Sendable, Hashable {
        var amqpURL: String?
        var host: String?
        var port: String?
        var noEvents: Bool

        init(amqpURL: String? = nil, host: String? = nil, port: String? = nil, noEvents: Bool = false) {
            self.amqpURL = amqpURL
            self.host = host
            self.port = port
            self.noEvents = noEvents
        }
    }

    /// The settings from `flags`, then `environment`, then the defaults; throws for the first unusable value.
    init(flags: Flags = Flags(), environment: [String: String]) throws(WebConfigurationError) {
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
                throw WebConfigurationError(
                    .invalidAMQPURL,
                    setting: setting,
                    "cannot use '\(Redaction.standard.redactingPassword(inURL: url))': \(error)"
                )
            }
        }
        if let (exchange, setting) = variable("BEACON_EXCHANGE") {
            self.exchange = try Self.parse(exchange, setting: setting, expecting: "an exchange name (letters, digits, -, _, ., :)") {
                AMQPExchange.isValidName($0) ? $0 : nil
            }
        }
        if let (host, setting) = value(flag: flags.host, flagName: "--host", variable: "BEACON_HOST") {
            self.host = try Self.parse(host, setting: setting, expecting: "a host name or address") {
                $0.contains(where: \.isWhitespace) ? nil : $0
            }
        }
        if let (port, setting) = value(flag: flags.port, flagName: "--port", variable: "BEACON_PORT") {
            self.port = try Self.parse(port, setting: setting, expecting: "a port number (0-65535)") {
                Int($0).flatMap { (0...65535).contains($0) ? $0 : nil }
            }
        }
        if let (service, setting) = variable("BEACON_SERVICE") {
            self.service = try Self.parse(service, setting: setting, expecting: "a service name (letters, digits, - and _, at most 64)") {
                Event.isValidServiceName($0) ? $0 : nil
            }
        }
        if let (level, setting) = variable("BEACON_EVENT_LEVEL") {
            let names = Event.Level.allCases.map(\.rawValue).joined(separator: ", ")
            eventLevel = try Self.parse(level, setting: setting, expecting: "a level (\(names))") { Event.Level(name: $0) }
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

    /// `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, any case.
    static func boolean(_ text: String, setting: String) throws(WebConfigurationError) -> Bool {
        try parse(text, setting: setting, expecting: "a boolean (true/false, on/off, 1/0)") { text in
            switch text.lowercased() {
            case "1", "true", "yes", "on": true
            case "0", "false", "no", "off": false
            default: nil
            }
        }
    }

    /// The value `read` finds in `text`, or an error for `setting` saying that `text` is not what was `expecting`.
    static func parse<Value>(
        _ text: String,
        setting: String,
        expecting expected: String,
        _ read: (String) -> Value?
    ) throws(WebConfigurationError) -> Value {
        guard let value = read(text) else {
            throw WebConfigurationError(.invalidValue, setting: setting, "'\(LogText.escaped(text))' is not \(expected)")
        }
        return value
    }
}
