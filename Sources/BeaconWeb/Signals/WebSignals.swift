public import Beacon

/// The signals of one ``BeaconApp``: Flask's, under Flask's names, with the app as sender.
///
/// Receivers run in the order they connected. Synchronous receivers run in the request's task; asynchronous ones are
/// awaited there too, one after another. A receiver that throws does not stop the others nor the request: its error
/// is logged once, with the request id. A slow receiver costs the request its own time and no more; the
/// `requestFinished` and `requestTearingDown` receivers run after the response has been written.
///
/// Per request, in this order:
///
/// | signal | when |
/// | --- | --- |
/// | ``appContextPushed`` | a request came in |
/// | ``requestStarted`` | before routing |
/// | ``gotRequestException`` | a route threw an error that is not an HTTP error and that no error handler takes; before it becomes a 500 |
/// | ``requestFinished`` | the response has been written (status, headers, duration) |
/// | ``requestTearingDown`` | always, last; with the error if any |
/// | ``appContextTearingDown``, ``appContextPopped`` | the request's application context ends |
///
/// Once per run: ``appStarted`` when the server listens, ``appStopping`` when it has stopped. For applications that
/// use them: ``beforeRenderTemplate``, ``templateRendered``, ``messageFlashed``.
public final class WebSignals: Sendable {
    /// The signals by name (`request-started`, `request-finished`, …): Blinker's `Namespace`.
    public let namespace: Namespace

    public let requestStarted: Signal<RequestStarted>
    public let requestFinished: Signal<RequestFinished>
    public let gotRequestException: Signal<RequestException>
    public let requestTearingDown: Signal<RequestTeardown>
    public let appContextPushed: Signal<AppContextChange>
    public let appContextTearingDown: Signal<AppContextChange>
    public let appContextPopped: Signal<AppContextChange>
    public let appStarted: Signal<AppStarted>
    public let appStopping: Signal<AppStopping>
    public let beforeRenderTemplate: Signal<TemplateRendering>
    public let templateRendered: Signal<TemplateRendering>
    public let messageFlashed: Signal<FlashedMessage>

    /// A fresh set of signals in a namespace of their own.
    public init() {
        let namespace = Namespace()
        self.namespace = namespace
        requestStarted = namespace.signal("request-started", doc: "A request came in; sent before routing.")
        requestFinished = namespace.signal("request-finished", doc: "The response has been written.")
        gotRequestException = namespace.signal(
            "got-request-exception",
            doc: "A route threw an error that is not an HTTP error and that no error handler takes."
        )
        requestTearingDown = namespace.signal("request-tearing-down", doc: "The request is over; always the last request signal.")
        appContextPushed = namespace.signal("appcontext-pushed", doc: "An application context was pushed for a request.")
        appContextTearingDown = namespace.signal("appcontext-tearing-down", doc: "A request's application context is torn down.")
        appContextPopped = namespace.signal("appcontext-popped", doc: "A request's application context was popped.")
        appStarted = namespace.signal("app-started", doc: "The HTTP server listens.")
        appStopping = namespace.signal("app-stopping", doc: "The HTTP server has stopped; the application is stopping.")
        beforeRenderTemplate = namespace.signal("before-render-template", doc: "A template is about to be rendered.")
        templateRendered = namespace.signal("template-rendered", doc: "A template was rendered.")
        messageFlashed = namespace.signal("message-flashed", doc: "A message was flashed to the user.")
    }
}
