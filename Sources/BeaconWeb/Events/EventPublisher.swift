import Beacon
import BeaconEvents
import BeaconOutbox
import Hummingbird
import Synchronization

/// Turns an app's requests and unhandled errors into events (schema v1) and hands them to an ``EventOutbox``, which
/// publishes them with confirms or spools them; the request never waits for the broker.
///
/// It is an ordinary subscriber of the app's signals:
/// - `requestFinished` → one `request` event per request: `GET /hello 200 0.41ms`, level `info` below 400,
///   `warning` for 4xx, `error` for 5xx, with the request id, method, redacted path, status, duration, client address
///   and user agent.
/// - `gotRequestException` → one `error` event: `Exception on /boom [GET]`, with the error's type, description and
///   fingerprint (type and route), and the request's headers with secrets redacted.
///
/// Application logs become events through ``EventLogHandler``, which publishes through the same publisher.
public final class EventPublisher: Sendable {
    /// Where events go.
    public let outbox: EventOutbox
    /// The service name events carry: the first word of their routing keys.
    public let service: String
    /// The lowest level published (`BEACON_EVENT_LEVEL`); lower events are not made at all.
    public let minimumLevel: Event.Level
    /// The loggers of request and error events, `<service>.request` and `<service>.error`.
    private let requestLogger: String
    private let errorLogger: String
    private let subscriptions = Mutex<[Subscription]>([])

    /// A publisher into `outbox` for events of `service`. Connect it to an app with ``publishRequests(of:)``, and to
    /// swift-log with ``EventLogHandler``.
    public init(outbox: EventOutbox, service: String, minimumLevel: Event.Level = .info) {
        precondition(Event.isValidServiceName(service), "BeaconWeb: '\(service)' is not a service name (letters, digits, - and _)")
        self.outbox = outbox
        self.service = service
        self.minimumLevel = minimumLevel
        self.requestLogger = "\(service).request"
        self.errorLogger = "\(service).error"
    }

    /// Subscribes to `app`'s `requestFinished` and `gotRequestException`: from now on each of its requests yields a
    /// request event, each unhandled error an error event.
    public func publishRequests(of app: BeaconApp) {
        let requestEvents = app.signals.requestFinished.connect(from: app.sender) { [self] finished in
            let level = Self.level(for: finished.status)
            guard level >= minimumLevel else { return }
            outbox.enqueue(requestEvent(finished, level: level))
        }
        let errorEvents = app.signals.gotRequestException.connect(from: app.sender) { [self] exception in
            guard Event.Level.error >= minimumLevel else { return }
            outbox.enqueue(errorEvent(exception))
        }
        subscriptions.withLock { $0 += [requestEvents, errorEvents] }
    }

    /// Stops publishing the requests and errors of every app this publisher was connected to.
    public func cancel() {
        for subscription in subscriptions.withLock({ $0 }) { subscription.cancel() }
    }

    /// Publishes `event` if its level is high enough. Never blocks; false when it was not taken (too low, or
    /// dropped by a full outbox buffer, which counts it).
    @discardableResult
    public func publish(_ event: Event) -> Bool {
        guard event.level >= minimumLevel else { return false }
        return outbox.enqueue(event)
    }

    // MARK: Making events

    static func level(for status: HTTPResponse.Status) -> Event.Level {
        switch status.code {
        case ..<400: .info
        case ..<500: .warning
        default: .error
        }
    }

    func requestEvent(_ finished: RequestFinished, level: Event.Level) -> Event {
        let request = finished.request
        let path = request.redactedPath
        var eventRequest = request.eventRequest(path: path)
        eventRequest.status = finished.status.code
        eventRequest.durationMilliseconds = (finished.duration.milliseconds * 1000).rounded() / 1000
        return Event(
            service: service,
            kind: .request,
            level: level,
            logger: requestLogger,
            message: "\(request.method.rawValue) \(path) \(finished.status.code) \(RequestLog.milliseconds(finished.duration))ms",
            request: eventRequest
        )
    }

    func errorEvent(_ exception: RequestException) -> Event {
        let request = exception.request
        let path = request.redactedPath
        var eventRequest = request.eventRequest(path: path)
        eventRequest.status = 500
        eventRequest.durationMilliseconds = (exception.duration.milliseconds * 1000).rounded() / 1000
        // Swift errors carry no throw site: the route stands for it, so that the same error on the same route
        // groups under one fingerprint.
        let source = Event.Source(function: "\(request.method.rawValue) \(request.endpoint ?? String(request.path.prefix { $0 != "?" }))")
        var metadata: [String: String] = [:]
        for (name, value) in request.redactedHeaders {
            metadata["header.\(name.lowercased())"] = value
        }
        return Event(
            service: service,
            kind: .error,
            level: .error,
            logger: errorLogger,
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
