/// The header names of a task message: Celery's protocol v2 and Beacon's own.
///
/// Beacon's own headers are namespaced `beacon-…`, so that they never collide with Celery's; a Celery worker ignores
/// headers it does not know.
public enum TaskHeader {
    /// Always `py` (Celery's own value; its worker does not read it).
    public static let lang = "lang"
    /// The task name.
    public static let task = "task"
    /// The task id (also the `correlation_id` property).
    public static let id = "id"
    /// The first task of the workflow; the task's own id when it has no parent.
    public static let rootID = "root_id"
    /// The task that enqueued this one, or void.
    public static let parentID = "parent_id"
    /// The group id, or void.
    public static let group = "group"
    /// The position in the group, or void.
    public static let groupIndex = "group_index"
    /// Retries done so far.
    public static let retries = "retries"
    /// Earliest run time (ISO 8601), or void.
    public static let eta = "eta"
    /// Expiry time (ISO 8601), or void.
    public static let expires = "expires"
    /// `[hard, soft]` in seconds, each void when not set.
    public static let timeLimit = "timelimit"
    /// The name to log the task under, or void.
    public static let shadow = "shadow"
    /// Whether the worker should publish no result.
    public static let ignoreResult = "ignore_result"
    /// Who sent the message.
    public static let origin = "origin"
    /// How many times the task was replaced (`Task.replace`).
    public static let replacedTaskNesting = "replaced_task_nesting"
    /// The names of the stamp headers (canvas stamping), or void.
    public static let stampedHeaders = "stamped_headers"
    /// The stamps (canvas stamping).
    public static let stamps = "stamps"
    /// A repr of the positional arguments. Celery writes it; Beacon never does (arguments would show in the RabbitMQ
    /// UI and in Flower) and drops it on decode.
    public static let argsRepr = "argsrepr"
    /// A repr of the keyword arguments; as ``argsRepr``.
    public static let kwargsRepr = "kwargsrepr"
    /// Set when the body is compressed; Beacon refuses such messages.
    public static let compression = "compression"
    /// Beacon: the request that enqueued the task.
    public static let requestID = "beacon-request-id"
    /// Beacon: the key that makes a repeated run of the same work harmless.
    public static let idempotencyKey = "beacon-idempotency-key"

    /// The headers ``TaskMessage`` reads into its own fields (everything else goes to ``TaskMessage/otherHeaders``).
    static let known: Set<String> = [
        lang, task, id, rootID, parentID, group, groupIndex, retries, eta, expires, timeLimit, shadow, ignoreResult, origin,
        replacedTaskNesting, stampedHeaders, stamps, argsRepr, kwargsRepr, requestID, idempotencyKey, "meth",
    ]
}
