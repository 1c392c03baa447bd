public import Hummingbird
import Logging

/// The request lifecycle, Flask's: a request id, a ``RequestScope`` (with `g`), the request signals in Flask's
/// order, error handlers, and one log line per request. It must come before any route: ``BeaconApp/router(context:options:)``
/// adds it first.
///
/// For each request:
/// 1. The id: the incoming `X-Request-ID` if valid, else a new one. It goes in the request logger's metadata
///    (`hb.request.id`), in the response's `X-Request-ID` header and in every event.
/// 2. `appContextPushed`, `requestStarted`; then the route runs, with the request logger as swift-log's task-local
///    logger (`Logger.current`).
/// 3. If it throws: error handlers per ``ErrorHandlers``; an unhandled error sends `gotRequestException`, is logged as
///    `Exception on /path [GET]`, and becomes a 500 without internal details (unless in debug mode).
/// 4. Once the response body has been written: the log line, `requestFinished`, `requestTearingDown`,
///    `appContextTearingDown`, `appContextPopped`.
///
/// Receivers that throw are logged and never change the response.
public struct RequestLifecycleMiddleware<Context: BeaconRequestContext>: RouterMiddleware {
    let app: BeaconApp

    public init(app: BeaconApp) {
        self.app = app
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var context = context
        let id = RequestIDPolicy.resolve(request.headers[RequestIDPolicy.headerName]) {
            context.logger[metadataKey: RequestScope.loggerMetadataKey]?.description ?? Hummingbird.RequestID().description
        }
        let scope = RequestScope(
            id: id,
            request: request,
            channel: context.beacon.channel,
            endpointPath: context.coreContext.endpointPath,
            redaction: app.redaction,
            tasks: app.tasks,
            startInstant: start
        )
        // The scope prints as the request id; EventLogHandler finds the request in it.
        context.logger[metadataKey: RequestScope.loggerMetadataKey] = .stringConvertible(scope)
        context.beacon.scope = scope
        let logger = context.logger
        let app = app

        var unhandledError: (any Error)?
        var response = await withLogger(logger) { _ -> Response in
            await app.emit(app.signals.appContextPushed, AppContextChange(request: scope, error: nil))
            await app.emit(app.signals.requestStarted, RequestStarted(request: scope))
            do {
                return try await next(request, context)
            } catch {
                let (response, unhandled) = await respond(to: error, request: request, context: context)
                unhandledError = unhandled
                return response
            }
        }
        response.headers[RequestIDPolicy.headerName] = scope.id
        let status = response.status
        let headers = response.headers
        let endingError = unhandledError
        let completion = RequestCompletion { writeError in
            await withLogger(logger) { _ in
                let duration = ContinuousClock.now - start
                logger.info("\(RequestLog.line(for: scope, status: status, duration: duration))", source: RequestLog.source)
                let finished = RequestFinished(request: scope, status: status, headers: headers, duration: duration)
                await app.emit(app.signals.requestFinished, finished)
                let error = endingError ?? writeError
                await app.emit(app.signals.requestTearingDown, RequestTeardown(request: scope, error: error))
                await app.emit(app.signals.appContextTearingDown, AppContextChange(request: scope, error: error))
                await app.emit(app.signals.appContextPopped, AppContextChange(request: scope, error: nil))
            }
        }
        response.body = response.body.finishing(with: completion)
        return response
    }
}
