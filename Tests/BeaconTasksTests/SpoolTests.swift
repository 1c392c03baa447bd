import BeaconAMQP
import Foundation
import IntegrationSupport
import Logging
import ServiceLifecycle
import Testing

@testable import BeaconTasks

/// Enqueues accepted while the broker is away wait on disk, and go to the broker once it is back: from the same
/// client, or from the next process's.
@Suite struct SpoolTests {
    let queue = TestServices.uniqueName("tasks")
    let dead = TestServices.uniqueName("tasks.dead")

    @Test func fieldValuesAndPropertiesSurviveTheSpoolFile() throws {
        let headers: AMQPTable = [
            "lang": "py", "retries": .int64(2), "small": .int8(-3), "mid": .int16(300), "word": .int32(70_000),
            "ratio": .double(0.25), "single": .float(1.5), "money": .decimal(scale: 2, value: 1999), "flag": .bool(true),
            "raw": .bytes([0, 255, 10]), "when": .timestamp(Date(timeIntervalSince1970: 1_800_000_000)), "none": .void,
            "timelimit": .array([.void, .int64(30)]), "stamps": .table(["a": "b"]),
        ]
        let properties = AMQPProperties(
            contentType: "application/json",
            contentEncoding: "utf-8",
            headers: headers,
            deliveryMode: .persistent,
            priority: 3,
            correlationID: "id-1",
            replyTo: "amq.rabbitmq.reply-to",
            expiration: "60000"
        )
        let task = SpooledTask(
            taskID: "id-1",
            wire: TaskWireMessage(exchange: "", routingKey: "shop", properties: properties, body: Array("[[],{},null]".utf8)),
            eta: Date(timeIntervalSince1970: 1_800_000_100.5)
        )
        let read = try #require(SpooledTask(decoding: task.encoded()))
        #expect(read.wire == task.wire)
        #expect(read.eta == task.eta)
        #expect(SpooledTask(decoding: Array("{\"task_id\": 1}".utf8)) == nil)
    }

    func worker(_ connection: AMQPConnection, runs: Shared<[String]>) -> TaskWorker {
        .recordingSum(connection, queue: queue, deadLetterQueue: dead, runs: runs)
    }

    @Test func aTaskAcceptedWhileTheBrokerIsAwayRunsOnceItIsBack() async throws {
        let runs = Shared<[String]>([])
        let spool = try TaskSpool(directory: TestServices.temporaryDirectory().path)
        try await PrivateBroker.with { broker in
            try await TaskBroker.withWorker(url: broker.url, { worker($0, runs: runs) }) { _, _ in
                try await AMQPConnection.withConnection(
                    configuration: TaskBroker.configuration("spooling client", url: broker.url),
                    logger: TaskBroker.logger
                ) { connection in
                    let client = try await TaskClient(connection: connection, spool: spool, logger: TaskBroker.logger)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { await client.runSpool() }
                        try await broker.rabbitmqctl("stop_app")
                        #expect(
                            await eventually(timeout: .seconds(20)) {
                                if case .connected = connection.status { return false }
                                return true
                            }
                        )
                        let handle = try await client.enqueue(Sum.self, .init(a: 20, b: 22), options: TaskOptions(queue: queue))
                        #expect(handle.acceptance == .spooled)
                        #expect(spool.count == 1)
                        try await broker.rabbitmqctl("start_app")
                        #expect(try await handle.result(timeout: .seconds(60)) == 42)
                        #expect(await eventually { spool.count == 0 })
                        group.cancelAll()
                    }
                    await client.close()
                }
            }
        }
        #expect(runs.value.count == 1)
    }

    /// A task the broker confirmed, whose result would come to the channel that is gone: its handle ends at once
    /// with `closed`, not after its whole timeout.
    @Test func aLostConnectionEndsTheWaitsForConfirmedTasksAtOnce() async throws {
        let gate = Gate()
        try await PrivateBroker.with { broker in
            func makeWorker(_ connection: AMQPConnection) -> TaskWorker {
                var worker = TaskWorker(connection: connection, deadLetterQueue: dead, logger: TaskBroker.logger)
                worker.register(Slow.self, queue: queue) { _, context in
                    // Running until the test has seen the connection go (rabbitmqctl alone takes seconds).
                    await gate.wait()
                    return context.redelivered
                }
                return worker
            }
            try await TaskBroker.withWorker(url: broker.url, makeWorker) { client, _ in
                let handle = try await client.enqueue(Slow.self, NoArguments(), options: TaskOptions(queue: queue))
                try await broker.rabbitmqctl("stop_app")
                let started = ContinuousClock.now
                let error = try await #require(throws: TaskClientError.self) { try await handle.result(timeout: .seconds(120)) }
                #expect(error.code == .closed)
                #expect(ContinuousClock.now - started < .seconds(60))
                gate.open()
                try await broker.rabbitmqctl("start_app")
            }
        }
    }

    @Test func whatAnEarlierProcessSpooledIsPublishedByTheNext() async throws {
        let runs = Shared<[String]>([])
        let directory = try TestServices.temporaryDirectory().path
        // An earlier process's spool: one task written while its broker was away (as the client writes it).
        let earlier = try TaskSpool(directory: directory)
        let message = try TaskMessage(Sum.self, arguments: .init(a: 1, b: 2), options: TaskOptions(queue: queue, ignoreResult: true))
        try earlier.write(SpooledTask(taskID: message.id, wire: message.wire(), eta: nil))
        try await TaskBroker.withWorker({ worker($0, runs: runs) }) { _, _ in
            try await AMQPConnection.withConnection(configuration: TaskBroker.configuration("next process"), logger: TaskBroker.logger) {
                connection in
                let client = try await TaskClient(connection: connection, spool: try TaskSpool(directory: directory), logger: TaskBroker.logger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await client.runSpool() }
                    #expect(await eventually { runs.value == [message.id] })
                    group.cancelAll()
                }
                #expect(client.spool?.count == 0)
                await client.close()
            }
        }
    }
}
