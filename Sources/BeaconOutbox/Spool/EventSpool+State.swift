import Foundation
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension EventSpool {
    /// The spool's files and counters; only touched under the spool's mutex.
    struct State: ~Copyable {
        /// Segment numbers on disk, ascending; the last one is the tail that appends go to.
        var segments: [UInt64]
        /// The first record not yet delivered.
        var cursor: Position
        var tail: FileDescriptor
        var tailSize: Int64
        /// A descriptor kept open for reading one segment.
        var reader: (segment: UInt64, descriptor: FileDescriptor)?
        var recordCount: Int
        var byteCount: Int64
        var damagedRecords: Int
        let directory: FilePath
        /// Runs just before each sync of appended records (a test's hold on a sync in progress).
        let beforeSync: @Sendable () -> Void

        /// The counters, as ``EventSpool/statistics`` reports them.
        var statistics: Statistics {
            Statistics(records: recordCount, bytes: byteCount, damagedRecords: damagedRecords)
        }

        // MARK: Opening

        /// Opens the spool in `directory`, creating it if needed, and recovers from whatever a crash left. With
        /// `syncsDirectory`, the directory is synced once the tail segment is open (it may have just been made), and
        /// so is the parent of each directory made, so that a crash cannot take the spool's directory away with the
        /// records in it.
        static func recover(
            directory: FilePath,
            syncsDirectory: Bool,
            beforeSync: @escaping @Sendable () -> Void
        ) throws(SpoolError) -> State {
            var made: [FilePath] = []
            var ancestor = directory
            while !ancestor.components.isEmpty, !FileManager.default.fileExists(atPath: ancestor.string) {
                made.append(ancestor)
                ancestor.removeLastComponent()
            }
            do {
                try FileManager.default.createDirectory(atPath: directory.string, withIntermediateDirectories: true)
            } catch {
                throw SpoolError(.cannotOpen, "cannot create the spool directory \(directory): \(error)")
            }
            if syncsDirectory {
                for madeDirectory in made {
                    let parent = madeDirectory.removingLastComponent()
                    try syncDirectory(parent.isEmpty ? "." : parent)
                }
            }
            var segments = try listSegments(in: directory)
            var cursor = readCursor(in: directory) ?? Position(segment: segments.first ?? 1, offset: 0)
            if !segments.contains(cursor.segment) {
                // The cursor's segment is gone (fully delivered and deleted): start at the next one.
                cursor = Position(segment: segments.first { $0 > cursor.segment } ?? cursor.segment, offset: 0)
            }
            // Segments behind the cursor were delivered; a crash may have left them.
            for segment in segments where segment < cursor.segment {
                unlink(segmentPath(segment, in: directory).string)
            }
            segments.removeAll { $0 < cursor.segment }

            var recordCount = 0
            var byteCount: Int64 = 0
            var damagedRecords = 0
            for segment in segments {
                let start = segment == cursor.segment ? cursor.offset : 0
                let scan = try SegmentScan(segment: segment, in: directory, from: start)
                recordCount += scan.records
                damagedRecords += scan.damaged
                byteCount += scan.validEnd - start
            }
            if segments.isEmpty { segments = [cursor.segment] }
            let tailNumber = segments[segments.count - 1]
            let tail = try openForAppend(segmentPath(tailNumber, in: directory))
            if syncsDirectory { try syncDirectory(directory) }
            let tailSize = try fileSize(tail)
            return State(
                segments: segments,
                cursor: cursor,
                tail: tail,
                tailSize: tailSize,
                reader: nil,
                recordCount: recordCount,
                byteCount: byteCount,
                damagedRecords: damagedRecords,
                directory: directory,
                beforeSync: beforeSync
            )
        }

        mutating func closeFiles() {
            try? tail.close()
            if let reader { try? reader.descriptor.close() }
            reader = nil
        }

        // MARK: Writing

        mutating func appendToTail(_ bytes: [UInt8], records: Int, sync: Bool) throws(SpoolError) {
            do {
                _ = try tail.writeAll(bytes)
                if sync {
                    beforeSync()
                    if fdatasync(tail.rawValue) != 0 { throw Errno(rawValue: errno) }
                }
            } catch {
                // A partial write is cut off at the next opening; here the tail is reset to where it was.
                try? tail.resize(to: tailSize)
                throw SpoolError(.writeFailed, "cannot write to the spool in \(directory): \(error)")
            }
            tailSize += Int64(bytes.count)
            byteCount += Int64(bytes.count)
            recordCount += records
        }

        /// Makes the next segment the tail. With `sync`, the directory is synced: records synced into a segment whose
        /// name a power cut undoes would be lost with it.
        mutating func startNewTailSegment(directory: FilePath, sync: Bool) throws(SpoolError) {
            let next = segments[segments.count - 1] + 1
            let descriptor = try Self.openForAppend(Self.segmentPath(next, in: directory))
            if sync { try Self.syncDirectory(directory) }
            try? tail.close()
            tail = descriptor
            tailSize = 0
            segments.append(next)
        }

        mutating func persistCursor(directory: FilePath) throws(SpoolError) {
            let text = Array("\(cursor.segment) \(cursor.offset)\n".utf8)
            let temporary = directory.appending("cursor.tmp")
            do {
                let descriptor = try FileDescriptor.open(
                    temporary,
                    .writeOnly,
                    options: [.create, .truncate],
                    permissions: [.ownerReadWrite]
                )
                defer { try? descriptor.close() }
                _ = try descriptor.writeAll(text)
                if fsync(descriptor.rawValue) != 0 { throw Errno(rawValue: errno) }
                if rename(temporary.string, directory.appending("cursor").string) != 0 { throw Errno(rawValue: errno) }
            } catch {
                throw SpoolError(.writeFailed, "cannot save the spool cursor in \(directory): \(error)")
            }
        }

        mutating func deleteSegments(before segment: UInt64, directory: FilePath) throws(SpoolError) {
            for number in segments where number < segment {
                if reader?.segment == number {
                    try? reader?.descriptor.close()
                    reader = nil
                }
                if unlink(Self.segmentPath(number, in: directory).string) != 0, errno != ENOENT {
                    throw SpoolError(.writeFailed, "cannot delete a delivered spool segment: \(Errno(rawValue: errno))")
                }
            }
            segments.removeAll { $0 < segment }
        }

        // MARK: Reading

        /// Reads up to `maximumCount` records of one segment from `offset`; skips damaged ones.
        mutating func readRecords(
            segment: UInt64,
            from offset: Int64,
            maximumCount: Int,
            directory: FilePath
        ) throws(SpoolError) -> (records: [Record], end: Int64, reachedEnd: Bool) {
            let descriptor = try readerDescriptor(for: segment, directory: directory)
            let size = segment == segments.last ? tailSize : try Self.fileSize(descriptor)
            var records: [Record] = []
            var offset = offset
            while records.count < maximumCount, offset < size {
                switch try SpoolRecordCoding.read(from: descriptor, at: offset, fileSize: size) {
                case .record(let record, let next):
                    records.append(record)
                    offset = next
                case .damaged(let next):
                    offset = next
                case .truncated:
                    return (records, offset, true)
                }
            }
            return (records, offset, offset >= size)
        }

        /// How many records and bytes lie between two positions.
        mutating func countRecords(
            from start: Position,
            to end: Position,
            directory: FilePath
        ) throws(SpoolError) -> (records: Int, bytes: Int64) {
            var records = 0
            var bytes: Int64 = 0
            for segment in segments where segment >= start.segment && segment <= end.segment {
                let descriptor = try readerDescriptor(for: segment, directory: directory)
                var offset = segment == start.segment ? start.offset : 0
                let stop = segment == end.segment ? end.offset : (segment == segments.last ? tailSize : try Self.fileSize(descriptor))
                bytes += stop - offset
                // The same walk as reading, so that a damaged stretch counts as the one record the opening scan made it.
                walk: while offset < stop {
                    switch try SpoolRecordCoding.read(from: descriptor, at: offset, fileSize: stop) {
                    case .record(_, let next), .damaged(let next): offset = next
                    case .truncated: break walk
                    }
                    records += 1
                }
            }
            return (records, bytes)
        }

        private mutating func readerDescriptor(for segment: UInt64, directory: FilePath) throws(SpoolError) -> FileDescriptor {
            if let reader, reader.segment == segment { return reader.descriptor }
            if let reader { try? reader.descriptor.close() }
            do {
                let descriptor = try FileDescriptor.open(Self.segmentPath(segment, in: directory), .readOnly)
                reader = (segment, descriptor)
                return descriptor
            } catch {
                throw SpoolError(.readFailed, "cannot open spool segment \(segment): \(error)")
            }
        }

        // MARK: Files

        static func segmentPath(_ number: UInt64, in directory: FilePath) -> FilePath {
            let digits = String(number)
            return directory.appending(String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".spool")
        }

        private static func listSegments(in directory: FilePath) throws(SpoolError) -> [UInt64] {
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: directory.string)
            } catch {
                throw SpoolError(.cannotOpen, "cannot list the spool directory \(directory): \(error)")
            }
            return names.compactMap { name in
                guard name.hasSuffix(".spool") else { return nil }
                return UInt64(name.dropLast(".spool".count))
            }.sorted()
        }

        private static func readCursor(in directory: FilePath) -> Position? {
            guard let text = try? String(contentsOfFile: directory.appending("cursor").string, encoding: .utf8) else {
                return nil
            }
            let parts = text.split(whereSeparator: \.isWhitespace)
            guard parts.count == 2, let segment = UInt64(parts[0]), let offset = Int64(parts[1]), offset >= 0 else {
                return nil
            }
            return Position(segment: segment, offset: offset)
        }

        private static func openForAppend(_ path: FilePath) throws(SpoolError) -> FileDescriptor {
            do {
                return try FileDescriptor.open(
                    path,
                    .writeOnly,
                    options: [.create, .append],
                    permissions: [.ownerReadWrite, .groupRead]
                )
            } catch {
                throw SpoolError(.cannotOpen, "cannot open spool segment \(path): \(error)")
            }
        }

        /// Forces `directory`'s entries (its files' names) to the disk.
        private static func syncDirectory(_ directory: FilePath) throws(SpoolError) {
            do {
                let descriptor = try FileDescriptor.open(directory, .readOnly, options: [.directory])
                defer { try? descriptor.close() }
                if fsync(descriptor.rawValue) != 0 { throw Errno(rawValue: errno) }
            } catch {
                throw SpoolError(.writeFailed, "cannot sync the spool directory \(directory): \(error)")
            }
        }

        static func fileSize(_ descriptor: FileDescriptor) throws(SpoolError) -> Int64 {
            do {
                return try descriptor.seek(offset: 0, from: .end)
            } catch {
                throw SpoolError(.readFailed, "cannot read a spool segment's size: \(error)")
            }
        }
    }
}

/// Validates one segment when the spool opens: counts its records, counts damaged ones, and cuts off a record
/// torn by a crash at its end.
private struct SegmentScan {
    var records = 0
    var damaged = 0
    var validEnd: Int64 = 0

    init(segment: UInt64, in directory: FilePath, from start: Int64) throws(SpoolError) {
        let path = EventSpool.State.segmentPath(segment, in: directory)
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(path, .readWrite)
        } catch {
            throw SpoolError(.cannotOpen, "cannot open spool segment \(path): \(error)")
        }
        defer { try? descriptor.close() }
        let size = try EventSpool.State.fileSize(descriptor)
        var offset = start
        scan: while offset < size {
            switch try SpoolRecordCoding.read(from: descriptor, at: offset, fileSize: size) {
            case .record(_, let next):
                records += 1
                offset = next
            case .damaged(let next):
                records += 1
                damaged += 1
                offset = next
            case .truncated:
                break scan
            }
        }
        validEnd = offset
        if offset < size {
            do {
                try descriptor.resize(to: offset)
            } catch {
                throw SpoolError(.writeFailed, "cannot cut the torn end off spool segment \(path): \(error)")
            }
        }
    }
}
