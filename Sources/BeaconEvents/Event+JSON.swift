extension Event {
    /// The AMQP `content_type` of a message that carries one event.
    public static let contentType = "application/json"

    /// The event as compact UTF-8 JSON, members in schema order, absent parts omitted.
    public func jsonBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(320 + message.utf8.count)
        appendJSON(to: &bytes)
        return bytes
    }

    /// Appends the event as compact UTF-8 JSON (see ``jsonBytes()``).
    public func appendJSON(to bytes: inout [UInt8]) {
        var writer = JSONObjectWriter(appendingTo: &bytes)
        writer.beginObject()
        writer.integer("schema", Self.schemaVersion)
        writer.string("id", id)
        writer.timestamp("time", time)
        writer.string("service", service)
        writer.string("host", host)
        writer.integer("pid", pid)
        writer.string("kind", kind.rawValue)
        writer.string("level", level.rawValue)
        writer.string("logger", logger)
        writer.string("message", message)
        if let source, source != Source() {
            writer.key("source")
            writer.beginObject()
            writer.string("file", source.file)
            writer.integer("line", source.line)
            writer.string("function", source.function)
            writer.string("module", source.module)
            writer.endObject()
        }
        if let request {
            writer.key("request")
            writer.beginObject()
            writer.string("id", request.id)
            writer.string("method", request.method)
            writer.string("path", request.path)
            writer.integer("status", request.status)
            writer.number("duration_ms", request.durationMilliseconds)
            writer.string("remote", request.remote)
            writer.string("user_agent", request.userAgent)
            writer.endObject()
        }
        if let error {
            writer.key("error")
            writer.beginObject()
            writer.string("type", error.type)
            writer.string("message", error.message)
            writer.string("fingerprint", error.fingerprint)
            writer.endObject()
        }
        if !metadata.isEmpty {
            writer.key("metadata")
            writer.beginObject()
            for key in metadata.keys.sorted() { writer.string(key, metadata[key]) }
            writer.endObject()
        }
        writer.endObject()
        writer.finish(into: &bytes)
    }

    /// Reads one event from UTF-8 JSON.
    ///
    /// Strict where it matters (valid UTF-8 and JSON, `schema` 1, the required members `id`, `time`, `service`,
    /// `kind`, `level`, `message` with the right types), lenient where producers differ: unknown members are
    /// ignored, `level` may be written in any case or as Python's `WARN`/`FATAL`, metadata values may be numbers,
    /// booleans or nested JSON (kept as JSON text), and a missing error fingerprint is computed.
    public init(json bytes: some Collection<UInt8>) throws(EventDecodingError) {
        let value: JSONDocument
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            switch error.reason {
            case .invalidUTF8:
                throw EventDecodingError(.invalidUTF8, "invalid UTF-8 at byte \(error.offset)")
            case .syntax(let message):
                throw EventDecodingError(.invalidJSON, "\(message) at byte \(error.offset)")
            }
        }
        try self.init(value)
    }

    init(_ value: JSONDocument) throws(EventDecodingError) {
        guard case .object = value else {
            throw EventDecodingError(.invalidJSON, "an event is a JSON object, not \(value.typeName)")
        }
        let reader = MemberReader(value, path: "")
        guard let schema = value["schema"] else {
            throw EventDecodingError(.unsupportedSchema, "no \"schema\" member: not a Beacon event")
        }
        guard case .integer(let version) = schema, version == Self.schemaVersion else {
            let shown = schema.jsonText
            throw EventDecodingError(.unsupportedSchema, "schema \(shown) is not supported (this consumer reads 1)")
        }
        let id = try reader.requiredString("id")
        guard !id.isEmpty else { throw EventDecodingError(.invalidField, "field \"id\" is empty") }
        let timeText = try reader.requiredString("time")
        guard let time = Timestamp(rfc3339: timeText) else {
            throw EventDecodingError(.invalidField, "field \"time\": \(JSONDocument.string(timeText).jsonText) is not an RFC 3339 time")
        }
        let service = try reader.requiredString("service")
        guard Self.isValidServiceName(service) else {
            throw EventDecodingError(
                .invalidField,
                "field \"service\": \(JSONDocument.string(service).jsonText) is not a service name (letters, digits, - and _)"
            )
        }
        let kindText = try reader.requiredString("kind")
        guard let kind = Kind(rawValue: kindText) else {
            throw EventDecodingError(
                .invalidField,
                "field \"kind\": \(JSONDocument.string(kindText).jsonText) is not one of request, log, error"
            )
        }
        let levelText = try reader.requiredString("level")
        guard let level = Level(name: levelText) else {
            throw EventDecodingError(.invalidField, "field \"level\": \(JSONDocument.string(levelText).jsonText) is not a level")
        }
        let source = try reader.object("source").map { reader throws(EventDecodingError) in
            Source(
                file: try reader.string("file"),
                line: try reader.integer("line"),
                function: try reader.string("function"),
                module: try reader.string("module")
            )
        }
        self.init(
            id: id,
            time: time,
            service: service,
            host: try reader.string("host"),
            pid: try reader.integer("pid"),
            kind: kind,
            level: level,
            logger: try reader.string("logger"),
            message: try reader.requiredString("message"),
            source: source,
            request: try reader.object("request").map { reader throws(EventDecodingError) in
                Request(
                    id: try reader.string("id"),
                    method: try reader.requiredString("method"),
                    path: try reader.requiredString("path"),
                    status: try reader.integer("status"),
                    durationMilliseconds: try reader.number("duration_ms"),
                    remote: try reader.string("remote"),
                    userAgent: try reader.string("user_agent")
                )
            },
            error: try reader.object("error").map { reader throws(EventDecodingError) in
                let type = try reader.requiredString("type")
                let message = try reader.string("message") ?? ""
                guard let fingerprint = try reader.string("fingerprint"), !fingerprint.isEmpty else {
                    return ErrorDetails(type: type, message: message, source: source)
                }
                return ErrorDetails(type: type, message: message, fingerprint: fingerprint)
            },
            metadata: try reader.metadata("metadata")
        )
    }
}

/// Writes JSON objects member by member into a byte buffer; optional values that are nil are left out.
private struct JSONObjectWriter {
    private(set) var bytes: [UInt8]
    /// One bit per open object, innermost lowest: set while that object has no member yet.
    private var isFirstMember: UInt64 = 0

    /// Takes over `bytes` (without copying) and appends to it; `finish(into:)` hands it back.
    init(appendingTo bytes: inout [UInt8]) {
        self.bytes = []
        swap(&self.bytes, &bytes)
    }

    mutating func finish(into bytes: inout [UInt8]) {
        swap(&self.bytes, &bytes)
    }

    mutating func beginObject() {
        bytes.append(UInt8(ascii: "{"))
        isFirstMember = isFirstMember << 1 | 1
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        isFirstMember >>= 1
    }

    mutating func key(_ name: String) {
        if isFirstMember & 1 == 0 { bytes.append(UInt8(ascii: ",")) }
        isFirstMember &= ~1
        bytes.appendJSONString(name)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func string(_ name: String, _ value: String?) {
        guard let value else { return }
        key(name)
        bytes.appendJSONString(value)
    }

    mutating func integer(_ name: String, _ value: Int?) {
        guard let value else { return }
        key(name)
        bytes.appendDecimal(value)
    }

    mutating func number(_ name: String, _ value: Double?) {
        guard let value, value.isFinite else { return }
        key(name)
        bytes.appendJSONNumber(value)
    }

    mutating func timestamp(_ name: String, _ value: Event.Timestamp) {
        key(name)
        bytes.append(UInt8(ascii: "\""))
        value.appendRFC3339(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }
}

/// Reads the members of one JSON object, naming the member's full path in every error.
private struct MemberReader {
    let value: JSONDocument
    let path: String

    init(_ value: JSONDocument, path: String) {
        self.value = value
        self.path = path
    }

    private func name(_ key: String) -> String { "\"\(path)\(key)\"" }

    /// The member, or nil when it is absent or null (absent parts may be written as null by other producers).
    private func member(_ key: String) -> JSONDocument? {
        guard let member = value[key], member != .null else { return nil }
        return member
    }

    private func wrongType(_ key: String, _ expected: String, _ found: JSONDocument) -> EventDecodingError {
        EventDecodingError(.invalidField, "field \(name(key)) must be \(expected), not \(found.typeName)")
    }

    func requiredString(_ key: String) throws(EventDecodingError) -> String {
        guard let string = try string(key) else {
            throw EventDecodingError(.missingField, "required field \(name(key)) is missing")
        }
        return string
    }

    func string(_ key: String) throws(EventDecodingError) -> String? {
        guard let member = member(key) else { return nil }
        guard case .string(let string) = member else { throw wrongType(key, "a string", member) }
        return string
    }

    func integer(_ key: String) throws(EventDecodingError) -> Int? {
        guard let member = member(key) else { return nil }
        guard case .integer(let integer) = member, let value = Int(exactly: integer) else {
            throw wrongType(key, "an integer", member)
        }
        return value
    }

    func number(_ key: String) throws(EventDecodingError) -> Double? {
        switch member(key) {
        case nil: nil
        case .integer(let integer): Double(integer)
        case .double(let double): double
        case let other?: throw wrongType(key, "a number", other)
        }
    }

    func object(_ key: String) throws(EventDecodingError) -> MemberReader? {
        guard let member = member(key) else { return nil }
        guard case .object = member else { throw wrongType(key, "an object", member) }
        return MemberReader(member, path: "\(path)\(key).")
    }

    func metadata(_ key: String) throws(EventDecodingError) -> [String: String] {
        guard let member = member(key) else { return [:] }
        guard case .object(let members) = member else { throw wrongType(key, "an object", member) }
        var metadata: [String: String] = [:]
        metadata.reserveCapacity(members.count)
        for (key, value) in members {
            switch value {
            case .null: continue
            case .string(let string): metadata[key] = string
            default: metadata[key] = value.jsonText
            }
        }
        return metadata
    }
}

extension JSONDocument {
    /// The value as compact JSON text.
    var jsonText: String {
        var bytes: [UInt8] = []
        appendJSON(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
