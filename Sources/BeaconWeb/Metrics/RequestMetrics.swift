import Beacon
import HTTPTypes
import Metrics
import Synchronization

/// Request metrics, from the app's `requestFinished` signal: a subscriber like any other.
///
/// - `beacon_http_requests_total{method, route, status}`: requests answered;
/// - `beacon_http_request_duration_seconds{method, route}`: from arrival until the response was written.
///
/// `route` is the route that matched (`/users/{id}`), or `NotFound`: never the raw path, whose variety would make a
/// metric per URL.
public final class RequestMetrics: Sendable {
    private struct Key: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    private struct Instruments {
        let requests: Counter
        let duration: Timer
    }

    private let instruments = Mutex<[Key: Instruments]>([:])

    /// Records `app`'s requests from now on, through the swift-metrics backend the process bootstrapped, for as long as
    /// this object lives: its receiver is bound to it and disconnects itself once it is deallocated.
    public init(app: BeaconApp) {
        app.signals.requestFinished.connect(from: app.sender, owner: self) { metrics, finished in
            metrics.record(finished)
        }
    }

    private func record(_ finished: RequestFinished) {
        let key = Key(method: finished.request.method.rawValue, route: finished.request.endpoint ?? "NotFound", status: finished.status.code)
        let instruments = instruments.withLock { cache in
            if let cached = cache[key] { return cached }
            let made = Instruments(
                requests: Counter(
                    label: "beacon_http_requests_total",
                    dimensions: [("method", key.method), ("route", key.route), ("status", String(key.status))]
                ),
                duration: Timer(
                    label: "beacon_http_request_duration_seconds",
                    dimensions: [("method", key.method), ("route", key.route)],
                    preferredDisplayUnit: .seconds
                )
            )
            cache[key] = made
            return made
        }
        instruments.requests.increment()
        instruments.duration.record(duration: finished.duration)
    }
}
