import BeaconAMQP
import BeaconTasks
import Foundation
import IntegrationSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import BeaconWorker
@testable import worker

/// `worker dead list|replay --tasks` on a task worker's dead letters: the same headers, the same tool.
@Suite struct TaskDeadLetterToolsTests {
    enum Flaky: TaskDefinition {
        static let name = "beacon.test.flaky_once"
        struct Arguments: Codable, Sendable { var n: Int }
        typealias Output = Int
    }

    struct NotYet: Error, CustomStringConvertible {
        var description: String { "not fixed yet" }
    }

    @Test func aFailedTaskIsListedThenReplayedIntoItsQueueAndRuns() async throws {
        let queue = TestServices.uniqueName("tasks")
        let dead = TestServices.uniqueName("tasks.dead")
        let fixed = Mutex(false)
        let ran = Mutex<[Int]>([])
        let logger = Logger(label: "TaskDeadLetterToolsTests")
        var amqp = try AMQPConfiguration(url: TestServices.amqpURL())
        amqp.connectionName = "task dead letters"
        let world = try TestWorld(smtpURL: "smtp://127.0.0.1:1")
        try await AMQPConnection.withConnection(configuration: amqp, logger: logger) { connection in
            var worker = TaskWorker(connection: connection, deadLetterQueue: dead, logger: logger)
            worker.register(Flaky.self, queue: queue) { arguments, _ in
                guard fixed.withLock({ $0 }) else { throw NotYet() }
                ran.withLock { $0.append(arguments.n) }
                return arguments.n
            }
            let group = ServiceGroup(configuration: .init(services: [.init(service: worker)], gracefulShutdownSignals: [], logger: logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let tools = try await connection.openChannel()
                _ = await eventually { (try? await tools.checkQueue(queue).consumerCount) == 1 }
                let message = try TaskMessage(Flaky.self, arguments: .init(n: 7), options: TaskOptions(queue: queue, ignoreResult: true))
                #expect(await tools.publish(message.wire().amqpMessage()) == .confirmed)
                #expect(await eventually { (try? await tools.checkQueue(dead).messageCount) == 1 })

                let letters = DeadLetters(configuration: world.configuration, queue: dead, logger: logger)
                let listed = try await letters.list(limit: nil)
                #expect(listed.map(\.reason) == [TaskDeadLetter.failed])
                #expect(listed.first?.queue == queue)
                #expect(listed.first?.isPoison == false)
                #expect(listed.first?.describe(number: 1).contains("not fixed yet") == true)

                // Listing leaves the letter where it was (back once the listing's connection closed).
                #expect(await eventually { (try? await tools.checkQueue(dead).messageCount) == 1 })
                fixed.withLock { $0 = true }
                let result = try await letters.replay(limit: nil) { _, _ in }
                #expect(result == DeadLetters.ReplayResult(replayed: 1, skipped: 0, failed: 0))
                #expect(await eventually { ran.withLock { $0 } == [7] })
                #expect(try await tools.checkQueue(dead).messageCount == 0)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    @Test func taskLettersThatNoReplayCanRunArePoison() {
        #expect(DeadLetterHeaders.isPoison(["x-beacon-reason": "unsupported_content_type"]), "pickle is never deserialised")
        #expect(DeadLetterHeaders.isPoison(["x-beacon-reason": "expired"]))
        #expect(!DeadLetterHeaders.isPoison(["x-beacon-reason": "unknown_task"]), "a worker that registers it runs it")
        #expect(!DeadLetterHeaders.isPoison(["x-beacon-reason": "retries_exhausted"]))
        #expect(DeadLetterHeaders.sourceQueue(["x-first-death-queue": "shop"]) == "shop", "a delivery-limit letter")
    }
}
