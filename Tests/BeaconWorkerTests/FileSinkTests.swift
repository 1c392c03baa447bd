import BeaconEvents
import BeaconFileSystem
import Foundation
import IntegrationSupport
import SystemPackage
import Testing

@testable import BeaconWorker

@Suite struct FileSinkTests {
    let directory: String
    let clock = Fixtures.ManualClock()

    init() throws { directory = try TestServices.temporaryDirectory().path }

    func sink(
        _ rotation: FileSinkConfiguration.Rotation,
        format: String = "%(message)s",
        path: String = "app.log",
        fsync: FileSinkConfiguration.FsyncPolicy = .everyBatch
    ) throws -> FileSink {
        let journal = try SinkJournal(directory: directory + "/.worker", name: path, dedupe: .init(), clock: clock.function)
        return try FileSink(
            name: path,
            configuration: FileSinkConfiguration(path: path, format: format, timeZone: .utc, rotation: rotation, fsync: fsync),
            logDirectory: directory,
            journal: journal,
            clock: clock.function
        )
    }

    func contents(_ name: String, in folder: String? = nil) -> String? {
        (try? String(contentsOfFile: "\(folder ?? directory)/\(name)", encoding: .utf8))
    }

    func files(in folder: String? = nil) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder ?? directory).filter { !$0.hasPrefix(".") }.sorted()
    }

    // MARK: RotatingFileHandler

    /// The same messages through Python's own RotatingFileHandler and through the sink, in batches of several sizes:
    /// the same files with the same bytes. Messages are up to 80 characters and maxBytes is 300, so the comparison
    /// holds for every Python 3 (3.12.3 changed only what happens with a record longer than maxBytes).
    @Test func syncsTheDirectoryOfANewFileAndSaysWhichOneItCouldNot() throws {
        try FileSystem.syncDirectory(FileSystem.directory(containing: directory + "/app.log"))
        try FileSystem.syncDirectory(FileSystem.directory(containing: "relative-name.log"))
        #expect(throws: SystemCallError.self) {
            try FileSystem.syncDirectory(FileSystem.directory(containing: directory + "/missing/app.log"))
        }
    }

    @Test func rotatesExactlyAsPythonsRotatingFileHandler() throws {
        let words = ["GET", "/hello", "200", "0.41ms", "é", "日本語", "😀", "naïve", "x"]
        var generator = SystemRandomNumberGenerator()
        let messages = (0..<400).map { index in
            (0..<Int.random(in: 1...12, using: &generator)).map { _ in words.randomElement(using: &generator)! }.joined(separator: " ") + " \(index)"
        }
        let sink = try sink(.size(maxBytes: 300, backupCount: 3))
        var remaining = messages[...]
        while !remaining.isEmpty {
            let batch = remaining.prefix(Int.random(in: 1...40, using: &generator))
            remaining = remaining.dropFirst(batch.count)
            #expect(sink.write(batch.map { Fixtures.event($0) }).allSatisfy { $0 == nil })
        }

        let reference = try TestServices.temporaryDirectory().path
        let input = reference + "/messages.json"
        try JSONSerialization.data(withJSONObject: messages).write(to: URL(fileURLWithPath: input))
        _ = try python(
            """
            import json, logging, logging.handlers, sys
            handler = logging.handlers.RotatingFileHandler(sys.argv[1] + "/app.log", maxBytes=300, backupCount=3, encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(message)s"))
            logger = logging.getLogger("reference")
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            for message in json.load(open(sys.argv[2], encoding="utf-8")):
                logger.info(message)
            handler.close()
            """,
            reference,
            input
        )
        let expected = try files(in: reference).filter { $0 != "messages.json" }
        #expect(expected == ["app.log", "app.log.1", "app.log.2", "app.log.3"])
        #expect(try files() == expected)
        for name in expected {
            #expect(contents(name) == contents(name, in: reference), "\(name) differs from Python's")
        }
    }

    /// Python 3.12.3+ (gh-116263): an empty file never rolls over, so a record longer than maxBytes is written to it.
    @Test func aLineLongerThanMaxBytesGoesIntoTheEmptyFile() throws {
        let sink = try sink(.size(maxBytes: 50, backupCount: 2))
        let long = String(repeating: "x", count: 80)
        _ = sink.write([Fixtures.event(long)])
        #expect(try files() == ["app.log"])
        #expect(contents("app.log") == long + "\n")
        _ = sink.write([Fixtures.event("short")])
        #expect(try files() == ["app.log", "app.log.1"])
        #expect(contents("app.log.1") == long + "\n")
        #expect(contents("app.log") == "short\n")
    }

    @Test func rollsOverBeforeTheLineThatWouldReachMaxBytes() throws {
        let sink = try sink(.size(maxBytes: 20, backupCount: 2))
        _ = sink.write([Fixtures.event("123456789"), Fixtures.event("12345678")])  // 10 + 9 = 19 bytes: no rollover
        #expect(try files() == ["app.log"])
        _ = sink.write([Fixtures.event("")])  // 19 + 1 = 20 >= 20: rollover first
        #expect(try files() == ["app.log", "app.log.1"])
        #expect(contents("app.log") == "\n")
    }

    @Test func backupCountZeroNeverRotates() throws {
        let sink = try sink(.size(maxBytes: 30, backupCount: 0))
        _ = sink.write((0..<20).map { Fixtures.event("line \($0)") })
        #expect(try files() == ["app.log"])
        #expect(contents("app.log")?.split(separator: "\n").count == 20)
    }

    @Test func theOldestBackupFallsOff() throws {
        let sink = try sink(.size(maxBytes: 10, backupCount: 2))
        _ = sink.write((1...5).map { Fixtures.event("line \($0)") })  // 7 bytes each: one per file
        #expect(try files() == ["app.log", "app.log.1", "app.log.2"])
        #expect(contents("app.log") == "line 5\n")
        #expect(contents("app.log.1") == "line 4\n")
        #expect(contents("app.log.2") == "line 3\n")
    }

    // MARK: TimedRotatingFileHandler

    /// Records at given times through Python's TimedRotatingFileHandler (with `time.time` replaced) and through the
    /// sink with its clock set to the same times: the same files, suffixes and contents, old ones deleted alike.
    /// Both start from an existing, empty `app.log` whose modification time is the start (both handlers count the
    /// first interval from it).
    @Test(arguments: [("H", 1, 3), ("midnight", 1, 2), ("D", 2, 0)])
    func rotatesByTimeExactlyAsPythonsTimedRotatingFileHandler(when: String, interval: Int, backupCount: Int) throws {
        let start: Int64 = 1_763_720_130  // 2025-11-21 10:15:30 UTC
        let steps: [Int64] = [0, 600, 3000, 3700, 7300, 20_000, 50_000, 86_000, 90_000, 180_000, 200_000, 400_000, 400_010]
        let unit = try #require(FileSinkConfiguration.TimedRotation.Unit(rawValue: when))
        let modified = [FileAttributeKey.modificationDate: Date(timeIntervalSince1970: TimeInterval(start))]
        _ = FileManager.default.createFile(atPath: directory + "/app.log", contents: nil, attributes: modified)
        clock.set(start * 1000)
        let sink = try sink(.timed(.init(unit: unit, interval: interval, backupCount: backupCount, utc: true)))
        for (index, step) in steps.enumerated() {
            clock.set((start + step) * 1000)
            _ = sink.write([Fixtures.event("record \(index) at +\(step)s")])
        }

        let reference = try TestServices.temporaryDirectory().path
        _ = FileManager.default.createFile(atPath: reference + "/app.log", contents: nil, attributes: modified)
        _ = try python(
            """
            import logging, logging.handlers, sys, time
            start, when, interval, backups = int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
            now = [start]
            time.time = lambda: now[0]
            handler = logging.handlers.TimedRotatingFileHandler(
                sys.argv[1] + "/app.log", when=when, interval=interval, backupCount=backups, utc=True, encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(message)s"))
            logger = logging.getLogger("reference")
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            for index, step in enumerate(int(s) for s in sys.argv[6].split(",")):
                now[0] = start + step
                logger.info("record %d at +%ds", index, step)
            handler.close()
            """,
            reference,
            String(start),
            when,
            String(interval),
            String(backupCount),
            steps.map(String.init).joined(separator: ",")
        )
        let expected = try files(in: reference)
        #expect(expected.count > 2, "the steps should cross several rollovers: \(expected)")
        #expect(try files() == expected)
        for name in expected {
            #expect(contents(name) == contents(name, in: reference), "\(name) differs from Python's")
        }
    }

    // MARK: One event, one line; journal; crash recovery

    @Test func writesDESIGNsDefaultLineAndKeepsEveryEventOnOneLine() throws {
        let sink = try sink(.none, format: LogFormat.beaconDefault)
        let event = Fixtures.event(
            "first line\nERROR forged second line\r\u{1b}[31m",
            time: Event.Timestamp(millisecondsSince1970: 1_763_720_130_123)
        )
        _ = sink.write([event])
        let text = try #require(contents("app.log"))
        #expect(text == "2025-11-21 10:15:30,123 INFO [req-1] first line\\nERROR forged second line\\r\\x1b[31m [in Sources/App/Routes.swift:42]\n")
    }

    @Test func rememeberedIDsSurviveAReopen() throws {
        let events = (0..<3).map { Fixtures.event("line \($0)") }
        do {
            let sink = try sink(.none)
            _ = sink.write(events)
            #expect(events.allSatisfy { sink.journal.contains($0.id) })
        }
        let reopened = try sink(.none)
        #expect(events.allSatisfy { reopened.journal.contains($0.id) })
        #expect(!reopened.journal.contains(Event.makeID()))
    }

    /// A worker killed between appending lines and recording them leaves a `b` record without its `c`: the next
    /// start cuts the file back, so the redelivered events are written once, whole.
    @Test func anUnfinishedWriteIsRolledBackOnOpen() throws {
        let first = Fixtures.event("kept")
        do {
            let sink = try sink(.none)
            _ = sink.write([first])
        }
        // What a kill -9 in the middle of a write leaves: the begin record, and part of the lines.
        let path = directory + "/app.log"
        let status = try AppendedFile(path).status()
        let journal = try SinkJournal(directory: directory + "/.worker", name: "app.log", dedupe: .init(), clock: clock.function)
        try journal.begin(inode: UInt64(status.inode.rawValue), offset: status.size)
        try AppendedFile(path).write(Array("half a li".utf8))

        let reopened = try sink(.none)
        #expect(contents("app.log") == "kept\n")
        #expect(reopened.journal.contains(first.id))
        _ = reopened.write([Fixtures.event("again")])
        #expect(contents("app.log") == "kept\nagain\n")
    }

    @Test func aJournalRecordCutShortIsDropped() throws {
        let events = [Fixtures.event("a"), Fixtures.event("b")]
        do {
            let sink = try sink(.none)
            _ = sink.write(events)
        }
        let journalPath = try #require(
            try FileManager.default.contentsOfDirectory(atPath: directory + "/.worker").first { $0.hasPrefix("app.log.journal") }
        )
        try AppendedFile(directory + "/.worker/" + journalPath).write(Array("c 1 half-an-id-without-newl".utf8))
        let reopened = try sink(.none)
        #expect(events.allSatisfy { reopened.journal.contains($0.id) })
        #expect(!reopened.journal.contains("half-an-id-without-newl"))
        _ = reopened.write([Fixtures.event("c")])
        let journal = try #require(contents(journalPath, in: directory + "/.worker"))
        #expect(journal.hasSuffix("\n"))
        #expect(!journal.contains("half-an-id"))
    }

    /// Ids are remembered at least a window: a generation ends once it is a window old, and the one before it is
    /// deleted then.
    @Test func idsAreRememberedForAtLeastTheWindow() throws {
        let dedupe = WorkerConfiguration.Dedupe(window: .seconds(60), maxIDs: 1000)
        let journal = try SinkJournal(directory: directory, name: "x", dedupe: dedupe, clock: clock.function)
        try journal.commit(["a"], sync: false)
        clock.advance(by: .seconds(59))
        try journal.commit(["b"], sync: false)
        clock.advance(by: .seconds(2))
        try journal.commit(["c"], sync: false)  // the first generation is a window old: the next begins
        #expect(journal.contains("a") && journal.contains("b") && journal.contains("c"))
        clock.advance(by: .seconds(30))
        try journal.commit(["d"], sync: false)
        #expect(journal.contains("a"), "a is 91s old, its generation 30s past its end: kept until the next one ends")
        clock.advance(by: .seconds(31))
        try journal.commit(["e"], sync: false)
        #expect(!journal.contains("a") && !journal.contains("c"), "c is 61s old: forgotten")
        #expect(journal.contains("d") && journal.contains("e"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("x.journal.") }.count == 2)
        let reopened = try SinkJournal(directory: directory, name: "x", dedupe: dedupe, clock: clock.function)
        #expect(!reopened.contains("a") && reopened.contains("d") && reopened.contains("e"))
    }

    @Test func atMostMaxIDsAreRemembered() throws {
        let journal = try SinkJournal(directory: directory, name: "y", dedupe: .init(window: .seconds(3600), maxIDs: 1000), clock: clock.function)
        for batch in 0..<3 { try journal.commit((0..<250).map { "\(batch)-\($0)" }, sync: false) }
        #expect(journal.contains("0-1") && journal.contains("1-1") && journal.contains("2-249"))
        try journal.commit((0..<250).map { "3-\($0)" }, sync: false)
        #expect(!journal.contains("0-1") && !journal.contains("1-249"), "the oldest half is forgotten")
        #expect(journal.contains("2-1") && journal.contains("3-249"))
    }

    @Test func idsThatWouldBreakARecordAreEncoded() throws {
        let journal = try SinkJournal(directory: directory, name: "odd", dedupe: .init(), clock: clock.function)
        try journal.commit(["with space", "new\nline", "100%"], sync: false)
        let reopened = try SinkJournal(directory: directory, name: "odd", dedupe: .init(), clock: clock.function)
        #expect(reopened.contains("with space") && reopened.contains("new\nline") && reopened.contains("100%"))
        #expect(!reopened.contains("with"))
    }

    @Test func aFailedRotationFailsTheEventsOfTheBatchAndTheNextTryWorks() throws {
        let sink = try sink(.size(maxBytes: 5, backupCount: 1))
        _ = sink.write([Fixtures.event("1234")])
        // A directory where the backup must go: the rollover cannot remove it.
        try FileManager.default.createDirectory(atPath: directory + "/app.log.1", withIntermediateDirectories: true)
        try "x".write(toFile: directory + "/app.log.1/keep", atomically: true, encoding: .utf8)
        let results = sink.write([Fixtures.event("5678"), Fixtures.event("9")])
        #expect(results.allSatisfy { $0?.code == .fileWrite })
        #expect(contents("app.log") == "1234\n")
        try FileManager.default.removeItem(atPath: directory + "/app.log.1")
        #expect(sink.write([Fixtures.event("5678")]).allSatisfy { $0 == nil })
        #expect(contents("app.log.1") == "1234\n")
        #expect(contents("app.log") == "5678\n")
    }
}
