import BeaconEvents
import BeaconFileSystem
import SystemPackage

/// A log file, one event per line, rotated as Python's `RotatingFileHandler` or `TimedRotatingFileHandler`
/// rotates (see ``FileRotation``).
///
/// A batch is formatted into one buffer and appended with one `write(2)` per file segment (a rotation splits it),
/// each bracketed by journal records: `b inode offset` before, `c ids` after, so that a worker killed in the middle
/// leaves a `b` that the next start rolls back by cutting the file to `offset`. With the `batch` fsync policy the
/// file and the journal are forced to the disk before the batch is acknowledged.
final class FileSink: JournaledSink {
    let name: String
    let journal: SinkJournal
    /// The absolute or log-directory-relative path of the live file.
    let path: String
    /// The directory of ``path``.
    private let directory: String

    private var format: LogFormat
    private let fsync: FileSinkConfiguration.FsyncPolicy
    private var rotation: FileRotation
    private let clock: @Sendable () -> Int64
    private var file: AppendedFile
    private var size: Int64
    private var inode: UInt64
    private var unsynced = false
    private var lastSync: Int64

    /// Opens the file (creating it and its directory), and rolls back a write a killed worker left unfinished.
    init(
        name: String,
        configuration: FileSinkConfiguration,
        logDirectory: String,
        journal: SinkJournal,
        clock: @escaping @Sendable () -> Int64
    ) throws(SinkError) {
        self.name = name
        self.journal = journal
        self.clock = clock
        self.fsync = configuration.fsync
        self.lastSync = clock()
        let path = configuration.path.hasPrefix("/") ? configuration.path : "\(logDirectory)/\(configuration.path)"
        self.path = path
        directory = FileSystem.directory(containing: path)
        do {
            format = try LogFormat(configuration.format, dateFormat: configuration.dateFormat, timeZone: configuration.timeZone)
        } catch {
            throw SinkError(.fileWrite, sink: name, error.description, isPermanent: true)
        }
        do {
            try FileSystem.createDirectory(directory)
            file = try AppendedFile(path)
            if configuration.fsync != .never { try FileSystem.syncDirectory(directory) }
            var status = try file.status()
            if let pending = journal.pendingWrite {
                if pending.inode == UInt64(status.inode.rawValue) && status.size > pending.offset {
                    try file.truncate(to: pending.offset)
                    status = try file.status()
                }
                try journal.abort()
            }
            size = status.size
            inode = UInt64(status.inode.rawValue)
            rotation = FileRotation(configuration.rotation, file: status)
        } catch {
            throw SinkError(.fileWrite, sink: name, error.description)
        }
    }

    func write(_ events: [Event]) -> [SinkError?] {
        var results = [SinkError?](repeating: nil, count: events.count)
        var segmentStart = 0
        do throws(SystemCallError) {
            if rotation.isDue(now: clock() / 1000) { try rotate() }
            var segment: [UInt8] = []
            segment.reserveCapacity(events.count * 160)
            var ids: [String] = []
            ids.reserveCapacity(events.count)
            for event in events {
                let lineStart = segment.count
                format.append(event, to: &segment)
                segment.append(UInt8(ascii: "\n"))
                if rotation.rollsOverBefore(line: segment[lineStart...], fileSize: size + Int64(lineStart)) {
                    let line = Array(segment[lineStart...])
                    segment.removeSubrange(lineStart...)
                    try append(segment, ids: ids)
                    segmentStart += ids.count
                    try rotate()
                    segment = line
                    ids.removeAll(keepingCapacity: true)
                }
                ids.append(event.id)
            }
            try append(segment, ids: ids)
        } catch {
            let failure = SinkError(.fileWrite, sink: name, error.description)
            for index in segmentStart..<events.count { results[index] = failure }
        }
        return results
    }

    /// Appends one segment to the live file between a `b` and a `c` journal record; undoes a failed append.
    private func append(_ bytes: [UInt8], ids: [String]) throws(SystemCallError) {
        guard !ids.isEmpty else { return }
        let offset = size
        try journal.begin(inode: inode, offset: offset)
        do {
            try file.write(bytes)
            size += Int64(bytes.count)
            if fsync == .everyBatch { try file.sync() }
            try journal.commit(ids, sync: fsync == .everyBatch)
            unsynced = fsync != .everyBatch
        } catch {
            // Leave the file as it was before the segment: its events are retried, and must not appear twice.
            try? file.truncate(to: offset)
            try? journal.abort()
            size = (try? file.status().size) ?? offset
            throw error
        }
    }

    private func rotate() throws(SystemCallError) {
        if unsynced && fsync != .never { try file.sync() }
        try rotation.rollOver(path: path, now: clock() / 1000)
        file = try AppendedFile(path)
        // The renames and the new file: without this, a power cut could undo them under lines already acknowledged.
        if fsync != .never { try FileSystem.syncDirectory(directory) }
        let status = try file.status()
        size = status.size
        inode = UInt64(status.inode.rawValue)
        unsynced = false
    }

    func tick() throws(SinkError) {
        guard case .interval(let interval) = fsync, unsynced, clock() - lastSync >= interval.milliseconds else { return }
        do {
            try file.sync()
            try journal.sync()
            unsynced = false
            lastSync = clock()
        } catch {
            throw SinkError(.fileWrite, sink: name, error.description)
        }
    }

    func close() {
        if unsynced && fsync != .never { try? file.sync() }
    }
}
