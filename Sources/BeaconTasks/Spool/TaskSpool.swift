public import BeaconAMQP
import BeaconFileSystem
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where a ``TaskClient`` keeps the tasks it accepted while the broker could not take them, until
/// ``TaskClient/runSpool()`` has published them and the broker confirmed: a directory, one file per task, so that
/// a task accepted is not lost when the broker is away, nor when the enqueuing process restarts meanwhile (the next
/// process's client publishes what the directory holds).
///
/// Each file is written to a temporary name, flushed to the disk, and renamed (then the directory is flushed):
/// once ``TaskClient/enqueue(_:_:options:)`` returns with ``TaskHandle/acceptance`` `.spooled`, the task survives a
/// crash and a power cut. A file is deleted only after the broker confirmed its task. Publishing again after a crash
/// between the confirm and the deletion can enqueue a task twice; a worker with an idempotency store runs it once
/// (the task id is the key).
///
/// One process at a time per directory.
public final class TaskSpool: Sendable {
    /// The directory.
    public let directory: String
    private let sequence = Atomic<UInt64>(0)
    private let stamp: UInt64

    /// A spool in `directory` (created if missing). Throws ``TaskStoreError`` when it cannot be used.
    public init(directory: String) throws(TaskStoreError) {
        self.directory = directory
        // Names sort in the order written, across processes: the start time, then a counter.
        self.stamp = UInt64(Date().timeIntervalSince1970 * 1000)
        do throws(SystemCallError) {
            try FileSystem.createDirectory(directory)
            for name in try FileSystem.contents(of: directory) where name.hasSuffix(".tmp") {
                try FileSystem.remove("\(directory)/\(name)")  // cut short by a crash: never confirmed to its caller
            }
        } catch {
            throw TaskStoreError(.fileSystem, "the task spool in \(directory): \(error.description)")
        }
    }

    /// How many tasks wait in the directory.
    public var count: Int { (try? files().count) ?? 0 }

    /// Writes `message` durably.
    func write(_ message: SpooledTask) throws(TaskStoreError) {
        let number = sequence.add(1, ordering: .relaxed).newValue
        let name = "\(Self.padded(stamp, 13))-\(Self.padded(number, 8))-\(SpooledTask.safeName(message.taskID))"
        let temporary = "\(directory)/\(name).tmp"
        do throws(SystemCallError) {
            let file = try AppendedFile(temporary)
            try file.write(message.encoded())
            try file.sync()
            try FileSystem.rename(temporary, to: "\(directory)/\(name).task")
            try FileSystem.syncDirectory(directory)
        } catch {
            try? FileSystem.remove(temporary)
            throw TaskStoreError(.fileSystem, "spooling task \(message.taskID) in \(directory): \(error.description)")
        }
    }

    /// `value` in decimal, zero-padded to `width` digits (so that names sort in number order).
    private static func padded(_ value: UInt64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// The spooled tasks' file names, oldest first.
    func files() throws(SystemCallError) -> [String] {
        try FileSystem.contents(of: directory).filter { $0.hasSuffix(".task") }.sorted()
    }

    /// The task in file `name`; `nil` when it does not read (it is moved aside as `.unreadable`, kept for a look).
    func read(_ name: String) -> SpooledTask? {
        let path = "\(directory)/\(name)"
        if let bytes = (try? FileSystem.read(path)) ?? nil, let task = SpooledTask(decoding: bytes) { return task }
        try? FileSystem.rename(path, to: path + ".unreadable")
        return nil
    }

    /// Forgets file `name` (its task was confirmed).
    func remove(_ name: String) throws(SystemCallError) {
        try FileSystem.remove("\(directory)/\(name)")
    }
}

/// One spooled task: its message as it goes to its queue (undelayed), and its `eta`, so that a replay routes it
/// through the delay ladder for what is left of its delay.
struct SpooledTask: Sendable {
    var taskID: String
    var wire: TaskWireMessage
    var eta: Date?

    /// A file name part from a task id: letters, digits, `-`, `_` only.
    static func safeName(_ id: String) -> String {
        String(
            id.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }.prefix(64)
        )
    }

    func encoded() -> [UInt8] {
        var object: JSONObject = [
            "task_id": .string(taskID),
            "exchange": .string(wire.exchange),
            "routing_key": .string(wire.routingKey),
            "properties": AMQPJSON.properties(wire.properties),
            "body": .string(Data(wire.body).base64EncodedString()),
        ]
        if let eta { object["eta"] = .string(CeleryTime.format(eta)) }
        return JSONValue.object(object).jsonBytes
    }

    init(taskID: String, wire: TaskWireMessage, eta: Date?) {
        self.taskID = taskID
        self.wire = wire
        self.eta = eta
    }

    init?(decoding bytes: [UInt8]) {
        guard let value = try? JSONValue.parse(bytes), let taskID = value["task_id"]?.stringValue,
            let exchange = value["exchange"]?.stringValue, let routingKey = value["routing_key"]?.stringValue,
            let properties = value["properties"].flatMap(AMQPJSON.properties(from:)),
            let body = value["body"]?.stringValue.flatMap({ Data(base64Encoded: $0) })
        else { return nil }
        self.taskID = taskID
        self.wire = TaskWireMessage(exchange: exchange, routingKey: routingKey, properties: properties, body: Array(body))
        self.eta = value["eta"]?.stringValue.flatMap(CeleryTime.parse)
    }
}
