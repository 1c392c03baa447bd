public import BeaconAMQP

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// One task message of Celery's protocol v2 (JSON only), as Beacon sends and receives it.
///
/// Build one for a typed task with ``init(_:arguments:options:now:)``, or by name with
/// ``init(name:args:kwargs:embed:options:now:)``; read one with ``init(delivery:)``. ``wire(routingKey:exchange:now:)``
/// gives the properties and body to publish. `docs/TaskProtocol.md` is the contract.
public struct TaskMessage: Sendable, Hashable {
    /// The task name (`task` header).
    public var name: String
    /// The task id (`id` header, `correlation_id` property).
    public var id: String
    /// The first task of the workflow (`root_id`); ``id`` when the task has no parent.
    public var rootID: String
    /// The task that enqueued this one (`parent_id`); for a retry, the id of the run that failed.
    public var parentID: String?
    /// The group this task is a member of (`group`).
    public var group: String?
    /// The task's position in its group (`group_index`).
    public var groupIndex: Int?
    /// Retries done so far (`retries`): 0 on the first run.
    public var retries: Int
    /// Run no earlier than this (`eta`).
    public var eta: Date?
    /// Do not run after this (`expires`).
    public var expires: Date?
    /// Soft and hard limits (`timelimit`, `[hard, soft]` on the wire).
    public var timeLimits: TaskTimeLimits
    /// The name to log the task under (`shadow`).
    public var shadow: String?
    /// Whether to publish no result (`ignore_result`).
    public var ignoreResult: Bool
    /// Who sent it (`origin`); not sent when `nil`.
    public var origin: String?
    /// How many times the task was replaced (`replaced_task_nesting`).
    public var replacedTaskNesting: Int
    /// Canvas stamping (`stamped_headers`), kept as received.
    public var stampedHeaders: AMQPFieldValue
    /// Canvas stamping (`stamps`), kept as received.
    public var stamps: AMQPTable
    /// `beacon-request-id`.
    public var requestID: String?
    /// `beacon-idempotency-key`.
    public var idempotencyKey: String?
    /// Every other header, in wire order (e.g. a Python caller's `x-request-id`); sent after the others.
    public var otherHeaders: AMQPTable

    /// Positional arguments.
    public var args: [JSONValue]
    /// Keyword arguments.
    public var kwargs: JSONObject
    /// The canvas that follows the task.
    public var embed: TaskEmbed

    /// Where result messages go (`reply_to` property).
    public var replyTo: String?
    /// The AMQP priority (`priority` property).
    public var priority: UInt8
    /// The queue to publish to (``TaskOptions/queue``); not part of the message on the wire, so `nil` for a
    /// received one.
    public var queue: String?

    /// A message for the task `name` with these arguments, as Celery's `send_task` builds it: `countdown` becomes
    /// `eta` = `now` + countdown, `expires` = `now` + delay when relative.
    ///
    /// Throws ``TaskEncodingError`` with ``TaskEncodingError/Code/invalidTaskName`` or
    /// ``TaskEncodingError/Code/invalidOptions`` (a negative countdown, expiry delay, retry count or time limit).
    public init(
        name: String,
        args: [JSONValue] = [],
        kwargs: JSONObject = [:],
        embed: TaskEmbed = .none,
        options: TaskOptions = TaskOptions(),
        now: Date = Date()
    ) throws(TaskEncodingError) {
        do {
            try TaskName.validate(name)
        } catch {
            throw TaskEncodingError(.invalidTaskName, error.message)
        }
        try Self.check(options, task: name)
        let id = options.taskID ?? UUID().uuidString.lowercased()
        self.name = name
        self.id = id
        self.rootID = options.rootID ?? id
        self.parentID = options.parentID
        self.group = nil
        self.groupIndex = nil
        self.retries = options.retries
        if let countdown = options.countdown, countdown != .zero {
            self.eta = now.addingTimeInterval(countdown.seconds)
        } else {
            self.eta = options.eta
        }
        switch options.expires {
        case .after(let delay): self.expires = now.addingTimeInterval(delay.seconds)
        case .at(let date): self.expires = date
        case nil: self.expires = nil
        }
        self.timeLimits = options.timeLimits
        self.shadow = nil
        self.ignoreResult = options.ignoreResult
        self.origin = options.origin
        self.replacedTaskNesting = 0
        self.stampedHeaders = .void
        self.stamps = [:]
        self.requestID = options.requestID
        self.idempotencyKey = options.idempotencyKey
        self.otherHeaders = [:]
        self.args = args
        self.kwargs = kwargs
        self.embed = embed
        self.replyTo = options.replyTo
        self.priority = options.priority
        self.queue = options.queue
    }

    /// A message for `task` with these arguments and `options` (the task's ``TaskDefinition/defaultOptions`` when
    /// `nil`). `Arguments` go to `kwargs` or `args` as ``TaskDefinition`` describes.
    ///
    /// Throws ``TaskEncodingError`` (``TaskEncodingError/Code/invalidArguments`` when they do not encode to a JSON
    /// object or array).
    public init<Task: TaskDefinition>(
        _ task: Task.Type,
        arguments: Task.Arguments,
        options: TaskOptions? = nil,
        now: Date = Date()
    ) throws(TaskEncodingError) {
        let options = options ?? Task.defaultOptions
        switch try TaskCoding.arguments(arguments, of: Task.self) {
        case .object(let kwargs): try self.init(name: Task.name, kwargs: kwargs, options: options, now: now)
        case .array(let args): try self.init(name: Task.name, args: args, options: options, now: now)
        default: preconditionFailure("TaskCoding.arguments gives an object or an array")
        }
    }

    /// The message to publish when this run failed and the task is to run again after `delay`, as Celery's
    /// `Task.retry` builds it: the same id, name, arguments and canvas; ``retries`` plus one; ``parentID`` this
    /// run's id; ``eta`` = `now` + `delay` (none when `delay` is zero).
    public func retried(after delay: Duration, now: Date = Date()) -> TaskMessage {
        var next = self
        next.retries += 1
        next.parentID = id
        next.eta = delay == .zero ? nil : now.addingTimeInterval(delay.seconds)
        return next
    }

    private static func check(_ options: TaskOptions, task: String) throws(TaskEncodingError) {
        func refuse(_ text: String) -> TaskEncodingError { TaskEncodingError(.invalidOptions, "task \(task): \(text)") }
        if let countdown = options.countdown, countdown < .zero { throw refuse("countdown \(countdown) is negative") }
        if case .after(let delay) = options.expires, delay < .zero { throw refuse("expires after \(delay): negative") }
        if options.retries < 0 { throw refuse("retries \(options.retries) is negative") }
        for (label, limit) in [("soft", options.timeLimits.soft), ("hard", options.timeLimits.hard)] {
            if let limit, limit <= .zero { throw refuse("\(label) time limit \(limit) is not positive") }
        }
        if let key = options.idempotencyKey, key.isEmpty { throw refuse("the idempotency key is empty") }
    }
}
