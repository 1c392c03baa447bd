import BeaconTasksCore
import BeaconTesting
import Testing

/// The eager queue as a user's test meets it: tasks run at once, results and failures come back through the handle,
/// everything enqueued is recorded.
@Suite struct EagerTaskQueueTests {
    enum Add: TaskDefinition {
        static let name = "test.add"
        struct Arguments: Codable, Sendable, Equatable {
            var a: Int
            var b: Int
        }
        typealias Output = Int
    }

    enum Fail: TaskDefinition {
        static let name = "test.fail"
        typealias Arguments = [String]
        typealias Output = Int
    }

    struct Broken: Error, CustomStringConvertible {
        var description: String { "broken on purpose" }
    }

    @Test func aRegisteredTaskRunsAtOnceAndIsRecorded() async throws {
        let tasks = EagerTaskQueue()
        tasks.register(Add.self) { $0.a + $0.b }
        let handle = try await tasks.enqueue(Add.self, .init(a: 2, b: 3), options: TaskOptions(queue: "math", requestID: "r-1"))
        #expect(try await handle.result(timeout: .seconds(1)) == 5)
        let recorded = tasks.enqueued(Add.self)
        #expect(recorded.map(\.arguments) == [.init(a: 2, b: 3)])
        #expect(recorded.first?.id == handle.id)
        #expect(recorded.first?.options.queue == "math")
        #expect(recorded.first?.options.requestID == "r-1")
        #expect(tasks.enqueued.first?.arguments["a"] == 2)
        #expect(tasks.enqueued.first?.arguments["b"] == 3)
        tasks.removeAll()
        #expect(tasks.enqueued.isEmpty)
    }

    @Test func aThrowingHandlerIsAFailureOfTheHandle() async throws {
        let tasks = EagerTaskQueue()
        tasks.register(Fail.self) { _ in throw Broken() }
        let handle = try await tasks.enqueue(Fail.self, ["x"])
        let failure = try await #require(throws: TaskFailure.self) { try await handle.result(timeout: .seconds(1)) }
        #expect(failure.type == "Broken")
        #expect(failure.message == "broken on purpose")
    }

    @Test func aTaskWithoutAHandlerIsRecordedNotRun() async throws {
        let tasks = EagerTaskQueue()
        let handle = try await tasks.enqueue(Add.self, .init(a: 1, b: 1))
        #expect(tasks.enqueued(Add.self).count == 1)
        let error = try await #require(throws: TaskClientError.self) { try await handle.result(timeout: .seconds(1)) }
        #expect(error.code == .noResult)
    }

    @Test func argumentsThatDoNotEncodeAreRefusedAtEnqueue() async throws {
        enum Odd: TaskDefinition {
            static let name = "test.odd"
            typealias Arguments = Double
            typealias Output = Int
        }
        let tasks = EagerTaskQueue()
        for value in [Double.infinity, 1.5] {
            let error = try await #require(throws: TaskEncodingError.self) { try await tasks.enqueue(Odd.self, value) }
            #expect(error.code == .invalidArguments)
        }
        #expect(tasks.enqueued.isEmpty)
    }
}
