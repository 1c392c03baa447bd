public import Beacon
import BeaconEvents
public import BeaconLogging
import BeaconOutbox
import Hummingbird

/// An app's requests and unhandled errors as events (schema v1), through an ``EventPublisher`` (whose outbox
/// publishes them with confirms, or spools them); the request never waits for the broker.
///
/// It is an ordinary subscriber of the app's signals:
/// - `requestFinished` → one `request` event per request: `GET /hello 200 0.41ms`, level `info` below 400,
///   `warning` for 4xx, `error` for 5xx, with the request id, method, redacted path, status, duration, client address
///   and user agent.
/// - `gotRequestException` → one `error` event: `Exception on /boom [GET]`, with the error's type, description and
///   fingerprint, the route's file and line when it was registered through Beacon, and the request's headers with
///   secrets redacted.
extension EventPublisher {
    /// Subscribes to `app`'s `requestFinished` and `gotRequestException`: from now on each of its requests yields a
    /// request event, each unhandled error an error event. Cancel the subscriptions to stop.
    @discardableResult
    public func publishRequests(of app: BeaconApp) -> [Subscription] {
        let names = LoggerNames(service: service)
        let requestEvents = app.signals.requestFinished.connect(from: app.sender) { [self] finished in
            let level = Self.level(for: finished.status)
            guard publishes(level) else { return }
            outbox.enqueue(requestEvent(finished, level: level, logger: names.request))
        }
        let errorEvents = app.signals.gotRequestException.connect(from: app.sender) { [self] exception in
            guard publishes(.error) else { return }
            outbox.enqueue(errorEvent(exception, logger: names.error))
        }
        return [requestEvents, errorEvents]
    }

    // MARK: Making events

    static func level(for status: HTTPResponse.Status) -> Event.Level {
        switch status.code {
        case ..<400: .info
        case ..<500: .warning
        default: .error
        }
    }

    func requestEvent(_ finished: RequestFinished, level: Event.Level, logger: String) -> Event {
        let request = finished.request
        let path = request.redactedPath
        var eventRequest = request.eventRequest(path: path)
        eventRequest.status = finished.status.code
        eventRequest.durationMilliseconds = (finished.duration.milliseconds * 1000).rounded() / 1000
        return Event(
            service: service,
            kind: .request,
            level: level,
            logger: logger,
            message: "\(request.method.rawValue) \(path) \(finished.status.code) \(RequestLog.milliseconds(finished.duration))ms",
            request: eventRequest
        )
    }

    func errorEvent(_ exception: RequestException, logger: String) -> Event {
        let request = exception.request
        let path = request.redactedPath
        var eventRequest = request.eventRequest(path: path)
        eventRequest.status = 500
        eventRequest.durationMilliseconds = (exception.duration.milliseconds * 1000).rounded() / 1000
        // Swift errors carry no throw site: the route stands for it (where it was registered, when through Beacon), so
        // that the same error on the same route groups under one fingerprint.
        let route = "\(request.method.rawValue) \(request.endpoint ?? String(request.path.prefix { $0 != "?" }))"
        let location = request.routeLocation
        let source = Event.Source(file: location?.file, line: location?.line, function: route, module: location?.module)
        var metadata: [String: String] = [:]
        for (name, value) in request.redactedHeaders {
            metadata["header.\(name.lowercased())"] = value
        }
        return Event(
            service: service,
            kind: .error,
            level: .error,
            logger: logger,
            message: "Exception on \(path) [\(request.method.rawValue)]",
            source: source,
            request: eventRequest,
            error: Event.ErrorDetails(
                type: String(reflecting: type(of: exception.error)),
                message: String(describing: exception.error),
                source: source
            ),
            metadata: metadata
        )
    }
}

extension RequestScope {
    /// The request part of an event, with `path` (already redacted).
    func eventRequest(path: String) -> Event.Request {
        Event.Request(id: id, method: method.rawValue, path: path, remote: remoteAddress, userAgent: userAgent)
    }
}

/// The loggers of an app's request and error events, `<service>.request` and `<service>.error`, made once.
private struct LoggerNames {
    let request: String
    let error: String

    init(service: String) {
        request = "\(service).request"
        error = "\(service).error"
    }
}
