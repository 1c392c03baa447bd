import BeaconEvents
import BeaconFileSystem
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One host's ``TaskIdempotencyStore``: append-only files of JSON lines in a directory of the worker's, written with
/// plain `write(2)`, so that a record survives a crash (`kill -9`) of the worker once ``record(_:for:)`` returns;
/// `synchronous` also flushes each record to the disk (`fdatasync`), for power cuts, at the cost of a disk write per
/// task.
///
/// ```
/// {"beacon-idempotency":1,"started":"2026-12-03T10:00:00.000000+00:00"}
/// {"key":"order-42","task_id":"5b3c…","finished_at":"2026-12-03T10:00:01.250000+00:00","result":{"message_id":"…"}}
/// ```
///
/// A key is remembered for at least ``retention`` and at most twice that: the store keeps two generations,
/// `idempotency.<n>.jsonl`; a new one begins when the current one is ``retention`` old, and the one before it is
/// deleted. Every remembered key is held in memory with its result. A last line cut short by a crash is ignored, as
/// is any line that does not read (``unreadableLines`` counts them).
///
/// One process at a time: two workers must not share a directory (the bundled worker's state directory is locked).
public final class FileIdempotencyStore: TaskIdempotencyStore {
    /// The directory of the files.
    public let directory: String
    /// How long a key is remembered at least.
    public let retention: Duration
    /// Lines read back that were not records, when the store opened.
    public let unreadableLines: Int
    private let synchronous: Bool
    private let clock: @Sendable () -> Date
    private let state: Mutex<State>

    private struct State: ~Copyable {
        var file: AppendedFile
        var generation: Int
        var started: Date
        var current: [String: TaskCompletion]
        var previous: [String: TaskCompletion]
    }

    private static let prefix = "idempotency."
    private static let suffix = ".jsonl"

    /// Opens the store in `directory` (created if missing) and reads back what it remembers.
    ///
    /// - Parameters:
    ///   - retention: how long a key is remembered at least: longer than a task can wait in a queue before it is
    ///     delivered again.
    ///   - synchronous: flush every record to the disk before ``record(_:for:)`` returns.
    public convenience init(directory: String, retention: Duration = .seconds(86_400), synchronous: Bool = false) throws(TaskStoreError) {
        try self.init(directory: directory, retention: retention, synchronous: synchronous, clock: { Date() })
    }

    init(directory: String, retention: Duration, synchronous: Bool, clock: @escaping @Sendable () -> Date) throws(TaskStoreError) {
        self.directory = directory
        self.retention = retention
        self.synchronous = synchronous
        self.clock = clock
        do throws(SystemCallError) {
            try FileSystem.createDirectory(directory)
            let generations = try FileSystem.contents(of: directory).compactMap(Self.generation(ofFile:)).sorted()
            for old in generations.dropLast(2) { try FileSystem.remove(Self.path(directory, old)) }
            var memories: [(started: Date, records: [String: TaskCompletion], whole: Int64, size: Int64)] = []
            var unreadable = 0
            for generation in generations.suffix(2) {
                let bytes = try FileSystem.read(Self.path(directory, generation)) ?? []
                let read = Self.read(bytes)
                memories.append((read.started ?? clock(), read.records, read.whole, Int64(bytes.count)))
                unreadable += read.unreadable
            }
            self.unreadableLines = unreadable
            let now = clock()
            if let last = generations.last, let latest = memories.last, now.timeIntervalSince(latest.started) < retention.seconds {
                let file = try AppendedFile(Self.path(directory, last))
                // A record cut short by a crash goes, so that the next one begins on a line of its own.
                if latest.whole < latest.size { try file.truncate(to: latest.whole) }
                let previous = memories.count == 2 ? memories[0].records : [:]
                state = Mutex(State(file: file, generation: last, started: latest.started, current: latest.records, previous: previous))
            } else {
                let next = (generations.last ?? 0) + 1
                let file = try Self.begin(directory, next, at: now)
                for old in generations.dropLast() { try FileSystem.remove(Self.path(directory, old)) }
                state = Mutex(State(file: file, generation: next, started: now, current: [:], previous: memories.last?.records ?? [:]))
            }
        } catch {
            throw TaskStoreError(.fileSystem, "the idempotency store in \(directory): \(error.description)")
        }
    }

    public func completion(for key: String) async throws -> TaskCompletion? {
        state.withLock { $0.current[key] ?? $0.previous[key] }
    }

    public func record(_ completion: TaskCompletion, for key: String) async throws {
        let line: JSONValue = [
            "key": .string(key),
            "task_id": .string(completion.taskID),
            "finished_at": .string(CeleryTime.format(completion.finishedAt)),
            "result": completion.result,
        ]
        let now = clock()
        do throws(SystemCallError) {
            try state.withLock { state throws(SystemCallError) in
                if now.timeIntervalSince(state.started) >= retention.seconds { try rotate(&state, at: now) }
                try state.file.write(line.jsonBytes + [UInt8(ascii: "\n")])
                if synchronous { try state.file.sync() }
                state.current[key] = completion
            }
        } catch {
            throw TaskStoreError(.fileSystem, "recording \(key) in the idempotency store in \(directory): \(error.description)")
        }
    }

    /// Begins the next generation; the one before the current one is deleted.
    private func rotate(_ state: inout State, at now: Date) throws(SystemCallError) {
        let next = state.generation + 1
        state.file = try Self.begin(directory, next, at: now)
        try FileSystem.remove(Self.path(directory, state.generation - 1))
        state.previous = state.current
        state.current = [:]
        state.generation = next
        state.started = now
    }

    private static func begin(_ directory: String, _ generation: Int, at now: Date) throws(SystemCallError) -> AppendedFile {
        let file = try AppendedFile(path(directory, generation))
        let header: JSONValue = ["beacon-idempotency": 1, "started": .string(CeleryTime.format(now))]
        try file.write(header.jsonBytes + [UInt8(ascii: "\n")])
        try FileSystem.syncDirectory(directory)
        return file
    }

    private static func path(_ directory: String, _ generation: Int) -> String { "\(directory)/\(prefix)\(generation)\(suffix)" }

    private static func generation(ofFile name: String) -> Int? {
        guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
        return Int(name.dropFirst(prefix.count).dropLast(suffix.count))
    }

    /// The records of one file, and how many of its bytes are whole lines: a last line without its newline (cut
    /// short by a crash) is not a record.
    private static func read(_ bytes: [UInt8]) -> (started: Date?, records: [String: TaskCompletion], unreadable: Int, whole: Int64) {
        var started: Date?
        var records: [String: TaskCompletion] = [:]
        var unreadable = 0
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var whole = Int64(bytes.count)
        if let last = lines.last, !last.isEmpty {
            whole -= Int64(last.count)
            lines.removeLast()
        }
        for line in lines where !line.isEmpty {
            guard let value = try? JSONValue.parse(line) else {
                unreadable += 1
                continue
            }
            if let text = value["started"]?.stringValue, value["beacon-idempotency"] != nil {
                started = CeleryTime.parse(text)
            } else if let key = value["key"]?.stringValue, let taskID = value["task_id"]?.stringValue,
                let finished = value["finished_at"]?.stringValue.flatMap(CeleryTime.parse), let result = value["result"]
            {
                records[key] = TaskCompletion(taskID: taskID, finishedAt: finished, result: result)
            } else {
                unreadable += 1
            }
        }
        return (started, records, unreadable, whole)
    }
}
