public import Hummingbird

/// `requestStarted`'s payload: a request came in. Sent before routing, like Flask's `request_started`.
public struct RequestStarted: Sendable {
    public let request: RequestScope
}

/// `requestFinished`'s payload: the response has been written, like Flask's `request_finished` (which Flask sends
/// just before). Every request gets one, whatever its outcome: a route's response, an error handler's, a 404.
public struct RequestFinished: Sendable {
    public let request: RequestScope
    /// The status the client got.
    public let status: HTTPResponse.Status
    /// The response headers the client got (`X-Request-ID` among them).
    public let headers: HTTPFields
    /// From the request's arrival until its response was written.
    public let duration: Duration
}

/// `gotRequestException`'s payload: a route threw an error that is not an HTTP error and that no error handler
/// takes, like Flask's `got_request_exception`. Sent before the error becomes a 500 response.
public struct RequestException: Sendable {
    public let request: RequestScope
    public let error: any Error
    /// From the request's arrival until the error reached the lifecycle middleware.
    public let duration: Duration
}

/// `requestTearingDown`'s payload: the request is over, like Flask's `request_tearing_down`. Always the last request
/// signal, after `requestFinished`.
public struct RequestTeardown: Sendable {
    public let request: RequestScope
    /// The error that ended the request: the one `gotRequestException` reported, or a failure to write the response.
    /// Nil when the request ended normally, and when an error handler or an HTTP error produced the response.
    public let error: (any Error)?
}
