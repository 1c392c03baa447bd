import BeaconEvents
import BeaconWorker
import Glibc
import SystemPackage

/// A sink of the application's own: every event as one line of JSON (the wire format), appended to a file.
///
/// The pipeline gives it only the events its filter takes and none it made durable before; it writes the batch and
/// syncs it, and what it reports durable the worker records and acknowledges.
final class JSONLinesSink: EventSink {
    private let name: String
    private let file: FileDescriptor

    init(name: String, path: String) throws(SinkError) {
        self.name = name
        do {
            file = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.append, .create], permissions: [.ownerReadWrite, .groupRead])
        } catch {
            throw SinkError(.custom("jsonl_open"), sink: name, "cannot open \(path): \(error)")
        }
    }

    func write(_ events: [Event]) -> [SinkError?] {
        var bytes: [UInt8] = []
        for event in events {
            bytes += event.jsonBytes()
            bytes.append(UInt8(ascii: "\n"))
        }
        do {
            _ = try file.writeAll(bytes)
            guard fsync(file.rawValue) == 0 else { throw Errno(rawValue: errno) }
            return Array(repeating: nil, count: events.count)
        } catch {
            return Array(repeating: SinkError(.custom("jsonl_write"), sink: name, "\(error)"), count: events.count)
        }
    }

    func close() { try? file.close() }
}

/// `type: jsonl` in `worker.yaml`, with one setting: `path` (relative to `log_dir`).
struct JSONLinesKind: SinkKind {
    var name: String { "jsonl" }
    var settingKeys: Set<String> { ["path"] }

    func settings(from yaml: SinkSettings) throws(WorkerConfigurationError) -> String {
        guard let path = try yaml.string("path"), !path.isEmpty else { throw yaml.missing("path", "a jsonl sink needs a path") }
        return path
    }

    func makeSink(settings path: String, context: SinkContext) throws(SinkError) -> any EventSink {
        try JSONLinesSink(name: context.name, path: context.path(path))
    }
}
