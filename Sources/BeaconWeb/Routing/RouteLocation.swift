public import Hummingbird

/// Where a route was registered in the source: Flask's mail names the module and line of the view that failed, and
/// Beacon's error events and mails name these.
///
/// Routes added with Beacon's router methods record it, on any router or group whose context is a
/// ``BeaconRequestContext`` (`router.get("boom") { … }` on a router of ``BeaconApp/router(context:options:)``):
/// those methods take `#fileID` and `#line` as defaulted arguments and win over Hummingbird's own, which cannot.
public struct RouteLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file as `#fileID` gives it: `App/Routes.swift`.
    public let file: String
    public let line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    /// The module, the first part of ``file``.
    public var module: String { String(file.prefix { $0 != "/" }) }

    /// `App/Routes.swift:42`.
    public var description: String { "\(file):\(line)" }
}

extension RouterMethods where Context: BeaconRequestContext {
    /// Adds a route whose requests know where it was registered (``RequestScope/routeLocation``).
    fileprivate func on(
        _ path: RouterPath,
        method: HTTPRequest.Method,
        at location: RouteLocation,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self {
        on(
            path,
            method: method,
            responder: CallbackResponder { request, context in
                context.scope.routeLocation = location
                return try await handler(request, context).response(from: request, context: context)
            }
        )
    }
}

// The same methods on the two concrete router types: a method of the concrete type is chosen over Hummingbird's
// protocol extension with the same name, which a protocol extension of Beacon's would not be.

extension Router where Context: BeaconRequestContext {
    /// Hummingbird's `on(_:method:use:)`, recording where the route was registered.
    @discardableResult public func on(
        _ path: RouterPath = "",
        method: HTTPRequest.Method,
        file: String = #fileID,
        line: Int = #line,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self {
        on(path, method: method, at: RouteLocation(file: file, line: line), use: handler)
    }

    /// Hummingbird's `get(_:use:)`, recording where the route was registered.
    @discardableResult public func get(
        _ path: RouterPath = "",
        file: String = #fileID,
        line: Int = #line,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self { on(path, method: .get, at: RouteLocation(file: file, line: line), use: handler) }

    /// Hummingbird's `post(_:use:)`, recording where the route was registered.
    @discardableResult public func post(
        _ path: RouterPath = "",
        file: String = #fileID,
        line: Int = #line,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self { on(path, method: .post, at: RouteLocation(file: file, line: line), use: handler) }

    /// Hummingbird's `put(_:use:)`, recording where the route was registered.
    @discardableResult public func put(
        _ path: RouterPath = "",
        file: String = #fileID,
        line: Int = #line,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self { on(path, method: .put, at: RouteLocation(file: file, line: line), use: handler) }

    /// Hummingbird's `patch(_:use:)`, recording where the route was registered.
    @discardableResult public func patch(
        _ path: RouterPath = "",
        file: String = #fileID,
        line: Int = #line,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self { on(path, method: .patch, at: RouteLocation(file: file, line: line), use: handler) }

    /// Hummingbird's `delete(_:use:)`, recording where the route was registered.
    @discardableResult public func delete(
        _ path: RouterPath = "",
        file: String = #fileID,
        line: Int = #line,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self { on(path, method: .delete, at: RouteLocation(file: file, line: line), use: handler) }
}

extension RouterGroup where Context: BeaconRequestContext {
    /// Hummingbird's `on(_:method:use:)`, recording where the route was registered.
    @discardableResult public func on(
        _ path: RouterPath = "",
        method: HTTPRequest.Method,
        file: String = #fileID,
        line: Int = #line,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self {
        on(path, method: method, at: RouteLocation(file: file, line: line), use: handler)
    }

    /// Hummingbird's `get(_:use:)`, recording where the route was registered.
    @discardableResult public func get(
        _ path: RouterPath = "",
        file: String = #fileID,
        line: Int = #line,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self { on(path, method: .get, at: RouteLocation(file: file, line: line), use: handler) }

    /// Hummingbird's `post(_:use:)`, recording where the route was registered.
    @discardableResult public func post(
        _ path: RouterPath = "",
        file: String = #fileID,
        line: Int = #line,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self { on(path, method: .post, at: RouteLocation(file: file, line: line), use: handler) }

    /// Hummingbird's `put(_:use:)`, recording where the route was registered.
    @discardableResult public func put(
        _ path: RouterPath = "",
        file: String = #fileID,
        line: Int = #line,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self { on(path, method: .put, at: RouteLocation(file: file, line: line), use: handler) }

    /// Hummingbird's `patch(_:use:)`, recording where the route was registered.
    @discardableResult public func patch(
        _ path: RouterPath = "",
        file: String = #fileID,
        line: Int = #line,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self { on(path, method: .patch, at: RouteLocation(file: file, line: line), use: handler) }

    /// Hummingbird's `delete(_:use:)`, recording where the route was registered.
    @discardableResult public func delete(
        _ path: RouterPath = "",
        file: String = #fileID,
        line: Int = #line,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self { on(path, method: .delete, at: RouteLocation(file: file, line: line), use: handler) }
}
