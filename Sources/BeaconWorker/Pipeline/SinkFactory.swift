import Logging

/// Builds the sink a ``WorkerConfiguration/Sink`` describes, with its journal in the state directory.
enum SinkFactory {
    static func make(
        _ sink: WorkerConfiguration.Sink,
        configuration: WorkerConfiguration,
        clock: @escaping @Sendable () -> Int64,
        logger: Logger
    ) throws(SinkError) -> any Sink {
        let directory = configuration.resolvedStateDirectory
        func journal() throws(SinkError) -> SinkJournal {
            do {
                return try SinkJournal(directory: directory, name: sink.name, dedupe: configuration.dedupe, clock: clock)
            } catch {
                throw SinkError(.journal, sink: sink.name, error.description)
            }
        }
        switch sink.kind {
        case .file(let file):
            return try FileSink(
                name: sink.name,
                filter: sink.filter,
                configuration: file,
                logDirectory: configuration.logDirectory,
                journal: try journal(),
                clock: clock
            )
        case .syslog(let syslog):
            return try SyslogSink(name: sink.name, filter: sink.filter, configuration: syslog, journal: try journal())
        case .mail(let mail):
            return try MailSink(
                name: sink.name,
                filter: sink.filter,
                configuration: mail,
                journalDirectory: directory,
                dedupe: configuration.dedupe,
                clock: clock,
                logger: logger
            )
        }
    }
}
