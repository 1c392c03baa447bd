import BeaconEvents
import Foundation
import Mustache

extension WorkerConfiguration {
    /// Reads `worker.yaml` over the defaults. `directory` is the file's folder: mail templates are found from it.
    ///
    /// `queues` and `sinks` replace the defaults as a whole when present; the other sections override key by key.
    /// A sink's `type:` names one of `kinds`.
    init(yaml document: YAMLReader, directory: String, kinds: SinkKinds) throws(WorkerConfigurationError) {
        var broker = Broker()
        var logDirectory = "var/log"
        var stateDirectory: String?
        var dedupe = Dedupe()
        var queueNodes: YAMLReader?
        var sinkNodes: YAMLReader?
        for (key, value) in try document.members(DocumentKey.self) where !value.isNull {
            switch key {
            case .broker: broker = try Self.broker(value)
            case .logDir: logDirectory = try value.string()
            case .stateDir: stateDirectory = try value.string()
            case .dedupe: dedupe = try Self.dedupe(value)
            case .queues: queueNodes = value
            case .sinks: sinkNodes = value
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

    static func defaultSinks(directory: String, location: String) throws(WorkerConfigurationError) -> [Sink] {
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

    private static func broker(_ node: YAMLReader) throws(WorkerConfigurationError) -> Broker {
        var broker = Broker()
        for (key, value) in try node.members(BrokerKey.self) where !value.isNull {
            switch key {
            case .url:
                broker.url = try value.string()
                try checkAMQPURL(broker.url, key: value.key, location: value.location)
            case .exchange:
                broker.exchange = try value.string()
                try checkExchange(broker.exchange, key: value.key, location: value.location)
            case .queueType: broker.queueType = try value.choice(Dictionary(uniqueKeysWithValues: QueueType.allCases.map { ($0.rawValue, $0) }))
            case .prefetch: broker.prefetch = try value.integer(in: 1...65_535)
            case .maxMessageBytes:
                let bytes = try value.byteCount()
                guard bytes >= 1024, bytes <= 512 << 20 else { throw value.error("must be from 1KiB to 512MiB") }
                broker.maxMessageBytes = Int(bytes)
            case .deadLetterQueue: broker.deadLetterQueue = try nonEmpty(value)
            }
        }
        return broker
    }

    private static func dedupe(_ node: YAMLReader) throws(WorkerConfigurationError) -> Dedupe {
        var dedupe = Dedupe()
        for (key, value) in try node.members(DedupeKey.self) where !value.isNull {
            switch key {
            case .window: dedupe.window = try value.duration()
            case .maxIDs: dedupe.maxIDs = try value.integer(in: 1_000...100_000_000)
            }
        }
        return dedupe
    }

    private static func queues(_ node: YAMLReader) throws(WorkerConfigurationError) -> [Queue] {
        var queues: [Queue] = []
        for (name, value) in try node.members() {
            var queue = Queue(name: name, bindings: [], retryDelays: [], sinks: [])
            var sawBindings = false
            var sawSinks = false
            for (key, member) in try value.members(QueueKey.self) where !member.isNull {
                switch key {
                case .bindings:
                    sawBindings = true
                    queue.bindings = try member.list().map { item throws(WorkerConfigurationError) in
                        let text = try item.string()
                        guard let pattern = TopicPattern(text) else { throw item.error("\"\(text)\" is not a topic pattern such as # or *.*.error") }
                        return pattern
                    }
                case .retry:
                    queue.retryDelays = try member.list().map { item throws(WorkerConfigurationError) in
                        let delay = try item.duration()
                        guard delay >= .seconds(1) else { throw item.error("a retry delay is at least 1s") }
                        return delay
                    }
                    guard Set(queue.retryDelays).count == queue.retryDelays.count else {
                        throw member.error("each retry delay may appear once (each has a queue of its own)")
                    }
                case .sinks:
                    sawSinks = true
                    queue.sinks = try member.list().map { item throws(WorkerConfigurationError) in try item.string() }
                }
            }
            guard sawBindings, !queue.bindings.isEmpty else { throw value.error(.missingKey, "a queue needs bindings (e.g. [\"#\"])") }
            guard sawSinks, !queue.sinks.isEmpty else { throw value.error(.missingKey, "a queue needs sinks (names from the sinks section)") }
            queues.append(queue)
        }
        guard !queues.isEmpty else { throw node.error(.missingKey, "names no queue") }
        return queues
    }

    private static func sinks(_ node: YAMLReader, directory: String, kinds: SinkKinds) throws(WorkerConfigurationError) -> [Sink] {
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
    private static func sink(_ name: String, of kind: some SinkKind, node: YAMLReader, directory: String) throws(WorkerConfigurationError) -> Sink {
        var filter = kind.defaultFilter
        var options: [(name: String, value: YAMLReader)] = []
        let allowed = kind.settingKeys.union(SinkKey.allCases.map(\.rawValue))
        for (key, member) in try node.members(allowed: Array(allowed)) { allowed.contains($0) ? $0 : nil } where !member.isNull {
            switch key {
            case "type": continue
            case "level":
                let text = try member.string()
                guard let level = Event.Level(name: text) else {
                    throw member.error("\"\(text)\" is not a level (trace, debug, info, notice, warning, error, critical)")
                }
                filter.level = level
            case "match":
                filter.patterns = try member.list().map { item throws(WorkerConfigurationError) in
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

    static func fileSink(
        _ options: [(key: FileSinkKey, value: YAMLReader)],
        node: YAMLReader
    ) throws(WorkerConfigurationError) -> FileSinkConfiguration {
        guard let path = options.first(where: { $0.key == .path })?.value else { throw node.error(.missingKey, "a file sink needs a path") }
        var file = FileSinkConfiguration(path: try nonEmpty(path))
        var formatNode: YAMLReader?
        for (key, value) in options {
            switch key {
            case .path: continue  // read first: the configuration starts from it
            case .format:
                file.format = try value.string()
                formatNode = value
            case .dateFormat: file.dateFormat = try value.string()
            case .timeZone: file.timeZone = try value.choice(["local": .local, "utc": .utc])
            case .rotate: file.rotation = try rotation(value)
            case .fsync:
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
            }
        }
        do {
            _ = try LogFormat(file.format, dateFormat: file.dateFormat, timeZone: file.timeZone)
        } catch {
            throw (formatNode ?? node).error(error.description)
        }
        return file
    }

    private static func rotation(_ node: YAMLReader) throws(WorkerConfigurationError) -> FileSinkConfiguration.Rotation {
        if node.isScalar {
            guard try node.string() == "none" else { throw node.error("write none, or a mapping with max_bytes or when") }
            return .none
        }
        let members = try node.members(RotationKey.self)
        func value(_ key: RotationKey) -> YAMLReader? { members.first { $0.key == key && !$0.value.isNull }?.value }
        let backupCount = try value(.backupCount)?.integer(in: 0...10_000) ?? (value(.when) == nil ? 5 : 0)
        if let when = value(.when) {
            if let maxBytes = value(.maxBytes) { throw maxBytes.error("a rotation is by size (max_bytes) or by time (when), not both") }
            let units = Dictionary(uniqueKeysWithValues: FileSinkConfiguration.TimedRotation.Unit.allCases.map { ($0.rawValue, $0) })
            return .timed(
                FileSinkConfiguration.TimedRotation(
                    unit: try when.choice(units),
                    interval: try value(.interval)?.integer(in: 1...10_000) ?? 1,
                    backupCount: backupCount,
                    utc: try value(.utc)?.boolean() ?? false
                )
            )
        }
        for key in [RotationKey.interval, .utc] {
            if let stray = value(key) { throw stray.error("only a rotation by time (when) takes \(key.rawValue)") }
        }
        guard let maxBytes = value(.maxBytes) else { throw node.error(.missingKey, "a rotation needs max_bytes or when") }
        return .size(maxBytes: try maxBytes.byteCount(), backupCount: backupCount)
    }

    static func syslogSink(_ options: [(key: SyslogSinkKey, value: YAMLReader)]) throws(WorkerConfigurationError) -> SyslogSinkConfiguration {
        var syslog = SyslogSinkConfiguration()
        for (key, value) in options {
            switch key {
            case .transport: syslog.transport = try transport(value)
            case .facility:
                let text = try value.string()
                guard let facility = SyslogFacility(name: text) else {
                    throw value.error("\"\(text)\" is not a facility (user, daemon, local0 … local7, …)")
                }
                syslog.facility = facility
            case .format:
                syslog.format = try value.string()
                do { _ = try LogFormat(syslog.format) } catch { throw value.error(error.description) }
            case .appName: syslog.appName = try nonEmpty(value)
            }
        }
        return syslog
    }

    private static func transport(_ node: YAMLReader) throws(WorkerConfigurationError) -> SyslogSinkConfiguration.Transport {
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
        _ options: [(key: MailSinkKey, value: YAMLReader)],
        node: YAMLReader,
        directory: String
    ) throws(WorkerConfigurationError) -> MailSinkConfiguration {
        let defaults = MailTemplatePaths(directory: directory)
        var smtp = SMTPConfiguration()
        var from = "beacon@localhost"
        var to = ["ops@localhost"]
        var subject = MailSinkConfiguration.defaultSubject
        var storm = StormControlConfiguration()
        var body: String?
        var digest: String?
        for (key, value) in options {
            switch key {
            case .smtp: smtp = try smtpSettings(value)
            case .from:
                from = try value.string()
                try checkAddress(from, key: value.key, location: value.location)
            case .to:
                to = try value.list().map { item throws(WorkerConfigurationError) in
                    let address = try item.string()
                    try checkAddress(address, key: item.key, location: item.location)
                    return address
                }
                guard !to.isEmpty else { throw value.error("names no recipient") }
            case .subject:
                subject = try value.string()
                try checkTemplate(subject, node: value)
            case .template:
                body = try defaults.read(defaults.resolve(try value.string()), key: value.key, location: value.location)
            case .digestTemplate:
                digest = try defaults.read(defaults.resolve(try value.string()), key: value.key, location: value.location)
            case .storm: storm = try stormSettings(value)
            }
        }
        if body == nil { body = try defaults.read(defaults.body, key: "\(node.key).template", location: node.location) }
        if digest == nil { digest = try defaults.read(defaults.digest, key: "\(node.key).digest_template", location: node.location) }
        return MailSinkConfiguration(smtp: smtp, from: from, to: to, subject: subject, body: body!, digest: digest!, storm: storm)
    }

    private static func smtpSettings(_ node: YAMLReader) throws(WorkerConfigurationError) -> SMTPConfiguration {
        var smtp = SMTPConfiguration()
        for (key, value) in try node.members(SMTPKey.self) where !value.isNull {
            switch key {
            case .url:
                smtp.url = try value.string()
                try checkSMTPURL(smtp.url, key: value.key, location: value.location)
            case .startTLS:
                smtp.startTLS = try value.choice(Dictionary(uniqueKeysWithValues: SMTPConfiguration.StartTLS.allCases.map { ($0.rawValue, $0) }))
            case .caFile: smtp.caFile = try nonEmpty(value)
            case .connectTimeout: smtp.connectTimeout = try positive(value)
            case .timeout: smtp.timeout = try positive(value)
            }
        }
        return smtp
    }

    private static func stormSettings(_ node: YAMLReader) throws(WorkerConfigurationError) -> StormControlConfiguration {
        var storm = StormControlConfiguration()
        for (key, value) in try node.members(StormKey.self) where !value.isNull {
            switch key {
            case .window: storm.window = try positive(value)
            case .maxPerMinute: storm.maxMailsPerMinute = try value.integer(in: 1...10_000)
            }
        }
        return storm
    }

    // MARK: Cross-references

    private func checkReferences(queueNodes: YAMLReader?, sinkNodes: YAMLReader?) throws(WorkerConfigurationError) {
        func error(_ key: String, _ message: String) -> WorkerConfigurationError {
            let location = queueNodes?.location ?? sinkNodes?.location
            return WorkerConfigurationError(.invalidValue, key: key, location: location, message)
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

    private static func nonEmpty(_ node: YAMLReader) throws(WorkerConfigurationError) -> String {
        let text = try node.string()
        guard !text.trimmingSpaces.isEmpty else { throw node.error("must not be empty") }
        return text
    }

    private static func positive(_ node: YAMLReader) throws(WorkerConfigurationError) -> Duration {
        let duration = try node.duration()
        guard duration > .zero else { throw node.error("must be longer than 0") }
        return duration
    }

    private static func checkTemplate(_ text: String, node: YAMLReader) throws(WorkerConfigurationError) {
        do { _ = try MustacheTemplate(string: text) } catch { throw node.error("not a valid Mustache template: \(error)") }
    }
}

// MARK: The keys of each mapping in worker.yaml

/// The top-level sections.
private enum DocumentKey: String, CaseIterable {
    case broker, dedupe, queues, sinks
    case logDir = "log_dir"
    case stateDir = "state_dir"
}

/// `broker`.
private enum BrokerKey: String, CaseIterable {
    case url, exchange, prefetch
    case queueType = "queue_type"
    case maxMessageBytes = "max_message_bytes"
    case deadLetterQueue = "dead_letter_queue"
}

/// `dedupe`.
private enum DedupeKey: String, CaseIterable {
    case window
    case maxIDs = "max_ids"
}

/// A queue of `queues`.
private enum QueueKey: String, CaseIterable {
    case bindings, retry, sinks
}

/// What every sink of `sinks` has.
enum SinkKey: String, CaseIterable {
    case type, level, match
}

/// What a file sink has beside ``SinkKey``.
enum FileSinkKey: String, CaseIterable {
    case path, format, rotate, fsync
    case dateFormat = "date_format"
    case timeZone = "time_zone"
}

/// A file sink's `rotate` mapping.
private enum RotationKey: String, CaseIterable {
    case when, interval, utc
    case maxBytes = "max_bytes"
    case backupCount = "backup_count"
}

/// What a syslog sink has beside ``SinkKey``.
enum SyslogSinkKey: String, CaseIterable {
    case transport, facility, format
    case appName = "app_name"
}

/// What a mail sink has beside ``SinkKey``.
enum MailSinkKey: String, CaseIterable {
    case smtp, from, to, subject, template, storm
    case digestTemplate = "digest_template"
}

/// A mail sink's `smtp` mapping.
private enum SMTPKey: String, CaseIterable {
    case url, timeout
    case startTLS = "starttls"
    case caFile = "ca_file"
    case connectTimeout = "connect_timeout"
}

/// A mail sink's `storm` mapping.
private enum StormKey: String, CaseIterable {
    case window
    case maxPerMinute = "max_per_minute"
}

/// Where the mail templates are: `templates/error.mustache` and `templates/digest.mustache` next to `worker.yaml`.
struct MailTemplatePaths {
    let directory: String

    var body: String { resolve("templates/error.mustache") }
    var digest: String { resolve("templates/digest.mustache") }

    /// A path relative to the configuration file's folder (absolute paths stay as they are).
    func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : "\(directory)/\(path)" }

    /// A template's text, checked to be a valid Mustache template.
    func read(_ path: String, key: String, location: String) throws(WorkerConfigurationError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WorkerConfigurationError(.unreadableFile, key: key, location: location, "cannot read the template \(path)")
        }
        let text = String(decoding: data, as: UTF8.self)
        do {
            _ = try MustacheTemplate(string: text)
        } catch let error as MustacheTemplate.ParserError {
            throw WorkerConfigurationError(
                .invalidValue,
                key: key,
                location: "\(path):\(error.context.lineNumber)",
                "not a valid Mustache template: \(error.error)"
            )
        } catch {
            throw WorkerConfigurationError(.invalidValue, key: key, location: path, "not a valid Mustache template: \(error)")
        }
        return text
    }
}
