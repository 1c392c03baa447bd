public import Hummingbird

/// What an error handler gets: the error, the status the response is going to have, the request, and Beacon's
/// default page for it.
///
/// ```swift
/// app.errorHandler(for: .notFound) { failure in
///     failure.defaultResponse(message: "No such page: \(failure.request.path)")
/// }
/// ```
public struct ErrorContext: Sendable {
    /// The error. For the 500 handler of an unhandled error, the error the route threw.
    public let error: any Error
    /// The status the response is going to have.
    public let status: HTTPResponse.Status
    /// The request that failed.
    public let request: RequestScope
    /// What the client prefers, from its `Accept` header.
    public let format: ErrorFormat
    /// Whether the app runs in debug mode (`BEACON_DEBUG`): only then may a page show an internal error's details.
    public let isDebug: Bool
    /// Headers the error asked for (an `HTTPError`'s, e.g. `Allow` or `WWW-Authenticate`).
    let headers: HTTPFields
    /// The message Beacon's page shows by default: an HTTP error's own message, never an internal error's.
    let defaultMessage: String?

    /// The request id, also in the `X-Request-ID` response header.
    public var requestID: String { request.id }

    /// Beacon's error page for this error, as JSON or HTML as the client prefers, with the request id; with
    /// `message` instead of the default one when given. An internal error's type and description appear only in
    /// debug mode.
    public func defaultResponse(message: String? = nil) -> Response {
        let showsDetails = isDebug && !(error is any HTTPResponseError)
        let page = ErrorPage(
            status: status,
            message: message ?? defaultMessage,
            requestID: request.id,
            debugDetails: showsDetails ? (String(reflecting: type(of: error)), String(describing: error)) : nil
        )
        return page.response(format: format, headers: headers)
    }
}
