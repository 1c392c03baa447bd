import BeaconEvents

/// A destination for events: a log file, syslog, mail.
///
/// A sink belongs to one pipeline and is only ever used from that pipeline's thread, where it may block.
protocol Sink: AnyObject {
    /// The name from `worker.yaml`, e.g. `app.log`.
    var name: String { get }
    /// Which events the sink takes.
    var filter: EventFilter { get }
    /// What the sink has made durable, for recognising redeliveries.
    var journal: SinkJournal { get }

    /// Makes `events` durable (written and flushed, sent and accepted) and commits their ids to the journal before
    /// returning. The events are filtered and deduplicated already. Returns one result per event, in order: nil when
    /// the event is durable, the error when it is not (an event that failed may be retried; events committed before
    /// a failure stay committed, and their redelivery is recognised).
    func write(_ events: [Event]) -> [SinkError?]

    /// Time-driven work (an interval fsync, a storm digest that is due), about once a second.
    func tick() throws(SinkError)

    /// Flushes and closes the sink at shutdown.
    func close()
}

extension Sink {
    func tick() throws(SinkError) {}
}

/// Why a sink could not make events durable.
public struct SinkError: Error, Hashable, CustomStringConvertible {
    /// What kind of problem it is. Compare with the static members; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// Writing, flushing or rotating a file failed.
        public static var fileWrite: Self { .init("file_write") }
        /// Sending to syslog failed.
        public static var syslog: Self { .init("syslog") }
        /// The SMTP server could not be reached, or answered with a temporary (4xx) error.
        public static var smtpUnavailable: Self { .init("smtp_unavailable") }
        /// The SMTP server refused the mail for good (5xx).
        public static var smtpRejected: Self { .init("smtp_rejected") }
        /// The journal could not be written.
        public static var journal: Self { .init("journal") }

        public var description: String { name }
    }

    public let code: Code
    /// The sink that failed.
    public let sink: String
    public let message: String
    /// True when trying again cannot help (the event goes to the dead-letter queue at once).
    public let isPermanent: Bool

    public init(_ code: Code, sink: String, _ message: String, isPermanent: Bool = false) {
        self.code = code
        self.sink = sink
        self.message = message
        self.isPermanent = isPermanent
    }

    public var description: String { "\(sink): \(message)" }
}
