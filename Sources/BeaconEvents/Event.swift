/// One event of the Beacon event schema, version 1: the wire contract between producers (the web server, or any
/// service that speaks the schema) and consumers (the worker).
///
/// On the wire an event is one UTF-8 JSON object (``jsonBytes()``), or one line of an NDJSON batch
/// (``EventBatch``). Absent parts are omitted, never `null`. It travels to the topic exchange under its
/// ``routingKey``, `<service>.<kind>.<level>`.
///
/// ```json
/// {"schema":1,"id":"0193…","time":"2026-11-21T10:15:30.123Z","service":"web","host":"h1","pid":4242,
///  "kind":"request","level":"info","logger":"web.request","message":"GET /hello 200 0.41ms",
///  "request":{"id":"…","method":"GET","path":"/hello","status":200,"duration_ms":0.41}}
/// ```
public struct Event: Sendable, Hashable {
    /// The schema version this library writes and reads.
    public static let schemaVersion = 1

    /// Unique per event (a UUID; Beacon writes version 7, which sorts by time).
    public var id: String
    /// When the event happened, in milliseconds.
    public var time: Timestamp
    /// The producing service, the first word of the routing key: letters, digits, `-` and `_` only.
    public var service: String
    /// The producing host, when known.
    public var host: String?
    /// The producing process, when known.
    public var pid: Int?
    /// What the event is about.
    public var kind: Kind
    /// How severe it is.
    public var level: Level
    /// The logger that produced it (`web.request`, `billing.invoices`, …), when known.
    public var logger: String?
    /// The human-readable message.
    public var message: String
    /// Where in the producer's code the event was made.
    public var source: Source?
    /// The HTTP request the event belongs to.
    public var request: Request?
    /// The error the event reports.
    public var error: ErrorDetails?
    /// Further key-value pairs (swift-log metadata, Python logging extras).
    public var metadata: [String: String]

    /// Creates an event. `id` and `time` default to a fresh identifier and the current time.
    public init(
        id: String = Event.makeID(),
        time: Timestamp = .now(),
        service: String,
        host: String? = ProcessIdentity.current.host,
        pid: Int? = ProcessIdentity.current.pid,
        kind: Kind,
        level: Level,
        logger: String? = nil,
        message: String,
        source: Source? = nil,
        request: Request? = nil,
        error: ErrorDetails? = nil,
        metadata: [String: String] = [:]
    ) {
        self.id = id
        self.time = time
        self.service = service
        self.host = host
        self.pid = pid
        self.kind = kind
        self.level = level
        self.logger = logger
        self.message = message
        self.source = source
        self.request = request
        self.error = error
        self.metadata = metadata
    }

    /// `<service>.<kind>.<level>`, e.g. `web.request.info`, `web.error.error`, `web.log.warning`.
    public var routingKey: String { "\(service).\(kind.rawValue).\(level.rawValue)" }

    /// `name`, when it can be a service name; else a ``ServiceNameError`` that says what a service name is.
    public static func validServiceName(_ name: String) throws(ServiceNameError) -> String {
        guard isValidServiceName(name) else { throw ServiceNameError(service: name) }
        return name
    }

    /// True when `name` can be a service name: one routing-key word of letters, digits, `-` and `_`.
    public static func isValidServiceName(_ name: some StringProtocol) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                    true
                default: false
                }
            }
    }
}

extension Event {
    /// What an event is about.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// One finished HTTP request.
        case request
        /// An application log record.
        case log
        /// An error: an exception the application did not handle, or one it reports.
        case error
    }

    /// Where in the producer's code an event was made. Every part is optional.
    public struct Source: Sendable, Hashable {
        public var file: String?
        public var line: Int?
        public var function: String?
        public var module: String?

        public init(file: String? = nil, line: Int? = nil, function: String? = nil, module: String? = nil) {
            self.file = file
            self.line = line
            self.function = function
            self.module = module
        }
    }

    /// The HTTP request an event belongs to.
    public struct Request: Sendable, Hashable {
        /// The request id (the `X-Request-ID` header kept or generated by the server).
        public var id: String?
        public var method: String
        /// The path, with a query whose secrets are already redacted.
        public var path: String
        public var status: Int?
        public var durationMilliseconds: Double?
        /// The client address.
        public var remote: String?
        public var userAgent: String?

        public init(
            id: String? = nil,
            method: String,
            path: String,
            status: Int? = nil,
            durationMilliseconds: Double? = nil,
            remote: String? = nil,
            userAgent: String? = nil
        ) {
            self.id = id
            self.method = method
            self.path = path
            self.status = status
            self.durationMilliseconds = durationMilliseconds
            self.remote = remote
            self.userAgent = userAgent
        }
    }

    /// The error an event reports.
    public struct ErrorDetails: Sendable, Hashable {
        /// The error's type name, e.g. `DecodingError`.
        public var type: String
        public var message: String
        /// Identical errors share a fingerprint: the worker mails one of them and counts the rest.
        public var fingerprint: String

        public init(type: String, message: String, fingerprint: String) {
            self.type = type
            self.message = message
            self.fingerprint = fingerprint
        }

        /// Creates the details with the fingerprint of `type` raised at `source`.
        public init(type: String, message: String, source: Source?) {
            self.init(type: type, message: message, fingerprint: Self.fingerprint(type: type, source: source))
        }

        /// A stable 16-hex-digit fingerprint of an error type raised at a place in the code: the type, module,
        /// file and function, but not the line (an edit above the line must not split a group) nor the message
        /// (it often carries values that differ each time).
        public static func fingerprint(type: String, source: Source?) -> String {
            var hash = FNV1a()
            hash.combine(type)
            hash.combine(source?.module ?? "")
            hash.combine(source?.file ?? "")
            hash.combine(source?.function ?? "")
            return hash.hexDigest
        }
    }
}

/// 64-bit FNV-1a: small, stable across processes and platforms (unlike `Hasher`), good enough for grouping.
private struct FNV1a {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func combine(_ string: String) {
        for byte in string.utf8 { mix(byte) }
        mix(0)  // a separator, so ("ab", "c") and ("a", "bc") differ
    }

    private mutating func mix(_ byte: UInt8) {
        state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    var hexDigest: String {
        let digits = String(state, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
