public import BeaconAMQP

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension TaskMessage {
    /// Reads a delivered task message. See ``init(properties:body:)``.
    public init(delivery: AMQPDelivery) throws(TaskDecodingError) {
        try self.init(properties: delivery.properties, body: delivery.body)
    }

    /// Reads a Celery protocol v2 task message: JSON only.
    ///
    /// Refused, with the dead-letter reason as the error's code: a content type other than `application/json`
    /// (pickle, YAML, msgpack are never deserialised); a compressed body or an encoding other than UTF-8; a body that
    /// is not JSON, or not `[args (array), kwargs (object), embed (object or null)]`; a protocol v1 message (no
    /// `task` header, a JSON object body); a missing `task` or `id` header; a header of the wrong type.
    ///
    /// Lenient where Celery is: `root_id` defaults to the id, `retries` to 0, `timelimit` may be absent or hold
    /// voids, `eta`/`expires` are ISO 8601 with any offset (none: UTC). `lang` is not checked.
    public init(properties: AMQPProperties, body: [UInt8]) throws(TaskDecodingError) {
        try TaskContent.check(properties)
        let headers = HeaderReader(properties.headers)
        let parsed = try TaskContent.parseBody(body)
        guard headers.has(TaskHeader.task) else {
            if case .object(let object) = parsed, object["task"] != nil || object["args"] != nil {
                throw TaskDecodingError(.protocolV1, "a Celery protocol v1 message (the task in the body, no task header); Beacon reads v2 only")
            }
            throw TaskDecodingError(.missingHeader, "no header \"task\"")
        }
        guard case .array(let parts) = parsed, parts.count == 3 else {
            throw TaskDecodingError(.invalidBody, "the body is \(parsed.shortKind); protocol v2 has [args, kwargs, embed]")
        }
        guard case .array(let args) = parts[0] else {
            throw TaskDecodingError(.invalidBody, "args (body[0]) is \(parts[0].kind), not an array")
        }
        guard case .object(let kwargs) = parts[1] else {
            throw TaskDecodingError(.invalidBody, "kwargs (body[1]) is \(parts[1].kind), not an object")
        }
        switch parts[2] {
        case .object(let embed): self.embed = TaskEmbed(embed)
        case .null: self.embed = .none
        default: throw TaskDecodingError(.invalidBody, "embed (body[2]) is \(parts[2].kind), not an object")
        }
        self.args = args
        self.kwargs = kwargs

        self.name = try headers.requiredString(TaskHeader.task)
        self.id = try headers.requiredString(TaskHeader.id)
        self.rootID = try headers.string(TaskHeader.rootID) ?? id
        self.parentID = try headers.string(TaskHeader.parentID)
        self.group = try headers.string(TaskHeader.group)
        self.groupIndex = try headers.integer(TaskHeader.groupIndex)
        self.retries = try headers.integer(TaskHeader.retries) ?? 0
        self.eta = try headers.time(TaskHeader.eta)
        self.expires = try headers.time(TaskHeader.expires)
        self.timeLimits = try headers.timeLimits()
        self.shadow = try headers.string(TaskHeader.shadow)
        self.ignoreResult = try headers.bool(TaskHeader.ignoreResult) ?? false
        self.origin = try headers.string(TaskHeader.origin)
        self.replacedTaskNesting = try headers.integer(TaskHeader.replacedTaskNesting) ?? 0
        self.stampedHeaders = headers.table[TaskHeader.stampedHeaders] ?? .void
        self.stamps = headers.table[TaskHeader.stamps]?.tableValue ?? [:]
        self.requestID = try headers.string(TaskHeader.requestID)
        self.idempotencyKey = try headers.string(TaskHeader.idempotencyKey)
        self.otherHeaders = AMQPTable(headers.table.entries.filter { !TaskHeader.known.contains($0.key) })
        self.replyTo = properties.replyTo
        self.priority = properties.priority ?? 0
        self.queue = nil
        guard retries >= 0 else { throw TaskDecodingError(.invalidHeader, "header \"retries\": \(retries) is negative") }
    }
}

/// The checks every JSON message of Celery's (task or result) passes before its body is parsed.
enum TaskContent {
    /// Content types that are refused by name, with what they are.
    private static let refused: [String: String] = [
        "application/x-python-serialize": "pickle",
        "application/x-yaml": "YAML",
        "application/x-msgpack": "msgpack",
        "application/data": "raw bytes",
    ]

    static func check(_ properties: AMQPProperties) throws(TaskDecodingError) {
        guard let contentType = properties.contentType, !contentType.isEmpty else {
            throw TaskDecodingError(.unsupportedContentType, "no content type; Beacon reads application/json only")
        }
        let mediaType = String(contentType.prefix { $0 != ";" }.filter { $0 != " " && $0 != "\t" }).lowercased()
        guard mediaType == "application/json" else {
            let what = refused[mediaType].map { " (\($0), never deserialised)" } ?? ""
            throw TaskDecodingError(.unsupportedContentType, "content type \"\(contentType)\"\(what); Beacon reads application/json only")
        }
        if let encoding = properties.contentEncoding, !["utf-8", "utf8"].contains(encoding.lowercased()) {
            throw TaskDecodingError(.unsupportedContentEncoding, "content encoding \"\(encoding)\"; Beacon reads utf-8 only")
        }
        if let compression = properties.headers[TaskHeader.compression], compression != .void {
            throw TaskDecodingError(.unsupportedContentEncoding, "the body is compressed (\(compression)); Beacon reads uncompressed bodies only")
        }
    }

    static func parseBody(_ body: [UInt8]) throws(TaskDecodingError) -> JSONValue {
        do {
            return try JSONValue.parse(body)
        } catch {
            throw TaskDecodingError(.invalidJSON, "the body is not JSON: \(error.description)")
        }
    }
}

extension JSONValue {
    /// The kind, with the length for arrays, for error messages.
    var shortKind: String {
        if case .array(let elements) = self { "an array of \(elements.count)" } else { kind }
    }
}

/// Reads typed headers; void counts as absent (Python's `None`).
struct HeaderReader {
    let table: AMQPTable

    init(_ table: AMQPTable) {
        self.table = table
    }

    /// Whether the header is there and not void.
    func has(_ name: String) -> Bool { value(name) != nil }

    private func value(_ name: String) -> AMQPFieldValue? {
        guard let value = table[name], value != .void else { return nil }
        return value
    }

    private func wrongType(_ name: String, _ expected: String, _ value: AMQPFieldValue) -> TaskDecodingError {
        TaskDecodingError(.invalidHeader, "header \"\(name)\": expected \(expected), found \(value)")
    }

    func requiredString(_ name: String) throws(TaskDecodingError) -> String {
        guard let text = try string(name), !text.isEmpty else {
            throw TaskDecodingError(.missingHeader, "no header \"\(name)\" (or it is empty)")
        }
        return text
    }

    func string(_ name: String) throws(TaskDecodingError) -> String? {
        guard let value = value(name) else { return nil }
        guard let text = value.stringValue else { throw wrongType(name, "a string", value) }
        return text
    }

    func integer(_ name: String) throws(TaskDecodingError) -> Int? {
        guard let value = value(name) else { return nil }
        guard let integer = value.intValue else { throw wrongType(name, "an integer", value) }
        return integer
    }

    func bool(_ name: String) throws(TaskDecodingError) -> Bool? {
        guard let value = value(name) else { return nil }
        guard let flag = value.boolValue else { throw wrongType(name, "a boolean", value) }
        return flag
    }

    func time(_ name: String) throws(TaskDecodingError) -> Date? {
        guard let text = try string(name) else { return nil }
        guard let date = CeleryTime.parse(text) else {
            throw TaskDecodingError(.invalidHeader, "header \"\(name)\": \"\(text)\" is not an ISO 8601 time")
        }
        return date
    }

    /// `timelimit`: `[hard, soft]`, each seconds (integer or not) or void.
    func timeLimits() throws(TaskDecodingError) -> TaskTimeLimits {
        guard let value = value(TaskHeader.timeLimit) else { return TaskTimeLimits() }
        guard let pair = value.arrayValue, pair.count == 2 else {
            throw wrongType(TaskHeader.timeLimit, "[hard, soft]", value)
        }
        func limit(_ element: AMQPFieldValue) throws(TaskDecodingError) -> Duration? {
            let seconds: Double
            switch element {
            case .void: return nil
            case .float(let value): seconds = Double(value)
            case .double(let value): seconds = value
            case .decimal(let scale, let value): seconds = (0..<scale).reduce(Double(value)) { value, _ in value / 10 }
            default:
                guard let integer = element.intValue else { throw wrongType(TaskHeader.timeLimit, "[hard, soft] in seconds", value) }
                seconds = Double(integer)
            }
            guard seconds.isFinite, seconds > 0 else { throw wrongType(TaskHeader.timeLimit, "positive limits", value) }
            return .seconds(seconds)
        }
        return TaskTimeLimits(soft: try limit(pair[1]), hard: try limit(pair[0]))
    }
}
