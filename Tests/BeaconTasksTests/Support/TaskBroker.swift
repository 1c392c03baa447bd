import BeaconAMQP
import Foundation
import IntegrationSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import BeaconTasks

/// The test broker that `make test` starts, with a task worker and a task client on connections of their own.
enum TaskBroker {
    static let logger = Logger(label: "BeaconTasksTests")

    static func configuration(_ name: String = "BeaconTasksTests", url: String? = nil) throws -> AMQPConfiguration {
        var configuration = try AMQPConfiguration(url: url ?? TestServices.amqpURL())
        configuration.connectionName = name
        return configuration
    }

    /// Runs the worker that `makeWorker` makes on a connection of its own (in a service group, shut down gracefully
    /// afterwards), waits until it consumes its queues, and calls `body` with a client on another connection. `url` is
    /// another broker's (the test broker's when `nil`); `delays` the client's ladder.
    static func withWorker(
        url: String? = nil,
        delays: DelayedDeliveryPlan = .celery,
        _ makeWorker: (AMQPConnection) -> TaskWorker,
        _ body: (TaskClient, AMQPChannel) async throws -> Void
    ) async throws {
        try await AMQPConnection.withConnection(configuration: configuration("task worker", url: url), logger: logger) { workerConnection in
            let worker = makeWorker(workerConnection)
            let group = ServiceGroup(
                configuration: .init(services: [.init(service: worker)], gracefulShutdownSignals: [], logger: logger)
            )
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                do {
                    try await withClient(url: url, delays: delays) { client, tools in
                        try await waitForConsumers(worker.queues.map(\.name), tools: tools)
                        try await body(client, tools)
                    }
                } catch {
                    await group.triggerGracefulShutdown()
                    try? await tasks.waitForAll()
                    throw error
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    /// Calls `body` with a client on a connection of its own, and a channel of another for the test's own requests
    /// (a passive declare of a missing queue closes its channel: it must not be the client's).
    static func withClient(
        url: String? = nil,
        delays: DelayedDeliveryPlan = .celery,
        _ body: (TaskClient, AMQPChannel) async throws -> Void
    ) async throws {
        try await AMQPConnection.withConnection(configuration: configuration("task client", url: url), logger: logger) { connection in
            let client = try await TaskClient(connection: connection, delays: delays, logger: logger)
            let tools = try await connection.openChannel()
            do {
                try await body(client, tools)
            } catch {
                await client.close()
                throw error
            }
            await client.close()
        }
    }

    /// Waits until every queue in `queues` exists and has a consumer.
    static func waitForConsumers(_ queues: [String], tools: AMQPChannel, timeout: Duration = .seconds(30)) async throws {
        for queue in queues {
            let consumed = await eventually(timeout: timeout) {
                guard let counts = try? await tools.checkQueue(queue) else { return false }
                return counts.consumerCount > 0
            }
            try #require(consumed, "queue \(queue) has no consumer after \(timeout)")
        }
    }

    /// Takes every message from `queue` (`basic.get`), acknowledging each, until it has `count` or `timeout` passed.
    static func take(_ count: Int, from queue: String, tools: AMQPChannel, timeout: Duration = .seconds(10)) async throws -> [AMQPDelivery] {
        var taken: [AMQPDelivery] = []
        _ = await eventually(timeout: timeout) {
            while taken.count < count, let delivery = try? await tools.get(queue: queue) {
                try? tools.ack(delivery)
                taken.append(delivery)
            }
            return taken.count >= count
        }
        return taken
    }
}

extension TaskWorker {
    /// A worker of `Sum` on `queue` that notes the id of every task it runs.
    static func recordingSum(
        _ connection: AMQPConnection,
        queue: String,
        deadLetterQueue: String,
        revocations: TaskRevocations? = .standard,
        runs: Shared<[String]>
    ) -> TaskWorker {
        var worker = TaskWorker(connection: connection, deadLetterQueue: deadLetterQueue, revocations: revocations, logger: TaskBroker.logger)
        worker.register(Sum.self, queue: queue) { arguments, context in
            runs.update { $0.append(context.taskID) }
            return arguments.a + arguments.b
        }
        return worker
    }
}

/// The tasks of these tests.
enum Sum: TaskDefinition {
    static let name = "beacon.test.sum"
    struct Arguments: Codable, Sendable {
        var a: Int
        var b: Int
    }
    typealias Output = Int
}

enum Explode: TaskDefinition {
    static let name = "beacon.test.explode"
    struct Arguments: Codable, Sendable { var why: String }
    typealias Output = NoOutput
}

enum Slow: TaskDefinition {
    static let name = "beacon.test.slow"
    typealias Arguments = NoArguments
    /// The run's redelivered flag.
    typealias Output = Bool
}

/// Echo for Python callers: returns its keyword arguments unchanged.
enum Echo: TaskDefinition {
    static let name = "demo.echo"
    typealias Arguments = JSONValue
    typealias Output = JSONValue
}

struct Kaboom: Error, CustomStringConvertible {
    let why: String
    var description: String { "kaboom: \(why)" }
}

/// What a handler that cannot be stopped waits on (it ignores cancellation) until the test opens it: a handler
/// "still running" for exactly as long as the test needs, however loaded the machine.
final class Gate: Sendable {
    private struct State {
        var isOpen = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let open = state.withLock { state -> Bool in
                if !state.isOpen { state.waiting.append(continuation) }
                return state.isOpen
            }
            if open { continuation.resume() }
        }
    }

    func open() {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.isOpen = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }
}

/// A value that handlers running concurrently and the test share.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func update<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
    var value: Value { mutex.withLock { $0 } }
}
