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
/// queue of that name), every task queue (``TaskQueue``: quorum by default, dead-lettering to that exchange), and
/// the delay ladder (``delays``, Celery's by default) with each task queue bound to it; then it consumes each queue on
/// a channel of its own with the queue's concurrency as prefetch, and runs each delivery's handler as a child task.
///
/// **Delays on the broker.** Countdown, ETA and retry waits go through the ladder of TTL queues: a task whose `eta`
/// is a second or more ahead when it arrives (sent by a producer that does not use the ladder) goes back into the
/// ladder, and is acknowledged once the broker confirmed it. No delayed task waits unacknowledged in the worker, so
/// RabbitMQ's consumer timeout never closes a channel over one; if a task runs longer than that timeout, the worker
/// consumes again instead of exiting (see ``consumerTimeout``).
///
/// **Retries and time limits** per task: ``TaskHandlerOptions``.
///
/// **Once-only effects.** With an ``idempotency`` store, a task whose key (``TaskOptions/idempotencyKey``, or its id)
/// is recorded there as done is not run again: the caller gets the recorded result. A run that succeeds is recorded
/// before its result and acknowledgement (see ``TaskIdempotencyStore`` for the window that remains).
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
/// error's type and message, no traceback) and is retried or dead-lettered (``TaskDeadLetter/failed``,
/// ``TaskDeadLetter/retriesExhausted``, ``TaskDeadLetter/timeLimit``). A dead letter, retry or result the broker did not
/// confirm requeues the delivery instead.
///
/// On graceful shutdown it cancels its consumers, lets the running handlers finish (and acknowledges them), and
/// returns. If the connection closes under it, the running handlers finish but cannot acknowledge: the broker
/// delivers their messages again.
public struct TaskWorker: Service {
    /// The dead-letter exchange and queue (one name for both).
    public let deadLetterQueue: String
    /// The queues consumed, in the order added.
    public private(set) var queues: [TaskQueue] = []
    /// The delay ladder for countdowns, ETAs and retry waits.
    public let delays: DelayedDeliveryPlan
    /// Where the tasks that succeeded are remembered by idempotency key; `nil`: nowhere (at least once only).
    public let idempotency: (any TaskIdempotencyStore)?
    /// The stream of revocations it reads (``TaskClient/revoke(_:for:)``); `nil`: none.
    public let revocations: TaskRevocations?
    /// Counts and runtimes per task name (``TaskMetrics``).
    public let metrics: TaskMetrics
    /// The broker's consumer timeout (RabbitMQ's `consumer_timeout`, 30 minutes by default, one value for the whole
    /// broker on 3.10): a delivery unacknowledged for longer makes the broker close the channel and deliver it again.
    /// A task registered with a time limit at or above it is reported in ``warnings``.
    public let consumerTimeout: Duration
    /// What registration found suspect but can run: a time limit at or above ``consumerTimeout`` (the task would be
    /// delivered again while it runs). Each is also logged as a warning.
    public private(set) var warnings: [TaskWorkerError] = []
    private let connection: AMQPConnection
    private let logger: Logger
    private var tasks: [String: RegisteredTask] = [:]
    private var registrationErrors: [TaskWorkerError] = []

    /// A worker on `connection` (which must run, in the same `ServiceGroup` before the worker, or around it).
    ///
    /// - Parameters:
    ///   - deadLetterQueue: the dead-letter exchange and queue.
    ///   - delays: the delay ladder (Celery's, shared with Celery 5.7 producers and workers, by default).
    ///   - consumerTimeout: the broker's `consumer_timeout`, to check time limits against.
    ///   - idempotency: where succeeded runs are recorded (e.g. ``FileIdempotencyStore`` in the worker's state
    ///     directory), so that a task delivered again is not run again.
    ///   - revocations: the revocations to honour (the stream is read from its start before any task runs).
    ///   - metrics: where its counts go (the process's metrics backend by default).
    ///   - logger: the worker's own logging; the program bootstraps the logging system.
    public init(
        connection: AMQPConnection,
        deadLetterQueue: String = "beacon.tasks.dead",
        delays: DelayedDeliveryPlan = .celery,
        consumerTimeout: Duration = .seconds(1800),
        idempotency: (any TaskIdempotencyStore)? = nil,
        revocations: TaskRevocations? = .standard,
        metrics: TaskMetrics = TaskMetrics(),
        logger: Logger
    ) {
        self.connection = connection
        self.deadLetterQueue = deadLetterQueue
        self.delays = delays
        self.idempotency = idempotency
        self.revocations = revocations
        self.metrics = metrics
        self.consumerTimeout = consumerTimeout
        self.logger = logger
    }

    /// Consumes `queue` with its settings (a queue added again replaces the earlier settings).
    public mutating func addQueue(_ queue: TaskQueue) {
        guard AMQPExchange.isValidName(queue.name), (1...Int(UInt16.max)).contains(queue.concurrency),
            (queue.concurrency...Int(UInt16.max)).contains(queue.prefetch)
        else {
            registrationErrors.append(
                TaskWorkerError(
                    .invalidRegistration,
                    "queue '\(queue.name)' (concurrency \(queue.concurrency), prefetch \(queue.prefetch)): a queue name is letters, digits, -_.: the concurrency 1…65535 and the prefetch from the concurrency to 65535"
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
    /// result (a ``TaskFailure`` as is; another error as its type name and description), unless `options` retry it.
    ///
    /// A registration that cannot be served (an invalid task name, a name registered twice) makes ``run()`` throw
    /// ``TaskWorkerError/Code/invalidRegistration``.
    public mutating func register<T: TaskDefinition>(
        _ task: T.Type,
        queue: String,
        options: TaskHandlerOptions = TaskHandlerOptions(),
        handler: @escaping @Sendable (T.Arguments, TaskContext) async throws -> T.Output
    ) {
        do {
            try TaskName.validate(T.name)
        } catch {
            registrationErrors.append(TaskWorkerError(.invalidRegistration, error.message))
            return
        }
        if let rate = options.rateLimit, rate.count < 1 || rate.interval <= .zero {
            registrationErrors.append(
                TaskWorkerError(.invalidRegistration, "task \(T.name): a rate limit of \(rate.count) per \(rate.interval) is not a positive rate")
            )
            return
        }
        guard tasks[T.name] == nil else {
            registrationErrors.append(TaskWorkerError(.invalidRegistration, "task \(T.name) is registered twice"))
            return
        }
        if !queues.contains(where: { $0.name == queue }) { addQueue(TaskQueue(queue)) }
        for (label, limit) in [("hard", options.timeLimits.hard), ("soft", options.timeLimits.soft)] {
            guard let limit, limit >= consumerTimeout else { continue }
            let warning = TaskWorkerError(
                .timeLimitBeyondConsumerTimeout,
                "task \(T.name): its \(label) time limit \(limit) is not under the broker's consumer timeout \(consumerTimeout): a run that long is delivered again while it runs (raise consumer_timeout in rabbitmq.conf, or shorten the limit)"
            )
            logger.warning("\(warning.message)")
            warnings.append(warning)
            break
        }
        let retryWhen = options.retryWhen
        tasks[T.name] = RegisteredTask(options: options) { message, context in
            let arguments: T.Arguments
            do throws(TaskDecodingError) {
                arguments = try message.arguments(for: T.self)
            } catch {
                return .refused(error)
            }
            let output: T.Output
            do {
                output = try await handler(arguments, context)
            } catch let request as TaskRetry {
                return .retryRequested(request)
            } catch let failure as TaskFailure {
                return .failed(failure, retryable: retryWhen(failure))
            } catch {
                return .failed(
                    TaskFailure(describing: error),
                    retryable: retryWhen(error)
                )
            }
            do throws(TaskEncodingError) {
                return .succeeded(try TaskResultMessage.success(T.self, taskID: message.id, output: output))
            } catch {
                return .failed(TaskFailure(type: "TaskEncodingError", message: error.description), retryable: false)
            }
        }
    }

    /// The task names registered.
    public var registeredTasks: [String] { tasks.keys.sorted() }

    /// What the worker declares: the dead-letter exchange (fanout) and queue (quorum), bound; every task queue; the
    /// delay ladder (quorum), and each task queue bound to its delivery exchange.
    public var topology: AMQPTopology {
        var topology = delays.topology(queueType: .quorum)
        topology.exchanges.append(AMQPExchange(deadLetterQueue, kind: .fanout))
        topology.queues += [AMQPQueue(deadLetterQueue, type: .quorum)] + queues.map { $0.declaration(deadLetterExchange: deadLetterQueue) }
        topology.bindings.append(.queue(deadLetterQueue, exchange: deadLetterQueue, routingKey: ""))
        topology.bindings += queues.map { delays.deliveryBinding(queue: $0.name) }
        if let revocations { topology.queues.append(revocations.declaration) }
        return topology
    }

    /// Declares the topology and consumes every queue until graceful shutdown (then finishes and acknowledges what
    /// runs) or until the connection closes. Throws ``TaskWorkerError`` for registrations that cannot be served, and
    /// ``AMQPError`` when the broker refuses the topology (a queue declared before with other arguments: `406
    /// PRECONDITION_FAILED`) or cancels a consumer.
    public func run() async throws {
        if let error = registrationErrors.first { throw error }
        guard !tasks.isEmpty else { throw TaskWorkerError(.nothingRegistered, "no task is registered: nothing to consume") }
        try await connection.declare(topology)
        let publisher = try await connection.openChannel()
        let revoked = revocations.map { _ in RevokedTasks() }
        let runner = TaskRunner(
            tasks: tasks,
            deadLetterQueue: deadLetterQueue,
            delays: delays,
            idempotency: idempotency,
            revoked: revoked,
            metrics: metrics,
            publisher: publisher,
            logger: logger
        )
        logger.info(
            "task worker starting",
            metadata: ["queues": "\(queues.map(\.name).joined(separator: ","))", "tasks": "\(registeredTasks.joined(separator: ","))"]
        )
        do {
            try await withThrowingDiscardingTaskGroup { group in
                if let revocations, let revoked {
                    try await follow(revocations, into: revoked, publisher: publisher, group: &group)
                }
                for queue in queues {
                    group.addTask { [connection] in try await runner.consume(queue, on: connection) }
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

extension TaskWorker {
    /// Reads the revocation stream from its start in a child task until graceful shutdown, and returns once it has
    /// read what was there before (its own marker record came back), or after 10 s (logged).
    private func follow(
        _ revocations: TaskRevocations,
        into revoked: RevokedTasks,
        publisher: AMQPChannel,
        group: inout ThrowingDiscardingTaskGroup<any Error>
    ) async throws {
        let consumer = try await connection.consume(
            queue: revocations.stream,
            prefetch: 1000,
            maximumBatchSize: 1000,
            arguments: ["x-stream-offset": "first"]
        )
        let marker = UUID().uuidString
        group.addTask { [logger] in
            try await withGracefulShutdownHandler {
                try await revoked.follow(consumer, marker: marker, logger: logger)
            } onGracefulShutdown: {
                Task { try? await consumer.cancel() }
            }
            await consumer.channel.close()
        }
        guard await publisher.publish(revocations.marker(marker)).isConfirmed else {
            logger.warning("the revocation stream took no marker: tasks may run before earlier revocations are read")
            return
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while !revoked.isCaughtUp {
            guard ContinuousClock.now < deadline else {
                logger.warning("the revocation stream was not read to its end within 10 s: starting anyway")
                return
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
