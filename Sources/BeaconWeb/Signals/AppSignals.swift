/// `appStarted`'s payload: the HTTP server listens.
public struct AppStarted: Sendable {
    /// The address it listens on, e.g. `127.0.0.1`.
    public let host: String?
    /// The port it listens on (the one the system chose, when it was asked for port 0).
    public let port: Int?
}

/// `appStopping`'s payload: the application is stopping. Sent once the HTTP server has stopped accepting requests
/// and finished those in flight, before the event outbox flushes, so that events its receivers publish still go out.
public struct AppStopping: Sendable {
    /// How long the application ran.
    public let uptime: Duration
}

/// The payload of `appContextPushed`, `appContextTearingDown` and `appContextPopped`, Flask's `appcontext_*`
/// signals. As in Flask, every request runs in an application context: pushed before `requestStarted`, torn down
/// and popped after `requestTearingDown`.
public struct AppContextChange: Sendable {
    /// The request the context was pushed for.
    public let request: RequestScope
    /// For `appContextTearingDown`: the error that ended the request, as `requestTearingDown` reports it.
    public let error: (any Error)?
}

/// The payload of `beforeRenderTemplate` and `templateRendered`, Flask's template signals, for applications that
/// render templates: send them around your rendering with the app as sender.
///
/// ```swift
/// app.signals.beforeRenderTemplate.send(TemplateRendering(template: "invoice", context: values), from: app.sender)
/// ```
public struct TemplateRendering: Sendable {
    /// The template's name.
    public let template: String
    /// The values the template is rendered with.
    public let context: [String: any Sendable]

    public init(template: String, context: [String: any Sendable] = [:]) {
        self.template = template
        self.context = context
    }
}

/// The payload of `messageFlashed`, Flask's `message_flashed`, for applications that flash messages to their users.
public struct FlashedMessage: Sendable {
    public let message: String
    /// Flask's categories: `message`, `info`, `warning`, `error`, or your own.
    public let category: String

    public init(message: String, category: String = "message") {
        self.message = message
        self.category = category
    }
}
