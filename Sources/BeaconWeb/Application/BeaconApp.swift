public import Beacon
public import BeaconEvents
public import Hummingbird
public import Logging
public import ServiceLifecycle

/// A web application in Flask's mould, on Hummingbird: Flask's request signals, error handlers, request ids and
/// per-request storage, and one log line per request.
///
/// The app is the sender of its ``signals``; it makes the router (whose first middleware is the request lifecycle)
/// and the Hummingbird application that serves it.
///
/// ```swift
/// let app = BeaconApp(service: "shop")
/// app.signals.requestFinished.connect { finished in
///     print(finished.request.method, finished.request.path, finished.status.code, finished.duration)
/// }
/// app.errorHandler(for: .notFound) { failure in failure.defaultResponse(message: "nothing here") }
///
/// let router = app.router()
/// router.get("hello") { _, _ in "Hello!" }
/// try await app.application(router: router).runService()
/// ```
public final class BeaconApp: Sendable {
    /// The service name: the first word of every routing key its events travel under (`web.request.info`).
    public let service: String
    /// Debug mode (`BEACON_DEBUG`): error pages show an internal error's type and description. Never in production.
    public let isDebug: Bool
    /// What never leaves the process: secret headers and query parameters.
    public let redaction: Redaction
    /// The app's logger; request loggers derive from it and add the request id (`hb.request.id`).
    public let logger: Logger
    /// The app's signals; the app is their sender. Their receivers' errors are logged once each, on ``logger``.
    public let signals: WebSignals
    /// Where routes enqueue tasks (``BeaconRequestContext/tasks``): give it a ``TaskEnqueuer`` once there is one.
    public let tasks = AppTasks()
    let errorHandlers = ErrorHandlers()

    /// - Parameters:
    ///   - service: the service name, letters, digits, `-` and `_` (it is a routing-key word).
    ///   - debug: debug mode.
    ///   - redaction: what is secret; Authorization, Cookie, Set-Cookie and password/token/secret parameters always are.
    ///   - logger: the app's logger: the process's, or one made for the app (a library never makes its own).
    /// - Throws: ``ServiceNameError`` when `service` cannot be the first word of a routing key.
    public init(
        service: String = "web",
        debug: Bool = false,
        redaction: Redaction = .standard,
        logger: Logger
    ) throws(ServiceNameError) {
        self.service = try Event.validServiceName(service)
        self.isDebug = debug
        self.redaction = redaction
        self.logger = logger
        self.signals = WebSignals(onReceiverError: BeaconApp.receiverErrorLogger(logger))
    }

    /// The app as a signal sender: `signal.connect(from: app.sender) { … }` hears only this app's sends.
    public var sender: Sender { .object(self) }

    // MARK: Error handlers

    /// Registers the handler for errors that answer with `status`: HTTP errors (`HTTPError(.notFound)`, an unknown
    /// path), and for `.internalServerError` also unhandled errors. Replaces an earlier handler for that status.
    /// Flask's `@app.errorhandler(404)`.
    public func errorHandler(for status: HTTPResponse.Status, _ handler: @escaping ErrorHandler) {
        errorHandlers.register(status: status, handler)
    }

    /// Registers the handler for errors of type `type` (or that cast to it: a protocol, a superclass). An error a
    /// type handler takes is handled: no `gotRequestException`, no 500. Flask's `@app.errorhandler(MyError)`.
    public func errorHandler<Failure>(
        for type: Failure.Type,
        _ handler: @escaping @Sendable (Failure, ErrorContext) async throws -> Response
    ) {
        errorHandlers.register(type: type, handler)
    }

    // MARK: Serving

    /// A router whose first middleware is the request lifecycle (``RequestLifecycleMiddleware``), so that every
    /// route added to it, and its 404s, go through it. Add your middleware and routes to it.
    public func router<Context: BeaconRequestContext>(
        context: Context.Type = BasicBeaconRequestContext.self,
        options: RouterOptions = []
    ) -> Router<Context> {
        let router = Router(context: context, options: options)
        router.add(middleware: RequestLifecycleMiddleware<Context>(app: self))
        return router
    }

    /// The Hummingbird application that serves `router`: it sends ``WebSignals/appStarted`` once the server listens
    /// and ``WebSignals/appStopping`` once it has stopped, and runs `services` (the event outbox) beside the server.
    /// On graceful shutdown the server stops first, then `appStopping` is sent, then `services` stop in reverse order.
    public func application<Context: BeaconRequestContext>(
        router: Router<Context>,
        configuration: ApplicationConfiguration = ApplicationConfiguration(),
        services: [any Service] = []
    ) -> Application<RouterResponder<Context>> where Context.Source == ApplicationRequestContextSource {
        Application(
            router: router,
            configuration: configuration,
            services: services + [AppLifecycleService(app: self)],
            onServerRunning: { channel in
                let address = channel.localAddress
                await self.signals.appStarted.send(AppStarted(host: address?.ipAddress, port: address?.port), from: self.sender)
            },
            logger: logger
        )
    }
}
