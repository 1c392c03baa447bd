import BeaconEvents
import BeaconLogging
import BeaconTesting
import BeaconWeb
import BeaconWebTesting
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging

/// What a route of the test app throws when it fails unexpectedly; its description must never reach a client
/// outside debug mode.
struct TestFailure: Error, CustomStringConvertible {
    var description: String { "secret internal detail 42" }
}

/// An error the test app has a type handler for.
struct PaymentDeclined: Error {
    let amount: Int
}

enum CurrentUser: RequestStorageKey {
    typealias Value = String
}

/// An app with a few routes, its logs recorded and published, its events in memory, its signals recorded.
struct TestApp {
    let app: BeaconApp
    /// Every log line of the app, from trace on.
    let logs: InMemoryLogHandler
    let events: InMemoryEventPipeline
    let signals: SignalRecorder
    let router: Router<BasicBeaconRequestContext>
    /// The line `GET /boom` is registered on, in this file.
    let boomLine: Int

    init(debug: Bool = false, eventLevel: Event.Level = .info) throws {
        let events = try InMemoryEventPipeline(minimumLevel: eventLevel)
        var logs = InMemoryLogHandler()
        logs.logLevel = .trace
        self.logs = logs
        app = try BeaconApp(
            debug: debug,
            logger: Logger(label: "web") { label in LogHandlerPair(logs, events.pipeline.logHandler(label: label)) }
        )
        events.publisher.publishRequests(of: app)
        self.events = events
        signals = SignalRecorder(app.signals)
        router = app.router()
        router.get("hello") { _, _ in "hello" }
        boomLine = #line + 1
        router.get("boom") { _, _ -> String in throw TestFailure() }
        router.get("forbidden") { _, _ -> String in
            throw HTTPError(.forbidden, headers: [.wwwAuthenticate: "Basic"], message: "no entry")
        }
        router.get("pay") { _, _ -> String in throw PaymentDeclined(amount: 12) }
        router.get("user") { _, context -> String in
            context.g[CurrentUser.self] = "alice"
            return "hello alice"
        }
        router.get("whoami") { _, context -> String in context.requestID }
        router.get("log") { _, context -> String in
            context.logger.warning("card expired", metadata: ["password": "hunter2", "user": "bob"])
            Logger.current.notice("from the task-local logger")
            return "logged"
        }
    }

    /// Runs `test` against the app (router or live), then returns once the app has stopped and flushed its events.
    func test<Value: Sendable>(
        setup: TestingSetup = .router,
        _ test: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        try await app.test(router, events: events, setup: setup, test)
    }
}

extension InMemoryLogHandler.Entry {
    /// Whether this is a request line of the lifecycle middleware (`GET /hello 200 0.41ms`).
    var isRequestLine: Bool {
        let text = message.description
        return ["GET ", "POST ", "PUT ", "DELETE "].contains { text.hasPrefix($0) }
    }
}
