import BeaconAMQP
import Foundation
import IntegrationSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import BeaconTasks

/// Once-only effects: the file store on its own (real files, reopened as after a crash), and a worker that uses it
/// against the test broker.
@Suite struct IdempotencyTests {
    let queue = TestServices.uniqueName("tasks")
    let dead = TestServices.uniqueName("tasks.dead")

    /// A clock the test moves.
    final class TestClock: Sendable {
        private let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var date: Date { now.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { now.withLock { $0 += seconds } }
    }

    func open(_ directory: URL, retention: Duration = .seconds(100), clock: TestClock) throws -> FileIdempotencyStore {
        try FileIdempotencyStore(directory: directory.path, retention: retention, synchronous: false, clock: { clock.date })
    }

    @Test func aRecordOutlivesTheProcess() async throws {
        let directory = try TestServices.temporaryDirectory()
        let clock = TestClock()
        let store = try open(directory, clock: clock)
        #expect(try await store.completion(for: "order-42") == nil)
        let done = TaskCompletion(taskID: "t-1", finishedAt: clock.date, result: ["message_id": "<m1@beacon>"])
        try await store.record(done, for: "order-42")
        #expect(try await store.completion(for: "order-42") == done)
        // Opened again, as a worker restarted after kill -9 would.
        let reopened = try open(directory, clock: clock)
        #expect(try await reopened.completion(for: "order-42") == done)
        #expect(try await reopened.completion(for: "order-43") == nil)
        #expect(reopened.unreadableLines == 0)
    }

    @Test func aRecordCutShortByACrashIsIgnoredAndOthersKept() async throws {
        let directory = try TestServices.temporaryDirectory()
        let clock = TestClock()
        let store = try open(directory, clock: clock)
        try await store.record(TaskCompletion(taskID: "t-1", finishedAt: clock.date, result: 1), for: "a")
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasSuffix(".jsonl") })
        let handle = try FileHandle(forWritingTo: directory.appendingPathComponent(file))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("not json\n{\"key\":\"b\",\"task_id\":\"t-2\",\"fin".utf8))
        try handle.close()
        let reopened = try open(directory, clock: clock)
        #expect(try await reopened.completion(for: "a")?.taskID == "t-1")
        #expect(try await reopened.completion(for: "b") == nil)
        #expect(reopened.unreadableLines == 1)
        // It goes on appending after the cut line: the next record reads back.
        try await reopened.record(TaskCompletion(taskID: "t-3", finishedAt: clock.date, result: 3), for: "c")
        #expect(try await open(directory, clock: clock).completion(for: "c")?.taskID == "t-3")
    }

    @Test func keysAreRememberedForTheRetentionThenForgotten() async throws {
        let directory = try TestServices.temporaryDirectory()
        let clock = TestClock()
        let store = try open(directory, clock: clock)
        try await store.record(TaskCompletion(taskID: "t-1", finishedAt: clock.date, result: 1), for: "old")
        clock.advance(150)
        // A new generation begins; the old key is still remembered.
        try await store.record(TaskCompletion(taskID: "t-2", finishedAt: clock.date, result: 2), for: "new")
        #expect(try await store.completion(for: "old") != nil)
        #expect(try await open(directory, clock: clock).completion(for: "old") != nil)
        clock.advance(150)
        try await store.record(TaskCompletion(taskID: "t-3", finishedAt: clock.date, result: 3), for: "newer")
        #expect(try await store.completion(for: "old") == nil)
        #expect(try await store.completion(for: "new") != nil)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".jsonl") }
        #expect(files.count == 2)
        #expect(try await open(directory, clock: clock).completion(for: "old") == nil)
    }

    @Test func anUnusableDirectoryIsAClearError() throws {
        let file = try TestServices.temporaryDirectory().appendingPathComponent("a-file")
        try Data().write(to: file)
        let error = try #require(throws: TaskStoreError.self) { try FileIdempotencyStore(directory: file.path + "/store") }
        #expect(error.code == .fileSystem)
        #expect(error.message.contains("a-file"))
    }

    // MARK: With a worker

    func worker(_ connection: AMQPConnection, store: FileIdempotencyStore, runs: Shared<Int>) -> TaskWorker {
        var worker = TaskWorker(connection: connection, deadLetterQueue: dead, idempotency: store, logger: TaskBroker.logger)
        worker.addQueue(TaskQueue(queue))
        worker.register(Sum.self, queue: queue) { arguments, _ in
            runs.update { $0 += 1 }
            return arguments.a + arguments.b
        }
        return worker
    }

    @Test func twoTasksWithOneKeyRunOnceAndBothCallersGetTheResult() async throws {
        let store = try FileIdempotencyStore(directory: TestServices.temporaryDirectory().path)
        let runs = Shared(0)
        try await TaskBroker.withWorker({ worker($0, store: store, runs: runs) }) { client, _ in
            let options = TaskOptions(queue: queue, idempotencyKey: "order-\(queue)")
            let first = try await client.enqueue(Sum.self, .init(a: 40, b: 2), options: options)
            #expect(try await first.result(timeout: .seconds(10)) == 42)
            let second = try await client.enqueue(Sum.self, .init(a: 40, b: 2), options: options)
            #expect(try await second.result(timeout: .seconds(10)) == 42)
            #expect(first.id != second.id)
            // Without a key, the task id is the key: another task runs.
            #expect(try await client.enqueue(Sum.self, .init(a: 1, b: 1), options: TaskOptions(queue: queue)).result(timeout: .seconds(10)) == 2)
        }
        #expect(runs.value == 2)
    }

    /// The worker dies after the handler succeeded and before its acknowledgement (its connection goes while the run
    /// ends): the broker delivers the task again, and the next worker, on the same store, does not run it again but
    /// answers the waiting caller with the recorded result.
    @Test func aTaskDeliveredAgainAfterItSucceededIsNotRunAgain() async throws {
        let store = try FileIdempotencyStore(directory: TestServices.temporaryDirectory().path)
        let runs = Shared(0)
        try await TaskBroker.withClient { client, tools in
            let first = try AMQPConnection(configuration: TaskBroker.configuration("dying worker"), logger: TaskBroker.logger)
            var dying = TaskWorker(connection: first, deadLetterQueue: dead, idempotency: store, logger: TaskBroker.logger)
            dying.addQueue(TaskQueue(queue))
            dying.register(Sum.self, queue: queue) { arguments, _ in
                runs.update { $0 += 1 }
                // The effect is done; the process "dies" before it can publish the result or acknowledge.
                await first.close()
                return arguments.a + arguments.b
            }
            let handle = try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await first.run() }
                tasks.addTask { [dying] in
                    do { try await dying.run() } catch { TaskBroker.logger.info("dying worker: \(error)") }
                }
                try await TaskBroker.waitForConsumers([queue], tools: tools)
                let handle = try await client.enqueue(Sum.self, .init(a: 3, b: 4), options: TaskOptions(queue: queue))
                try await tasks.waitForAll()
                return handle
            }
            #expect(runs.value == 1)
            try await TaskBroker.withWorker({ worker($0, store: store, runs: runs) }) { _, _ in
                let result = try await handle.result(timeout: .seconds(10))
                #expect(result == 7)
            }
            #expect(runs.value == 1)
            #expect(try await tools.checkQueue(queue).messageCount == 0)
        }
    }
}
