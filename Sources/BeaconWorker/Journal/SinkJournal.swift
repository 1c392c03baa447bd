import BeaconFileSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a sink has made durable, kept in the state directory so that a message redelivered after a crash (or a
/// `kill -9`) is recognised and not written or mailed twice.
///
/// An append-only text file of records, one per line, written with `write(2)` (so a record survives a crash of the
/// worker the moment the call returns; `sync` makes it survive a power cut too):
///
/// ```
/// beacon-journal 1 1763720130123        the header: format version, when the generation began (ms)
/// b 1234567 40960                       a file sink is about to append to inode 1234567 at offset 40960
/// c 1763720130456 0193f2c1-… 0193f2c2-… those events are durable (ms, ids)
/// a                                     the write begun last was rolled back
/// ```
///
/// plus sink-specific records (the mail sink's storm state), handed back through `replay` when the journal opens.
/// A `b` without its `c` means the worker died mid-write: the file sink cuts the file back to the offset, so the
/// redelivered events are written once, whole. A last line without its newline is a record cut short by the crash;
/// it is dropped.
///
/// The ids of the last ``WorkerConfiguration/Dedupe/window`` are remembered (hashed, 8 bytes each, at most
/// ``WorkerConfiguration/Dedupe/maxIDs``): the journal has two generations, `<name>.journal.<n>`; a new one begins
/// when the current one is a window old or holds half the ids, and the one before it is deleted.
///
/// Not thread-safe: a journal belongs to one sink, used from its pipeline's thread.
final class SinkJournal {
    /// A write that was begun and never committed.
    struct PendingWrite: Equatable {
        let inode: UInt64
        let offset: Int64
    }

    /// A record other than `b`, `c`, `a`, as read back.
    struct Record {
        let kind: Substring
        let fields: [Substring]
    }

    let name: String
    private let directory: String
    private let windowMilliseconds: Int64
    private let maxIDs: Int
    private let clock: @Sendable () -> Int64

    private var file: AppendedFile
    private var generation: Int
    private var generationStarted: Int64
    private var current: Set<Int> = []
    private var previous: Set<Int> = []
    /// A write begun and not committed when the journal was opened (the worker died in the middle of it).
    private(set) var pendingWrite: PendingWrite?

    /// Opens (or starts) the journal `<directory>/<name>.journal.<n>` and reads back what it remembers.
    /// `clock` gives the time in milliseconds since 1970.
    init(
        directory: String,
        name: String,
        dedupe: WorkerConfiguration.Dedupe,
        clock: @escaping @Sendable () -> Int64,
        replay: (Record) -> Void = { _ in }
    ) throws(SystemCallError) {
        self.name = name
        self.directory = directory
        self.windowMilliseconds = dedupe.window.milliseconds
        self.maxIDs = dedupe.maxIDs
        self.clock = clock
        try FileSystem.createDirectory(directory)
        let prefix = "\(name).journal."
        let generations = try FileSystem.contents(of: directory)
            .compactMap { $0.hasPrefix(prefix) ? Int($0.dropFirst(prefix.count)) : nil }
            .sorted()
        for old in generations.dropLast(2) { try FileSystem.remove("\(directory)/\(prefix)\(old)") }
        let kept = Array(generations.suffix(2))
        let oldest = clock() - windowMilliseconds
        var started = clock()
        var pending: PendingWrite?
        var loaded: [Set<Int>] = []
        for generation in kept {
            let path = "\(directory)/\(prefix)\(generation)"
            var ids: Set<Int> = []
            let bytes = try FileSystem.read(path) ?? []
            let complete = bytes.lastIndex(of: UInt8(ascii: "\n")).map { bytes[...$0] } ?? []
            if complete.count != bytes.count {
                // The last record was cut short by a crash: drop it, so the next record starts on a line of its own.
                let file = try AppendedFile(path)
                try file.truncate(to: Int64(complete.count))
            }
            for line in complete.split(separator: UInt8(ascii: "\n")) {
                let fields = String(decoding: line, as: UTF8.self).split(separator: " ")
                guard let kind = fields.first else { continue }
                switch kind {
                case "beacon-journal":
                    if fields.count == 3, let time = Int64(fields[2]) { started = time }
                case "b":
                    if fields.count == 3, let inode = UInt64(fields[1]), let offset = Int64(fields[2]) {
                        pending = PendingWrite(inode: inode, offset: offset)
                    }
                case "c":
                    pending = nil
                    guard fields.count >= 2, let time = Int64(fields[1]), time >= oldest else { continue }
                    for id in fields.dropFirst(2) { ids.insert(Self.hash(id)) }
                case "a":
                    pending = nil
                default:
                    replay(Record(kind: kind, fields: Array(fields.dropFirst())))
                }
            }
            loaded.append(ids)
        }
        self.pendingWrite = pending
        if let last = kept.last {
            self.generation = last
            self.generationStarted = started
            self.current = loaded.last ?? []
            self.previous = loaded.count == 2 ? loaded[0] : []
            self.file = try AppendedFile("\(directory)/\(prefix)\(last)")
        } else {
            self.generation = 1
            self.generationStarted = started
            self.file = try AppendedFile("\(directory)/\(prefix)1")
            try file.write(Array("beacon-journal 1 \(started)\n".utf8))
            try FileSystem.syncDirectory(directory)
        }
    }

    /// True when the event `id` was committed within the window.
    func contains(_ id: String) -> Bool {
        let hash = Self.hash(Self.encoded(id)[...])
        return current.contains(hash) || previous.contains(hash)
    }

    /// Records that the sink is about to append to the file with `inode` at `offset`.
    func begin(inode: UInt64, offset: Int64) throws(SystemCallError) {
        try file.write(Array("b \(inode) \(offset)\n".utf8))
    }

    /// Records that the rolled-back write is over.
    func abort() throws(SystemCallError) {
        try file.write(Array("a\n".utf8))
        pendingWrite = nil
    }

    /// Records that the events `ids` are durable, after the sink-specific `records` (in the same `write(2)`), then
    /// starts a new generation if this one is full; `snapshot` gives the sink-specific records the new generation
    /// must begin with.
    func commit(
        _ ids: some Collection<String>,
        sync: Bool,
        records: [String] = [],
        snapshot: () -> [String] = { [] }
    ) throws(SystemCallError) {
        var record: [UInt8] = []
        record.reserveCapacity(24 + ids.count * 37)
        for line in records {
            record.append(contentsOf: line.utf8)
            record.append(UInt8(ascii: "\n"))
        }
        record.append(contentsOf: "c \(clock())".utf8)
        for id in ids {
            let encoded = Self.encoded(id)
            record.append(UInt8(ascii: " "))
            record.append(contentsOf: encoded.utf8)
            current.insert(Self.hash(encoded[...]))
        }
        record.append(UInt8(ascii: "\n"))
        try file.write(record)
        if sync { try file.sync() }
        if current.count >= maxIDs / 2 || clock() - generationStarted >= windowMilliseconds {
            try startGeneration(with: snapshot())
        }
    }

    /// Appends a sink-specific record (a line without spaces in its fields), durable when `sync` is set.
    func append(_ kind: String, _ fields: [String], sync: Bool) throws(SystemCallError) {
        try file.write(Array((([kind] + fields).joined(separator: " ") + "\n").utf8))
        if sync { try file.sync() }
    }

    /// Forces the journal to the disk.
    func sync() throws(SystemCallError) {
        try file.sync()
    }

    private func startGeneration(with snapshot: [String]) throws(SystemCallError) {
        let started = clock()
        let path = "\(directory)/\(name).journal.\(generation + 1)"
        let next = try AppendedFile(path)
        try next.write(Array((["beacon-journal 1 \(started)"] + snapshot).map { $0 + "\n" }.joined().utf8))
        try next.sync()
        try FileSystem.syncDirectory(directory)  // the new generation's name is durable before the old one goes
        try FileSystem.remove("\(directory)/\(name).journal.\(generation - 1)")
        file = next
        generation += 1
        generationStarted = started
        previous = current
        current = []
    }

    private static func hash(_ encodedID: Substring) -> Int {
        var hasher = Hasher()
        hasher.combine(encodedID)
        return hasher.finalize()
    }

    /// An id as written in the journal: bytes that would break a record (spaces, control characters) and `%`
    /// are percent-encoded.
    static func encoded(_ id: String) -> String {
        guard id.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7f || $0 == UInt8(ascii: "%") }) else { return id }
        var bytes: [UInt8] = []
        for byte in id.utf8 {
            if byte <= 0x20 || byte == 0x7f || byte == UInt8(ascii: "%") {
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0xf)])
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)
}
