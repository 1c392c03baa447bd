public import Hummingbird
import Synchronization

/// Turns an error into a response, like a function registered with Flask's `errorhandler`.
public typealias ErrorHandler = @Sendable (ErrorContext) async throws -> Response

/// An app's error handlers, by status code and by error type.
///
/// Which handler runs, as in Flask: for an HTTP error (any `HTTPResponseError`, such as `HTTPError(.notFound)`),
/// the handler for its status, else one for its type. For any other error, a handler for its type: a handler
/// registered for exactly that type first, then the first registered one the error casts to (a protocol, a
/// superclass). An error no handler takes is *unhandled*: `gotRequestException` is sent and it becomes a 500,
/// answered by the handler for 500 if there is one. An error thrown by a handler is unhandled too.
final class ErrorHandlers: Sendable {
    private struct TypeHandler: Sendable {
        let type: ObjectIdentifier
        let matches: @Sendable (any Error) -> Bool
        let handle: ErrorHandler
    }

    private struct Registry: Sendable {
        var byStatus: [Int: ErrorHandler] = [:]
        var byType: [TypeHandler] = []
    }

    private let registry = Mutex(Registry())

    func register(status: HTTPResponse.Status, _ handler: @escaping ErrorHandler) {
        registry.withLock { $0.byStatus[status.code] = handler }
    }

    func register<Failure>(type: Failure.Type, _ handler: @escaping @Sendable (Failure, ErrorContext) async throws -> Response) {
        let typeHandler = TypeHandler(
            type: ObjectIdentifier(type),
            matches: { $0 is Failure },
            handle: { context in try await handler(context.error as! Failure, context) }
        )
        registry.withLock { registry in
            registry.byType.removeAll { $0.type == typeHandler.type }
            registry.byType.append(typeHandler)
        }
    }

    func handler(forStatus status: HTTPResponse.Status) -> ErrorHandler? {
        registry.withLock { $0.byStatus[status.code] }
    }

    func handler(for error: any Error) -> ErrorHandler? {
        let exactType = ObjectIdentifier(type(of: error))
        return registry.withLock { registry in
            (registry.byType.first { $0.type == exactType } ?? registry.byType.first { $0.matches(error) })?.handle
        }
    }
}
