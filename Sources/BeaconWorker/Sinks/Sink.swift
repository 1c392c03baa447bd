public import BeaconEvents

/// A destination for events: a log file, syslog, mail, or a sink of your own (see ``SinkKind``).
///
/// A sink belongs to one queue's pipeline and is only ever used from that pipeline's thread, where it may block
/// (in `write(2)`, `fsync(2)`, a socket): it is built there by its kind and never leaves it, so it need not be
/// `Sendable`. The pipeline does what every sink shares: it hands the sink only the events its filter takes, drops
/// those the sink has made durable before (a redelivery), records in the sink's journal the ones it reports durable,
/// and acknowledges a delivery to the broker only once every sink fed from the queue made its events durable.
public protocol EventSink: AnyObject {
    /// Makes `events` durable (written and flushed, sent and accepted) before returning. The events are filtered and
    /// deduplicated already, in the order they arrived. Returns one result per event, in order: nil when the event
    /// is durable, the error when it is not (the event is retried after the queue's delay, or dead-lettered at once
    /// when the error ``SinkError/isPermanent``).
    func write(_ events: [Event]) -> [SinkError?]

    /// Time-driven work (an interval fsync, a digest that is due), about once a second. Does nothing by default.
    func tick() throws(SinkError)

    /// Flushes and closes the sink at shutdown. Does nothing by default.
    func close()
}

extension EventSink {
    /// Nothing to do on time.
    public func tick() throws(SinkError) {}

    /// Nothing to close.
    public func close() {}
}

/// A stock sink that commits its events to its journal itself, with records of its own in the same write (the file
/// sink's unfinished-write bracket, the mail sink's storm state): the pipeline only reads its journal.
protocol JournaledSink: EventSink {
    /// What the sink has made durable, for recognising redeliveries.
    var journal: SinkJournal { get }
}

/// Why a sink could not make events durable.
public struct SinkError: CodedError {
    /// What kind of problem it is: compare with the static members; new codes may be added.
    public typealias Code = ErrorCode<SinkError>

    /// What kind of problem it is.
    public let code: Code
    /// The sink that failed.
    public let sink: String
    /// What went wrong, for the log and the dead-letter headers.
    public let message: String
    /// True when trying again cannot help (the event goes to the dead-letter queue at once).
    public let isPermanent: Bool

    /// A failure of the sink called `sink`.
    public init(_ code: Code, sink: String, _ message: String, isPermanent: Bool = false) {
        self.code = code
        self.sink = sink
        self.message = message
        self.isPermanent = isPermanent
    }

    /// `app.log: No space left on device`.
    public var description: String { "\(sink): \(message)" }
}

extension ErrorCode where Failure == SinkError {
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
    /// A sink of a user's kind failed; `name` says how (`webhook_unavailable`), in snake case.
    public static func custom(_ name: String) -> Self { .init(name) }
}
