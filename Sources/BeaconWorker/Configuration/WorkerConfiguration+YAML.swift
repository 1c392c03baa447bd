import BeaconEvents
import Foundation
import Mustache

extension WorkerConfiguration {
    /// Reads `worker.yaml` over the defaults. `directory` is the file's folder: mail templates are found from it.
    ///
    /// `queues` and `sinks` replace the defaults as a whole when present; the other sections override key by key.
    /// A sink's `type:` names one of `kinds`.
    init(yaml document: YAMLReader, directory: String, kinds: SinkKinds) throws(ConfigurationError) {
        var broker = Broker()
        var logDirectory = "var/log"
        var stateDirectory: String?
        var dedupe = Dedupe()
        var queueNodes: YAMLReader?
        var sinkNodes: YAMLReader?
        let sections: Set = ["broker", "log_dir", "state_dir", "dedupe", "queues", "sinks"]
        for (name, value) in try document.members(allowed: sections) where !value.isNull {
            switch name {
            case "broker": broker = try Self.broker(value)
            case "log_dir": logDirectory = try value.string()
            case "state_dir": stateDirectory = try value.string()
            case "dedupe": dedupe = try Self.dedupe(value)
            case "queues": queueNodes = value
            default: sinkNodes = value
            }
        }
        let queues = try queueNodes.map(Self.queues) ?? Self.defaultQueues
        let sinks: [Sink]
        if let sinkNodes {
            sinks = try Self.sinks(sinkNodes, directory: directory, kinds: kinds)
        } else {
            sinks = try Self.defaultSinks(directory: directory, location: document.file)
        }
        self.init(broker: broker, logDirectory: logDirectory, stateDirectory: stateDirectory, dedupe: dedupe, queues: queues, sinks: sinks)
        try checkReferences(queueNodes: queueNodes, sinkNodes: sinkNodes)
    }

    // MARK: Defaults (what worker/worker.yaml spells out)

    static let defaultQueues = [
        Queue(
            name: "worker.files",
            bindings: [.everything],
            retryDelays: [.seconds(1), .seconds(10), .seconds(60)],
            sinks: ["app.log", "errors.log"]
        ),
        Queue(
            name: "worker.mail",
            // Error events and error log lines; not `*.request.error`, the summary of a request whose error event is
            // mailed already (one mail per failure).
            bindings: [TopicPattern("*.error.*")!, TopicPattern("*.log.error")!, TopicPattern("*.log.critical")!],
            retryDelays: [.seconds(5), .seconds(30), .seconds(120), .seconds(600)],
            sinks: ["mail"]
        ),
    ]

    static func defaultSinks(directory: String, location: String) throws(ConfigurationError) -> [Sink] {
        let templates = MailTemplatePaths(directory: directory)
        return [
            Sink(name: "app.log", filter: EventFilter(level: .trace), kind: .file(FileSinkConfiguration(path: "app.log"))),
            Sink(name: "errors.log", filter: EventFilter(level: .warning), kind: .file(FileSinkConfiguration(path: "errors.log"))),
            Sink(
                name: "mail",
                filter: MailSinkKind().defaultFilter,
                kind: .mail(
                    MailSinkConfiguration(
                        body: try templates.read(templates.body, key: "sinks.mail.template", location: location),
                        digest: try templates.read(templates.digest, key: "sinks.mail.digest_template", location: location)
                    )
                )
            ),
        ]
    }

    // MARK: Sections

    private static func broker(_ node: YAMLReader) throws(ConfigurationError) -> Broker {
        var broker = Broker()
        let keys: Set = ["url", "exchange", "queue_type", "prefetch", "max_message_bytes", "dead_letter_queue"]
        for (name, value) in try node.members(allowed: keys) where !value.isNull {
            switch name {
            case "url":
                broker.url = try value.string()
                try checkAMQPURL(broker.url, key: value.key, location: value.location)
            case "exchange":
                broker.exchange = try value.string()
                try checkExchange(broker.exchange, key: value.key, location: value.location)
            case "queue_type": broker.queueType = try value.choice(Dictionary(uniqueKeysWithValues: QueueType.allCases.map { ($0.rawValue, $0) }))
            case "prefetch": broker.prefetch = try value.integer(in: 1...65_535)
            case "max_message_bytes":
                let bytes = try value.byteCount()
                guard bytes >= 1024, bytes <= 512 << 20 else { throw value.error("must be from 1KiB to 512MiB") }
                broker.maxMessageBytes = Int(bytes)
            default: broker.deadLetterQueue = try nonEmpty(value)
            }
        }
        return broker
    }

    private static func dedupe(_ node: YAMLReader) throws(ConfigurationError) -> Dedupe {
        var dedupe = Dedupe()
        for (name, value) in try node.members(allowed: ["window", "max_ids"]) where !value.isNull {
            if name == "window" {
                dedupe.window = try value.duration()
            } else {
                dedupe.maxIDs = try value.integer(in: 1_000...100_000_000)
            }
        }
        return dedupe
    }

    private static func queues(_ node: YAMLReader) throws(ConfigurationError) -> [Queue] {
        var queues: [Queue] = []
        for (name, value) in try node.members() {
            var queue = Queue(name: name, bindings: [], retryDelays: [], sinks: [])
            var sawBindings = false
            var sawSinks = false
            for (key, member) in try value.members(allowed: ["bindings", "retry", "sinks"]) where !member.isNull {
                switch key {
                case "bindings":
                    sawBindings = true
                    queue.bindings = try member.list().map { item throws(ConfigurationError) in
                        let text = try item.string()
                        guard let pattern = TopicPattern(text) else { throw item.error("\"\(text)\" is not a topic pattern such as # or *.*.error") }
                        return pattern
                    }
                case "retry":
                    queue.retryDelays = try member.list().map { item throws(ConfigurationError) in
                        let delay = try item.duration()
                        guard delay >= .seconds(1) else { throw item.error("a retry delay is at least 1s") }
                        return delay
                    }
                    guard Set(queue.retryDelays).count == queue.retryDelays.count else {
                        throw member.error("each retry delay may appear once (each has a queue of its own)")
                    }
                default:
                    sawSinks = true
                    queue.sinks = try member.list().map { item throws(ConfigurationError) in try item.string() }
                }
            }
            guard sawBindings, !queue.bindings.isEmpty else { throw value.error(.missingKey, "a queue needs bindings (e.g. [\"#\"])") }
            guard sawSinks, !queue.sinks.isEmpty else { throw value.error(.missingKey, "a queue needs sinks (names from the sinks section)") }
            queues.append(queue)
        }
        guard !queues.isEmpty else { throw node.error(.missingKey, "names no queue") }
        return queues
    }

    private static func sinks(_ node: YAMLReader, directory: String, kinds: SinkKinds) throws(ConfigurationError) -> [Sink] {
        var sinks: [Sink] = []
        let known = kinds.names.joined(separator: ", ")
        for (name, value) in try node.members() {
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                throw value.error("a sink name is made of letters, digits, '.', '_' and '-'")
            }
            guard let type = try value.member("type") else { throw value.error(.missingKey, "a sink needs a type: \(known)") }
            let typeName = try type.string()
            guard let kind = kinds.kind(named: typeName) else {
                throw type.error("\"\(LogText.escaped(typeName))\" is not a sink kind the worker knows (known: \(known))")
            }
            sinks.append(try sink(name, of: kind, node: value, directory: directory))
        }
        return sinks
    }

    /// One sink of `kind`: the filter from `level` and `match` over the kind's default, the rest read by the kind.
    private static func sink(_ name: String, of kind: some SinkKind, node: YAMLReader, directory: String) throws(ConfigurationError) -> Sink {
        var filter = kind.defaultFilter
        var options: [(name: String, value: YAMLReader)] = []
        for (key, member) in try node.members(allowed: kind.settingKeys.union(["type", "level", "match"])) where !member.isNull {
            switch key {
            case "type": continue
            case "level":
                let text = try member.string()
                guard let level = Event.Level(name: text) else {
                    throw member.error("\"\(text)\" is not a level (trace, debug, info, notice, warning, error, critical)")
                }
                filter.level = level
            case "match":
                filter.patterns = try member.list().map { item throws(ConfigurationError) in
                    let text = try item.string()
                    guard let pattern = TopicPattern(text) else { throw item.error("\"\(text)\" is not a topic pattern such as web.#") }
                    return pattern
                }
            default: options.append((key, member))
            }
        }
        let settings = SinkSettings(sinkName: name, node: node, options: options, configurationDirectory: directory)
        return Sink(name: name, filter: filter, kind: .init(kind, settings: try kind.settings(from: settings)))
    }

    static func fileSink(_ options: [(name: String, value: YAMLReader)], node: YAMLReader) throws(ConfigurationError) -> FileSinkConfiguration {
        guard let path = options.first(where: { $0.name == "path" })?.value else { throw node.error(.missingKey, "a file sink needs a path") }
        var file = FileSinkConfiguration(path: try nonEmpty(path))
        var formatNode: YAMLReader?
        for (name, value) in options {
            switch name {
            case "format":
                file.format = try value.string()
                formatNode = value
            case "date_format": file.dateFormat = try value.string()
            case "time_zone": file.timeZone = try value.choice(["local": .local, "utc": .utc])
            case "rotate": file.rotation = try rotation(value)
            case "fsync":
                let text = try value.string()
                switch text {
                case "batch": file.fsync = .everyBatch
                case "never": file.fsync = .never
                default:
                    guard let interval = ConfigurationText.duration(text), interval > .zero else {
                        throw value.error("\"\(text)\" is not batch, never or an interval such as 1s")
                    }
                    file.fsync = .interval(interval)
                }
            default: continue
            }
        }
        do {
            _ = try LogFormat(file.format, dateFormat: file.dateFormat, timeZone: file.timeZone)
        } catch {
            throw (formatNode ?? node).error(error.description)
        }
        return file
    }

    private static func rotation(_ node: YAMLReader) throws(ConfigurationError) -> FileSinkConfiguration.Rotation {
        if node.isScalar {
            guard try node.string() == "none" else { throw node.error("write none, or a mapping with max_bytes or when") }
            return .none
        }
        let members = try node.members(allowed: ["max_bytes", "backup_count", "when", "interval", "utc"])
        func value(_ name: String) -> YAMLReader? { members.first { $0.name == name && !$0.value.isNull }?.value }
        let backupCount = try value("backup_count")?.integer(in: 0...10_000) ?? (value("when") == nil ? 5 : 0)
        if let when = value("when") {
            if let maxBytes = value("max_bytes") { throw maxBytes.error("a rotation is by size (max_bytes) or by time (when), not both") }
            let units = Dictionary(uniqueKeysWithValues: FileSinkConfiguration.TimedRotation.Unit.allCases.map { ($0.rawValue, $0) })
            return .timed(
                FileSinkConfiguration.TimedRotation(
                    unit: try when.choice(units),
                    interval: try value("interval")?.integer(in: 1...10_000) ?? 1,
                    backupCount: backupCount,
                    utc: try value("utc")?.boolean() ?? false
                )
            )
        }
        for name in ["interval", "utc"] {
            if let stray = value(name) { throw stray.error("only a rotation by time (when) takes \(name)") }
        }
        guard let maxBytes = value("max_bytes") else { throw node.error(.missingKey, "a rotation needs max_bytes or when") }
        return .size(maxBytes: try maxBytes.byteCount(), backupCount: backupCount)
    }

    static func syslogSink(_ options: [(name: String, value: YAMLReader)]) throws(ConfigurationError) -> SyslogSinkConfiguration {
        var syslog = SyslogSinkConfiguration()
        for (name, value) in options {
            switch name {
            case "transport": syslog.transport = try transport(value)
            case "facility":
                let text = try value.string()
                guard let facility = SyslogFacility(name: text) else {
                    throw value.error("\"\(text)\" is not a facility (user, daemon, local0 … local7, …)")
                }
                syslog.facility = facility
            case "format":
                syslog.format = try value.string()
                do { _ = try LogFormat(syslog.format) } catch { throw value.error(error.description) }
            default: syslog.appName = try nonEmpty(value)
            }
        }
        return syslog
    }

    private static func transport(_ node: YAMLReader) throws(ConfigurationError) -> SyslogSinkConfiguration.Transport {
        let text = try node.string()
        if text == "local" { return .local }
        if text.hasPrefix("unix://"), text.count > "unix://".count { return .unix(path: String(text.dropFirst("unix://".count))) }
        if text.hasPrefix("udp://") {
            let address = text.dropFirst("udp://".count)
            if let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65_535).contains(port),
                colon != address.startIndex
            {
                return .udp(host: String(address[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: port)
            }
        }
        throw node.error("\"\(text)\" is not local, udp://HOST:PORT or unix:///PATH")
    }

    static func mailSink(
        _ options: [(name: String, value: YAMLReader)],
        node: YAMLReader,
        directory: String
    ) throws(ConfigurationError) -> MailSinkConfiguration {
        let defaults = MailTemplatePaths(directory: directory)
        var smtp = SMTPConfiguration()
        var from = "beacon@localhost"
        var to = ["ops@localhost"]
        var subject = MailSinkConfiguration.defaultSubject
        var storm = StormControlConfiguration()
        var body: String?
        var digest: String?
        for (name, value) in options {
            switch name {
            case "smtp": smtp = try smtpSettings(value)
            case "from":
                from = try value.string()
                try checkAddress(from, key: value.key, location: value.location)
            case "to":
                to = try value.list().map { item throws(ConfigurationError) in
                    let address = try item.string()
                    try checkAddress(address, key: item.key, location: item.location)
                    return address
                }
                guard !to.isEmpty else { throw value.error("names no recipient") }
            case "subject":
                subject = try value.string()
                try checkTemplate(subject, node: value)
            case "template":
                body = try defaults.read(defaults.resolve(try value.string()), key: value.key, location: value.location)
            case "digest_template":
                digest = try defaults.read(defaults.resolve(try value.string()), key: value.key, location: value.location)
            default: storm = try stormSettings(value)
            }
        }
        if body == nil { body = try defaults.read(defaults.body, key: "\(node.key).template", location: node.location) }
        if digest == nil { digest = try defaults.read(defaults.digest, key: "\(node.key).digest_template", location: node.location) }
        return MailSinkConfiguration(smtp: smtp, from: from, to: to, subject: subject, body: body!, digest: digest!, storm: storm)
    }

    private static func smtpSettings(_ node: YAMLReader) throws(ConfigurationError) -> SMTPConfiguration {
        var smtp = SMTPConfiguration()
        for (name, value) in try node.members(allowed: ["url", "starttls", "ca_file", "connect_timeout", "timeout"]) where !value.isNull {
            switch name {
            case "url":
                smtp.url = try value.string()
                try checkSMTPURL(smtp.url, key: value.key, location: value.location)
            case "starttls":
                smtp.startTLS = try value.choice(Dictionary(uniqueKeysWithValues: SMTPConfiguration.StartTLS.allCases.map { ($0.rawValue, $0) }))
            case "ca_file": smtp.caFile = try nonEmpty(value)
            case "connect_timeout": smtp.connectTimeout = try positive(value)
            default: smtp.timeout = try positive(value)
            }
        }
        return smtp
    }

    private static func stormSettings(_ node: YAMLReader) throws(ConfigurationError) -> StormControlConfiguration {
        var storm = StormControlConfiguration()
        for (name, value) in try node.members(allowed: ["window", "max_per_minute"]) where !value.isNull {
            if name == "window" {
                storm.window = try positive(value)
            } else {
                storm.maxMailsPerMinute = try value.integer(in: 1...10_000)
            }
        }
        return storm
    }

    // MARK: Cross-references

    private func checkReferences(queueNodes: YAMLReader?, sinkNodes: YAMLReader?) throws(ConfigurationError) {
        func error(_ key: String, _ message: String) -> ConfigurationError {
            let location = queueNodes?.location ?? sinkNodes?.location
            return ConfigurationError(.invalidValue, key: key, location: location, message)
        }
        var owners: [String: String] = [:]
        for queue in queues {
            guard queue.name != broker.deadLetterQueue else { throw error("queues.\(queue.name)", "is the dead-letter queue") }
            for sink in queue.sinks {
                guard self.sink(named: sink) != nil else {
                    throw error("queues.\(queue.name).sinks", "no sink is called \"\(sink)\" (sinks: \(sinks.map(\.name).joined(separator: ", ")))")
                }
                if let owner = owners[sink] {
                    throw error("queues.\(queue.name).sinks", "the sink \"\(sink)\" is fed by \(owner) already; a sink belongs to one queue")
                }
                owners[sink] = queue.name
            }
        }
        for sink in sinks where owners[sink.name] == nil {
            throw error("sinks.\(sink.name)", "no queue feeds this sink (add it to a queue's sinks)")
        }
    }

    private static func nonEmpty(_ node: YAMLReader) throws(ConfigurationError) -> String {
        let text = try node.string()
        guard !text.trimmingSpaces.isEmpty else { throw node.error("must not be empty") }
        return text
    }

    private static func positive(_ node: YAMLReader) throws(ConfigurationError) -> Duration {
        let duration = try node.duration()
        guard duration > .zero else { throw node.error("must be longer than 0") }
        return duration
    }

    private static func checkTemplate(_ text: String, node: YAMLReader) throws(ConfigurationError) {
        do { _ = try MustacheTemplate(string: text) } catch { throw node.error("not a valid Mustache template: \(error)") }
    }
}

/// Where the mail templates are: `templates/error.mustache` and `templates/digest.mustache` next to `worker.yaml`.
struct MailTemplatePaths {
    let directory: String

    var body: String { resolve("templates/error.mustache") }
    var digest: String { resolve("templates/digest.mustache") }

    /// A path relative to the configuration file's folder (absolute paths stay as they are).
    func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : "\(directory)/\(path)" }

    /// A template's text, checked to be a valid Mustache template.
    func read(_ path: String, key: String, location: String) throws(ConfigurationError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(.unreadableFile, key: key, location: location, "cannot read the template \(path)")
        }
        let text = String(decoding: data, as: UTF8.self)
        do {
            _ = try MustacheTemplate(string: text)
        } catch let error as MustacheTemplate.ParserError {
            throw ConfigurationError(
                .invalidValue,
                key: key,
                location: "\(path):\(error.context.lineNumber)",
                "not a valid Mustache template: \(error.error)"
            )
        } catch {
            throw ConfigurationError(.invalidValue, key: key, location: path, "not a valid Mustache template: \(error)")
        }
        return text
    }
}
