import BeaconAMQP
import BeaconEvents
import Foundation
import IntegrationSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import BeaconWorker
@testable import worker

/// `worker topology`, `worker dead list|replay` and `worker tail` against the real broker.
@Suite(.serialized) struct BrokerToolsTests {
    @Test func declaresTheTopologyIdempotentlyWithRetryQueuesThatLeadBack() async throws {
        let world = try TestWorld(smtpURL: "smtp://127.0.0.1:1")
        let report = TopologyReport(configuration: world.configuration, logger: Logger(label: "test.topology"))
        _ = try await report.declare()
        let rows = try await report.declare()
        #expect(
            rows.map(\.queue.name) == [
                world.filesQueue, "\(world.filesQueue).retry.1s", "\(world.filesQueue).retry.2s",
                world.mailQueue, "\(world.mailQueue).retry.1s", "\(world.mailQueue).retry.2s", world.deadQueue,
            ]
        )
        let retry = try #require(rows.first { $0.queue.name == "\(world.mailQueue).retry.2s" })
        #expect(retry.queue.arguments["x-message-ttl"]?.intValue == 2000)
        #expect(retry.queue.arguments["x-dead-letter-exchange"]?.stringValue == "")
        #expect(retry.queue.arguments["x-dead-letter-routing-key"]?.stringValue == world.mailQueue)
        #expect(retry.routes == "after 2s back to \(world.mailQueue)")
        let events = "\(world.prefix).events"
        #expect(rows.first { $0.queue.name == world.mailQueue }?.routes == "\(events): *.error.*, \(events): *.log.error, \(events): *.log.critical")
        let table = report.table(rows)
        #expect(table.hasPrefix("exchange \(world.prefix).events (topic, durable)"))
        #expect(table.contains("after 1s back to \(world.filesQueue)"))
        let listed = try TestServices.rabbitmqctl("-q", "list_queues", "name", "durable", "arguments", "--no-table-headers")
        #expect(listed.contains(world.deadQueue))
    }

    @Test func quorumQueuesAreAnOption() async throws {
        var world = try TestWorld()
        world.configuration.broker.queueType = .quorum
        _ = try await TopologyReport(configuration: world.configuration, logger: Logger(label: "test.topology")).declare()
        let listed = try TestServices.rabbitmqctl("-q", "list_queues", "name", "type", "--no-table-headers")
        let line = listed.split(separator: "\n").first { $0.hasPrefix(world.filesQueue + "\t") }
        #expect(line?.hasSuffix("quorum") == true, "\(listed)")
    }

    @Test func deadLettersAreListedThenReplayedToTheirQueue() async throws {
        let world = try TestWorld()
        try await TestBroker.with { broker in
            _ = try await TopologyReport(configuration: world.configuration, logger: Logger(label: "test.topology")).declare()
            let event = Fixtures.event("replay me")
            let letters: [(body: [UInt8], headers: AMQPTable)] = [
                (
                    event.jsonBytes(),
                    [
                        "x-beacon-reason": "file_write", "x-beacon-error": "disk full", "x-beacon-queue": .string(world.filesQueue),
                        "x-beacon-attempts": 3,
                    ]
                ),
                (
                    Array("garbage".utf8),
                    [
                        "x-beacon-reason": "invalid_json", "x-beacon-error": "unexpected character\nforged",
                        "x-beacon-queue": .string(world.filesQueue),
                    ]
                ),
            ]
            for letter in letters {
                let outcome = await broker.channel.publish(
                    AMQPMessage(
                        exchange: "",
                        routingKey: world.deadQueue,
                        body: letter.body,
                        properties: AMQPProperties(headers: letter.headers, deliveryMode: .persistent)
                    )
                )
                #expect(outcome.isConfirmed)
            }
            let dead = DeadLetters(configuration: world.configuration, logger: Logger(label: "test.dead"))
            let listed = try await dead.list(limit: nil)
            #expect(listed.map(\.reason) == ["file_write", "invalid_json"])
            #expect(listed[1].isPoison && !listed[0].isPoison)
            let description = listed[1].describe(number: 2)
            #expect(description.contains("unexpected character\\nforged"), "one letter cannot forge lines of the listing")
            #expect(description.split(separator: "\n").count == 4)
            #expect(try await dead.list(limit: 1).count == 1)
            #expect(await eventually { (try? await broker.ready(world.deadQueue)) == 2 }, "listing leaves the queue as it was")

            let progress = Mutex<[String]>([])
            let result = try await dead.replay(limit: nil) { done, total in progress.withLock { $0.append("\(done)/\(total)") } }
            #expect(result == DeadLetters.ReplayResult(replayed: 1, skipped: 1, failed: 0))
            #expect(progress.withLock { $0 }.first == "0/2")
            #expect(await eventually { (try? await broker.ready(world.deadQueue)) == 1 }, "the poison stays")
            let worker = try await world.startWorker(broker: broker)
            #expect(await eventually { world.writtenIDs() == [event.id] }, "the replayed event is written")
            try await worker.stop()
        }
    }

    @Test func aNewerSchemaOrAnOversizedMessageIsReplayableMalformedOnesAreNot() {
        #expect(DeadLetterHeaders.isPoison(["x-beacon-reason": "invalid_json"]))
        #expect(DeadLetterHeaders.isPoison(["x-beacon-reason": "missing_field"]))
        #expect(!DeadLetterHeaders.isPoison(["x-beacon-reason": "unsupported_schema"]), "an upgraded worker reads it")
        #expect(!DeadLetterHeaders.isPoison(["x-beacon-reason": "too_large"]), "a larger max_message_bytes reads it")
        #expect(!DeadLetterHeaders.isPoison(["x-beacon-reason": "smtp_unavailable"]))
    }

    @Test func anAttemptsHeaderOutOfRangeCountsAsTheLastTry() {
        #expect(DeadLetterHeaders.failedAttempts([:], limit: 4) == 0)
        #expect(DeadLetterHeaders.failedAttempts(["x-beacon-attempts": 2], limit: 4) == 2)
        #expect(DeadLetterHeaders.failedAttempts(["x-beacon-attempts": -1], limit: 4) == 4, "anyone can publish this header")
        #expect(DeadLetterHeaders.failedAttempts(["x-beacon-attempts": .int64(.max)], limit: 4) == 4)
    }

    @Test func tailShowsMatchingEventsAndLeavesNothingBehind() async throws {
        let world = try TestWorld()
        try await TestBroker.with { broker in
            _ = try await TopologyReport(configuration: world.configuration, logger: Logger(label: "test.topology")).declare()
            let lines = Mutex<[String]>([])
            var logger = Logger(label: "test.tail")
            logger.logLevel = .warning
            let tail = EventTail(configuration: world.configuration, pattern: TopicPattern("*.*.error")!, color: true, logger: logger) { line in
                lines.withLock { $0.append(line) }
            }
            let group = ServiceGroup(configuration: .init(services: [.init(service: tail)], logger: logger))
            let running = Task { try await group.run() }
            // The tail's queue is exclusive to its connection: only rabbitmqctl sees it from outside.
            let consuming = await eventually(timeout: .seconds(20)) {
                let queues = (try? TestServices.rabbitmqctl("-q", "list_queues", "name", "consumers", "--no-table-headers")) ?? ""
                return queues.split(separator: "\n").contains { $0 == "\(EventTail.queueName)\t1" }
            }
            try #require(consuming, "the tail did not start consuming")
            let error = Fixtures.event("shown in red", level: .error)
            try await broker.publish([Fixtures.event("not matching"), error], to: world)
            try await broker.publish(body: Array("garbage".utf8), contentType: "application/json", routingKey: "web.log.error", to: world)
            #expect(await eventually { lines.withLock { $0.count } == 2 })
            await group.triggerGracefulShutdown()
            try await running.value
            let shown = lines.withLock { $0 }
            #expect(shown[0].hasPrefix("\u{1B}[31m") && shown[0].contains("ERROR    web.error.error") && shown[0].contains("shown in red [req-1]"))
            #expect(shown[1].contains("not an event (invalid_json)"))
            #expect(
                await eventually {
                    do {
                        _ = try await broker.channel.checkQueue(EventTail.queueName)
                        return false
                    } catch {
                        return (error as? AMQPError)?.code == .notFound  // while it exists, it is RESOURCE_LOCKED to others
                    }
                },
                "the tail's queue is gone"
            )
        }
    }
}
