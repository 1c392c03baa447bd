public import BeaconEvents
public import BeaconLogging
public import Hummingbird
import NIOCore
import Synchronization

/// Everything Beacon knows about one request while it is served: its id, what came in, when, and ``g``, the
/// per-request storage that Flask calls `flask.g`.
///
/// The request lifecycle middleware makes one scope per request, before routing, and hands the same object to the
/// route (``BeaconRequestContext/scope``), to every error handler and to every request signal: what a route stores in
/// ``g`` is there for the `requestFinished` and `requestTearingDown` receivers.
///
/// ```swift
/// struct CurrentUser: RequestStorageKey { typealias Value = String }
///
/// router.get("me") { _, context in
///     context.g[CurrentUser.self] = "alice"
///     return "hello \(context.scope.id)"
/// }
/// app.signals.requestTearingDown.connect { teardown in
///     print(teardown.request.g[CurrentUser.self] ?? "anonymous")
/// }
/// ```
public final class RequestScope: Sendable, CustomStringConvertible {
    /// The logger metadata key of the request id, Hummingbird's (`EventLogHandler/scopeMetadataKey`). Its value in a
    /// request's logger is the scope itself, which prints as the id and gives events their request.
    public static let loggerMetadataKey = EventLogHandler.scopeMetadataKey

    /// The request id: the incoming `X-Request-ID` when it is valid (``RequestIDPolicy/isValid(_:)``), a new one otherwise.
    /// The response echoes it, and every log line and event of the request carries it.
    public let id: String
    public let method: HTTPRequest.Method
    /// The path and query as the client sent them. They may hold secrets (`?token=…`): anything that leaves the
    /// process uses ``redactedPath``.
    public let path: String
    /// ``path`` with the values of secret query parameters (`password`, `token`, `secret`, …) replaced: what the log
    /// line and the events show.
    public let redactedPath: String
    /// The request headers as the client sent them, secrets included: see ``redactedHeaders``.
    public let headers: HTTPFields
    private let channel: (any Channel)?
    /// When the lifecycle middleware received the request.
    public let startInstant: ContinuousClock.Instant
    /// What is secret in this request: headers, query parameters, metadata keys.
    public let redaction: Redaction
    private let endpointPath: EndpointPath
    /// Where the request enqueues tasks (``BeaconRequestContext/tasks``).
    let tasks: AppTasks
    private let storage = Mutex<[ObjectIdentifier: any Sendable]>([:])
    private let route = Mutex<RouteLocation?>(nil)

    init(
        id: String,
        request: Request,
        channel: (any Channel)?,
        endpointPath: EndpointPath,
        redaction: Redaction,
        tasks: AppTasks,
        startInstant: ContinuousClock.Instant
    ) {
        self.id = id
        self.method = request.method
        self.path = request.uri.description
        self.redactedPath = redaction.redactingQuery(ofPath: path)
        self.headers = request.headers
        self.channel = channel
        self.endpointPath = endpointPath
        self.redaction = redaction
        self.tasks = tasks
        self.startInstant = startInstant
    }

    /// The client's IP address, when the request came over a socket.
    public var remoteAddress: String? { channel?.remoteAddress?.ipAddress }

    /// The route that matched, e.g. `/users/{id}`; nil before routing and when no route matched.
    public var endpoint: String? {
        endpointPath.value.flatMap { $0 == "NotFound" ? nil : $0 }
    }

    /// The request headers with the values of secret ones (`Authorization`, `Cookie`, `X-Access-Token`, …) replaced,
    /// and secret query parameters in the others' URLs (`Referer: https://h/reset?token=…`) too.
    public var redactedHeaders: [(name: String, value: String)] {
        headers.map { field in
            let name = field.name.canonicalName
            if redaction.isSecretHeader(name) { return (name, Redaction.placeholder) }
            return (name, field.value.contains("?") ? redaction.redactingQuery(ofPath: field.value) : field.value)
        }
    }

    /// The `User-Agent` header.
    public var userAgent: String? { headers[.userAgent] }

    /// The request id.
    public var description: String { id }

    /// Where the route that serves the request was registered, when it was registered through Beacon's router
    /// methods (`router.get("boom") { … }` on a router of ``BeaconApp/router(context:options:)``); error events and
    /// mails name it.
    public internal(set) var routeLocation: RouteLocation? {
        get { route.withLock { $0 } }
        set { route.withLock { $0 = newValue } }
    }

    /// Per-request storage, Flask's `g`: values a route keeps for later in the same request (teardown receivers,
    /// error handlers). Gone with the request.
    public var g: RequestStorage { RequestStorage(scope: self) }

    fileprivate func value(for key: ObjectIdentifier) -> (any Sendable)? {
        storage.withLock { $0[key] }
    }

    fileprivate func setValue(_ value: (any Sendable)?, for key: ObjectIdentifier) {
        storage.withLock { $0[key] = value }
    }
}

extension RequestScope: EventScope {
    /// The request part of the request's events: id, method, redacted path, client address, user agent.
    public var eventRequest: Event.Request { eventRequest(path: redactedPath) }
}

/// Names one value in ``RequestStorage`` and gives its type.
///
/// ```swift
/// enum CurrentUser: RequestStorageKey { typealias Value = User }
/// ```
public protocol RequestStorageKey {
    associatedtype Value: Sendable
}

/// A request's storage, Flask's `g`, read and written by typed keys. Copies share the storage of their request.
public struct RequestStorage: Sendable {
    let scope: RequestScope

    /// The value stored under `key`, or nil. Setting nil removes it.
    public subscript<Key: RequestStorageKey>(_ key: Key.Type) -> Key.Value? {
        get { scope.value(for: ObjectIdentifier(key)) as? Key.Value }
        nonmutating set { scope.setValue(newValue, for: ObjectIdentifier(key)) }
    }
}
