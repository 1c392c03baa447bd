/// The one error type of BeaconAMQP.
///
/// ``code`` says what went wrong: a broker reply (``replyCode`` is then the AMQP reply code, e.g. 403, 404, 406, and
/// ``message`` the broker's reply text), a socket or library failure (``libraryStatus`` is then rabbitmq-c's status),
/// or a client-side condition (a timeout, a closed channel, a bad URL). ``context`` names the operation
/// (`"queue.declare worker.files"`, `"connecting to amqp://guest@127.0.0.1:5672/%2F"`). No password ever appears in
/// any of them.
///
/// Compare codes, not messages: `error.code == .accessRefused`.
public struct AMQPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added: switch over them with a `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's name: the AMQP reply name for broker replies (`ACCESS_REFUSED`), else a client-side name.
        public let name: String

        /// A code by name (broker names for broker replies).
        public init(_ name: String) { self.name = name }

        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// The AMQP reply code when the broker reported the failure (`connection.close`, `channel.close`, `basic.return`).
    public var replyCode: UInt16?
    /// rabbitmq-c's status (`amqp_status_enum`, negative) when the library or the socket reported the failure.
    public var libraryStatus: Int32?
    /// The broker's reply text, or a description of the failure.
    public var message: String
    /// The operation that failed.
    public var context: String?

    /// An error with a code and a description; the optional parts say where it came from.
    public init(code: Code, message: String, replyCode: UInt16? = nil, libraryStatus: Int32? = nil, context: String? = nil) {
        self.code = code
        self.message = message
        self.replyCode = replyCode
        self.libraryStatus = libraryStatus
        self.context = context
    }

    /// `context: CODE (reply code): message`, e.g.
    /// `connecting to amqp://guest@127.0.0.1:5672/%2F: ACCESS_REFUSED (403): Login was refused…`.
    public var description: String {
        var text = code.name
        if let replyCode { text += " (\(replyCode))" }
        text += ": " + message
        if let context { text = context + ": " + text }
        return text
    }

    /// This error, with `context` naming the operation (kept if one is already set).
    func within(_ context: String) -> AMQPError {
        var copy = self
        if copy.context == nil { copy.context = context }
        return copy
    }
}

// MARK: Broker reply codes (AMQP 0-9-1 constants).

extension AMQPError.Code {
    public static let contentTooLarge = Self("CONTENT_TOO_LARGE")
    public static let noRoute = Self("NO_ROUTE")
    public static let noConsumers = Self("NO_CONSUMERS")
    public static let connectionForced = Self("CONNECTION_FORCED")
    public static let invalidPath = Self("INVALID_PATH")
    public static let accessRefused = Self("ACCESS_REFUSED")
    public static let notFound = Self("NOT_FOUND")
    public static let resourceLocked = Self("RESOURCE_LOCKED")
    public static let preconditionFailed = Self("PRECONDITION_FAILED")
    public static let frameError = Self("FRAME_ERROR")
    public static let syntaxError = Self("SYNTAX_ERROR")
    public static let commandInvalid = Self("COMMAND_INVALID")
    public static let channelError = Self("CHANNEL_ERROR")
    public static let unexpectedFrame = Self("UNEXPECTED_FRAME")
    public static let resourceError = Self("RESOURCE_ERROR")
    public static let notAllowed = Self("NOT_ALLOWED")
    public static let notImplemented = Self("NOT_IMPLEMENTED")
    public static let internalError = Self("INTERNAL_ERROR")

    /// The code for an AMQP reply code; unknown reply codes get a generic name.
    public init(replyCode: UInt16) {
        switch replyCode {
        case 311: self = .contentTooLarge
        case 312: self = .noRoute
        case 313: self = .noConsumers
        case 320: self = .connectionForced
        case 402: self = .invalidPath
        case 403: self = .accessRefused
        case 404: self = .notFound
        case 405: self = .resourceLocked
        case 406: self = .preconditionFailed
        case 501: self = .frameError
        case 502: self = .syntaxError
        case 503: self = .commandInvalid
        case 504: self = .channelError
        case 505: self = .unexpectedFrame
        case 506: self = .resourceError
        case 530: self = .notAllowed
        case 540: self = .notImplemented
        case 541: self = .internalError
        default: self = Self("REPLY_\(replyCode)")
        }
    }
}

// MARK: Client-side codes.

extension AMQPError.Code {
    /// The application used the API wrongly, e.g. acknowledged a delivery on a channel it did not come from.
    public static let invalidArgument = Self("INVALID_ARGUMENT")
    /// The URL or a configuration value is not usable.
    public static let invalidConfiguration = Self("INVALID_CONFIGURATION")
    /// The broker's host name did not resolve.
    public static let hostNotFound = Self("HOST_NOT_FOUND")
    /// A socket operation failed: connection refused, reset, unreachable.
    public static let socketError = Self("SOCKET_ERROR")
    /// Something did not happen in time: connecting, a broker reply, a publish confirm.
    public static let timeout = Self("TIMEOUT")
    /// The broker sent nothing for two heartbeat intervals: the connection is dead.
    public static let heartbeatTimeout = Self("HEARTBEAT_TIMEOUT")
    /// The connection went away (the socket closed, or the session was torn down).
    public static let connectionLost = Self("CONNECTION_LOST")
    /// The connection was closed by the application.
    public static let connectionClosed = Self("CONNECTION_CLOSED")
    /// The channel was closed by the application.
    public static let channelClosed = Self("CHANNEL_CLOSED")
    /// The broker cancelled the consumer (`basic.cancel`), e.g. because its queue was deleted.
    public static let consumerCancelled = Self("CONSUMER_CANCELLED")
    /// An acknowledgement named a delivery from an earlier channel or connection; the broker already requeued it.
    public static let staleDelivery = Self("STALE_DELIVERY")
    /// Publishing could not write to the socket before the deadline (the broker stopped reading: memory or disk
    /// alarm); the connection was dropped to get out.
    public static let publishStalled = Self("PUBLISH_STALLED")
    /// TLS failed: handshake, peer certificate or host name verification.
    public static let tls = Self("TLS_ERROR")
    /// The task waiting for an answer was cancelled; the request may still have taken effect.
    public static let cancelled = Self("CANCELLED")
    /// The broker did not follow the protocol, or rabbitmq-c failed in another way.
    public static let protocolError = Self("PROTOCOL_ERROR")
}
