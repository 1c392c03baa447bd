import Logging
import Synchronization

/// Keeps log records in memory, to assert on what an app logged.
///
/// ```swift
/// let logs = LogRecorder()
/// let app = BeaconApp(logger: Logger(label: "web", factory: logs.makeHandler))
/// // … requests …
/// #expect(logs.records.contains { $0.message.hasPrefix("GET /hello 200") })
/// ```
public final class LogRecorder: Sendable {
    /// One record, with the metadata of its logger and of the call merged.
    public struct Record: Sendable {
        public let label: String
        public let level: Logger.Level
        public let message: String
        public let metadata: Logger.Metadata
        public let source: String
        public let error: (any Error)?
    }

    private let state = Mutex<[Record]>([])

    public init() {}

    /// Everything logged so far, in order.
    public var records: [Record] { state.withLock { $0 } }

    /// A handler for a logger labelled `label` (a `Logger(label:factory:)` factory), recording from `trace` on.
    @Sendable public func makeHandler(label: String) -> any LogHandler {
        Handler(label: label, recorder: self)
    }

    fileprivate func append(_ record: Record) {
        state.withLock { $0.append(record) }
    }

    private struct Handler: LogHandler {
        let label: String
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recorder.append(
                Record(
                    label: label,
                    level: event.level,
                    message: "\(event.message)",
                    metadata: metadata.merging(event.metadata ?? [:]) { _, new in new },
                    source: event.source,
                    error: event.error
                )
            )
        }
    }
}
