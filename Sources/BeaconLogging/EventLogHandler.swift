import BeaconEvents
public import Logging

/// A swift-log handler that turns log records at or above a level (`BEACON_EVENT_LEVEL`) into events: Python
/// logging's `QueueHandler` in front of the broker.
///
/// A record becomes a `log` event (`web.log.warning`), or an `error` event (`web.error.error`) when it carries an
/// error (`logger.error("…", error: error)`), with the error's type and a fingerprint of its type and call site. A
/// record logged through a logger whose metadata holds an ``EventScope`` (a web request's `context.logger`, a task's
/// logger) carries that scope's request (id, method, redacted path). Metadata keys named like secrets (`password`,
/// `token`, …) are redacted.
///
/// Like every swift-log handler it is a value: metadata and level changes stay with the logger that made them; the
/// one shared part, the publisher, is thread-safe. Logging never blocks and never does I/O: the event goes into the
/// outbox's memory buffer.
///
/// Left out, so that nothing is published twice or loops:
/// - records whose swift-log `source` is in ``excludedSources`` (by default ``producerSources``): lines that a
///   producer also publishes as events of its own, such as BeaconWeb's request lines;
/// - the logs of the event pipeline itself (labels starting with `beacon.outbox` or `beacon.amqp`).
///
/// ```swift
/// LoggingSystem.bootstrap { label in
///     LogHandlerPair(LineLogHandler.standardError(label: label), EventLogHandler(label: label, publisher: publisher))
/// }
/// ```
public struct EventLogHandler: LogHandler {
    /// Logger labels whose records never become events: the pipeline's own.
    public static let pipelineLabelPrefixes = ["beacon.outbox", "beacon.amqp"]
    /// The logger metadata key under which a producer keeps its ``EventScope``: `hb.request.id`, the key Hummingbird
    /// gives the request id, so that every handler prints the id and this one finds the whole scope.
    public static let scopeMetadataKey = "hb.request.id"

    public let label: String
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    /// Records below this level do not become events; it starts at the publisher's minimum level.
    public var logLevel: Logger.Level
    /// The swift-log sources of lines that Beacon's producers publish as events of their own: BeaconWeb's request
    /// lines (`GET /hello 200 0.41ms`, `Exception on /boom [GET]`), published as the request and error events.
    public static let producerSources: Set<String> = ["beacon.web.request"]
    /// Sources (swift-log's `source`, usually the module) whose records never become events.
    public let excludedSources: Set<String>
    private let publisher: EventPublisher?

    public init(
        label: String,
        publisher: EventPublisher,
        excludedSources: Set<String> = producerSources,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.excludedSources = excludedSources
        self.metadataProvider = metadataProvider
        let isPipeline = Self.pipelineLabelPrefixes.contains { label.hasPrefix($0) }
        self.publisher = isPipeline ? nil : publisher
        self.logLevel = isPipeline ? .critical : Logger.Level(rawValue: publisher.minimumLevel.rawValue) ?? .info
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event record: LogEvent) {
        guard let publisher, !excludedSources.contains(record.source), let level = Event.Level(rawValue: record.level.rawValue) else { return }
        publisher.publish(makeEvent(record, level: level, service: publisher.service))
    }

    func makeEvent(_ record: LogEvent, level: Event.Level, service: String) -> Event {
        let source = Event.Source(file: record.file, line: Int(record.line), function: record.function, module: record.source)
        let scope = scope(record.metadata)
        return Event(
            service: service,
            kind: record.error == nil ? .log : .error,
            level: level,
            logger: label,
            message: "\(record.message)",
            source: source,
            request: scope?.eventRequest,
            error: record.error.map { error in
                Event.ErrorDetails(type: String(reflecting: type(of: error)), message: String(describing: error), source: source)
            },
            metadata: flattenedMetadata(record.metadata, redaction: scope?.redaction ?? .standard)
        )
    }

    /// The scope of the record's logger: its ``scopeMetadataKey`` metadata holds it.
    private func scope(_ recordMetadata: Logger.Metadata?) -> (any EventScope)? {
        guard case .stringConvertible(let value) = recordMetadata?[Self.scopeMetadataKey] ?? metadata[Self.scopeMetadataKey]
        else { return nil }
        return value as? any EventScope
    }

    /// The handler's, the provider's and the record's metadata (later ones win), as strings, secrets redacted. The
    /// scope is in the event's request, not repeated here.
    private func flattenedMetadata(_ recordMetadata: Logger.Metadata?, redaction: Redaction) -> [String: String] {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let recordMetadata { merged.merge(recordMetadata) { _, new in new } }
        if case .stringConvertible(let value) = merged[Self.scopeMetadataKey], value is any EventScope {
            merged[Self.scopeMetadataKey] = nil
        }
        var result: [String: String] = [:]
        for (key, value) in merged {
            result[key] = redaction.isSecretName(key) ? Redaction.placeholder : "\(value)"
        }
        return result
    }
}
