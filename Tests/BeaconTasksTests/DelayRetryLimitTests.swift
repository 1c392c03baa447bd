import BeaconAMQP
import Foundation
import IntegrationSupport
import Logging
import Testing

@testable import BeaconTasks

/// Countdowns, ETAs and retry waits through the broker's delay ladder, retries by policy, time limits, and the
/// consumer timeout, against the test broker (and one of its own for the timeout).
@Suite struct DelayRetryLimitTests {
    let queue = TestServices.uniqueName("tasks")
    let dead = TestServices.uniqueName("tasks.dead")
    /// A ladder of this test's own (4 levels, up to 15 s), so that its queues can be counted exactly.
    let delays = DelayedDeliveryPlan(
        levels: 4,
        levelPrefix: TestServices.uniqueName("delayed") + ".",
        deliveryExchange: TestServices.uniqueName("delivery")
    )

    func worker(
        _ connection: AMQPConnection,
        options: TaskHandlerOptions = TaskHandlerOptions(),
        concurrency: Int = 1,
        consumerTimeout: Duration = .seconds(1800),
        register: (inout TaskWorker, TaskHandlerOptions) -> Void
    ) -> TaskWorker {
        var worker = TaskWorker(
            connection: connection,
            deadLetterQueue: dead,
            delays: delays,
            consumerTimeout: consumerTimeout,
            logger: TaskBroker.logger
        )
        worker.addQueue(TaskQueue(queue, concurrency: concurrency))
        register(&worker, options)
        return worker
    }

    func sumWorker(_ connection: AMQPConnection) -> TaskWorker {
        worker(connection) { worker, _ in worker.register(Sum.self, queue: queue) { arguments, _ in arguments.a + arguments.b } }
    }

    /// A worker whose Sum notes when it ran.
    func timedSumWorker(_ connection: AMQPConnection, ran: Shared<Date?>) -> TaskWorker {
        worker(connection) { worker, _ in
            worker.register(Sum.self, queue: queue) { arguments, _ in
                ran.update { $0 = Date() }
                return arguments.a + arguments.b
            }
        }
    }

    func messageCount(_ queue: String, _ tools: AMQPChannel) async throws -> Int {
        Int(try await tools.checkQueue(queue).messageCount)
    }

    // MARK: Delays

    @Test func aCountdownWaitsInTheLadderNotInTheWorker() async throws {
        try await TaskBroker.withWorker(delays: delays, sumWorker) { client, tools in
            let enqueued = Date()
            let handle = try await client.enqueue(Sum.self, .init(a: 2, b: 3), options: TaskOptions(countdown: .seconds(2), queue: queue))
            // 2 s is binary 10: the message waits in level 1, nowhere else.
            #expect(try await messageCount(delays.levelName(1), tools) == 1)
            #expect(try await messageCount(queue, tools) == 0)
            #expect(try await handle.result(timeout: .seconds(15)) == 5)
            #expect(Date().timeIntervalSince(enqueued) >= 2)
            #expect(try await messageCount(delays.levelName(1), tools) == 0)
        }
    }

    @Test func anETAIsRoundedUpSoThatTheTaskNeverRunsEarly() async throws {
        let ran = Shared<Date?>(nil)
        let makeWorker = { timedSumWorker($0, ran: ran) }
        try await TaskBroker.withWorker(delays: delays, makeWorker) { client, _ in
            let eta = Date(timeIntervalSinceNow: 1.5)
            let handle = try await client.enqueue(Sum.self, .init(a: 1, b: 1), options: TaskOptions(eta: eta, queue: queue))
            #expect(try await handle.result(timeout: .seconds(15)) == 2)
            let at = try #require(ran.value)
            #expect(at >= eta)
        }
    }

    /// Celery without native delayed delivery (a classic queue, a direct exchange) sends an ETA task straight to the
    /// queue: the worker must hand it back to the broker's ladder, not hold it unacknowledged until the ETA.
    @Test func anEarlyETATaskGoesBackToTheLadder() async throws {
        let ran = Shared<Date?>(nil)
        let makeWorker = { timedSumWorker($0, ran: ran) }
        try await TaskBroker.withWorker(delays: delays, makeWorker) { _, tools in
            // Far enough ahead that even a loaded machine delivers it with a second or more to go.
            let eta = Date(timeIntervalSinceNow: 8)
            let message = try TaskMessage(Sum.self, arguments: .init(a: 4, b: 4), options: TaskOptions(eta: eta, queue: queue, ignoreResult: true))
            #expect(await tools.publish(message.wire().amqpMessage()) == .confirmed)
            // What is left, rounded up (at most 8 s), waits in the ladder's levels 0…3.
            let parked = await eventually(timeout: .seconds(5)) {
                var waiting = 0
                for level in 0..<delays.levels { waiting += (try? await messageCount(delays.levelName(level), tools)) ?? 0 }
                return waiting == 1
            }
            #expect(parked)
            #expect(ran.value == nil)
            #expect(await eventually(timeout: .seconds(20)) { ran.value != nil })
            #expect(try #require(ran.value) >= eta)
            #expect(try await messageCount(queue, tools) == 0)
            #expect(try await messageCount(dead, tools) == 0)
        }
    }

    @Test func aDelayLongerThanTheLadderIsRefusedAtEnqueue() async throws {
        try await TaskBroker.withWorker(delays: delays, sumWorker) { client, _ in
            let error = try await #require(throws: TaskEncodingError.self) {
                try await client.enqueue(Sum.self, .init(a: 1, b: 1), options: TaskOptions(countdown: .seconds(16), queue: queue))
            }
            #expect(error.code == .invalidOptions)
            #expect(error.message.contains("15 s"))
        }
    }

    @Test func aDelayedEnqueueToAMissingQueueIsUnroutable() async throws {
        try await TaskBroker.withClient(delays: delays) { client, tools in
            let error = try await #require(throws: TaskClientError.self) {
                try await client.enqueue(
                    Sum.self,
                    .init(a: 1, b: 1),
                    options: TaskOptions(countdown: .seconds(2), queue: TestServices.uniqueName("nowhere"))
                )
            }
            #expect(error.code == .unroutable)
            // The failed bind closed a channel of its own, not the client's: it still publishes.
            try await tools.declare(AMQPQueue(queue))
            _ = try await client.enqueue(Sum.self, .init(a: 1, b: 1), options: TaskOptions(queue: queue, ignoreResult: true))
            #expect(try await messageCount(queue, tools) == 1)
            _ = try await tools.deleteQueue(queue)
        }
    }

    // MARK: Retries

    @Test func aRetryableErrorRunsAgainAfterTheBackoff() async throws {
        let runs = Shared<[(attempt: Int, at: ContinuousClock.Instant, parent: String?)]>([])
        let options = TaskHandlerOptions(
            retry: RetryPolicy(maximumAttempts: 3, initialDelay: .seconds(1), jitter: .none),
            retryWhen: { $0 is Kaboom }
        )
        func makeWorker(_ connection: AMQPConnection) -> TaskWorker {
            worker(connection, options: options) { worker, options in
                worker.register(Sum.self, queue: queue, options: options) { arguments, context in
                    let attempt = runs.update { runs in
                        runs.append((context.attempt, .now, context.message.parentID))
                        return runs.count
                    }
                    guard attempt == 3 else { throw Kaboom(why: "attempt \(attempt)") }
                    return arguments.a + arguments.b
                }
            }
        }
        try await TaskBroker.withWorker(delays: delays, makeWorker) { client, tools in
            let handle = try await client.enqueue(Sum.self, .init(a: 20, b: 22), options: TaskOptions(queue: queue))
            #expect(try await handle.result(timeout: .seconds(20)) == 42)
            let seen = runs.value
            #expect(seen.map(\.attempt) == [1, 2, 3])
            #expect(seen.count == 3)
            if seen.count == 3 {
                // Waits of 1 s, then 2 s, on the broker (whole seconds, rounded up).
                #expect(seen[1].at - seen[0].at >= .seconds(1))
                #expect(seen[2].at - seen[1].at >= .seconds(2))
                #expect(seen[0].parent == nil)
                #expect(seen[1].parent == handle.id)
            }
            #expect(try await messageCount(dead, tools) == 0)
        }
    }

    @Test func retriesUsedUpGoToTheDeadLettersWithTheLastError() async throws {
        let runs = Shared(0)
        let options = TaskHandlerOptions(retry: RetryPolicy(maximumAttempts: 2, initialDelay: .zero, jitter: .none), retryWhen: { _ in true })
        func makeWorker(_ connection: AMQPConnection) -> TaskWorker {
            worker(connection, options: options) { worker, options in
                worker.register(Explode.self, queue: queue, options: options) { arguments, _ in
                    runs.update { $0 += 1 }
                    throw Kaboom(why: arguments.why)
                }
            }
        }
        try await TaskBroker.withWorker(delays: delays, makeWorker) { client, tools in
            let handle = try await client.enqueue(Explode.self, .init(why: "always"), options: TaskOptions(queue: queue))
            let failure = try await #require(throws: TaskFailure.self) { try await handle.result(timeout: .seconds(10)) }
            #expect(failure.type == "Kaboom")
            let letter = try #require(try await TaskBroker.take(1, from: dead, tools: tools).first)
            #expect(letter.properties.headers[TaskDeadLetter.reasonHeader]?.stringValue == TaskDeadLetter.retriesExhausted)
            #expect(letter.properties.headers["retries"]?.intValue == 1)
            #expect(runs.value == 2)
        }
    }

    @Test func aHandlerAsksForARetryAndIsRefusedOnceTheAttemptsAreUsed() async throws {
        let runs = Shared<[Int]>([])
        let options = TaskHandlerOptions(retry: RetryPolicy(maximumAttempts: 3))
        func makeWorker(_ connection: AMQPConnection) -> TaskWorker {
            worker(connection, options: options) { worker, options in
                worker.register(Explode.self, queue: queue, options: options) { arguments, context in
                    runs.update { $0.append(context.attempt) }
                    throw TaskRetry(after: .zero, reason: arguments.why)
                }
            }
        }
        try await TaskBroker.withWorker(delays: delays, makeWorker) { client, tools in
            let handle = try await client.enqueue(Explode.self, .init(why: "the mail server is down"), options: TaskOptions(queue: queue))
            let failure = try await #require(throws: TaskFailure.self) { try await handle.result(timeout: .seconds(10)) }
            #expect(failure.type == "MaxRetriesExceededError")
            #expect(failure.message == "the mail server is down")
            #expect(runs.value == [1, 2, 3])
            let letter = try #require(try await TaskBroker.take(1, from: dead, tools: tools).first)
            #expect(letter.properties.headers[TaskDeadLetter.reasonHeader]?.stringValue == TaskDeadLetter.retriesExhausted)
        }
    }

    @Test func anErrorNotWorthARetryIsDeadLetteredAtOnce() async throws {
        let runs = Shared(0)
        let options = TaskHandlerOptions(retry: RetryPolicy(maximumAttempts: 5, initialDelay: .zero), retryWhen: { !($0 is Kaboom) })
        func makeWorker(_ connection: AMQPConnection) -> TaskWorker {
            worker(connection, options: options) { worker, options in
                worker.register(Explode.self, queue: queue, options: options) { arguments, _ in
                    runs.update { $0 += 1 }
                    throw Kaboom(why: arguments.why)
                }
            }
        }
        try await TaskBroker.withWorker(delays: delays, makeWorker) { client, tools in
            let handle = try await client.enqueue(Explode.self, .init(why: "bad data"), options: TaskOptions(queue: queue))
            _ = try await #require(throws: TaskFailure.self) { try await handle.result(timeout: .seconds(10)) }
            let letter = try #require(try await TaskBroker.take(1, from: dead, tools: tools).first)
            #expect(letter.properties.headers[TaskDeadLetter.reasonHeader]?.stringValue == TaskDeadLetter.failed)
            #expect(runs.value == 1)
        }
    }

    // MARK: Time limits

    @Test func theSoftLimitCancelsTheHandler() async throws {
        let options = TaskHandlerOptions(retryWhen: { _ in true }, timeLimits: TaskTimeLimits(soft: .milliseconds(300)))
        func makeWorker(_ connection: AMQPConnection) -> TaskWorker {
            worker(connection, options: options) { worker, options in
                worker.register(Slow.self, queue: queue, options: options) { _, _ in
                    try await Task.sleep(for: .seconds(60))
                    return false
                }
            }
        }
        try await TaskBroker.withWorker(delays: delays, makeWorker) { client, tools in
            let started = ContinuousClock.now
            let handle = try await client.enqueue(Slow.self, NoArguments(), options: TaskOptions(queue: queue))
            let failure = try await #require(throws: TaskFailure.self) { try await handle.result(timeout: .seconds(20)) }
            #expect(failure.type == "SoftTimeLimitExceeded")
            #expect(ContinuousClock.now - started < .seconds(20))
            let letter = try #require(try await TaskBroker.take(1, from: dead, tools: tools).first)
            #expect(letter.properties.headers[TaskDeadLetter.reasonHeader]?.stringValue == TaskDeadLetter.timeLimit)
        }
    }

    /// A handler that ignores cancellation cannot be stopped: at the hard limit the worker gives up on it, frees
    /// its slot (the next task runs while it still runs), and dead-letters it.
    @Test func theHardLimitGivesUpTheSlot() async throws {
        let stillRunning = Shared(false)
        let gate = Gate()
        func makeWorker(_ connection: AMQPConnection) -> TaskWorker {
            worker(connection, concurrency: 1) { worker, _ in
                worker.register(Slow.self, queue: queue) { _, _ in
                    stillRunning.update { $0 = true }
                    await gate.wait()
                    stillRunning.update { $0 = false }
                    return false
                }
                worker.register(Sum.self, queue: queue) { arguments, _ in arguments.a + arguments.b }
            }
        }
        try await TaskBroker.withWorker(delays: delays, makeWorker) { client, tools in
            let slow = try await client.enqueue(
                Slow.self,
                NoArguments(),
                options: TaskOptions(queue: queue, timeLimits: TaskTimeLimits(hard: .milliseconds(500)))
            )
            let next = try await client.enqueue(Sum.self, .init(a: 1, b: 2), options: TaskOptions(queue: queue))
            let failure = try await #require(throws: TaskFailure.self) { try await slow.result(timeout: .seconds(10)) }
            #expect(failure.type == "TimeLimitExceeded")
            #expect(try await next.result(timeout: .seconds(10)) == 3)
            #expect(stillRunning.value)
            let letter = try #require(try await TaskBroker.take(1, from: dead, tools: tools).first)
            #expect(letter.properties.headers[TaskDeadLetter.reasonHeader]?.stringValue == TaskDeadLetter.timeLimit)
            #expect(letter.properties.correlationID == slow.id)
            gate.open()
        }
    }

    @Test func aTimeLimitBeyondTheConsumerTimeoutIsFlaggedAtRegistration() throws {
        let connection = try AMQPConnection(configuration: AMQPConfiguration(url: "amqp://guest:guest@127.0.0.1:1/%2F"), logger: TaskBroker.logger)
        let limits = TaskHandlerOptions(timeLimits: TaskTimeLimits(soft: .seconds(5), hard: .seconds(20)))
        let flagged = worker(connection, options: limits, consumerTimeout: .seconds(10)) { worker, options in
            worker.register(Slow.self, queue: queue, options: options) { _, _ in false }
        }
        #expect(flagged.warnings.map(\.code) == [.timeLimitBeyondConsumerTimeout])
        #expect(flagged.warnings.first?.message.contains(Slow.name) == true)
        let fine = worker(connection, options: limits, consumerTimeout: .seconds(30)) { worker, options in
            worker.register(Slow.self, queue: queue, options: options) { _, _ in false }
        }
        #expect(fine.warnings.isEmpty)
    }

    // MARK: Rate limit

    /// Celery's `rate_limit="5/s"`: starts spread evenly, 200 ms apart, however fast the tasks come.
    @Test func aRateLimitSpacesTheStarts() async throws {
        let starts = Shared<[ContinuousClock.Instant]>([])
        let options = TaskHandlerOptions(rateLimit: TaskRateLimit(5, per: .seconds(1)))
        func makeWorker(_ connection: AMQPConnection) -> TaskWorker {
            worker(connection, options: options, concurrency: 6) { worker, options in
                worker.register(Sum.self, queue: queue, options: options) { arguments, _ in
                    starts.update { $0.append(.now) }
                    return arguments.a + arguments.b
                }
            }
        }
        try await TaskBroker.withWorker(delays: delays, makeWorker) { client, _ in
            let handles = try await (0..<6).asyncMap { try await client.enqueue(Sum.self, .init(a: $0, b: 0), options: TaskOptions(queue: queue)) }
            for handle in handles { _ = try await handle.result(timeout: .seconds(20)) }
        }
        let seen = starts.value.sorted()
        #expect(seen.count == 6)
        if let first = seen.first, let last = seen.last {
            // Five gaps of 200 ms at least (a lower bound: a slow machine only makes them longer).
            #expect(last - first >= .milliseconds(990))
        }
        let connection = try AMQPConnection(configuration: AMQPConfiguration(url: "amqp://guest:guest@127.0.0.1:1/%2F"), logger: TaskBroker.logger)
        let invalid = worker(connection, options: TaskHandlerOptions(rateLimit: TaskRateLimit(0, per: .seconds(1)))) { worker, options in
            worker.register(Sum.self, queue: queue, options: options) { $0.a + $0.b + $1.attempt }
        }
        let error = try await #require(throws: TaskWorkerError.self) { try await invalid.run() }
        #expect(error.code == .invalidRegistration)
    }

    // MARK: Consumer timeout

    /// RabbitMQ closes a channel whose delivery stays unacknowledged past `consumer_timeout` (Celery's worker exits
    /// then). The Beacon worker consumes again: the task comes again, and the worker goes on.
    @Test func aConsumerTimeoutDoesNotStopTheWorker() async throws {
        try await PrivateBroker.with { broker in
            // Read by each channel when it opens: a 2 s timeout, checked every second.
            try await broker.rabbitmqctl(
                "eval",
                "application:set_env(rabbit, channel_tick_interval, 1000), application:set_env(rabbit, consumer_timeout, 2000)."
            )
            let runs = Shared<[Bool]>([])
            // The first run holds its delivery until the test has the result of the second.
            let gate = Gate()
            func makeWorker(_ connection: AMQPConnection) -> TaskWorker {
                worker(connection) { worker, _ in
                    worker.register(Slow.self, queue: queue) { _, context in
                        let first = runs.update { runs in
                            runs.append(context.redelivered)
                            return runs.count == 1
                        }
                        if first { await gate.wait() }
                        return context.redelivered
                    }
                    worker.register(Sum.self, queue: queue) { arguments, _ in arguments.a + arguments.b }
                }
            }
            try await TaskBroker.withWorker(url: broker.url, delays: delays, makeWorker) { client, _ in
                let handle = try await client.enqueue(Slow.self, NoArguments(), options: TaskOptions(queue: queue))
                #expect(try await handle.result(timeout: .seconds(60)))
                gate.open()
                #expect(try await client.enqueue(Sum.self, .init(a: 2, b: 2), options: TaskOptions(queue: queue)).result(timeout: .seconds(10)) == 4)
            }
            #expect(runs.value.first == false)
            #expect(runs.value.dropFirst().first == true)
        }
    }
}
