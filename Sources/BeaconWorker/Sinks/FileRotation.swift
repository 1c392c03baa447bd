import BeaconFileSystem
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// When and how a log file is rotated, as Python 3.13's logging handlers do it.
///
/// By size (`RotatingFileHandler`): before a line whose length would bring the file to `maxBytes` or beyond
/// (`size + len(line) >= maxBytes`, the line's length counted in characters as Python counts it), `app.log.N-1`
/// becomes `app.log.N` … `app.log` becomes `app.log.1`, and the oldest falls off. An empty file never rotates, so a
/// line longer than `maxBytes` is written to the empty file. `maxBytes` or `backupCount` 0 never rotates.
///
/// By time (`TimedRotatingFileHandler`): the first rotation is an interval after the worker starts, or after the
/// file last changed (`H`, `D`), or at the next midnight (`midnight`); the file gets the start of its interval as a
/// suffix (`app.log.2026-11-21_10`, `app.log.2026-11-21`) and the oldest beyond `backupCount` are deleted. As in
/// Python the check happens when a line is written, not on a timer. One deliberate difference: when the suffixed
/// name exists already, Python 3.13 stops rotating for good; this keeps writing to the live file and tries again at
/// the next interval (3.11 deleted the older file instead).
struct FileRotation {
    private enum Schedule {
        case never
        case size(maxBytes: Int64, backupCount: Int)
        case timed(TimedSchedule)
    }

    private var schedule: Schedule

    /// The rotation of the live file, already open, whose status is `file`.
    init(_ rotation: FileSinkConfiguration.Rotation, file: Stat) {
        // Never roll over anything other than a regular file (Python's bpo-45401), e.g. /dev/stdout.
        switch rotation {
        case .size(let maxBytes, let backupCount) where file.type == .regular && maxBytes > 0 && backupCount > 0:
            schedule = .size(maxBytes: maxBytes, backupCount: backupCount)
        case .timed(let timed) where file.type == .regular:
            // Python starts from the file's modification time (that of a file just made is now).
            schedule = .timed(TimedSchedule(timed, start: Int64(file.st_mtim.tv_sec)))
        default:
            schedule = .never
        }
    }

    /// True when a timed rotation is due before the next line.
    func isDue(now: Int64) -> Bool {
        guard case .timed(let timed) = schedule else { return false }
        return now >= timed.rolloverAt
    }

    /// True when `line` (terminator included) must go into a fresh file, the live one holding `fileSize` bytes.
    func rollsOverBefore(line: ArraySlice<UInt8>, fileSize: Int64) -> Bool {
        guard case .size(let maxBytes, _) = schedule, fileSize > 0 else { return false }
        // Python compares the record's length in characters: count the bytes that start a UTF-8 sequence.
        var characters: Int64 = 0
        for byte in line where byte & 0xc0 != 0x80 { characters += 1 }
        return fileSize + characters >= maxBytes
    }

    /// Moves the live file aside (the caller opens a new one).
    mutating func rollOver(path: String, now: Int64) throws(SystemCallError) {
        switch schedule {
        case .never:
            return
        case .size(_, let backupCount):
            for index in stride(from: backupCount - 1, through: 1, by: -1) {
                let source = "\(path).\(index)"
                let destination = "\(path).\(index + 1)"
                guard FileSystem.exists(source) else { continue }
                if FileSystem.exists(destination) { try FileSystem.remove(destination) }
                try FileSystem.rename(source, to: destination)
            }
            let first = "\(path).1"
            if FileSystem.exists(first) { try FileSystem.remove(first) }
            if FileSystem.exists(path) { try FileSystem.rename(path, to: first) }
        case .timed(var timed):
            try timed.rollOver(path: path, now: now)
            schedule = .timed(timed)
        }
    }
}

/// The arithmetic of `TimedRotatingFileHandler`: `computeRollover`, the suffix of `doRollover` and
/// `getFilesToDelete`, DST adjustments included.
struct TimedSchedule {
    private static let day: Int64 = 86_400

    let unit: FileSinkConfiguration.TimedRotation.Unit
    let interval: Int64
    let backupCount: Int
    let utc: Bool
    private(set) var rolloverAt: Int64

    init(_ rotation: FileSinkConfiguration.TimedRotation, start: Int64) {
        unit = rotation.unit
        interval = Int64(rotation.interval) * (rotation.unit == .hours ? 3600 : Self.day)
        backupCount = rotation.backupCount
        utc = rotation.utc
        rolloverAt = 0
        rolloverAt = computeRollover(start)
    }

    /// The suffix's `strftime` pattern.
    var suffixFormat: String { unit == .hours ? "%Y-%m-%d_%H" : "%Y-%m-%d" }

    func computeRollover(_ currentTime: Int64) -> Int64 {
        guard unit == .midnight else { return currentTime + interval }
        let now = brokenDown(currentTime)
        let secondsIntoDay = Int64((now.tm_hour * 60 + now.tm_min) * 60 + now.tm_sec)
        var result = currentTime + (Self.day - secondsIntoDay) + interval - Self.day
        if !utc {
            let dstNow = now.tm_isdst > 0
            if dstNow != (brokenDown(result).tm_isdst > 0) {
                if !dstNow {
                    // DST begins before the next rollover: an hour earlier, unless that hour is not in DST either.
                    if brokenDown(result - 3600).tm_isdst > 0 { result -= 3600 }
                } else {
                    result += 3600
                }
            }
        }
        return result
    }

    /// The name the live file gets: the start of its interval as a suffix.
    func rotatedName(path: String, now: Int64) -> String {
        let start = rolloverAt - interval
        var parts = brokenDown(start)
        if !utc {
            let dstNow = brokenDown(now).tm_isdst > 0
            if dstNow != (parts.tm_isdst > 0) { parts = brokenDown(start + (dstNow ? 3600 : -3600)) }
        }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, suffixFormat, &parts)
        return path + "." + String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    mutating func rollOver(path: String, now: Int64) throws(SystemCallError) {
        let destination = rotatedName(path: path, now: now)
        defer { rolloverAt = computeRollover(now) }
        guard !FileSystem.exists(destination) else { return }
        if FileSystem.exists(path) { try FileSystem.rename(path, to: destination) }
        if backupCount > 0 {
            for old in try filesToDelete(path: path) { try FileSystem.remove(old) }
        }
    }

    /// The rotated files beyond `backupCount`, oldest first.
    func filesToDelete(path: String) throws(SystemCallError) -> [String] {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let prefix = (slash.map { String(path[path.index(after: $0)...]) } ?? path) + "."
        let shape = Array(unit == .hours ? "dddd-dd-dd_dd" : "dddd-dd-dd")
        let rotated = try FileSystem.contents(of: directory).filter { name in
            guard name.hasPrefix(prefix) else { return false }
            let suffix = Array(name.dropFirst(prefix.count))
            return suffix.count == shape.count
                && zip(suffix, shape).allSatisfy { character, expected in
                    expected == "d" ? character.isASCII && character.isNumber : character == expected
                }
        }
        guard rotated.count > backupCount else { return [] }
        return rotated.sorted().prefix(rotated.count - backupCount).map { "\(directory)/\($0)" }
    }

    private func brokenDown(_ time: Int64) -> tm {
        var clock = time_t(time)
        var parts = tm()
        if utc { gmtime_r(&clock, &parts) } else { localtime_r(&clock, &parts) }
        return parts
    }
}
