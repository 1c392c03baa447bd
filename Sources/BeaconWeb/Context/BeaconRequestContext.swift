public import Hummingbird
import NIOCore

/// A request context that carries Beacon's per-request state: conform your own context to it, or use
/// ``BasicBeaconRequestContext``.
///
/// ```swift
/// struct AppContext: BeaconRequestContext {
///     var coreContext: CoreRequestContextStorage
///     var beacon: BeaconContextStorage
///     init(source: ApplicationRequestContextSource) {
///         coreContext = .init(source: source)
///         beacon = .init(source: source)
///     }
/// }
/// ```
public protocol BeaconRequestContext: RequestContext {
    /// Beacon's state for the request; the lifecycle middleware fills it in.
    var beacon: BeaconContextStorage { get set }
}

extension BeaconRequestContext {
    /// The request's ``RequestScope``: id, method, path, headers, ``RequestScope/g``.
    ///
    /// Available from the lifecycle middleware on, that is in every route of a router made by
    /// ``BeaconApp/router(context:options:)``.
    public var scope: RequestScope {
        guard let scope = beacon.scope else {
            preconditionFailure(
                "BeaconWeb: no request scope; make the router with BeaconApp.router() so that its first middleware is the request lifecycle"
            )
        }
        return scope
    }

    /// The request id, also in the `X-Request-ID` response header.
    public var requestID: String { scope.id }

    /// Per-request storage, Flask's `g`.
    public var g: RequestStorage { scope.g }

    /// Enqueues tasks through the app's ``BeaconApp/tasks``, with this request's id on each.
    public var tasks: RequestTasks { RequestTasks(tasks: scope.tasks, requestID: scope.id) }
}

/// Beacon's per-request state inside a request context.
public struct BeaconContextStorage: Sendable {
    /// Set by the lifecycle middleware.
    var scope: RequestScope?
    /// The connection, for the client's address.
    let channel: (any Channel)?

    /// Storage for a context made from `source`; the client's address comes from its channel, when it has one.
    public init(source: some RequestContextSource) {
        self.scope = nil
        self.channel = (source as? ApplicationRequestContextSource)?.channel
    }
}

/// The request context Beacon uses unless you bring your own: Hummingbird's core context plus Beacon's state.
public struct BasicBeaconRequestContext: BeaconRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var beacon: BeaconContextStorage

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.beacon = .init(source: source)
    }
}
