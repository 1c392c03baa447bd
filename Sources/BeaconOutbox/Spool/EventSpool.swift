import BeaconSynchronization
import Foundation
import Synchronization
public import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only disk queue of events: where events wait while the broker is away, in order, across restarts.
///
/// The spool is a directory of segment files (`00000000000000000001.spool`, …) holding checksummed records,
/// and a `cursor` file naming the first record not yet delivered. ``append(_:)`` adds records at the tail (and
/// syncs them to disk), ``read(after:maximumCount:)`` reads from the cursor without removing anything, and
/// ``remove(through:)`` moves the cursor once the broker has confirmed what was read; segments behind the cursor
/// are deleted. Opening a spool recovers from a crash: a record torn by a crash mid-write at the tail is cut off,
/// a record whose checksum fails, or bytes without a record frame up to the next good record, are skipped and
/// counted as one damaged record.
///
/// The spool holds at most ``maximumBytes``; ``append(_:)`` refuses what does not fit, and the caller counts it as
/// dropped. All methods are thread-safe; they do blocking file I/O, so call them from a thread of your own, not
/// from Swift concurrency's cooperative pool. ``statistics`` and ``isEmpty`` are the exception: they read counters
/// kept beside the files, under a lock of their own that no I/O holds, so they never wait for a write or a sync
/// (`/healthz` and the outbox's loop read them).
public final class EventSpool: Sendable {
    /// One spooled event: the routing key it goes to, its id and its JSON.
    public struct Record: Sendable, Hashable {
        public var routingKey: String
        public var eventID: String
        public var body: [UInt8]

        public init(routingKey: String, eventID: String, body: [UInt8]) {
            self.routingKey = routingKey
            self.eventID = eventID
            self.body = body
        }
    }

    /// A place in the spool: the segment and the byte offset just after a record.
    public struct Position: Sendable, Hashable, Comparable, CustomStringConvertible {
        public var segment: UInt64
        public var offset: Int64

        public static func < (lhs: Position, rhs: Position) -> Bool {
            (lhs.segment, lhs.offset) < (rhs.segment, rhs.offset)
        }

        public var description: String { "\(segment):\(offset)" }
    }

    /// What a spool holds and has been through.
    public struct Statistics: Sendable, Hashable {
        /// Records waiting in the spool.
        public var records: Int
        /// Bytes those records take on disk.
        public var bytes: Int64
        /// Records found damaged (checksum or framing) when the spool was opened, and skipped.
        public var damagedRecords: Int
    }

    public let directory: FilePath
    public let maximumBytes: Int64
    public let segmentBytes: Int64
    /// Whether each append is synced to disk (`fdatasync`) before it returns.
    public let syncsWrites: Bool

    /// The files; held across their I/O.
    private let state: Mutex<State>
    /// What ``statistics`` reads: a copy of the counters in `state`, set after each change, never held across I/O.
    private let counters: Mutex<Statistics>

    /// Opens the spool in `directory` (created if needed) and recovers what a previous process left there.
    public convenience init(
        directory: FilePath,
        maximumBytes: Int64 = 256 << 20,
        segmentBytes: Int64 = 16 << 20,
        syncsWrites: Bool = true
    ) throws(SpoolError) {
        try self.init(directory: directory, maximumBytes: maximumBytes, segmentBytes: segmentBytes, syncsWrites: syncsWrites) {}
    }

    /// Opens the spool as the public initializer does; `beforeSync` runs (under the files' lock) just before each
    /// `fdatasync` of appended records, so that a test can hold a sync in progress.
    init(
        directory: FilePath,
        maximumBytes: Int64,
        segmentBytes: Int64,
        syncsWrites: Bool,
        beforeSync: @escaping @Sendable () -> Void
    ) throws(SpoolError) {
        precondition(maximumBytes > 0 && segmentBytes > 0, "a spool needs room")
        self.directory = directory
        self.maximumBytes = maximumBytes
        self.segmentBytes = min(segmentBytes, maximumBytes)
        self.syncsWrites = syncsWrites
        let state = try State.recover(directory: directory, syncsDirectory: syncsWrites, beforeSync: beforeSync)
        self.counters = Mutex(state.statistics)
        self.state = Mutex(state)
    }

    deinit {
        state.withTracedLock { $0.closeFiles() }
    }

    /// True when no record is waiting.
    public var isEmpty: Bool { statistics.records == 0 }

    /// What the spool holds now; never waits for a write or a sync in progress (it may lag one that is).
    public var statistics: Statistics { counters.withTracedLock { $0 } }

    /// Copies the counters of `state` for ``statistics``; called under the files' lock after they change.
    private func publishCounters(of state: borrowing State) {
        let statistics = state.statistics
        counters.withTracedLock { $0 = statistics }
    }

    /// Appends records at the tail, in order, and syncs them to disk.
    ///
    /// Returns how many were appended: all of them, or the leading ones that fit under ``maximumBytes`` (the rest
    /// are not in the spool; the caller counts them as dropped).
    @discardableResult
    public func append(_ records: some Collection<Record>) throws(SpoolError) -> Int {
        try state.withTracedLock { state throws(SpoolError) in
            defer { publishCounters(of: state) }
            var pending: [UInt8] = []
            var pendingRecords = 0
            var accepted = 0
            for record in records {
                let size = Int64(SpoolRecordCoding.encodedSize(of: record))
                guard state.byteCount + Int64(pending.count) + size <= maximumBytes else { break }
                let tailSize = state.tailSize + Int64(pending.count)
                if tailSize > 0, tailSize + size > segmentBytes {
                    try state.appendToTail(pending, records: pendingRecords, sync: syncsWrites)
                    pending.removeAll(keepingCapacity: true)
                    pendingRecords = 0
                    try state.startNewTailSegment(directory: directory, sync: syncsWrites)
                }
                SpoolRecordCoding.encode(record, into: &pending)
                pendingRecords += 1
                accepted += 1
            }
            if pendingRecords > 0 { try state.appendToTail(pending, records: pendingRecords, sync: syncsWrites) }
            return accepted
        }
    }

    /// Reads up to `maximumCount` records in order, starting after `position` (or at the cursor), without removing
    /// them. Returns the records and the position after the last one (pass it to the next read, and to
    /// ``remove(through:)`` once they are delivered).
    public func read(
        after position: Position? = nil,
        maximumCount: Int
    ) throws(SpoolError) -> (
        records: [Record], end: Position
    ) {
        try state.withTracedLock { state throws(SpoolError) in
            var position = max(position ?? state.cursor, state.cursor)
            var records: [Record] = []
            while records.count < maximumCount {
                guard let segment = state.segments.first(where: { $0 >= position.segment }) else { break }
                if segment != position.segment { position = Position(segment: segment, offset: 0) }
                let read = try state.readRecords(
                    segment: segment,
                    from: position.offset,
                    maximumCount: maximumCount - records.count,
                    directory: directory
                )
                records += read.records
                position.offset = read.end
                if !read.reachedEnd { break }
                guard let next = state.segments.first(where: { $0 > segment }) else { break }
                position = Position(segment: next, offset: 0)
            }
            return (records, position)
        }
    }

    /// Forgets every record up to `position` (delivered), moving the cursor and deleting finished segments.
    public func remove(through position: Position) throws(SpoolError) {
        try state.withTracedLock { state throws(SpoolError) in
            defer { publishCounters(of: state) }
            guard position > state.cursor else { return }
            let removed = try state.countRecords(from: state.cursor, to: position, directory: directory)
            state.cursor = position
            try state.persistCursor(directory: directory)
            state.recordCount -= removed.records
            state.byteCount -= removed.bytes
            try state.deleteSegments(before: position.segment, directory: directory)
        }
    }
}
