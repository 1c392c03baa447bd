import BeaconAMQP
import Foundation
import IntegrationSupport
import Logging
import Testing

@testable import BeaconWorker

/// A queue runner that cannot start leaves nothing running behind it.
@Suite struct QueueRunnerTests {
    @Test func aQueueThatCannotBeConsumedClosesItsSinksAndEndsItsThread() async throws {
        var world = try TestWorld()
        // Never declared, so `basic.consume` is refused. Short: the pipeline's thread is `beacon-<queue>`, and Linux
        // keeps a thread name only when it fits in 15 characters.
        let queueName = "qr" + UUID().uuidString.prefix(6).lowercased()
        let thread = "beacon-\(queueName)"
        world.configuration.queues[0].name = queueName
        var logger = Logger(label: "test.runner")
        logger.logLevel = .critical
        try await TestBroker.with { broker in
            let error = await #expect(throws: AMQPError.self) {
                _ = try await QueueRunner.start(
                    queue: world.configuration.queues[0],
                    configuration: world.configuration,
                    connection: broker.connection,
                    statistics: WorkerStatistics(),
                    clock: { Int64(Date().timeIntervalSince1970 * 1000) },
                    logger: logger
                )
            }
            #expect(error?.code == .notFound)
        }
        #expect(FileManager.default.fileExists(atPath: world.logFile.path), "the sink was opened before the consume")
        #expect(!Self.openFiles().contains(world.logFile.resolvingSymlinksInPath().path), "the sink's file is closed")
        #expect(await eventually { !Self.threadNames().contains(thread) }, "the pipeline's thread \(thread) has ended")
    }

    /// The names of this process's threads (`/proc/self/task/*/comm`).
    static func threadNames() -> Set<String> {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return Set(
            tasks.compactMap { task in
                (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines)
            }
        )
    }

    /// The files this process has open (`/proc/self/fd`).
    static func openFiles() -> Set<String> {
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return Set(descriptors.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)") })
    }
}
