import BeaconAMQP
import Foundation
import IntegrationSupport
import Logging
import MetricsTestKit
import ServiceLifecycle
import Synchronization
import Testing

@testable import BeaconTasks

/// A Swift client and a Swift worker through the test broker: typed results, failures, dead letters, acknowledgement
/// after the work.
@Suite struct TaskWorkerTests {
    let queue = TestServices.uniqueName("tasks")
    let dead = TestServices.uniqueName("tasks.dead")

    func worker(_ connection: AMQPConnection) -> TaskWorker {
        var worker = TaskWorker(connection: connection, deadLetterQueue: dead, logger: TaskBroker.logger)
        worker.addQueue(TaskQueue(queue))
        worker.register(Sum.self, queue: queue) { arguments, _ in arguments.a + arguments.b }
        worker.register(Explode.self, queue: queue) { arguments, _ in throw Kaboom(why: arguments.why) }
        return worker
    }

    @Test func swiftEnqueueRunsOnSwiftWorkerWithTypedResult() async throws {
        try await TaskBroker.withWorker(worker) { client, tools in
            let handle = try await client.enqueue(Sum.self, .init(a: 2, b: 40), options: TaskOptions(queue: queue))
            #expect(try await handle.result(timeout: .seconds(10)) == 42)
            // Reading again gives the same result; several at once each get theirs.
            #expect(try await handle.result(timeout: .seconds(1)) == 42)
            let handles = try await (0..<10).asyncMap { try await client.enqueue(Sum.self, .init(a: $0, b: 1), options: TaskOptions(queue: queue)) }
            for (index, handle) in handles.enumerated() { #expect(try await handle.result(timeout: .seconds(10)) == index + 1) }
            #expect(try await tools.checkQueue(dead).messageCount == 0)
        }
    }

    @Test func aThrowingHandlerIsATaskFailureAndADeadLetter() async throws {
        try await TaskBroker.withWorker(worker) { client, tools in
            let handle = try await client.enqueue(Explode.self, .init(why: "on purpose"), options: TaskOptions(queue: queue))
            let failure = try await #require(throws: TaskFailure.self) { try await handle.result(timeout: .seconds(10)) }
            #expect(failure.type == "Kaboom")
            #expect(failure.message == "kaboom: on purpose")
            #expect(failure.module == "beacon")
            let letters = try await TaskBroker.take(1, from: dead, tools: tools)
            let letter = try #require(letters.first)
            #expect(letter.properties.headers[TaskDeadLetter.reasonHeader]?.stringValue == TaskDeadLetter.failed)
            #expect(letter.properties.headers[TaskDeadLetter.errorHeader]?.stringValue == "beacon.Kaboom: kaboom: on purpose")
            #expect(letter.properties.headers[TaskDeadLetter.queueHeader]?.stringValue == queue)
            #expect(letter.properties.correlationID == handle.id)
            #expect(try TaskMessage(delivery: letter).arguments(for: Explode.self).why == "on purpose")
            #expect(try await tools.checkQueue(queue).messageCount == 0)
        }
    }

    @Test func anUnknownTaskIsDeadLetteredWithItsReason() async throws {
        try await TaskBroker.withWorker(worker) { client, tools in
            let handle = try await client.enqueue(name: "beacon.test.nope", kwargs: ["x": 1], options: TaskOptions(queue: queue))
            let failure = try await #require(throws: TaskFailure.self) { try await handle.result(timeout: .seconds(10)) }
            #expect(failure.type == "NotRegistered")
            let letter = try #require(try await TaskBroker.take(1, from: dead, tools: tools).first)
            let headers = letter.properties.headers
            #expect(headers[TaskDeadLetter.reasonHeader]?.stringValue == "unknown_task")
            #expect(headers["task"]?.stringValue == "beacon.test.nope")
            #expect(headers["id"]?.stringValue == handle.id)
            let message = try TaskMessage(delivery: letter)
            #expect(message.kwargs == ["x": 1])
            #expect(letter.properties.contentType == "application/json")
        }
    }

    @Test func aPickleMessageIsDeadLetteredNeverDecoded() async throws {
        try await TaskBroker.withWorker(worker) { client, tools in
            // A pickle that would run os.system if unpickled; it must reach the dead-letter queue byte for byte.
            let pickle: [UInt8] = Array("cos\nsystem\n(S'echo pwned'\ntR.".utf8)
            let properties = AMQPProperties(
                contentType: "application/x-python-serialize",
                contentEncoding: "binary",
                headers: ["lang": "py", "task": .string(Sum.name), "id": "pickle-1"],
                deliveryMode: .persistent,
                correlationID: "pickle-1"
            )
            let outcome = await tools.publish(AMQPMessage(exchange: "", routingKey: queue, body: pickle, properties: properties))
            #expect(outcome == .confirmed)
            let letter = try #require(try await TaskBroker.take(1, from: dead, tools: tools).first)
            #expect(letter.properties.headers[TaskDeadLetter.reasonHeader]?.stringValue == "unsupported_content_type")
            #expect(letter.body == pickle)
            #expect(letter.properties.contentType == "application/x-python-serialize")
            #expect(letter.properties.headers["task"]?.stringValue == Sum.name)
            // The worker goes on.
            #expect(try await client.enqueue(Sum.self, .init(a: 1, b: 1), options: TaskOptions(queue: queue)).result(timeout: .seconds(10)) == 2)
        }
    }

    @Test func aTaskReceivedAfterItExpiredNeverRunsAndIsDeadLettered() async throws {
        try await TaskBroker.withWorker(worker) { client, tools in
            // Celery sets `expires` without an AMQP expiration when it cannot (a retry, an ETA): the worker must check.
            let message = try TaskMessage(
                Sum.self,
                arguments: .init(a: 1, b: 2),
                options: TaskOptions(expires: .at(Date(timeIntervalSinceNow: -60)), queue: queue)
            )
            var wire = message.wire(routingKey: queue).amqpMessage(mandatory: true)
            wire.properties.expiration = nil
            #expect(await tools.publish(wire) == .confirmed)
            let letter = try #require(try await TaskBroker.take(1, from: dead, tools: tools).first)
            #expect(letter.properties.headers[TaskDeadLetter.reasonHeader]?.stringValue == TaskDeadLetter.expired)
            #expect(letter.properties.correlationID == message.id)
            #expect(try await tools.checkQueue(queue).messageCount == 0)
            // The worker goes on.
            #expect(try await client.enqueue(Sum.self, .init(a: 1, b: 1), options: TaskOptions(queue: queue)).result(timeout: .seconds(10)) == 2)
        }
    }

    @Test func argumentsThatDoNotDecodeAreDeadLetteredWithTheDecodingCode() async throws {
        try await TaskBroker.withWorker(worker) { client, tools in
            let handle = try await client.enqueue(name: Sum.name, kwargs: ["a": "two", "b": 1], options: TaskOptions(queue: queue))
            let failure = try await #require(throws: TaskFailure.self) { try await handle.result(timeout: .seconds(10)) }
            #expect(failure.type == "TaskDecodingError")
            let letter = try #require(try await TaskBroker.take(1, from: dead, tools: tools).first)
            #expect(letter.properties.headers[TaskDeadLetter.reasonHeader]?.stringValue == "invalid_arguments")
        }
    }

    @Test func anUnroutableEnqueueIsAnError() async throws {
        try await TaskBroker.withClient { client, _ in
            let error = try await #require(throws: TaskClientError.self) {
                try await client.enqueue(Sum.self, .init(a: 1, b: 2), options: TaskOptions(queue: TestServices.uniqueName("nowhere")))
            }
            #expect(error.code == .unroutable)
            #expect(error.message.contains(Sum.name))
        }
    }

    @Test func anIgnoredResultIsNotAwaited() async throws {
        try await TaskBroker.withWorker(worker) { client, tools in
            let handle = try await client.enqueue(Sum.self, .init(a: 1, b: 2), options: TaskOptions(queue: queue, ignoreResult: true))
            let error = try await #require(throws: TaskClientError.self) { try await handle.result(timeout: .seconds(1)) }
            #expect(error.code == .noResult)
            #expect(await eventually { (try? await tools.checkQueue(queue).messageCount) == 0 })
        }
    }

    @Test func aTaskNoWorkerRunsTimesOut() async throws {
        try await TaskBroker.withClient { client, tools in
            try await tools.declare(AMQPQueue(queue))
            let handle = try await client.enqueue(Sum.self, .init(a: 1, b: 2), options: TaskOptions(queue: queue))
            let error = try await #require(throws: TaskClientError.self) { try await handle.result(timeout: .milliseconds(300)) }
            #expect(error.code == .timeout)
            try await tools.deleteQueue(queue)
        }
    }

    /// The broker bounds the handlers when the prefetch is the concurrency; the worker does when it is larger.
    @Test(arguments: [nil, 12])
    func handlersRunUpToTheQueueConcurrency(prefetch: Int?) async throws {
        let running = Shared((now: 0, most: 0))
        func makeWorker(_ connection: AMQPConnection) -> TaskWorker {
            var worker = TaskWorker(connection: connection, deadLetterQueue: dead, logger: TaskBroker.logger)
            worker.addQueue(TaskQueue(queue, concurrency: 3, prefetch: prefetch))
            worker.register(Sum.self, queue: queue) { arguments, _ in
                running.update {
                    $0.now += 1
                    $0.most = max($0.most, $0.now)
                }
                // Held until the slots are full (or 5 s): the most then shows the limit, however slow the enqueues.
                _ = await eventually(timeout: .seconds(5)) { running.value.now >= 3 }
                try? await Task.sleep(for: .milliseconds(100))
                running.update { $0.now -= 1 }
                return arguments.a + arguments.b
            }
            return worker
        }
        try await TaskBroker.withWorker(makeWorker) { client, _ in
            let handles = try await (0..<6).asyncMap { try await client.enqueue(Sum.self, .init(a: $0, b: 0), options: TaskOptions(queue: queue)) }
            for (index, handle) in handles.enumerated() { #expect(try await handle.result(timeout: .seconds(20)) == index) }
        }
        #expect(running.value.most == 3)
    }

    /// The acknowledgement comes after the work: a task still running when its worker's connection closes is
    /// delivered again, to the next worker, which runs it to the end.
    @Test func aTaskRunningWhenTheConnectionClosesIsDeliveredAgain() async throws {
        let runs = Shared<[Bool]>([])
        let startedOnce = Shared(false)
        func makeWorker(_ connection: AMQPConnection) -> TaskWorker {
            var worker = TaskWorker(connection: connection, deadLetterQueue: dead, logger: TaskBroker.logger)
            worker.addQueue(TaskQueue(queue))
            worker.register(Slow.self, queue: queue) { _, context in
                let first = runs.update { runs in
                    runs.append(context.redelivered)
                    return runs.count == 1
                }
                if first {
                    startedOnce.update { $0 = true }
                    try? await Task.sleep(for: .seconds(2))
                }
                return context.redelivered
            }
            return worker
        }
        try await TaskBroker.withClient { client, tools in
            let first = try AMQPConnection(configuration: TaskBroker.configuration("first worker"), logger: TaskBroker.logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await first.run() }
                tasks.addTask {
                    // Its consumer ends with the connection; the handler still running cannot acknowledge.
                    do { try await makeWorker(first).run() } catch { TaskBroker.logger.info("first worker: \(error)") }
                }
                try await TaskBroker.waitForConsumers([queue], tools: tools)
                let handle = try await client.enqueue(Slow.self, NoArguments(), options: TaskOptions(queue: queue))
                #expect(await eventually { startedOnce.value })
                await first.close()
                try await tasks.waitForAll()

                try await TaskBroker.withWorker(makeWorker) { _, _ in
                    let redelivered = try await handle.result(timeout: .seconds(10))
                    #expect(redelivered)
                }
            }
            #expect(runs.value == [false, true])
            #expect(try await tools.checkQueue(queue).messageCount == 0)
            #expect(try await tools.checkQueue(dead).messageCount == 0)
        }
    }

    @Test func aRegistrationThatCannotBeServedFailsTheRun() async throws {
        let connection = try AMQPConnection(configuration: AMQPConfiguration(url: "amqp://guest:guest@127.0.0.1:1/%2F"), logger: TaskBroker.logger)
        var worker = TaskWorker(connection: connection, logger: TaskBroker.logger)
        worker.register(Sum.self, queue: "q") { $0.a + $0.b + ($1.message.retries) }
        worker.register(Sum.self, queue: "q") { $0.a + $0.b + ($1.message.retries) }
        let error = try await #require(throws: TaskWorkerError.self) { try await worker.run() }
        #expect(error.code == .invalidRegistration)
        let empty = TaskWorker(connection: connection, logger: TaskBroker.logger)
        await #expect(throws: TaskWorkerError.self) { try await empty.run() }
        await connection.close()
    }

    /// A message that keeps coming back unacknowledged (a worker crashing on it) stops at the queue's delivery limit
    /// and lands in the same dead-letter queue, with RabbitMQ's reason.
    @Test func theDeliveryLimitDeadLettersToTheSameQueue() async throws {
        try await TaskBroker.withClient { client, tools in
            var worker = TaskWorker(connection: client.channel.connection, deadLetterQueue: dead, logger: TaskBroker.logger)
            worker.addQueue(TaskQueue(queue, deliveryLimit: 1))
            try await tools.declare(worker.topology)
            let message = try TaskMessage(Sum.self, arguments: .init(a: 1, b: 1), options: TaskOptions(queue: queue, ignoreResult: true))
            #expect(await tools.publish(message.wire().amqpMessage()) == .confirmed)
            var deliveries = 0
            let deadLettered = await eventually {
                if let delivery = try? await tools.get(queue: queue) {
                    deliveries += 1
                    try? tools.reject(delivery, requeue: true)
                }
                return (try? await tools.checkQueue(dead).messageCount) == 1
            }
            #expect(deadLettered)
            #expect(deliveries == 2)
            let letter = try #require(try await TaskBroker.take(1, from: dead, tools: tools).first)
            #expect(letter.properties.headers["x-first-death-reason"]?.stringValue == "delivery_limit")
            #expect(letter.properties.headers["x-first-death-queue"]?.stringValue == queue)
            #expect(try TaskMessage(delivery: letter).id == message.id)
            try await tools.deleteQueue(queue)
            try await tools.deleteQueue(dead)
        }
    }

    @Test func countsAndRuntimesPerTaskName() async throws {
        let metrics = TestMetrics()
        func makeWorker(_ connection: AMQPConnection) -> TaskWorker {
            var worker = TaskWorker(connection: connection, deadLetterQueue: dead, metrics: TaskMetrics(factory: metrics), logger: TaskBroker.logger)
            worker.register(Sum.self, queue: queue) { arguments, _ in arguments.a + arguments.b }
            worker.register(Explode.self, queue: queue) { arguments, _ in throw Kaboom(why: arguments.why) }
            return worker
        }
        try await TaskBroker.withWorker(makeWorker) { client, _ in
            for index in 0..<3 {
                _ = try await client.enqueue(Sum.self, .init(a: index, b: 1), options: TaskOptions(queue: queue)).result(timeout: .seconds(10))
            }
            _ = try? await client.enqueue(Explode.self, .init(why: "x"), options: TaskOptions(queue: queue)).result(timeout: .seconds(10))
            _ = try? await client.enqueue(name: "nobody.knows.\(queue)", options: TaskOptions(queue: queue)).result(timeout: .seconds(10))
        }
        func total(_ task: String, _ outcome: String) throws -> Int64 {
            try metrics.expectCounter("beacon_tasks_total", [("task", task), ("outcome", outcome)]).totalValue
        }
        #expect(try total(Sum.name, "started") == 3)
        #expect(try total(Sum.name, "succeeded") == 3)
        #expect(try total(Explode.name, "failed") == 1)
        #expect(try total(Explode.name, "dead") == 1)
        // An unknown name is counted under one label, whatever it is: producers cannot grow the metrics.
        #expect(try total("(unknown)", "dead") == 1)
        #expect(try metrics.expectTimer("beacon_task_runtime_seconds", [("task", Sum.name)]).values.count == 3)
    }

    @Test func quorumQueuesAreDeclaredForAtLeastOnceDeadLettering() {
        let arguments = TaskQueue("shop", deliveryLimit: 3).arguments(deadLetterExchange: "beacon.tasks.dead")
        #expect(arguments["x-queue-type"]?.stringValue == "quorum")
        #expect(arguments["x-delivery-limit"]?.intValue == 3)
        #expect(arguments["x-dead-letter-exchange"]?.stringValue == "beacon.tasks.dead")
        #expect(arguments["x-dead-letter-strategy"]?.stringValue == "at-least-once")
        #expect(arguments["x-overflow"]?.stringValue == "reject-publish")
        #expect(TaskQueue("old", type: .classic).arguments(deadLetterExchange: "d").keys == ["x-dead-letter-exchange"])
    }
}

extension Range where Bound == Int {
    /// `map` with an async transform, one element after the other.
    func asyncMap<T>(_ transform: (Int) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
