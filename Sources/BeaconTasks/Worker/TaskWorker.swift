public import BeaconAMQP
import BeaconEvents
public import Logging
public import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Runs tasks from RabbitMQ queues with handlers registered in code: a swift-service-lifecycle `Service`.
///
/// ```swift
/// var worker = TaskWorker(connection: connection, logger: logger)
/// worker.addQueue(TaskQueue("shop", concurrency: 4))
/// worker.register(SendReceipt.self, queue: "shop") { arguments, context in
///     try await mailer.sendReceipt(order: arguments.orderID, to: arguments.email)
///     return NoOutput()
/// }
/// let services = ServiceGroup(services: [connection, worker], …)   // the connection first
/// ```
///
/// At start it declares the dead-letter exchange and queue (``deadLetterQueue``, a fanout exchange and a quorum
/// queue of that name) and every task queue (``TaskQueue``: quorum by default, dead-lettering to that exchange),
/// then consumes each queue on a channel of its own with the queue's concurrency as prefetch, and runs each
/// delivery's handler as a child task.
///
/// **At least once.** A delivery is acknowledged only after its handler returned and its result, when the caller asked
/// for one (`reply_to` set, `ignore_result` false), was published and confirmed. A worker stopped or killed mid-task
/// leaves the message to the broker, which delivers it again (``TaskContext/redelivered``): handlers must be
/// idempotent.
///
/// **Nothing lost, nothing discarded.** A message that cannot run (no handler for its name: ``TaskDeadLetter/unknownTask``;
/// a body, header or arguments that do not decode, or a content type other than JSON, which is never deserialised: the
/// ``TaskDecodingError`` code) goes to the dead-letter queue with the reason in its headers (``TaskDeadLetter``), and is
/// acknowledged once the broker confirmed the dead letter. A handler that throws publishes a FAILURE result (the
/// error's type and message, no traceback) and is dead-lettered with ``TaskDeadLetter/failed``. A dead letter or
/// result the broker did not confirm requeues the delivery instead.
///
/// On graceful shutdown it cancels its consumers, lets the running handlers finish (and acknowledges them), and
/// returns. If the connection closes under it, the running handlers finish but cannot acknowledge: the broker
/// delivers their messages again.
public struct TaskWorker: Service {
    /// The dead-letter exchange and queue (one name for both).
    public let deadLetterQueue: String
    /// The queues consumed, in the order added.
    public private(set) var queues: [TaskQueue] = []
    private let connection: AMQPConnection
    private let logger: Logger
    private var handlers: [String: Handler] = [:]
    private var registrationErrors: [TaskWorkerError] = []

    /// A worker on `connection` (which must run, in the same `ServiceGroup` before the worker, or around it).
    ///
    /// - Parameters:
    ///   - deadLetterQueue: the dead-letter exchange and queue.
    ///   - logger: the worker's own logging; the program bootstraps the logging system.
    public init(connection: AMQPConnection, deadLetterQueue: String = "beacon.tasks.dead", logger: Logger) {
        self.connection = connection
        self.deadLetterQueue = deadLetterQueue
        self.logger = logger
    }

    /// Consumes `queue` with its settings (a queue added again replaces the earlier settings).
    public mutating func addQueue(_ queue: TaskQueue) {
        guard AMQPExchange.isValidName(queue.name), (1...Int(UInt16.max)).contains(queue.concurrency) else {
            registrationErrors.append(
                TaskWorkerError(
                    .invalidRegistration,
                    "queue '\(queue.name)' (concurrency \(queue.concurrency)): a queue name is letters, digits, -_.: and the concurrency 1…65535"
                )
            )
            return
        }
        if let index = queues.firstIndex(where: { $0.name == queue.name }) {
            queues[index] = queue
        } else {
            queues.append(queue)
        }
    }

    /// Runs `handler` for every `task` message, and consumes `queue` (with ``TaskQueue``'s defaults unless
    /// ``addQueue(_:)`` gave it settings). The handler's output is the SUCCESS result; what it throws is the FAILURE
    /// result (a ``TaskFailure`` as is; another error as its type name and description).
    ///
    /// A registration that cannot be served (an invalid task name, a name registered twice) makes ``run()`` throw
    /// ``TaskWorkerError/Code/invalidRegistration``.
    public mutating func register<T: TaskDefinition>(
        _ task: T.Type,
        queue: String,
        handler: @escaping @Sendable (T.Arguments, TaskContext) async throws -> T.Output
    ) {
        do {
            try TaskName.validate(T.name)
        } catch {
            registrationErrors.append(TaskWorkerError(.invalidRegistration, error.message))
            return
        }
        guard handlers[T.name] == nil else {
            registrationErrors.append(TaskWorkerError(.invalidRegistration, "task \(T.name) is registered twice"))
            return
        }
        if !queues.contains(where: { $0.name == queue }) { addQueue(TaskQueue(queue)) }
        handlers[T.name] = { message, context in
            let arguments: T.Arguments
            do throws(TaskDecodingError) {
                arguments = try message.arguments(for: T.self)
            } catch {
                return .refused(error)
            }
            let output: T.Output
            do {
                output = try await handler(arguments, context)
            } catch let failure as TaskFailure {
                return .failed(failure)
            } catch {
                return .failed(TaskFailure(type: String(describing: type(of: error)), message: String(describing: error)))
            }
            do throws(TaskEncodingError) {
                return .succeeded(try TaskResultMessage.success(T.self, taskID: message.id, output: output))
            } catch {
                return .failed(TaskFailure(type: "TaskEncodingError", message: error.description))
            }
        }
    }

    /// The task names registered.
    public var registeredTasks: [String] { handlers.keys.sorted() }

    /// What the worker declares: the dead-letter exchange (fanout) and queue (quorum), bound; every task queue.
    public var topology: AMQPTopology {
        AMQPTopology(
            exchanges: [AMQPExchange(deadLetterQueue, kind: .fanout)],
            queues: [AMQPQueue(deadLetterQueue, type: .quorum)] + queues.map { $0.declaration(deadLetterExchange: deadLetterQueue) },
            bindings: [.queue(deadLetterQueue, exchange: deadLetterQueue, routingKey: "")]
        )
    }

    /// Declares the topology and consumes every queue until graceful shutdown (then finishes and acknowledges what
    /// runs) or until the connection closes. Throws ``TaskWorkerError`` for registrations that cannot be served, and
    /// ``AMQPError`` when the broker refuses the topology (a queue declared before with other arguments: `406
    /// PRECONDITION_FAILED`) or cancels a consumer.
    public func run() async throws {
        if let error = registrationErrors.first { throw error }
        guard !handlers.isEmpty else { throw TaskWorkerError(.nothingRegistered, "no task is registered: nothing to consume") }
        try await connection.declare(topology)
        let publisher = try await connection.openChannel()
        let runner = TaskRunner(handlers: handlers, deadLetterQueue: deadLetterQueue, publisher: publisher, logger: logger)
        logger.info(
            "task worker starting",
            metadata: ["queues": "\(queues.map(\.name).joined(separator: ","))", "tasks": "\(registeredTasks.joined(separator: ","))"]
        )
        do {
            try await withThrowingDiscardingTaskGroup { group in
                for queue in queues {
                    let consumer = try await connection.consume(
                        queue: queue.name,
                        prefetch: UInt16(queue.concurrency),
                        maximumBatchSize: queue.concurrency
                    )
                    group.addTask { try await runner.consume(consumer, queue: queue) }
                }
            }
        } catch {
            await publisher.close()
            throw error
        }
        await publisher.close()
        logger.info("task worker stopped")
    }
}

/// What a type-erased handler made of a message.
enum HandlerOutcome: Sendable {
    /// It returned; the SUCCESS result.
    case succeeded(TaskResultMessage)
    /// It threw.
    case failed(TaskFailure)
    /// The arguments do not decode: the task cannot run.
    case refused(TaskDecodingError)
}

typealias Handler = @Sendable (TaskMessage, TaskContext) async -> HandlerOutcome

/// Runs the deliveries of the worker's queues and settles them: result, dead letter, acknowledgement.
struct TaskRunner: Sendable {
    let handlers: [String: Handler]
    let deadLetterQueue: String
    /// Results and dead letters go out here.
    let publisher: AMQPChannel
    let logger: Logger

    /// Runs every delivery of `consumer` as a child task (the prefetch bounds how many) until the consumer ends, then
    /// closes its channel.
    func consume(_ consumer: AMQPConsumer, queue: TaskQueue) async throws {
        var logger = logger
        logger[metadataKey: "queue"] = "\(queue.name)"
        let failure: AMQPError? = await withGracefulShutdownHandler {
            await withDiscardingTaskGroup(returning: AMQPError?.self) { group in
                do throws(AMQPError) {
                    for try await batch in consumer {
                        for delivery in batch {
                            group.addTask { [logger] in await process(delivery, on: consumer.channel, queue: queue.name, logger: logger) }
                        }
                    }
                    return nil
                } catch {
                    return error
                }
            }
        } onGracefulShutdown: { [logger] in
            logger.info("stopping: finishing the tasks that run")
            Task { try? await consumer.cancel() }
        }
        // Deliveries the broker sent after the cancel go back to the queue with the channel.
        await consumer.channel.close()
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
            await deadLetter(delivery, reason: error.code.description, error: error.message, queue: queue, channel: channel, logger: logger)
            return
        }
        logger[metadataKey: "task"] = "\(message.name)"
        logger[metadataKey: "task_id"] = "\(message.id)"
        if let expires = message.expires, expires < Date() {
            // Celery's REVOKED on receipt, but kept: the dead letter says when it expired.
            let text = "the task expired at \(CeleryTime.format(expires)) before it ran"
            await publishResult(for: message, .revoked(taskID: message.id, reason: "expired"), logger: logger)
            await deadLetter(delivery, reason: TaskDeadLetter.expired, error: text, queue: queue, channel: channel, logger: logger)
            return
        }
        guard let handler = handlers[message.name] else {
            let text = "no task \"\(message.name)\" is registered on this worker"
            await publishResult(
                for: message,
                .failure(taskID: message.id, TaskFailure(type: "NotRegistered", message: message.name, module: "celery.exceptions")),
                logger: logger
            )
            await deadLetter(delivery, reason: TaskDeadLetter.unknownTask, error: text, queue: queue, channel: channel, logger: logger)
            return
        }
        let context = TaskContext(message: message, queue: queue, redelivered: delivery.redelivered, logger: logger)
        let started = ContinuousClock.now
        switch await handler(message, context) {
        case .succeeded(let result):
            let published = await publishResult(for: message, result, logger: logger)
            logger.debug("task succeeded", metadata: ["runtime": "\(ContinuousClock.now - started)"])
            settle(delivery, on: channel, done: published, logger: logger)
        case .failed(let failure):
            logger.warning("task failed", metadata: ["error": "\(failure)", "runtime": "\(ContinuousClock.now - started)"])
            await publishResult(for: message, .failure(taskID: message.id, failure), logger: logger)
            await deadLetter(delivery, reason: TaskDeadLetter.failed, error: failure.description, queue: queue, channel: channel, logger: logger)
        case .refused(let error):
            let failure = TaskFailure(type: "TaskDecodingError", message: error.description)
            await publishResult(for: message, .failure(taskID: message.id, failure), logger: logger)
            await deadLetter(delivery, reason: error.code.description, error: error.message, queue: queue, channel: channel, logger: logger)
        }
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
        } catch  where error.code == .staleDelivery {
            logger.info("the connection was lost before the acknowledgement: the broker delivers the task again")
        } catch {
            logger.warning("acknowledging failed: the broker delivers the task again", metadata: ["error": "\(error)"])
        }
    }
}
