import Hummingbird
import Logging

extension RequestLifecycleMiddleware {
    /// The response for an error a route threw, and the error when it is unhandled (it then ends the request, as
    /// `requestTearingDown` reports).
    func respond(to error: any Error, request: Request, context: Context) async -> (Response, (any Error)?) {
        let scope = context.scope
        let format = ErrorFormat(accept: request.headers[.accept])
        guard let httpError = error as? any HTTPResponseError else {
            // Not an HTTP error: handled only by a handler for its type.
            guard let handler = app.errorHandlers.handler(for: error) else {
                return await respondToUnhandled(error, scope: scope, format: format, logger: context.logger)
            }
            return await run(handler, internalServerErrorContext(error, scope: scope, format: format), logger: context.logger)
        }
        let (headers, message) = await Self.headersAndMessage(of: httpError, request: request, context: context)
        let errorContext = ErrorContext(
            error: error,
            status: httpError.status,
            request: scope,
            format: format,
            isDebug: app.isDebug,
            headers: headers,
            defaultMessage: message
        )
        guard let handler = app.errorHandlers.handler(forStatus: httpError.status) ?? app.errorHandlers.handler(for: error) else {
            return (errorContext.defaultResponse(), nil)
        }
        return await run(handler, errorContext, logger: context.logger)
    }

    /// The context of an error that answers with a 500.
    private func internalServerErrorContext(_ error: any Error, scope: RequestScope, format: ErrorFormat) -> ErrorContext {
        ErrorContext(
            error: error,
            status: .internalServerError,
            request: scope,
            format: format,
            isDebug: app.isDebug,
            headers: [:],
            defaultMessage: nil
        )
    }

    /// Runs an error handler; what it throws is unhandled.
    private func run(_ handler: ErrorHandler, _ errorContext: ErrorContext, logger: Logger) async -> (Response, (any Error)?) {
        do {
            return (try await handler(errorContext), nil)
        } catch {
            return await respondToUnhandled(error, scope: errorContext.request, format: errorContext.format, logger: logger)
        }
    }

    /// Flask's `handle_exception`: `gotRequestException`, the `Exception on …` log line, then a 500 from the 500
    /// handler or Beacon's page, which shows the error's details only in debug mode.
    private func respondToUnhandled(
        _ error: any Error,
        scope: RequestScope,
        format: ErrorFormat,
        logger: Logger
    ) async -> (Response, (any Error)?) {
        let exception = RequestException(request: scope, error: error, duration: .now - scope.startInstant)
        await app.emit(app.signals.gotRequestException, exception)
        logger.error("\(RequestLog.exceptionLine(for: scope))", error: error, source: RequestLog.source)
        let errorContext = internalServerErrorContext(error, scope: scope, format: format)
        if let handler = app.errorHandlers.handler(forStatus: .internalServerError) {
            do {
                return (try await handler(errorContext), error)
            } catch let handlerError {
                logger.error("the error handler for 500 failed: \(handlerError)", error: handlerError)
            }
        }
        return (errorContext.defaultResponse(), error)
    }

    /// The headers an HTTP error asks for, and its message for the client: an `HTTPError`'s own; for other
    /// `HTTPResponseError`s, the headers of the response they make (their body is replaced by Beacon's page).
    private static func headersAndMessage(
        of error: any HTTPResponseError,
        request: Request,
        context: Context
    ) async -> (HTTPFields, String?) {
        if let httpError = error as? HTTPError {
            return (httpError.headers, httpError.body)
        }
        guard var headers = try? error.response(from: request, context: context).headers else { return ([:], nil) }
        headers[.contentType] = nil
        headers[.contentLength] = nil
        return (headers, nil)
    }
}
