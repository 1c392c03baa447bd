import BeaconAMQP
import BeaconEvents
import DequeModule
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a type-erased handler made of a message.
enum HandlerOutcome: Sendable {
    /// It returned; the SUCCESS result.
    case succeeded(TaskResultMessage)
    /// It threw; whether the task's ``TaskHandlerOptions/retryWhen`` finds the error worth a retry.
    case failed(TaskFailure, retryable: Bool)
    /// It threw ``TaskRetry``.
    case retryRequested(TaskRetry)
    /// The arguments do not decode: the task cannot run.
    case refused(TaskDecodingError)
}

/// A registered task: how it runs, and its type-erased handler.
struct RegisteredTask: Sendable {
    let options: TaskHandlerOptions
    /// The turns of its rate limit; none without one.
    let turns: RateTurns?
    let run: @Sendable (TaskMessage, TaskContext) async -> HandlerOutcome

    init(options: TaskHandlerOptions, run: @escaping @Sendable (TaskMessage, TaskContext) async -> HandlerOutcome) {
        self.options = options
        self.turns = options.rateLimit.map { RateTurns(spacing: $0.spacing) }
        self.run = run
    }
}

/// Evenly spaced starts: each caller of ``wait()`` gets the next free instant, one spacing after the one before,
/// and sleeps until it (Celery's token bucket of capacity 1).
final class RateTurns: Sendable {
    private let spacing: Duration
    private let next = Mutex(ContinuousClock.now)

    init(spacing: Duration) { self.spacing = spacing }

    func wait() async {
        let turn = next.withLock { next in
            let turn = max(next, ContinuousClock.now)
            next = turn + spacing
            return turn
        }
        if turn > ContinuousClock.now { try? await Task.sleep(until: turn) }
    }
}

/// Runs the deliveries of the worker's queues and settles them: result, retry, dead letter, acknowledgement.
struct TaskRunner: Sendable {
    let tasks: [String: RegisteredTask]
    let deadLetterQueue: String
    let delays: DelayedDeliveryPlan
    /// The tasks that succeeded, by idempotency key; none when `nil`.
    let idempotency: (any TaskIdempotencyStore)?
    /// The revoked task ids; none when `nil`.
    let revoked: RevokedTasks?
    let metrics: TaskMetrics
    /// Results, retries, delays and dead letters go out here.
    let publisher: AMQPChannel
    let logger: Logger

    /// Consumes `queue` on a channel of its own and runs every delivery as a child task (the prefetch bounds how
    /// many), until graceful shutdown; then waits for the running tasks and closes the channel.
    ///
    /// When the broker closes the channel with `406 PRECONDITION_FAILED` (RabbitMQ's consumer timeout: a delivery
    /// unacknowledged for longer than `consumer_timeout`), it consumes again on a new channel, as Celery does not: the
    /// broker has put the unacknowledged deliveries back, and the tasks still running on the old channel finish but
    /// cannot acknowledge. Any other end of the consumer (its queue deleted, the connection closed) ends the run with
    /// the error.
    func consume(_ queue: TaskQueue, on connection: AMQPConnection) async throws {
        var logger = logger
        logger[metadataKey: "queue"] = "\(queue.name)"
        var channels: [AMQPChannel] = []
        let slots = queue.prefetch > queue.concurrency ? Slots(queue.concurrency) : nil
        let failure = await withDiscardingTaskGroup(returning: AMQPError?.self) { group in
            while !Task.isShuttingDownGracefully {
                let consumer: AMQPConsumer
                do throws(AMQPError) {
                    consumer = try await connection.consume(
                        queue: queue.name,
                        prefetch: UInt16(queue.prefetch),
                        maximumBatchSize: queue.prefetch
                    )
                } catch {
                    return error
                }
                channels.append(consumer.channel)
                let ended: AMQPError? = await withGracefulShutdownHandler {
                    do throws(AMQPError) {
                        for try await batch in consumer {
                            for delivery in batch {
                                // With a prefetch above the concurrency, a delivery waits here for a free slot.
                                await slots?.acquire()
                                group.addTask { [logger] in
                                    await process(delivery, on: consumer.channel, queue: queue.name, logger: logger)
                                    slots?.release()
                                }
                            }
                        }
                        return nil
                    } catch {
                        return error
                    }
                } onGracefulShutdown: { [logger] in
                    logger.info("stopping: finishing the tasks that run")
                    Task { try? await consumer.cancel() }
                }
                guard let ended else { return nil }
                guard ended.code == .preconditionFailed else { return ended }
                logger.error(
                    "the broker closed the consumer's channel (a task held past RabbitMQ's consumer_timeout?): consuming again; its unacknowledged tasks come again",
                    metadata: ["error": "\(ended)"]
                )
                try? await Task.sleep(for: .seconds(1))
            }
            return nil
        }
        // Deliveries the broker sent after the cancel go back to the queue with the channel.
        for channel in channels { await channel.close() }
        if let failure {
            logger.error("the consumer ended", metadata: ["error": "\(failure)"])
            throw failure
        }
        logger.debug("the consumer ended")
    }

    func process(_ delivery: AMQPDelivery, on channel: AMQPChannel, queue: String, logger: Logger) async {
        var logger = logger
        let message: TaskMessage
        do {
            message = try TaskMessage(delivery: delivery)
        } catch {
            logger[metadataKey: "task_id"] = "\(delivery.properties.correlationID ?? "-")"
            // Not the name the message claims: a label per unknown name would let any producer grow the metrics.
            metrics.count(Self.unknownName, .dead)
            await deadLetter(delivery, reason: error.code.description, error: error.message, queue: queue, channel: channel, logger: logger)
            return
        }
        logger[metadataKey: "task"] = "\(message.name)"
        logger[metadataKey: "task_id"] = "\(message.id)"
        if let requestID = message.requestID { logger[metadataKey: "request_id"] = "\(LogText.escaped(requestID))" }
        if let expires = message.expires, expires < Date() {
            // Celery's REVOKED on receipt, but kept: the dead letter says when it expired.
            metrics.count(label(message), .expired)
            let text = "the task expired at \(CeleryTime.format(expires)) before it ran"
            await publishResult(for: message, .revoked(taskID: message.id, reason: "expired"), logger: logger)
            await deadLetter(delivery, reason: TaskDeadLetter.expired, error: text, queue: queue, channel: channel, logger: logger)
            return
        }
        if let revoked, revoked.isRevoked(message.id) {
            logger.info("revoked: not run")
            metrics.count(label(message), .revoked)
            await publishResult(for: message, .revoked(taskID: message.id), logger: logger)
            settle(delivery, on: channel, done: true, logger: logger)
            return
        }
        if let eta = message.eta {
            let early = eta.timeIntervalSinceNow
            if early >= 1 {
                metrics.count(label(message), .delayed)
                await delay(delivery, by: .seconds(early), queue: queue, channel: channel, logger: logger)
                return
            }
            // Under a second (a delay the ladder cannot express): waited out here.
            if early > 0 { try? await Task.sleep(for: .seconds(early)) }
        }
        if await isDone(message, delivery: delivery, channel: channel, logger: logger) { return }
        guard let task = tasks[message.name] else {
            metrics.count(Self.unknownName, .dead)
            let text = "no task \"\(message.name)\" is registered on this worker"
            await publishResult(
                for: message,
                .failure(taskID: message.id, TaskFailure(type: "NotRegistered", message: message.name, module: "celery.exceptions")),
                logger: logger
            )
            await deadLetter(delivery, reason: TaskDeadLetter.unknownTask, error: text, queue: queue, channel: channel, logger: logger)
            return
        }
        await task.turns?.wait()
        let context = TaskContext(message: message, queue: queue, redelivered: delivery.redelivered, logger: logger)
        let limits = task.options.timeLimits(for: message)
        let started = ContinuousClock.now
        metrics.count(message.name, .started)
        let run = await Self.run(within: limits) { await task.run(message, context) }
        let runtime = ContinuousClock.now - started
        metrics.runtime(message.name, runtime)
        let end = Ending(delivery: delivery, message: message, queue: queue, channel: channel, logger: logger)
        switch run {
        case .interrupted:
            logger.warning("the worker's task was cancelled mid-run: the broker delivers the task again")
            settle(delivery, on: channel, done: false, logger: logger)
        case .hardLimitReached:
            let limit = limits.hard.map { "\($0)" } ?? "?"
            await fail(
                end,
                TaskFailure(type: "TimeLimitExceeded", message: "hard time limit (\(limit)) exceeded", module: "celery.exceptions"),
                reason: TaskDeadLetter.timeLimit
            )
        case .finished(.succeeded(let result), _):
            metrics.count(message.name, .succeeded)
            await remember(message, result, logger: logger)
            let published = await publishResult(for: message, result, logger: logger)
            logger.debug("task succeeded", metadata: ["runtime": "\(runtime)"])
            settle(delivery, on: channel, done: published, logger: logger)
        case .finished(.refused(let error), _):
            let failure = TaskFailure(type: "TaskDecodingError", message: error.description)
            await publishResult(for: message, .failure(taskID: message.id, failure), logger: logger)
            await deadLetter(delivery, reason: error.code.description, error: error.message, queue: queue, channel: channel, logger: logger)
        case .finished(.failed(let failure, _), softLimitReached: true):
            await fail(end, Self.softLimitExceeded(limits, failure.description), reason: TaskDeadLetter.timeLimit)
        case .finished(.retryRequested(let request), softLimitReached: true):
            await fail(end, Self.softLimitExceeded(limits, request.description), reason: TaskDeadLetter.timeLimit)
        case .finished(.failed(let failure, let retryable), _):
            logger.warning("task failed", metadata: ["error": "\(failure)", "runtime": "\(runtime)", "attempt": "\(context.attempt)"])
            guard retryable else {
                await fail(end, failure, reason: TaskDeadLetter.failed)
                return
            }
            if await retry(end, after: nil, policy: task.options.retry, reason: failure.description) { return }
            await fail(end, failure, reason: TaskDeadLetter.retriesExhausted)
        case .finished(.retryRequested(let request), _):
            if await retry(end, after: request.delay, policy: task.options.retry, reason: request.reason) { return }
            await fail(
                end,
                TaskFailure(type: "MaxRetriesExceededError", message: request.reason, module: "celery.exceptions"),
                reason: TaskDeadLetter.retriesExhausted
            )
        }
    }

    /// Whether the store remembers the message's idempotency key (its id when it has none): then the task is not run
    /// again, the caller gets the recorded result, and the delivery is acknowledged. A store that cannot be read
    /// lets the task run (at least once wins over at most once).
    private func isDone(_ message: TaskMessage, delivery: AMQPDelivery, channel: AMQPChannel, logger: Logger) async -> Bool {
        guard let idempotency else { return false }
        let key = message.idempotencyKey ?? message.id
        let done: TaskCompletion?
        do {
            done = try await idempotency.completion(for: key)
        } catch {
            logger.error("the idempotency store cannot be read: the task runs", metadata: ["error": "\(error)"])
            return false
        }
        guard let done else { return false }
        metrics.count(label(message), .duplicate)
        logger.info("already done: not run again", metadata: ["idempotency_key": "\(LogText.escaped(key))", "done_by": "\(done.taskID)"])
        let result = TaskResultMessage(taskID: message.id, state: .success, result: done.result, dateDone: done.finishedAt)
        let published = await publishResult(for: message, result, logger: logger)
        settle(delivery, on: channel, done: published, logger: logger)
        return true
    }

    /// Records a run that succeeded in the idempotency store, before its result and acknowledgement. A record that
    /// fails is logged: the task is done, but a redelivery would run it again.
    private func remember(_ message: TaskMessage, _ result: TaskResultMessage, logger: Logger) async {
        guard let idempotency else { return }
        let key = message.idempotencyKey ?? message.id
        do {
            try await idempotency.record(TaskCompletion(taskID: message.id, finishedAt: result.dateDone ?? Date(), result: result.result), for: key)
        } catch {
            logger.error("the run could not be recorded: a redelivery would run it again", metadata: ["error": "\(error)"])
        }
    }

    /// The failure of a run that ended by throwing after its soft limit cancelled it.
    private static func softLimitExceeded(_ limits: TaskTimeLimits, _ error: String) -> TaskFailure {
        let limit = limits.soft.map { "\($0)" } ?? "?"
        return TaskFailure(type: "SoftTimeLimitExceeded", message: "soft time limit (\(limit)) exceeded: \(error)", module: "celery.exceptions")
    }

    /// A delivery whose run is over, and where to settle it.
    struct Ending {
        let delivery: AMQPDelivery
        let message: TaskMessage
        let queue: String
        let channel: AMQPChannel
        let logger: Logger
    }

    /// The metrics label of a message's task: its name when a handler is registered for it, one label for all others.
    private func label(_ message: TaskMessage) -> String { tasks[message.name] == nil ? Self.unknownName : message.name }

    static let unknownName = "(unknown)"

    /// The run failed for good: the FAILURE result to an awaiting caller, the message to the dead letters.
    private func fail(_ end: Ending, _ failure: TaskFailure, reason: String) async {
        metrics.count(label(end.message), .failed)
        metrics.count(label(end.message), .dead)
        await publishResult(for: end.message, .failure(taskID: end.message.id, failure), logger: end.logger)
        await deadLetter(end.delivery, reason: reason, error: failure.description, queue: end.queue, channel: end.channel, logger: end.logger)
    }

    /// Publishes the next attempt of a failed run (``TaskMessage/retried(after:now:)``, through the delay ladder)
    /// and, once the broker confirmed it, acknowledges the failed one; requeues the failed one when the broker did not
    /// confirm. False, doing nothing, when `policy` has no attempt left.
    private func retry(_ end: Ending, after requested: Duration?, policy: RetryPolicy, reason: String) async -> Bool {
        guard let backoff = policy.delay(afterRetries: end.message.retries) else { return false }
        let delay = min(requested ?? backoff, .seconds(delays.maximumDelaySeconds))
        let next = end.message.retried(after: delay)
        let plain = next.wire(routingKey: end.queue)
        let wire = (try? plain.delayed(by: delay, through: delays)) ?? plain
        let outcome = await publisher.publish(wire.amqpMessage(mandatory: true))
        guard outcome.isConfirmed else {
            end.logger.warning("the retry was not confirmed: requeueing the failed run", metadata: ["outcome": "\(outcome)"])
            settle(end.delivery, on: end.channel, done: false, logger: end.logger)
            return true
        }
        metrics.count(end.message.name, .retried)
        end.logger.info(
            "task retried",
            metadata: ["attempt": "\(next.retries + 1)", "delay": "\(delay)", "reason": "\(LogText.escaped(String(reason.prefix(300))))"]
        )
        settle(end.delivery, on: end.channel, done: true, logger: end.logger)
        return true
    }

    /// Sends a message that came before its `eta` (from a producer that does not use the ladder, such as Celery with
    /// a classic queue) through the delay ladder, as it is, then acknowledges it: no delayed task waits unacknowledged
    /// in a worker, where RabbitMQ's consumer timeout would close the channel.
    private func delay(_ delivery: AMQPDelivery, by delay: Duration, queue: String, channel: AMQPChannel, logger: Logger) async {
        let wire: TaskWireMessage
        do {
            wire = try TaskWireMessage(exchange: "", routingKey: queue, properties: delivery.properties, body: delivery.body)
                .delayed(by: delay, through: delays)
        } catch {
            await deadLetter(delivery, reason: error.code.description, error: error.message, queue: queue, channel: channel, logger: logger)
            return
        }
        let outcome = await publisher.publish(wire.amqpMessage(mandatory: true))
        if outcome.isConfirmed {
            logger.debug("task delayed until its eta", metadata: ["delay": "\(delay)"])
        } else {
            logger.warning("the delayed task was not confirmed: requeueing", metadata: ["outcome": "\(outcome)"])
        }
        settle(delivery, on: channel, done: outcome.isConfirmed, logger: logger)
    }

    /// Publishes `result` to the message's `reply_to` when the caller asked for it (not mandatory: RabbitMQ would
    /// also return a mandatory direct reply-to message). True when confirmed or not asked for.
    @discardableResult
    private func publishResult(for message: TaskMessage, _ result: TaskResultMessage, logger: Logger) async -> Bool {
        guard let replyTo = message.replyTo, !replyTo.isEmpty, !message.ignoreResult else { return true }
        let outcome = await publisher.publish(result.wire(replyTo: replyTo).amqpMessage(mandatory: false))
        guard outcome.isConfirmed else {
            logger.warning("the result was not confirmed", metadata: ["outcome": "\(outcome)", "state": "\(result.state)"])
            return false
        }
        return true
    }

    /// Sends the delivery to the dead-letter queue with the reason, then acknowledges it (requeues it when the broker
    /// did not confirm the dead letter).
    private func deadLetter(
        _ delivery: AMQPDelivery,
        reason: String,
        error: String,
        queue: String,
        channel: AMQPChannel,
        logger: Logger
    ) async {
        var properties = delivery.properties
        var headers = properties.headers
        headers[TaskDeadLetter.reasonHeader] = .string(reason)
        headers[TaskDeadLetter.errorHeader] = .string(String(error.prefix(1000)))
        headers[TaskDeadLetter.queueHeader] = .string(queue)
        headers[TaskDeadLetter.routingKeyHeader] = .string(delivery.routingKey)
        headers[TaskDeadLetter.failedAtHeader] = .string(CeleryTime.format(Date()))
        if let expiration = properties.expiration { headers[TaskDeadLetter.expirationHeader] = .string(expiration) }
        properties.headers = headers
        properties.expiration = nil
        properties.deliveryMode = .persistent
        let message = AMQPMessage(exchange: "", routingKey: deadLetterQueue, body: delivery.body, properties: properties, mandatory: true)
        let outcome = await publisher.publish(message)
        if outcome.isConfirmed {
            logger.error("dead-lettered", metadata: ["reason": "\(reason)", "error": "\(LogText.escaped(String(error.prefix(300))))"])
        } else {
            logger.warning("the dead letter was not confirmed: requeueing", metadata: ["reason": "\(reason)", "outcome": "\(outcome)"])
        }
        settle(delivery, on: channel, done: outcome.isConfirmed, logger: logger)
    }

    /// Acknowledges a delivery whose work is done, requeues one whose result or dead letter is not safe.
    private func settle(_ delivery: AMQPDelivery, on channel: AMQPChannel, done: Bool, logger: Logger) {
        do {
            if done { try channel.ack(delivery) } else { try channel.nack(delivery, requeue: true) }
        } catch  where error.code == .staleDelivery || error.code == .channelClosed {
            logger.info("the channel closed before the acknowledgement: the broker delivers the task again")
        } catch {
            logger.warning("acknowledging failed: the broker delivers the task again", metadata: ["error": "\(error)"])
        }
    }
}

/// A counting semaphore for the handlers of one queue: ``acquire()`` suspends while every slot is taken.
final class Slots: Sendable {
    private struct State {
        var free: Int
        var waiting: Deque<CheckedContinuation<Void, Never>> = []
    }

    private let state: Mutex<State>

    init(_ count: Int) { state = Mutex(State(free: count)) }

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state -> Bool in
                guard state.free > 0 else {
                    state.waiting.append(continuation)
                    return false
                }
                state.free -= 1
                return true
            }
            if granted { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let next = state.waiting.popFirst() { return next }
            state.free += 1
            return nil
        }
        next?.resume()
    }
}
