/// A kind of task: its stable name on the wire, what it takes and what it returns.
///
/// ```swift
/// enum SendReceipt: TaskDefinition {
///     static let name = "shop.send_receipt"
///     struct Arguments: Codable, Sendable { var orderID: Int; var email: String }
///     typealias Output = NoOutput
/// }
/// ```
///
/// **How `Arguments` map to Celery's `args` and `kwargs`.** Celery sends positional arguments (`args`, a JSON array)
/// and keyword arguments (`kwargs`, a JSON object). Beacon encodes `Arguments` with `JSONEncoder`:
/// * a type that encodes to a JSON **object** (a struct with synthesised `Codable`: the usual case) is sent as
///   `kwargs`, with empty `args`; Python calls it as `task(orderID=…, email=…)`;
/// * a type that encodes to a JSON **array** (an array, or a type that encodes with an unkeyed container) is sent
///   as `args`, with empty `kwargs`; Python calls it as `task(2, 3)`;
/// * anything else (a bare number or string) is refused: wrap it in a struct or an array.
///
/// A received message is decoded from `kwargs` when it has keyword arguments, from `args` when it has positional
/// arguments only, and from `{}` (then `[]`) when it has neither. A message with both is refused
/// (``TaskDecodingError/Code/invalidArguments``): Beacon tasks take one or the other. To serve a Python caller that
/// uses positional arguments (`add.delay(2, 3)`), give `Arguments` an `init(from:)` that reads an unkeyed container.
///
/// `Date`s in arguments and outputs are ISO 8601 strings as Celery writes them (`2026-12-02T03:35:19.289477+00:00`).
public protocol TaskDefinition: SendableMetatype {
    /// What the task takes; sent as `kwargs` (a JSON object) or `args` (a JSON array), see above.
    associatedtype Arguments: Codable & Sendable
    /// What the task returns: the `result` of its SUCCESS result message.
    associatedtype Output: Codable & Sendable

    /// The task's name on the wire (Celery's `task` header), e.g. `shop.send_receipt`. It must never change: a
    /// message for a name no worker knows cannot run. It must pass ``TaskName/validate(_:)``.
    static var name: String { get }

    /// Options every enqueue of this task starts from (its queue, time limits…); none by default.
    static var defaultOptions: TaskOptions { get }
}

extension TaskDefinition {
    public static var defaultOptions: TaskOptions { TaskOptions() }
}

/// The arguments of a task that takes none: `{}` on the wire.
public struct NoArguments: Codable, Sendable, Hashable {
    public init() {}
}

/// The output of a task that returns nothing: `null` on the wire (Python's `None`); reads any value.
public struct NoOutput: Codable, Sendable, Hashable {
    public init() {}

    public init(from decoder: any Decoder) throws {}

    public func encode(to encoder: any Encoder) throws {
        var single = encoder.singleValueContainer()
        try single.encodeNil()
    }
}
