public import Beacon

/// The signals of one ``BeaconApp``: Flask's, under Flask's names, with the app as sender.
///
/// Receivers run in the order they connected. Synchronous receivers run in the request's task; asynchronous ones are
/// awaited there too, one after another. A receiver that throws does not stop the others nor the request: its error
/// goes to the signals' error handler, which ``BeaconApp`` sets to log it once, with the request id. A slow receiver costs the request its own time and no more; the
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

    /// A fresh set of signals in a namespace of their own, whose receivers' errors go to `onReceiverError`.
    public init(onReceiverError: ReceiverErrorHandler? = nil) {
        let namespace = Namespace()
        self.namespace = namespace
        // A fresh namespace has no signal of another type under any name: these lookups cannot throw.
        func signal<Payload: Sendable>(_ name: String, doc: String) -> Signal<Payload> {
            do {
                return try namespace.signal(name, doc: doc, onReceiverError: onReceiverError)
            } catch {
                preconditionFailure("BeaconWeb: \(error)")
            }
        }
        requestStarted = signal("request-started", doc: "A request came in; sent before routing.")
        requestFinished = signal("request-finished", doc: "The response has been written.")
        gotRequestException = signal(
            "got-request-exception",
            doc: "A route threw an error that is not an HTTP error and that no error handler takes."
        )
        requestTearingDown = signal("request-tearing-down", doc: "The request is over; always the last request signal.")
        appContextPushed = signal("appcontext-pushed", doc: "An application context was pushed for a request.")
        appContextTearingDown = signal("appcontext-tearing-down", doc: "A request's application context is torn down.")
        appContextPopped = signal("appcontext-popped", doc: "A request's application context was popped.")
        appStarted = signal("app-started", doc: "The HTTP server listens.")
        appStopping = signal("app-stopping", doc: "The HTTP server has stopped; the application is stopping.")
        beforeRenderTemplate = signal("before-render-template", doc: "A template is about to be rendered.")
        templateRendered = signal("template-rendered", doc: "A template was rendered.")
        messageFlashed = signal("message-flashed", doc: "A message was flashed to the user.")
    }
}
