/// Why a task failed, as result messages carry it: `{"exc_type", "exc_message", "exc_module"}`.
///
/// Python raises it again on the caller's side from these three: `exc_module` names the module to find `exc_type`
/// in; a module the caller has not imported makes Celery create an exception class of that name. Swift callers get
/// this value (it is an `Error`).
public struct TaskFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The exception's type name, e.g. `ValueError`, or a Swift error's type name.
    public var type: String
    /// The exception's message: its single string argument, or its arguments as JSON.
    public var message: String
    /// The module the type lives in, e.g. `builtins`, `celery.exceptions`; Beacon's own failures use `beacon`.
    public var module: String?
    /// The exception's arguments as sent (`exc_message`: Celery sends the exception's `args`, a list).
    public var arguments: [JSONValue]

    /// A failure of `type` with `message` (sent as `exc_message: [message]`).
    public init(type: String, message: String, module: String? = "beacon") {
        self.type = type
        self.message = message
        self.module = module
        self.arguments = [.string(message)]
    }

    /// A Swift error as a failure: its type's name and its description (module `beacon`).
    public init(describing error: any Error) {
        self.init(type: String(describing: Swift.type(of: error)), message: String(describing: error))
    }

    /// The failure a result's `result` member describes; `nil` when it is not such an object (no `exc_type`).
    public init?(json: JSONValue) {
        guard let type = json["exc_type"]?.stringValue else { return nil }
        self.type = type
        self.module = json["exc_module"]?.stringValue
        switch json["exc_message"] {
        case .array(let arguments)?:
            self.arguments = arguments
            if arguments.count == 1, let text = arguments[0].stringValue {
                self.message = text
            } else {
                self.message = arguments.map { $0.stringValue ?? $0.jsonText }.joined(separator: ", ")
            }
        case .string(let text)?:
            self.arguments = [.string(text)]
            self.message = text
        case let other?:
            self.arguments = [other]
            self.message = other.jsonText
        case nil:
            self.arguments = []
            self.message = ""
        }
    }

    /// The `result` member for this failure, in Celery's member order.
    public var json: JSONValue {
        ["exc_type": .string(type), "exc_message": .array(arguments), "exc_module": module.map(JSONValue.string) ?? .null]
    }

    /// `module.Type: message`.
    public var description: String { "\(module.map { "\($0)." } ?? "")\(type): \(message)" }
}
