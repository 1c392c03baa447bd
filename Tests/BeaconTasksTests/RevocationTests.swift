import BeaconAMQP
import Foundation
import IntegrationSupport
import Logging
import Testing

@testable import BeaconTasks

/// Revocations on a stream of their own: they hold for workers started after the revoke, and across restarts.
@Suite struct RevocationTests {
    let queue = TestServices.uniqueName("tasks")
    let dead = TestServices.uniqueName("tasks.dead")
    let revocations = TaskRevocations(stream: TestServices.uniqueName("revoked"))

    func worker(_ connection: AMQPConnection, runs: Shared<[String]>) -> TaskWorker {
        .recordingSum(connection, queue: queue, deadLetterQueue: dead, revocations: revocations, runs: runs)
    }

    @Test func aRevokedTaskDoesNotRunOnAWorkerStartedLaterNorAfterARestart() async throws {
        let runs = Shared<[String]>([])
        let revokedID = "revoked-\(UUID().uuidString.lowercased())"
        try await TaskBroker.withClient { client, _ in
            let client = try await TaskClient(connection: client.channel.connection, revocations: revocations, logger: TaskBroker.logger)
            // Revoked before any worker reads the stream.
            try await client.revoke(revokedID, for: .seconds(3600))
            await client.close()
        }
        for round in 1...2 {
            // A worker of its own each round: the second is the first one restarted, with nothing in memory.
            try await TaskBroker.withWorker({ worker($0, runs: runs) }) { client, tools in
                let handle = try await client.enqueue(Sum.self, .init(a: 1, b: 2), options: TaskOptions(queue: queue, taskID: revokedID))
                let failure = try await #require(throws: TaskFailure.self) { try await handle.result(timeout: .seconds(10)) }
                #expect(failure.type == "TaskRevokedError", "round \(round)")
                #expect(try await client.enqueue(Sum.self, .init(a: 2, b: 2), options: TaskOptions(queue: queue)).result(timeout: .seconds(10)) == 4)
                #expect(try await tools.checkQueue(queue).messageCount == 0)
                #expect(try await tools.checkQueue(dead).messageCount == 0)
            }
        }
        #expect(!runs.value.contains(revokedID))
        #expect(runs.value.count == 2)
    }

    @Test func aRevokeReachesARunningWorker() async throws {
        let runs = Shared<[String]>([])
        try await TaskBroker.withWorker({ worker($0, runs: runs) }) { _, tools in
            try await AMQPConnection.withConnection(configuration: TaskBroker.configuration("revoking client"), logger: TaskBroker.logger) {
                connection in
                let client = try await TaskClient(connection: connection, revocations: revocations, logger: TaskBroker.logger)
                let id = "late-\(UUID().uuidString.lowercased())"
                try await client.revoke(id)
                // The record reaches the worker through its stream consumer: within moments.
                try await Task.sleep(for: .milliseconds(300))
                let handle = try await client.enqueue(Sum.self, .init(a: 1, b: 1), options: TaskOptions(queue: queue, taskID: id))
                let failure = try await #require(throws: TaskFailure.self) { try await handle.result(timeout: .seconds(10)) }
                #expect(failure.type == "TaskRevokedError")
                await client.close()
            }
            #expect(try await tools.checkQueue(queue).messageCount == 0)
        }
        #expect(runs.value.isEmpty)
    }

    @Test func theStreamKeepsRecordsForTheLongestTTL() {
        let declaration = TaskRevocations(stream: "r", maximumTTL: .seconds(36 * 3600)).declaration
        #expect(declaration.arguments["x-queue-type"]?.stringValue == "stream")
        #expect(declaration.arguments["x-max-age"]?.stringValue == "2D")
        #expect(TaskRevocations(stream: "r", maximumTTL: .seconds(60)).maximumTTL == .seconds(86_400))
    }
}
