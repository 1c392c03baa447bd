import BeaconEvents
import Logging

/// A swift-log handler that turns log records at or above a level (`BEACON_EVENT_LEVEL`) into events: Python
/// logging's `QueueHandler` in front of the broker.
///
/// A record becomes a `log` event (`web.log.warning`), or an `error` event (`web.error.error`) when it carries an
/// error (`logger.error("…", error: error)`), with the error's type and a fingerprint of its type and call site. A
/// record logged through a request's logger (`context.logger`, or `Logger.current` in a route) carries that request
/// (id, method, redacted path). Metadata keys named like secrets (`password`, `token`, …) are redacted.
///
/// Like every swift-log handler it is a value: metadata and level changes stay with the logger that made them; the
/// one shared part, the publisher, is thread-safe. Logging never blocks and never does I/O: the event goes into the
/// outbox's memory buffer.
///
/// Left out, so that nothing is published twice or loops:
/// - the request log lines of the lifecycle middleware (source ``RequestLog/source``): the ``EventPublisher``
///   publishes those requests and errors itself;
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

    public let label: String
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    /// Records below this level do not become events; it starts at the publisher's minimum level.
    public var logLevel: Logger.Level
    private let publisher: EventPublisher?

    public init(label: String, publisher: EventPublisher, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
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
        guard let publisher, record.source != RequestLog.source, let level = Event.Level(rawValue: record.level.rawValue) else { return }
        publisher.publish(makeEvent(record, level: level, service: publisher.service))
    }

    func makeEvent(_ record: LogEvent, level: Event.Level, service: String) -> Event {
        let source = Event.Source(file: record.file, line: Int(record.line), function: record.function, module: record.source)
        let request = requestScope(record.metadata)
        return Event(
            service: service,
            kind: record.error == nil ? .log : .error,
            level: level,
            logger: label,
            message: "\(record.message)",
            source: source,
            request: request.map { $0.eventRequest(path: $0.redactedPath) },
            error: record.error.map { error in
                Event.ErrorDetails(type: String(reflecting: type(of: error)), message: String(describing: error), source: source)
            },
            metadata: flattenedMetadata(record.metadata, redaction: request?.redaction ?? .standard)
        )
    }

    /// The request of a request logger: its `hb.request.id` metadata holds the request's scope.
    private func requestScope(_ recordMetadata: Logger.Metadata?) -> RequestScope? {
        guard case .stringConvertible(let value) = recordMetadata?[RequestScope.loggerMetadataKey] ?? metadata[RequestScope.loggerMetadataKey]
        else { return nil }
        return value as? RequestScope
    }

    /// The handler's, the provider's and the record's metadata (later ones win), as strings, secrets redacted. The
    /// request id is in the event's request, not repeated here.
    private func flattenedMetadata(_ recordMetadata: Logger.Metadata?, redaction: Redaction) -> [String: String] {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let recordMetadata { merged.merge(recordMetadata) { _, new in new } }
        if case .stringConvertible(let value) = merged[RequestScope.loggerMetadataKey], value is RequestScope {
            merged[RequestScope.loggerMetadataKey] = nil
        }
        var result: [String: String] = [:]
        for (key, value) in merged {
            result[key] = redaction.isSecretName(key) ? Redaction.placeholder : "\(value)"
        }
        return result
    }
}
