import BeaconEvents
import Mustache

/// The mail sink's Mustache templates (swift-mustache), rendered as plain text (no HTML escaping).
///
/// An event's context has Python logging's names, as the Flask documentation's mail format uses them:
/// `levelname`, `levelno`, `name`, `message`, `asctime`, `pathname`, `filename`, `module`, `funcName`, `lineno`,
/// `process`, plus `request_id`, `service`, `host`, `kind`, `event_id`, `routing_key`, the sections `error`
/// (`type`, `message`, `fingerprint`) and `request` (`id`, `method`, `path`, `status`, `duration_ms`, `remote`,
/// `user_agent`) when the event has them, and `metadata` (a list of `key`, `value`) with `has_metadata`.
/// A value the event does not have is `-`, but for `location` (`file:line`), `source_module` and `source_function`,
/// which are absent when the event does not say where it was made (a template shows them in a section, so that an
/// unknown place prints no line rather than `-:-`). Every value but `message` is one line (control characters
/// escaped).
struct MailTemplates {
    private static let textPragma = "{{% CONTENT_TYPE: TEXT}}"

    private let subject: MustacheTemplate
    private let body: MustacheTemplate
    private let digest: MustacheTemplate
    private var fields: LogFormat

    /// The one-line fields, read through Python's format names and joined by the unit separator (which
    /// ``LogText`` escapes inside values, so splitting on it is safe).
    private static let fieldNames = [
        "levelname", "levelno", "name", "asctime", "pathname", "filename", "module", "funcName", "lineno", "process",
        "request_id", "service", "host", "kind", "event_id", "routing_key",
    ]

    init(configuration: MailSinkConfiguration, timeZone: LogFormat.TimeZone = .local) throws {
        subject = try MustacheTemplate(string: Self.textPragma + configuration.subject)
        body = try MustacheTemplate(string: Self.textPragma + configuration.body)
        digest = try MustacheTemplate(string: Self.textPragma + configuration.digest)
        fields = try LogFormat(Self.fieldNames.map { "%(\($0))s" }.joined(separator: "\u{1F}"), timeZone: timeZone)
    }

    mutating func subject(for event: Event) -> String { subject.render(context(for: event)) }

    mutating func body(for event: Event) -> String { body.render(context(for: event)) }

    /// A digest mail's body; `context` is built by ``StormControl``.
    func digest(_ context: [String: Any]) -> String { digest.render(context) }

    /// The template context of one event.
    mutating func context(for event: Event) -> [String: Any] {
        let values = fields.format(event).split(separator: "\u{1F}", omittingEmptySubsequences: false)
        var context: [String: Any] = [:]
        for (name, value) in zip(Self.fieldNames, values) { context[name] = String(value) }
        context["message"] = event.message
        if let source = event.source {
            if let file = source.file { context["location"] = LogText.escaped(source.line.map { "\(file):\($0)" } ?? file) }
            if source.file != nil || source.module != nil { context["source_module"] = context["module"] }
            if let function = source.function { context["source_function"] = LogText.escaped(function) }
        }
        if let error = event.error {
            context["error"] = ["type": LogText.escaped(error.type), "message": error.message, "fingerprint": LogText.escaped(error.fingerprint)]
        }
        if let request = event.request {
            var section: [String: Any] = ["method": LogText.escaped(request.method), "path": LogText.escaped(request.path)]
            section["id"] = request.id.map(LogText.escaped)
            section["status"] = request.status
            section["duration_ms"] = request.durationMilliseconds
            section["remote"] = request.remote.map(LogText.escaped)
            section["user_agent"] = request.userAgent.map(LogText.escaped)
            context["request"] = section
        }
        context["metadata"] = event.metadata.keys.sorted().map { ["key": LogText.escaped($0), "value": LogText.escaped(event.metadata[$0]!)] }
        context["has_metadata"] = !event.metadata.isEmpty
        return context
    }
}
