import Foundation
import IntegrationSupport
import SystemPackage
import Testing

@testable import BeaconOutbox

@Suite struct EventSpoolTests {
    let directory: FilePath

    init() throws {
        directory = FilePath(try TestServices.temporaryDirectory("spool").path)
    }

    func records(_ range: Range<Int>, key: String = "web.request.info") -> [EventSpool.Record] {
        range.map { EventSpool.Record(routingKey: key, eventID: "id-\($0)", body: Array("{\"n\":\($0)}".utf8)) }
    }

    func bodies(_ records: [EventSpool.Record]) -> [String] {
        records.map { String(decoding: $0.body, as: UTF8.self) }
    }

    /// Spools `range` with a spool that is closed again, then applies `damage` to the bytes of its one segment, given
    /// the size of one record; returns the damaged bytes.
    @discardableResult
    func spoolRecords(_ range: Range<Int>, damage: (inout Data, _ recordSize: Int) -> Void) throws -> Data {
        do {
            let spool = try EventSpool(directory: directory)
            try spool.append(records(range))
        }
        let segment = URL(fileURLWithPath: EventSpool.State.segmentPath(1, in: directory).string)
        var data = try Data(contentsOf: segment)
        damage(&data, SpoolRecordCoding.encodedSize(of: records(0..<1)[0]))
        try data.write(to: segment)
        return data
    }

    @Test func statisticsDoNotWaitForASyncInProgress() throws {
        let gate = Gate()
        gate.close()
        let spool = try EventSpool(directory: directory, maximumBytes: 1 << 20, segmentBytes: 1 << 20, syncsWrites: true, beforeSync: gate.pass)
        let batch = records(0..<3)
        let writer = BlockingCall { _ = try? spool.append(batch) }
        #expect(gate.waitForArrivals(1), "the append reaches its sync")
        // The sync is held, with the spool's files locked: the statistics are read anyway.
        let reader = BlockingCall { spool.statistics }
        #expect(reader.finished(), "reading the statistics waited for the sync")
        #expect(reader.value?.records == 0, "what is not synced yet is not counted yet")
        gate.open()
        #expect(writer.finished())
        #expect(spool.statistics.records == 3)
        #expect(!spool.isEmpty)
    }

    @Test func keepsRecordsInOrderUntilRemoved() throws {
        let spool = try EventSpool(directory: directory)
        #expect(spool.isEmpty)
        #expect(try spool.append(records(0..<10)) == 10)
        #expect(spool.statistics.records == 10)

        let first = try spool.read(maximumCount: 4)
        #expect(bodies(first.records) == bodies(records(0..<4)))
        let second = try spool.read(after: first.end, maximumCount: 100)
        #expect(bodies(second.records) == bodies(records(4..<10)))
        #expect(spool.statistics.records == 10, "reading removes nothing")

        try spool.remove(through: first.end)
        #expect(spool.statistics.records == 6)
        #expect(bodies(try spool.read(maximumCount: 100).records) == bodies(records(4..<10)))
        try spool.remove(through: second.end)
        #expect(spool.isEmpty)
        #expect(spool.statistics.bytes == 0)
    }

    @Test func makesItsDirectoryAndMissingParents() throws {
        let nested = directory.appending("var").appending("spool").appending("web")
        do {
            let spool = try EventSpool(directory: nested)
            try spool.append(records(0..<3))
        }
        let reopened = try EventSpool(directory: nested)
        #expect(bodies(try reopened.read(maximumCount: 10).records) == bodies(records(0..<3)))
    }

    @Test func survivesAReopenWithItsCursor() throws {
        do {
            let spool = try EventSpool(directory: directory)
            try spool.append(records(0..<5, key: "web.error.error"))
            try spool.remove(through: try spool.read(maximumCount: 2).end)
        }
        let reopened = try EventSpool(directory: directory)
        #expect(reopened.statistics.records == 3)
        let read = try reopened.read(maximumCount: 10)
        #expect(bodies(read.records) == bodies(records(2..<5)))
        #expect(read.records.allSatisfy { $0.routingKey == "web.error.error" })
        #expect(read.records.map(\.eventID) == ["id-2", "id-3", "id-4"])
        try reopened.append(records(5..<7))
        #expect(bodies(try reopened.read(maximumCount: 10).records) == bodies(records(2..<7)))
    }

    @Test func rollsOverSegmentsAndDeletesDeliveredOnes() throws {
        let spool = try EventSpool(directory: directory, segmentBytes: 200)
        try spool.append(records(0..<30))
        let segments = { try FileManager.default.contentsOfDirectory(atPath: directory.string).filter { $0.hasSuffix(".spool") } }
        #expect(try segments().count > 5)
        let all = try spool.read(maximumCount: 1000)
        #expect(bodies(all.records) == bodies(records(0..<30)))
        try spool.remove(through: all.end)
        #expect(try segments().count == 1, "only the tail segment stays")
        try spool.append(records(30..<31))
        #expect(bodies(try spool.read(maximumCount: 10).records) == bodies(records(30..<31)))
    }

    @Test func refusesWhatDoesNotFitUnderTheCap() throws {
        let one = SpoolRecordCoding.encodedSize(of: records(0..<1)[0])
        let spool = try EventSpool(directory: directory, maximumBytes: Int64(one * 3))
        #expect(try spool.append(records(0..<5)) == 3)
        #expect(try spool.append(records(5..<6)) == 0)
        try spool.remove(through: try spool.read(maximumCount: 1).end)
        #expect(try spool.append(records(6..<8)) == 1)
        #expect(bodies(try spool.read(maximumCount: 10).records) == ["{\"n\":1}", "{\"n\":2}", "{\"n\":6}"])
    }

    @Test func cutsOffARecordTornByACrash() throws {
        do {
            let spool = try EventSpool(directory: directory)
            try spool.append(records(0..<3))
        }
        // A crash mid-write leaves half a record at the end of the tail segment.
        let segment = EventSpool.State.segmentPath(1, in: directory)
        var torn: [UInt8] = []
        SpoolRecordCoding.encode(records(3..<4)[0], into: &torn)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: segment.string))
        try handle.seekToEnd()
        try handle.write(contentsOf: torn.prefix(torn.count / 2))
        try handle.close()

        let reopened = try EventSpool(directory: directory)
        #expect(reopened.statistics.records == 3)
        try reopened.append(records(4..<5))
        #expect(bodies(try reopened.read(maximumCount: 10).records) == bodies(records(0..<3) + records(4..<5)))
    }

    @Test func skipsAndCountsARecordWhoseChecksumFails() throws {
        // Flip one byte inside the second record's body.
        try spoolRecords(0..<3) { data, recordSize in data[recordSize + recordSize - 2] ^= 0xff }

        let reopened = try EventSpool(directory: directory)
        #expect(reopened.statistics.damagedRecords == 1)
        let read = try reopened.read(maximumCount: 10)
        #expect(bodies(read.records) == ["{\"n\":0}", "{\"n\":2}"])
        try reopened.remove(through: read.end)
        #expect(reopened.isEmpty)
    }

    @Test(
        "a record whose frame is damaged in the middle of a segment is skipped, and every record after it is kept",
        arguments: [
            (offset: 0, value: 0x00),  // the magic
            (offset: 5, value: 0x7f),  // the length's high byte: past the end of the file
            (offset: 2, value: 0x01),  // the length's low byte: into the next record
        ]
    )
    func skipsADamagedFrameAndKeepsWhatFollows(damage: (offset: Int, value: UInt8)) throws {
        let data = try spoolRecords(0..<5) { data, recordSize in data[recordSize + damage.offset] = damage.value }
        let segment = URL(fileURLWithPath: EventSpool.State.segmentPath(1, in: directory).string)

        let reopened = try EventSpool(directory: directory)
        #expect(reopened.statistics.damagedRecords == 1)
        #expect(try Data(contentsOf: segment).count == data.count, "nothing is cut off")
        let read = try reopened.read(maximumCount: 10)
        #expect(bodies(read.records) == bodies(records(0..<1) + records(2..<5)))
        try reopened.append(records(5..<6))
        #expect(bodies(try reopened.read(after: read.end, maximumCount: 10).records) == bodies(records(5..<6)))
        try reopened.remove(through: read.end)
        #expect(reopened.statistics.records == 1)
        #expect(reopened.statistics.bytes == Int64(SpoolRecordCoding.encodedSize(of: records(0..<1)[0])))
    }

    @Test func manyThreadsAppendWithoutLosingOrTearing() async throws {
        let spool = try EventSpool(directory: directory, segmentBytes: 4096, syncsWrites: false)
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for batch in 0..<25 {
                        let base = writer * 1000 + batch * 4
                        _ = try? spool.append(self.records(base..<base + 4, key: "w\(writer)"))
                    }
                }
            }
        }
        let all = try spool.read(maximumCount: 10_000).records
        #expect(all.count == 800)
        for writer in 0..<8 {
            let mine = all.filter { $0.routingKey == "w\(writer)" }
            #expect(bodies(mine) == bodies((0..<100).map { self.records(writer * 1000 + $0..<writer * 1000 + $0 + 1)[0] }))
        }
    }

    @Test func crcMatchesZlib() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xcbf4_3926)
    }
}
