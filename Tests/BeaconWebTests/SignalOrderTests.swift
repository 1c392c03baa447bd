import Beacon
import BeaconEvents
import BeaconOutbox
import BeaconTesting
import BeaconWeb
import BeaconWebTesting
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import Testing

/// Flask's request lifecycle, signal by signal, on every path a request can take.
@Suite struct SignalOrderTests {
    static let setups: [TestingSetup] = [.router, .live]

    /// The signals of one request that ends without an unhandled error.
    static let normalRequest = [
        "appcontext-pushed", "request-started", "request-finished", "request-tearing-down", "appcontext-tearing-down",
        "appcontext-popped",
    ]

    func requestSignals(_ recorder: SignalRecorder) -> [String] {
        recorder.names.filter { $0 != "app-started" && $0 != "app-stopping" }
    }

    @Test(arguments: setups) func okRequest(setup: TestingSetup) async throws {
        let test = try TestApp()
        try await test.test(setup: setup) { client in
            try await client.execute(uri: "/hello", method: .get) { response in #expect(response.status == .ok) }
        }
        #expect(requestSignals(test.signals) == Self.normalRequest)
        let finished = try #require(test.signals.payloads(of: test.app.signals.requestFinished).first)
        #expect(finished.status == .ok)
        #expect(finished.headers[RequestIDPolicy.headerName] == finished.request.id)
        #expect(finished.duration > .zero)
        let teardown = try #require(test.signals.payloads(of: test.app.signals.requestTearingDown).first)
        #expect(teardown.error == nil)
        #expect(teardown.request === finished.request, "every signal of a request carries the same scope")
    }

    @Test(arguments: setups) func notFound(setup: TestingSetup) async throws {
        let test = try TestApp()
        try await test.test(setup: setup) { client in
            try await client.execute(uri: "/nowhere", method: .get) { response in #expect(response.status == .notFound) }
        }
        #expect(requestSignals(test.signals) == Self.normalRequest)
        #expect(test.signals.payloads(of: test.app.signals.requestFinished).first?.status == .notFound)
        #expect(test.signals.payloads(of: test.app.signals.requestTearingDown).first?.error == nil)
    }

    @Test(arguments: setups) func httpError(setup: TestingSetup) async throws {
        let test = try TestApp()
        try await test.test(setup: setup) { client in
            try await client.execute(uri: "/forbidden", method: .get) { response in #expect(response.status == .forbidden) }
        }
        #expect(requestSignals(test.signals) == Self.normalRequest, "an HTTP error is not an exception: no got-request-exception")
        #expect(test.signals.payloads(of: test.app.signals.requestTearingDown).first?.error == nil)
    }

    @Test(arguments: setups) func thrownError(setup: TestingSetup) async throws {
        let test = try TestApp()
        try await test.test(setup: setup) { client in
            try await client.execute(uri: "/boom", method: .get) { response in #expect(response.status == .internalServerError) }
        }
        #expect(
            requestSignals(test.signals) == [
                "appcontext-pushed", "request-started", "got-request-exception", "request-finished", "request-tearing-down",
                "appcontext-tearing-down", "appcontext-popped",
            ]
        )
        let exception = try #require(test.signals.payloads(of: test.app.signals.gotRequestException).first)
        #expect(exception.error is TestFailure)
        #expect(exception.request.path == "/boom")
        #expect(test.signals.payloads(of: test.app.signals.requestFinished).first?.status == .internalServerError)
        #expect(test.signals.payloads(of: test.app.signals.requestTearingDown).first?.error is TestFailure)
        #expect(test.signals.payloads(of: test.app.signals.appContextTearingDown).first?.error is TestFailure)
    }

    @Test func anErrorATypeHandlerTakesIsNoException() async throws {
        let test = try TestApp()
        test.app.errorHandler(for: PaymentDeclined.self) { declined, failure in
            failure.defaultResponse(message: "declined: \(declined.amount)")
        }
        try await test.test { client in
            try await client.execute(uri: "/pay", method: .get) { response in
                #expect(response.status == .internalServerError)
                #expect(String(buffer: response.body).contains("declined: 12"))
            }
        }
        #expect(requestSignals(test.signals) == Self.normalRequest)
    }

    @Test func theAppIsTheSender() async throws {
        let test = try TestApp()
        let other = try BeaconApp(logger: test.app.logger)
        let heard = Counter()
        let notHeard = Counter()
        test.app.signals.requestStarted.connect(from: test.app.sender) { _ in heard.increment() }
        test.app.signals.requestStarted.connect(from: other.sender) { _ in notHeard.increment() }
        try await test.test { client in
            try await client.execute(uri: "/hello", method: .get) { _ in }
        }
        #expect(heard.value == 1)
        #expect(notHeard.value == 0)
    }

    @Test func appStartedAndStopping() async throws {
        let test = try TestApp()
        let signals = test.signals
        try await test.test(setup: .live) { client in
            try await client.execute(uri: "/hello", method: .get) { _ in }
            #expect(signals.names.first == "app-started")
            #expect(!signals.names.contains("app-stopping"))
        }
        let started = try #require(test.signals.payloads(of: test.app.signals.appStarted).first)
        #expect(started.port != nil && started.port != 0)
        #expect(test.signals.names.last == "app-stopping", "sent once the server has stopped")
        #expect(test.signals.names.filter { $0 == "app-stopping" }.count == 1)
    }

    @Test func gIsSharedBetweenTheRouteAndTheReceivers() async throws {
        let test = try TestApp()
        let seen = Box<String?>(nil)
        test.app.signals.requestTearingDown.connect { teardown in seen.value = teardown.request.g[CurrentUser.self] }
        try await test.test { client in
            try await client.execute(uri: "/user", method: .get) { _ in }
            try await client.execute(uri: "/hello", method: .get) { _ in }
        }
        #expect(seen.value == nil, "each request has its own g: the second one saw nothing")
        let scopes = test.signals.payloads(of: test.app.signals.requestTearingDown).map(\.request)
        #expect(scopes.count == 2)
        #expect(scopes.first?.g[CurrentUser.self] == "alice")
    }
}
