import BeaconAMQP
import BeaconEvents
public import Foundation

extension WorkerConfiguration {
    /// Settings given on the command line; they win over the environment and the file.
    public struct Overrides: Sendable {
        /// `--config`.
        public var configPath: String?
        /// `--amqp-url`.
        public var amqpURL: String?
        /// `--log-dir`.
        public var logDirectory: String?
        /// `--prefetch`.
        public var prefetch: Int?

        public init(configPath: String? = nil, amqpURL: String? = nil, logDirectory: String? = nil, prefetch: Int? = nil) {
            self.configPath = configPath
            self.amqpURL = amqpURL
            self.logDirectory = logDirectory
            self.prefetch = prefetch
        }
    }

    /// The default configuration file, relative to the working directory.
    public static let defaultConfigPath = "worker/worker.yaml"

    /// Reads the configuration: flags over the environment over `worker.yaml` over the defaults.
    ///
    /// The file is `overrides.configPath`, else `BEACON_WORKER_CONFIG`, else `worker/worker.yaml`; a file named
    /// explicitly must exist, the default one may be absent (the defaults are used, and mail templates are looked
    /// for in `worker/templates`). A sink's `type:` names one of `kinds`. Throws the first problem found, naming its
    /// key.
    public static func load(
        overrides: Overrides = Overrides(),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        kinds: SinkKinds = .standard
    ) throws(WorkerConfigurationError) -> WorkerConfiguration {
        let explicitPath = overrides.configPath ?? environment["BEACON_WORKER_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        let path = explicitPath ?? defaultConfigPath
        let text: String
        if let contents = FileManager.default.contents(atPath: path) {
            text = String(decoding: contents, as: UTF8.self)
        } else if explicitPath == nil && !FileManager.default.fileExists(atPath: path) {
            text = ""
        } else {
            let key = overrides.configPath != nil ? "--config" : "BEACON_WORKER_CONFIG"
            throw WorkerConfigurationError(.unreadableFile, key: key, "cannot read \(path)")
        }
        let document = try YAMLReader.parse(text, file: path)
        let directory = (path as NSString).deletingLastPathComponent
        var configuration = try WorkerConfiguration(yaml: document, directory: directory.isEmpty ? "." : directory, kinds: kinds)
        try configuration.apply(environment: environment)
        try configuration.apply(overrides)
        return configuration
    }

    /// Applies `AMQP_URL`, `BEACON_EXCHANGE`, `BEACON_LOG_DIR`, `SMTP_URL`, `MAIL_FROM` and `MAIL_TO`.
    mutating func apply(environment: [String: String]) throws(WorkerConfigurationError) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let url = value("AMQP_URL") {
            try Self.checkAMQPURL(url, key: "AMQP_URL", location: nil)
            broker.url = url
        }
        if let exchange = value("BEACON_EXCHANGE") {
            try Self.checkExchange(exchange, key: "BEACON_EXCHANGE", location: nil)
            broker.exchange = exchange
        }
        if let directory = value("BEACON_LOG_DIR") { logDirectory = directory }
        let smtpURL = value("SMTP_URL")
        if let smtpURL { try Self.checkSMTPURL(smtpURL, key: "SMTP_URL", location: nil) }
        let from = value("MAIL_FROM")
        if let from { try Self.checkAddress(from, key: "MAIL_FROM", location: nil) }
        let to = try value("MAIL_TO").map { list throws(WorkerConfigurationError) in
            let addresses = list.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
            guard !addresses.isEmpty else { throw WorkerConfigurationError(.invalidValue, key: "MAIL_TO", "names no address") }
            for address in addresses { try Self.checkAddress(address, key: "MAIL_TO", location: nil) }
            return addresses
        }
        for index in sinks.indices {
            guard var mail = sinks[index].kind.settings as? MailSinkConfiguration else { continue }
            if let smtpURL { mail.smtp.url = smtpURL }
            if let from { mail.from = from }
            if let to { mail.to = to }
            sinks[index].kind = .mail(mail)
        }
    }

    /// Applies the command-line flags.
    mutating func apply(_ overrides: Overrides) throws(WorkerConfigurationError) {
        if let url = overrides.amqpURL {
            try Self.checkAMQPURL(url, key: "--amqp-url", location: nil)
            broker.url = url
        }
        if let directory = overrides.logDirectory { logDirectory = directory }
        if let prefetch = overrides.prefetch {
            guard (1...65_535).contains(prefetch) else {
                throw WorkerConfigurationError(.invalidValue, key: "--prefetch", "\(prefetch) is not from 1 to 65535")
            }
            broker.prefetch = prefetch
        }
    }

    // MARK: Checks shared by the file, the environment and the flags

    static func checkAMQPURL(_ url: String, key: String, location: String?) throws(WorkerConfigurationError) {
        do {
            _ = try AMQPConfiguration(url: url)
        } catch {
            // AMQPError never shows the password.
            throw WorkerConfigurationError(.invalidValue, key: key, location: location, error.message)
        }
    }

    static func checkExchange(_ name: String, key: String, location: String?) throws(WorkerConfigurationError) {
        guard AMQPExchange.isValidName(name) else {
            throw WorkerConfigurationError(
                .invalidValue,
                key: key,
                location: location,
                "'\(LogText.escaped(name))' is not an exchange name (letters, digits, -, _, ., :)"
            )
        }
    }

    static func checkSMTPURL(_ url: String, key: String, location: String?) throws(WorkerConfigurationError) {
        guard let parts = URLParts(url), ["smtp", "smtps"].contains(parts.scheme), !parts.host.isEmpty else {
            throw WorkerConfigurationError(
                .invalidValue,
                key: key,
                location: location,
                "\"\(Redaction.standard.redactingPassword(inURL: url))\" is not an smtp:// or smtps:// URL with a host"
            )
        }
    }

    /// A mail address as SMTP takes it in `MAIL FROM:<…>` and `RCPT TO:<…>`: `local@domain`, nothing that could
    /// end a command or a header (no control characters, spaces, `<`, `>`, `,`).
    static func checkAddress(_ address: String, key: String, location: String?) throws(WorkerConfigurationError) {
        let forbidden = address.unicodeScalars.contains { $0.value < 0x21 || $0.value == 0x7f || "<>,\"()[]\\;".unicodeScalars.contains($0) }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard !forbidden, parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw WorkerConfigurationError(.invalidValue, key: key, location: location, "\"\(LogText.escaped(address))\" is not a mail address")
        }
    }
}

/// The scheme and host of a URL such as `amqp://user:password@host:5672/vhost`, enough to check it.
struct URLParts {
    let scheme: String
    let host: String

    init?(_ url: String) {
        guard let separator = url.range(of: "://") else { return nil }
        scheme = url[..<separator.lowerBound].lowercased()
        let rest = url[separator.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        // An '@' past the host: a password with an unencoded '/', '?' or '#', which would otherwise pass for the host.
        guard !rest[authority.endIndex...].contains("@") else { return nil }
        let hostAndPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        if hostAndPort.hasPrefix("[") {
            host = String(hostAndPort.prefix { $0 != "]" }.dropFirst())
        } else {
            host = String(hostAndPort.prefix { $0 != ":" })
        }
    }
}
