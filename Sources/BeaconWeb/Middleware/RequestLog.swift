import BeaconEvents
import Hummingbird

/// The request log: one line per request, `GET /hello 200 0.41ms`, through the request's logger (so with its
/// `hb.request.id`), with secret query values redacted and control characters escaped, so that nothing a client
/// sends can forge a log line.
public enum RequestLog {
    /// The swift-log `source` of the lines the lifecycle middleware logs for a request (its access line, and
    /// `Exception on /path [GET]` for an unhandled error). The `EventPublisher` publishes those requests and errors
    /// as events of their own, so `EventLogHandler` leaves these lines out (it is one of its
    /// `EventLogHandler/producerSources`): one request, one request event.
    public static let source = "beacon.web.request"

    /// `GET /hello?token=[REDACTED] 200 0.41ms`.
    static func line(for request: RequestScope, status: HTTPResponse.Status, duration: Duration) -> String {
        "\(request.method.rawValue) \(LogText.escaped(request.redactedPath)) \(status.code) \(milliseconds(duration))ms"
    }

    /// `Exception on /boom [GET]`, as Flask logs an unhandled error.
    static func exceptionLine(for request: RequestScope) -> String {
        "Exception on \(LogText.escaped(request.redactedPath)) [\(request.method.rawValue)]"
    }

    /// A duration in milliseconds with two decimals: `0.41`, `12.00`, `1503.27`.
    static func milliseconds(_ duration: Duration) -> String {
        let hundredths = max(0, Int((duration.milliseconds * 100).rounded()))
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

extension Duration {
    /// The duration in milliseconds.
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
