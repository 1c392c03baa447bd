import BeaconAMQP
import BeaconEvents
import Foundation
import IntegrationSupport
import Testing

@testable import BeaconWorker

/// The worker against the real broker: events in, lines out, acknowledgements, poison, retries, dedupe.
@Suite(.serialized) struct FilePipelineTests {
    @Test func writesEveryEventOnceAndAcknowledgesIt() async throws {
        let world = try TestWorld()
        try await TestBroker.with { broker in
            let worker = try await world.startWorker(broker: broker)
            let single = (0..<300).map { Fixtures.event("single \($0)") }
            let batched = (0..<50).map { Fixtures.event("batched \($0)", level: .warning) }
            try await broker.publish(single, to: world)
            try await broker.publish(body: EventBatch.encode(batched), contentType: EventBatch.contentType, routingKey: "web.log.warning", to: world)
            #expect(await eventually(timeout: .seconds(30)) { world.lines().count >= 350 }, "lines: \(world.lines().count)")
            try await worker.stop()

            #expect(Set(world.writtenIDs()) == Set((single + batched).map(\.id)))
            #expect(world.writtenIDs().count == 350)
            #expect(world.lines().first == "\(single[0].id) INFO single 0")
            #expect(try TestServices.messageCount(queue: world.filesQueue) == 0, "everything is acknowledged")
            #expect(worker.statistics.snapshot[.written] == 350)
        }
    }

    @Test func poisonGoesToTheDeadLetterQueueAtOnceWithItsReason() async throws {
        var world = try TestWorld()
        world.configuration.broker.maxMessageBytes = 2048
        try await TestBroker.with { broker in
            let worker = try await world.startWorker(world.configuration, broker: broker)
            let good = Fixtures.event("good one")
            let goodInBatch = [Fixtures.event("batch line 1"), Fixtures.event("batch line 4")]
            // A blank line before the bad one: the line number in the headers counts it, as the error message does.
            var batch = goodInBatch[0].jsonBytes() + Array("\n\n{\"schema\":1,\"id\":\"x\"}\n".utf8) + goodInBatch[1].jsonBytes()
            batch += Array("\n".utf8)
            try await broker.publish(body: Array("not json at all".utf8), contentType: "application/json", to: world)
            try await broker.publish(body: Array(#"{"schema":2,"id":"future"}"#.utf8), contentType: "application/json", to: world)
            try await broker.publish(body: [0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d], contentType: "application/json", to: world)
            try await broker.publish(
                body: Fixtures.event(String(repeating: "x", count: 4000)).jsonBytes(),
                contentType: "application/json",
                to: world
            )
            try await broker.publish(body: batch, contentType: EventBatch.contentType, to: world)
            try await broker.publish([good], to: world)

            #expect(await eventually(timeout: .seconds(30)) { world.lines().count >= 3 })
            #expect(await eventually(timeout: .seconds(10)) { (try? await broker.ready(world.deadQueue)) == 5 })
            try await worker.stop()
            #expect(
                Set(world.writtenIDs()) == Set([good.id] + goodInBatch.map(\.id)),
                "the worker carried on, and the good lines of the batch were written"
            )

            let dead = try await broker.drain(world.deadQueue)
            let reasons = dead.map { $0.properties.headers["x-beacon-reason"]?.stringValue ?? "?" }
            #expect(reasons == ["invalid_json", "unsupported_schema", "invalid_utf8", "too_large", "missing_field"])
            for letter in dead {
                #expect(letter.properties.headers["x-beacon-queue"]?.stringValue == world.filesQueue)
                #expect(letter.properties.headers["x-beacon-error"]?.stringValue?.isEmpty == false)
                #expect(letter.properties.headers["x-beacon-routing-key"]?.stringValue == "web.request.info")
            }
            #expect(dead[0].body == Array("not json at all".utf8), "the body is kept as it came")
            #expect(dead[4].body == Array(#"{"schema":1,"id":"x"}"#.utf8), "only the bad line of the batch is poison")
            #expect(dead[4].properties.headers["x-beacon-line"]?.intValue == 3)
            #expect(dead[4].properties.headers["x-beacon-error"]?.stringValue?.hasPrefix("line 3: ") == true)
            #expect(worker.statistics.snapshot[.poison] == 5)
        }
    }

    @Test func aRedeliveredEventIsNotWrittenTwiceEvenAfterARestart() async throws {
        let world = try TestWorld()
        try await TestBroker.with { broker in
            let event = Fixtures.event("only once")
            var worker = try await world.startWorker(broker: broker)
            try await broker.publish([event, event], to: world)
            #expect(await eventually { world.lines().count == 1 })
            try await worker.stop()

            worker = try await world.startWorker(broker: broker)
            try await broker.publish([event, Fixtures.event("another")], to: world)
            #expect(await eventually { world.lines().count == 2 })
            try await Task.sleep(for: .milliseconds(500))
            try await worker.stop()
            #expect(world.writtenIDs().filter { $0 == event.id }.count == 1)
            #expect(worker.statistics.snapshot[.duplicates] == 1)
        }
    }

    /// A sink that fails sends the message to the retry queue (after the broker confirmed it there), and the retry
    /// comes back after the queue's TTL; a sink that still fails after the last retry sends it to `worker.dead`.
    @Test func aFailingFileIsRetriedThenDeadLettered() async throws {
        var world = try TestWorld(fileRetry: [.seconds(1), .seconds(2)])
        world.configuration.sinks[0].kind = .file(
            FileSinkConfiguration(path: "app.log", format: "%(event_id)s %(message)s", rotation: .size(maxBytes: 10, backupCount: 1))
        )
        try await TestBroker.with { broker in
            let worker = try await world.startWorker(world.configuration, broker: broker)
            let first = Fixtures.event("fills the file")
            try await broker.publish([first], to: world)
            #expect(await eventually { world.lines().count == 1 })
            // A directory where the backup must go: every rollover, so every further write, fails.
            let backup = world.logFile.appendingPathExtension("1")
            try FileManager.default.createDirectory(at: backup, withIntermediateDirectories: true)
            try "x".write(to: backup.appendingPathComponent("keep"), atomically: true, encoding: .utf8)
            let event = Fixtures.event("cannot be written")
            try await broker.publish([event], to: world)
            #expect(await eventually(timeout: .seconds(20)) { (try? await broker.ready(world.deadQueue)) == 1 })
            try await worker.stop()
            let dead = try await broker.drain(world.deadQueue)
            let headers = try #require(dead.first?.properties.headers)
            #expect(headers["x-beacon-reason"]?.stringValue == "file_write")
            #expect(headers["x-beacon-attempts"]?.intValue == 3)
            #expect(headers["x-beacon-sink"]?.stringValue == "app.log")
            #expect(headers["x-beacon-error"]?.stringValue?.contains("app.log.1") == true)
            #expect(headers["x-death"] != nil, "it went through the retry queues")
            #expect(dead.first?.body == event.jsonBytes())
            #expect(worker.statistics.snapshot[.retried] == 2)
            #expect(worker.statistics.snapshot[.deadLettered] == 1)
            #expect(world.lines().count == 1)
        }
    }

    @Test func twoWorkersShareTheQueueAndEachEventIsWrittenOnce() async throws {
        let world = try TestWorld()
        var second = world.configuration
        second.logDirectory = world.directory.appendingPathComponent("log-2").path
        try await TestBroker.with { broker in
            let first = RunningWorker(world.configuration)
            let other = RunningWorker(second)
            try await broker.waitForConsumers(on: [world.filesQueue], count: 2)
            let events = (0..<2000).map { Fixtures.event("shared \($0)") }
            try await broker.publish(events, to: world)
            let otherLog = URL(fileURLWithPath: second.logDirectory).appendingPathComponent("app.log")
            func otherIDs() -> [String] {
                ((try? String(contentsOf: otherLog, encoding: .utf8)) ?? "").split(separator: "\n").map { String($0.prefix { $0 != " " }) }
            }
            #expect(await eventually(timeout: .seconds(30)) { world.writtenIDs().count + otherIDs().count >= 2000 })
            try await first.stop()
            try await other.stop()
            let all = world.writtenIDs() + otherIDs()
            #expect(all.count == 2000)
            #expect(Set(all) == Set(events.map(\.id)))
            #expect(!world.writtenIDs().isEmpty && !otherIDs().isEmpty, "both workers took a share")
        }
    }

    @Test func aSecondWorkerOnTheSameLogDirectoryIsRefused() throws {
        let directory = try TestServices.temporaryDirectory().path
        let lock = try StateDirectoryLock(directory: directory)
        #expect {
            _ = try StateDirectoryLock(directory: directory)
        } throws: { error in
            (error as? WorkerError)?.code == .stateDirectory && "\(error)".contains("pid \(getpid())")
        }
        withExtendedLifetime(lock) {}
    }
}
