public import BeaconEvents

/// What a producer knows about the unit of work a log record belongs to (a web request, a task run): the request
/// its events carry, and what must be redacted in their metadata.
///
/// A producer puts its scope in a logger's metadata under ``EventLogHandler/scopeMetadataKey`` (as `.stringConvertible(scope)`, printing
/// as the request id); ``EventLogHandler`` finds it there and attaches the request to every event the logger makes.
public protocol EventScope: CustomStringConvertible, Sendable {
    /// The request part of the events of this scope (secrets already redacted from its path).
    var eventRequest: Event.Request { get }
    /// What is secret in this scope's metadata.
    var redaction: Redaction { get }
}

extension EventScope {
    public var redaction: Redaction { .standard }
}
