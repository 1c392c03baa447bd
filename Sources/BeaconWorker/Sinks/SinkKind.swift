public import BeaconEvents
import BeaconFileSystem
public import Logging

/// A kind of sink that `worker.yaml` names with `type:` — `file`, `syslog`, `mail`, or one of your own.
///
/// A kind reads a sink's settings when the configuration is loaded (so a bad setting stops the worker before it
/// consumes anything, naming its key and line) and builds the sink when the worker starts. Register it with
/// ``SinkKinds/registering(_:)`` and pass the kinds to ``WorkerConfiguration/load(overrides:environment:kinds:)``:
///
/// ```swift
/// struct JSONLinesKind: SinkKind {
///     var name: String { "jsonl" }
///     var settingKeys: Set<String> { ["path"] }
///     func settings(from yaml: SinkSettings) throws(WorkerConfigurationError) -> String {
///         guard let path = try yaml.string("path") else { throw yaml.missing("path") }
///         return path
///     }
///     func makeSink(settings path: String, context: SinkContext) throws(SinkError) -> any EventSink {
///         try JSONLinesSink(name: context.name, path: context.path(path))
///     }
/// }
/// ```
public protocol SinkKind: Sendable {
    /// What a sink of this kind is configured with, read from its `worker.yaml` mapping.
    associatedtype Settings: Sendable

    /// The `type:` that names the kind in `worker.yaml`, e.g. `file` or `jsonl`.
    var name: String { get }
    /// The keys a sink of this kind takes besides `type`, `level` and `match`; any other key is an error.
    var settingKeys: Set<String> { get }
    /// Which events a sink of this kind takes when `worker.yaml` gives it no `level` and no `match`.
    var defaultFilter: EventFilter { get }

    /// Reads and checks a sink's settings; throws for a missing or bad one (``SinkSettings/error(_:_:)``).
    func settings(from yaml: SinkSettings) throws(WorkerConfigurationError) -> Settings

    /// Builds a sink when the worker starts, on the thread of the queue's pipeline that will use it.
    func makeSink(settings: Settings, context: SinkContext) throws(SinkError) -> any EventSink
}

extension SinkKind {
    /// Every event the queue brings.
    public var defaultFilter: EventFilter { EventFilter() }
}

/// The sink kinds a worker knows by name: the stock ones, and those an application registers.
public struct SinkKinds: Sendable {
    private var kinds: [any SinkKind]

    private init(_ kinds: [any SinkKind]) { self.kinds = kinds }

    /// `file`, `syslog` and `mail`.
    public static var standard: SinkKinds { SinkKinds([FileSinkKind(), SyslogSinkKind(), MailSinkKind()]) }

    /// These kinds and `kind`, which replaces a kind of the same name.
    public func registering(_ kind: some SinkKind) -> SinkKinds {
        SinkKinds(kinds.filter { $0.name != kind.name } + [kind])
    }

    /// The kinds' names, in the order they were registered.
    public var names: [String] { kinds.map(\.name) }

    /// The kind called `name`.
    public func kind(named name: String) -> (any SinkKind)? { kinds.first { $0.name == name } }
}

/// A sink's mapping in `worker.yaml`, as its kind reads it: every error names the key and the file's line.
///
/// Only the kind's ``SinkKind/settingKeys`` are here (an unknown key was rejected already); a null value counts as
/// absent.
public struct SinkSettings {
    /// The sink's name, e.g. `events.jsonl`.
    public let sinkName: String
    /// The folder of `worker.yaml`: settings that name files (templates) are relative to it.
    public let configurationDirectory: String
    let node: YAMLReader
    let options: [(name: String, value: YAMLReader)]

    init(sinkName: String, node: YAMLReader, options: [(name: String, value: YAMLReader)], configurationDirectory: String) {
        self.sinkName = sinkName
        self.node = node
        self.options = options
        self.configurationDirectory = configurationDirectory
    }

    /// The sink's key, `sinks.<name>`.
    public var key: String { node.key }

    /// Where the sink is written: `worker/worker.yaml:40`.
    public var location: String { node.location }

    /// The keys given, in the file's order.
    public var keys: [String] { options.map(\.name) }

    private func value(_ key: String) -> YAMLReader? { options.first { $0.name == key }?.value }

    /// The options by a stock kind's key enum: their names are the kind's ``SinkKind/settingKeys``, checked already.
    func options<Key: RawRepresentable<String>>(_: Key.Type) -> [(key: Key, value: YAMLReader)] {
        options.compactMap { option in Key(rawValue: option.name).map { ($0, option.value) } }
    }

    /// A single value, or nil when absent.
    public func string(_ key: String) throws(WorkerConfigurationError) -> String? { try value(key)?.string() }

    /// A list of values (a single value is a list of one), or nil when absent.
    public func strings(_ key: String) throws(WorkerConfigurationError) -> [String]? {
        try value(key)?.list().map { item throws(WorkerConfigurationError) in try item.string() }
    }

    /// A whole number in `range`, or nil when absent.
    public func integer(_ key: String, in range: ClosedRange<Int>) throws(WorkerConfigurationError) -> Int? {
        try value(key)?.integer(in: range)
    }

    /// `true`/`false` (also `yes`/`no`, `on`/`off`), or nil when absent.
    public func boolean(_ key: String) throws(WorkerConfigurationError) -> Bool? { try value(key)?.boolean() }

    /// A duration such as `500ms`, `5s` or `2m`, or nil when absent.
    public func duration(_ key: String) throws(WorkerConfigurationError) -> Duration? { try value(key)?.duration() }

    /// An invalid value: the error names `key` (the sink itself when `key` is nil or absent) and its line.
    public func error(_ key: String?, _ message: String) -> WorkerConfigurationError {
        (key.flatMap(value) ?? node).error(message)
    }

    /// A key that must be given and is not.
    public func missing(_ key: String, _ message: String? = nil) -> WorkerConfigurationError {
        node.error(.missingKey, message ?? "a sink of this kind needs \(key)")
    }
}

/// What a kind builds a sink with when the worker starts.
public struct SinkContext: Sendable {
    /// The sink's name in `worker.yaml`.
    public let name: String
    /// Where relative file paths point (`log_dir`, `BEACON_LOG_DIR`, `--log-dir`).
    public let logDirectory: String
    /// The worker's logger, with the queue in its metadata.
    public let logger: Logger
    /// Milliseconds since 1970 (tests move it).
    public let clock: @Sendable () -> Int64
    let stateDirectory: String
    let dedupe: WorkerConfiguration.Dedupe

    init(
        name: String,
        configuration: WorkerConfiguration,
        clock: @escaping @Sendable () -> Int64,
        logger: Logger
    ) {
        self.name = name
        self.logDirectory = configuration.logDirectory
        self.stateDirectory = configuration.resolvedStateDirectory
        self.dedupe = configuration.dedupe
        self.clock = clock
        self.logger = logger
    }

    /// `path` when absolute, else under ``logDirectory``.
    public func path(_ path: String) -> String { path.hasPrefix("/") ? path : "\(logDirectory)/\(path)" }

    /// Opens the sink's journal in the state directory; `replay` sees the records a stock sink keeps in it.
    func journal(replay: (SinkJournal.Record) -> Void = { _ in }) throws(SinkError) -> SinkJournal {
        do {
            return try SinkJournal(directory: stateDirectory, name: name, dedupe: dedupe, clock: clock, replay: replay)
        } catch {
            throw SinkError(.journal, sink: name, error.description)
        }
    }
}

// MARK: The stock kinds

/// `type: file`: a rotating log file (``FileSinkConfiguration``).
struct FileSinkKind: SinkKind {
    var name: String { "file" }
    var settingKeys: Set<String> { Set(FileSinkKey.allCases.map(\.rawValue)) }

    func settings(from yaml: SinkSettings) throws(WorkerConfigurationError) -> FileSinkConfiguration {
        try WorkerConfiguration.fileSink(yaml.options(FileSinkKey.self), node: yaml.node)
    }

    func makeSink(settings: FileSinkConfiguration, context: SinkContext) throws(SinkError) -> any EventSink {
        try FileSink(
            name: context.name,
            configuration: settings,
            logDirectory: context.logDirectory,
            journal: context.journal(),
            clock: context.clock
        )
    }
}

/// `type: syslog`: syslog(3) or RFC 5424 datagrams (``SyslogSinkConfiguration``).
struct SyslogSinkKind: SinkKind {
    var name: String { "syslog" }
    var settingKeys: Set<String> { Set(SyslogSinkKey.allCases.map(\.rawValue)) }

    func settings(from yaml: SinkSettings) throws(WorkerConfigurationError) -> SyslogSinkConfiguration {
        try WorkerConfiguration.syslogSink(yaml.options(SyslogSinkKey.self))
    }

    func makeSink(settings: SyslogSinkConfiguration, context: SinkContext) throws(SinkError) -> any EventSink {
        try SyslogSink(name: context.name, configuration: settings, journal: context.journal())
    }
}

/// `type: mail`: one mail per failure under storm control (``MailSinkConfiguration``).
struct MailSinkKind: SinkKind {
    var name: String { "mail" }
    var settingKeys: Set<String> { Set(MailSinkKey.allCases.map(\.rawValue)) }

    /// Error events and log lines at error and up; not the summary of a request that failed (its error event is
    /// mailed already): one mail per failure.
    var defaultFilter: EventFilter { EventFilter(level: .error, patterns: Self.patterns) }

    /// The routing keys of what is mailed: every error event, and log lines (the level does the rest).
    static let patterns = [TopicPattern("*.error.*")!, TopicPattern("*.log.*")!]

    func settings(from yaml: SinkSettings) throws(WorkerConfigurationError) -> MailSinkConfiguration {
        try WorkerConfiguration.mailSink(yaml.options(MailSinkKey.self), node: yaml.node, directory: yaml.configurationDirectory)
    }

    func makeSink(settings: MailSinkConfiguration, context: SinkContext) throws(SinkError) -> any EventSink {
        try MailSink(name: context.name, configuration: settings, context: context)
    }
}
