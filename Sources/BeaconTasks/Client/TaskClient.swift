public import BeaconAMQP
import BeaconEvents
import BeaconFileSystem
public import Logging
import ServiceLifecycle
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Enqueues tasks (Celery protocol v2, so that Beacon and Python Celery workers both run them) and reads their
/// results through RabbitMQ's direct reply-to.
///
/// ```swift
/// let client = try await TaskClient(connection: connection, logger: logger)
/// let handle = try await client.enqueue(SendReceipt.self, .init(orderID: 42, email: "ada@example.com"),
///                                       options: TaskOptions(queue: "shop"))
/// let output = try await handle.result(timeout: .seconds(30))   // TaskFailure when the task failed
/// ```
///
/// The client has one channel of its own: it publishes there (mandatory, with publisher confirms) and consumes the
/// results there (`amq.rabbitmq.reply-to`, no-ack, as RabbitMQ requires: on the channel that publishes the
/// requests). No reply queue is declared and nothing is left on the broker. A result comes to the client that
/// enqueued the task, once, while its channel is open: when the connection is lost, the handles of tasks the broker
/// had confirmed end at once with ``TaskClientError/Code/closed`` (their replies went to the old channel; the tasks
/// still run), while unconfirmed and spooled ones are published again and wait for their results.
///
/// A task with a countdown or an ETA a second or more ahead goes through the broker's delay ladder (``delays``):
/// the first such enqueue to a queue declares the ladder and binds the queue to it. Nothing waits in a worker.
public final class TaskClient: TaskEnqueuer {
    /// RabbitMQ's direct reply-to pseudo-queue: the `reply_to` of a task whose caller awaits its result.
    public static let directReplyTo = "amq.rabbitmq.reply-to"

    /// The channel the client publishes and reads results on.
    public let channel: AMQPChannel
    /// The delay ladder for countdowns and ETAs; a worker consuming the queue must use the same.
    public let delays: DelayedDeliveryPlan
    /// Where ``revoke(_:for:)`` records revocations.
    public let revocations: TaskRevocations
    /// Where tasks the broker could not take wait (``runSpool()`` publishes them); without one, such an enqueue throws.
    public let spool: TaskSpool?
    /// Enqueues per task name (``TaskMetrics``).
    public let metrics: TaskMetrics
    /// What this client has declared on the broker: the ladder with a queue's binding (by queue), the revocations.
    private let declared = Mutex<Set<String>>([])
    private let consumer: AMQPConsumer
    private let table: ReplyTable
    private let logger: Logger

    /// Opens the client's channel on `connection` and starts its reply consumer. The connection must be running (or
    /// start running: requests wait for it).
    ///
    /// - Parameters:
    ///   - delays: the delay ladder (Celery's by default, as ``TaskWorker`` uses it).
    ///   - logger: the client's own logging (results nobody waits for, unreadable results); the program bootstraps
    ///     the logging system.
    public init(
        connection: AMQPConnection,
        delays: DelayedDeliveryPlan = .celery,
        revocations: TaskRevocations = .standard,
        spool: TaskSpool? = nil,
        metrics: TaskMetrics = TaskMetrics(),
        logger: Logger
    ) async throws(AMQPError) {
        let channel = try await connection.openChannel()
        let consumer: AMQPConsumer
        do {
            consumer = try await channel.consume(queue: Self.directReplyTo, noAck: true)
        } catch {
            await channel.close()
            throw error
        }
        let table = ReplyTable()
        self.channel = channel
        self.delays = delays
        self.revocations = revocations
        self.spool = spool
        self.metrics = metrics
        self.consumer = consumer
        self.table = table
        self.logger = logger
        // Ends when the consumer does (``close()``, or the channel closing).
        Task { await table.run(consumer, logger: logger) }
        // Ends when the connection is closed for good.
        Task { [table] in
            for await status in connection.statusUpdates() {
                guard case .disconnected = status else { continue }
                table.failConfirmed(
                    TaskClientError(
                        .closed,
                        "the connection to the broker was lost after the task was enqueued: its result cannot come (the task still runs)"
                    )
                )
            }
        }
    }

    /// Enqueues `task` with `arguments`, and returns once the broker has confirmed the message (it is in its queue).
    ///
    /// `options` are the task's ``TaskDefinition/defaultOptions`` when `nil`; their ``TaskOptions/queue`` is the
    /// queue (`celery` when none). The result is asked for (`reply_to` is direct reply-to) unless
    /// ``TaskOptions/ignoreResult`` is set or ``TaskOptions/replyTo`` names a queue of the caller's own.
    ///
    /// Throws ``TaskEncodingError`` when the message cannot be built (a delay longer than the ladder's is
    /// ``TaskEncodingError/Code/invalidOptions``), and ``TaskClientError`` when the broker did not take it:
    /// ``TaskClientError/Code/unroutable`` (no such queue), ``TaskClientError/Code/nacked``,
    /// ``TaskClientError/Code/unconfirmed``.
    public func enqueue<T: TaskDefinition>(
        _ task: T.Type,
        _ arguments: T.Arguments,
        options: TaskOptions? = nil
    ) async throws -> TaskHandle<T> {
        var options = options ?? T.defaultOptions
        let wantsResult = Self.asksForResult(&options)
        let message = try TaskMessage(task, arguments: arguments, options: options)
        return try await publish(message, wantsResult: wantsResult)
    }

    /// Enqueues the task `name` (a Python task, say) with positional and keyword arguments, as Celery's `send_task`
    /// does; see ``enqueue(_:_:options:)``. The handle's result is the task's `result` as JSON.
    public func enqueue(
        name: String,
        args: [JSONValue] = [],
        kwargs: JSONObject = [:],
        options: TaskOptions = TaskOptions()
    ) async throws -> TaskHandle<NamedTask> {
        var options = options
        let wantsResult = Self.asksForResult(&options)
        let message = try TaskMessage(name: name, args: args, kwargs: kwargs, options: options)
        return try await publish(message, wantsResult: wantsResult)
    }

    /// How many intermediate result messages (RETRY, PROGRESS…) the client has read and skipped.
    var intermediateStatesSkipped: Int { table.skipped.load(ordering: .relaxed) }

    /// Stops the reply consumer and closes the client's channel; handles still waiting end with
    /// ``TaskClientError/Code/closed``.
    public func close() async {
        try? await consumer.cancel()
        await channel.close()
        table.closeAll(TaskClientError(.closed, "the task client was closed"))
    }

    /// Sets direct reply-to as `reply_to` when the caller will await the result; whether it will.
    private static func asksForResult(_ options: inout TaskOptions) -> Bool {
        guard !options.ignoreResult, options.replyTo == nil else { return false }
        options.replyTo = directReplyTo
        return true
    }

    private func publish<T: TaskDefinition>(_ message: TaskMessage, wantsResult: Bool) async throws -> TaskHandle<T> {
        let plain = message.wire()
        let task = "task \(message.name) \(message.id) to queue '\(plain.routingKey)'"
        // Checked before anything is spooled: a delay the ladder cannot take is refused at enqueue.
        let delayed: TaskWireMessage?
        do {
            delayed = try delayedForm(of: plain, eta: message.eta)
        } catch {
            throw TaskEncodingError(.invalidOptions, "\(task): \(error.message)")
        }
        // Registered before the publish: a fast worker's result can come before the confirm.
        let slot = wantsResult ? table.register(message.id) : nil
        if let spool, !isConnected {
            try spool.write(SpooledTask(taskID: message.id, wire: plain, eta: message.eta))
            logger.notice("the broker is away: task spooled", metadata: ["task": "\(message.name)", "task_id": "\(message.id)"])
            metrics.enqueued(message.name, spooled: true)
            return TaskHandle(id: message.id, slot: slot, acceptance: .spooled)
        }
        if delayed != nil { try await bindToDelays(plain.routingKey, task: task) }
        switch await channel.publish((delayed ?? plain).amqpMessage(mandatory: true)) {
        case .confirmed:
            if slot != nil { table.confirmed(message.id) }
            logger.debug("enqueued", metadata: ["task": "\(message.name)", "task_id": "\(message.id)", "queue": "\(plain.routingKey)"])
            metrics.enqueued(message.name, spooled: false)
            return TaskHandle(id: message.id, slot: slot)
        case .returned(let error):
            throw TaskClientError(.unroutable, "\(task): no queue took it (\(error.description)); is the queue declared?")
        case .nacked:
            throw TaskClientError(.nacked, "\(task): the broker refused it (a full queue that rejects publishes?)")
        case .failed(let error):
            guard let spool else {
                throw TaskClientError(.unconfirmed, "\(task): not confirmed, the broker may or may not have it: \(error.description)")
            }
            try spool.write(SpooledTask(taskID: message.id, wire: plain, eta: message.eta))
            logger.notice("not confirmed: task spooled", metadata: ["task_id": "\(message.id)", "error": "\(error)"])
            metrics.enqueued(message.name, spooled: true)
            return TaskHandle(id: message.id, slot: slot, acceptance: .spooled)
        }
    }

    /// `wire` routed through the ladder for what is left until `eta`; `nil` when less than a second is left.
    private func delayedForm(of wire: TaskWireMessage, eta: Date?) throws(DelayedDeliveryError) -> TaskWireMessage? {
        guard let eta, eta.timeIntervalSinceNow >= 1 else { return nil }
        return try wire.delayed(by: .seconds(eta.timeIntervalSinceNow), through: delays)
    }

    private var isConnected: Bool {
        if case .connected = channel.connection.status { return true }
        return false
    }

    /// Publishes what the spool holds, oldest first, whenever the connection is up, and deletes each task once the
    /// broker confirmed it; also what an earlier process left there. Returns on graceful shutdown or cancellation,
    /// at once without a spool. Run it beside the client for as long as the client lives (the bundled web does, in
    /// its task client's service). A delayed task goes through the ladder for what is left of its delay; a task no
    /// queue takes is moved aside (`.unroutable`, logged), never dropped.
    public func runSpool() async {
        guard let spool else { return }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if isConnected { await publishSpooled(spool) }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    private func publishSpooled(_ spool: TaskSpool) async {
        guard let names = try? spool.files(), !names.isEmpty else { return }
        var published = 0
        for name in names {
            guard isConnected else { break }
            guard let task = spool.read(name) else {
                logger.error("a spooled task that does not read was moved aside", metadata: ["file": "\(name).unreadable"])
                continue
            }
            // What is left of its delay; past its eta it goes straight to its queue.
            let delayed = try? delayedForm(of: task.wire, eta: task.eta)
            if delayed != nil {
                guard (try? await bindToDelays(task.wire.routingKey, task: "spooled task \(task.taskID)")) != nil else { break }
            }
            switch await channel.publish((delayed ?? task.wire).amqpMessage(mandatory: true)) {
            case .confirmed:
                try? spool.remove(name)
                table.confirmed(task.taskID)
                published += 1
            case .returned(let error):
                logger.error("a spooled task no queue takes was moved aside", metadata: ["task_id": "\(task.taskID)", "error": "\(error)"])
                try? FileSystem.rename("\(spool.directory)/\(name)", to: "\(spool.directory)/\(name).unroutable")
            case .nacked, .failed:
                logger.warning("a spooled task was not confirmed: trying again later", metadata: ["task_id": "\(task.taskID)"])
                return
            }
        }
        if published > 0 { logger.notice("spooled tasks published", metadata: ["count": "\(published)"]) }
    }

    /// Declares the delay ladder and binds `queue` to its delivery exchange, once per queue.
    private func bindToDelays(_ queue: String, task: String) async throws(TaskClientError) {
        try await declareOnce("delays:\(queue)", what: task) { tools throws(AMQPError) in
            try await tools.declare(delays.topology())
            try await tools.bind(delays.deliveryBinding(queue: queue))
        }
    }

    /// Revokes the task `id` for `ttl` (one day by default, at most ``TaskRevocations/maximumTTL``): every worker
    /// that receives it from now on, also after a restart, does not run it, and an awaiting caller gets REVOKED. A
    /// task already running is not stopped. Returns once the broker confirmed the record (``TaskRevocations``).
    public func revoke(_ id: String, for ttl: Duration = .seconds(86_400)) async throws(TaskClientError) {
        let what = "revoking task \(id)"
        try await declareOnce("revocations", what: what) { tools throws(AMQPError) in
            _ = try await tools.declare(revocations.declaration)
        }
        let until = Date().addingTimeInterval(min(ttl, revocations.maximumTTL).seconds)
        switch await channel.publish(revocations.record(id, until: until)) {
        case .confirmed:
            logger.info("task revoked", metadata: ["task_id": "\(id)", "until": "\(CeleryTime.format(until))"])
        case .returned(let error):
            throw TaskClientError(.unroutable, "\(what): the stream \(revocations.stream) did not take it (\(error.description))")
        case .nacked:
            throw TaskClientError(.nacked, "\(what): the broker refused the record")
        case .failed(let error):
            throw TaskClientError(.unconfirmed, "\(what): not confirmed, the broker may or may not have it: \(error.description)")
        }
    }

    /// Runs `declare` once per `key` for this client, on a channel of its own (a failed declaration or bind closes
    /// its channel, which must not be the one results come on).
    private func declareOnce(
        _ key: String,
        what: String,
        _ declare: (AMQPChannel) async throws(AMQPError) -> Void
    ) async throws(TaskClientError) {
        guard !declared.withLock({ $0.contains(key) }) else { return }
        let failure: AMQPError?
        do {
            let tools = try await channel.connection.openChannel()
            do {
                try await declare(tools)
                failure = nil
            } catch {
                failure = error
            }
            await tools.close()
        } catch {
            failure = error
        }
        if let failure {
            guard failure.code != .notFound else {
                throw TaskClientError(.unroutable, "\(what): no queue takes it (\(failure.description)); is the queue declared?")
            }
            throw TaskClientError(.unconfirmed, "\(what): the broker refused the declaration: \(failure.description)")
        }
        declared.withLock { _ = $0.insert(key) }
    }
}

/// A task enqueued by name (``TaskClient/enqueue(name:args:kwargs:options:)``): its arguments and output are JSON.
public enum NamedTask: TaskDefinition {
    /// Not a task's name: a handle of this type stands for whatever task was enqueued by name.
    public static let name = "(by name)"
    public typealias Arguments = JSONValue
    public typealias Output = JSONValue
}

/// The result slots of the tasks whose callers may await them, by task id; filled by the reply consumer.
final class ReplyTable: Sendable {
    /// A slot held weakly: a handle dropped before its result came takes its entry with it.
    private final class Entry {
        weak var slot: ResultSlot?
        /// The broker confirmed the task on this channel: its reply goes to this channel's direct reply-to, and is
        /// lost if the connection is (an unconfirmed or spooled task is published again, and replied to anew).
        var confirmed = false
        /// The slot's identity, compared without loading the weak reference (a load inside the lock could release
        /// the slot's last reference there, and its deinit takes the lock).
        let identity: ObjectIdentifier
        init(_ slot: ResultSlot) {
            self.slot = slot
            self.identity = ObjectIdentifier(slot)
        }
    }

    private let entries = Mutex<[String: Entry]?>([:])
    /// Intermediate states read and skipped.
    let skipped = Atomic<Int>(0)

    func register(_ taskID: String) -> ResultSlot {
        let slot = ResultSlot(taskID: taskID) { [weak self] id, identity in self?.forget(id, identity) }
        let closed = entries.withLock { entries -> Bool in
            guard entries != nil else { return true }
            entries?[taskID] = Entry(slot)
            return false
        }
        if closed { slot.settle(.failure(TaskClientError(.closed, "the task client's reply consumer has ended"))) }
        return slot
    }

    /// Drops the entry of a slot that went away (a new slot for the same id keeps its entry).
    private func forget(_ taskID: String, _ identity: ObjectIdentifier) {
        entries.withLock { entries in
            if let entry = entries?[taskID], entry.identity == identity { entries?[taskID] = nil }
        }
    }

    private func take(_ taskID: String) -> ResultSlot? {
        entries.withLock { entries in entries?.removeValue(forKey: taskID)?.slot }
    }

    /// Notes that the broker confirmed the task `taskID`.
    func confirmed(_ taskID: String) {
        entries.withLock { $0?[taskID]?.confirmed = true }
    }

    /// Settles, with `error`, the slots of the tasks confirmed before the connection was lost: their replies went to
    /// the old channel. The others keep waiting.
    func failConfirmed(_ error: TaskClientError) {
        let slots = entries.withLock { entries -> [ResultSlot] in
            guard let current = entries else { return [] }
            let lost = current.filter { $0.value.confirmed }
            for id in lost.keys { entries?[id] = nil }
            return lost.values.compactMap(\.slot)
        }
        for slot in slots { slot.settle(.failure(error)) }
    }

    /// Settles every waiting slot with `error`; later registrations are settled at once.
    func closeAll(_ error: TaskClientError) {
        let slots = entries.withLock { entries -> [ResultSlot] in
            defer { entries = nil }
            return (entries ?? [:]).values.compactMap(\.slot)
        }
        for slot in slots { slot.settle(.failure(error)) }
    }

    /// Reads the replies until the consumer ends, then settles what still waits.
    func run(_ consumer: AMQPConsumer, logger: Logger) async {
        do {
            for try await batch in consumer {
                for delivery in batch { receive(delivery, logger: logger) }
            }
            closeAll(TaskClientError(.closed, "the task client's channel closed before the result came"))
        } catch {
            logger.warning("the result consumer ended", metadata: ["error": "\(error)"])
            closeAll(TaskClientError(.closed, "the task client's result consumer ended: \(error.description)"))
        }
    }

    private func receive(_ delivery: AMQPDelivery, logger: Logger) {
        let result: TaskResultMessage
        do {
            result = try TaskResultMessage(delivery: delivery)
        } catch {
            logger.warning(
                "unreadable result message",
                metadata: ["correlation_id": "\(delivery.properties.correlationID ?? "-")", "error": "\(error)"]
            )
            if let id = delivery.properties.correlationID, let slot = take(id) {
                slot.settle(.failure(TaskClientError(.invalidResult, "task \(id): \(error.description)")))
            }
            return
        }
        guard result.state.isFinal else {
            skipped.add(1, ordering: .relaxed)
            logger.trace("intermediate state skipped", metadata: ["task_id": "\(result.taskID)", "state": "\(result.state)"])
            return
        }
        guard let slot = take(result.taskID) else {
            logger.debug("a result nobody waits for", metadata: ["task_id": "\(result.taskID)", "state": "\(result.state)"])
            return
        }
        slot.settle(.success(result))
    }
}
