/// The third element of a protocol v2 body: the canvas that follows the task (`callbacks`, `errbacks`, `chain`,
/// `chord`), each signature a JSON object `{"task", "args", "kwargs", "options", "subtask_type", "immutable"}`.
///
/// Beacon does not run canvas yet; it keeps the embed whole (``json``, members it does not know included), so that a
/// message passed on or republished loses nothing.
///
/// **`chain` is reversed on the wire**: the task to run next is the *last* element (Celery's worker pops from the
/// end). ``chainInRunOrder`` gives it in the order the tasks run.
public struct TaskEmbed: Sendable, Hashable {
    /// The embed object as received (or built), in member order.
    public var json: JSONObject

    /// An embed of this object.
    public init(_ json: JSONObject) {
        self.json = json
    }

    /// No canvas: `{"callbacks": null, "errbacks": null, "chain": null, "chord": null}`, what Celery sends for a
    /// plain task.
    public static var none: TaskEmbed {
        TaskEmbed(["callbacks": .null, "errbacks": .null, "chain": .null, "chord": .null])
    }

    /// Signatures to apply with the result on success (Celery's `link`); `nil` when there are none.
    public var callbacks: [JSONValue]? { json["callbacks"]?.arrayValue }
    /// Signatures to apply on failure (Celery's `link_error`); `nil` when there are none.
    public var errbacks: [JSONValue]? { json["errbacks"]?.arrayValue }
    /// The rest of the chain **as on the wire: reversed**, the next task last; `nil` when there is none.
    public var chain: [JSONValue]? { json["chain"]?.arrayValue }
    /// The rest of the chain in the order the tasks run: the next task first.
    public var chainInRunOrder: [JSONValue] { (chain ?? []).reversed() }
    /// The chord body to apply when the group this task belongs to completes; `nil` when there is none.
    public var chord: JSONValue? {
        guard let chord = json["chord"], chord != .null else { return nil }
        return chord
    }

    /// Whether anything follows the task: a callback, an errback, a chain or a chord (or a member Beacon does not
    /// know that is not `null`). A worker that cannot run canvas must not drop such a message silently.
    public var hasCanvas: Bool {
        json.members.contains { member in
            switch member.value {
            case .null: false
            case .array(let elements): !elements.isEmpty
            default: true
            }
        }
    }
}
