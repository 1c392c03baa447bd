public import BeaconEvents
public import BeaconOutbox

/// Hands a producer's events to an ``EventOutbox`` (which publishes them with confirms, or spools them), and drops
/// the ones below the lowest level published before they cost anything. Any Swift producer uses it: a web server
/// (BeaconWeb publishes its requests and errors through one), a command-line tool, a gRPC service, a task worker.
///
/// ```swift
/// let publisher = EventPublisher(outbox: outbox, service: "billing", minimumLevel: .info)
/// publisher.publish(Event(service: "billing", kind: .log, level: .warning, message: "card declined"))
/// ```
///
/// Application logs become events through ``EventLogHandler``, which publishes through a publisher.
public struct EventPublisher: Sendable {
    /// Where events go.
    public let outbox: EventOutbox
    /// The service name events carry: the first word of their routing keys.
    public let service: String
    /// The lowest level published (`BEACON_EVENT_LEVEL`); lower events are not made at all.
    public let minimumLevel: Event.Level

    /// A publisher into `outbox` for events of `service`.
    ///
    /// - Throws: ``ServiceNameError`` when `service` cannot be the first word of a routing key.
    public init(outbox: EventOutbox, service: String, minimumLevel: Event.Level = .info) throws(ServiceNameError) {
        self.service = try Event.validServiceName(service)
        self.outbox = outbox
        self.minimumLevel = minimumLevel
    }

    /// Whether an event of `level` would be published: check it before making an event that costs something.
    public func publishes(_ level: Event.Level) -> Bool { level >= minimumLevel }

    /// Publishes `event` if its level is high enough. Never blocks; false when it was not taken (too low, or
    /// dropped by a full outbox buffer, which counts it).
    @discardableResult
    public func publish(_ event: Event) -> Bool {
        guard event.level >= minimumLevel else { return false }
        return outbox.enqueue(event)
    }
}
