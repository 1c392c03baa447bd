import Beacon
import BeaconEvents
import BeaconOutbox
import BeaconTesting
import BeaconWebTesting
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import Testing

@testable import BeaconLogging
@testable import BeaconWeb

/// Requests, unhandled errors and application logs as events (schema v1).
@Suite struct EventPublisherTests {
    @Test func oneRequestEventPerRequest() async throws {
        let test = try TestApp()
        try await test.test { client in
            for _ in 0..<25 {
                try await client.execute(uri: "/hello", method: .get, headers: [.userAgent: "tests/1.0"]) { _ in }
            }
        }
        let events = test.events.transport.events
        #expect(events.count == 25, "one event per request, none from the request log line")
        let event = try #require(events.first)
        #expect(event.kind == .request)
        #expect(event.level == .info)
        #expect(event.service == "web")
        #expect(event.routingKey == "web.request.info")
        #expect(event.logger == "web.request")
        #expect(event.message.hasPrefix("GET /hello 200 "))
        #expect(event.message.hasSuffix("ms"))
        let request = try #require(event.request)
        #expect(request.method == "GET")
        #expect(request.path == "/hello")
        #expect(request.status == 200)
        #expect((request.durationMilliseconds ?? -1) >= 0)
        #expect(request.userAgent == "tests/1.0")
        #expect(request.id?.isEmpty == false)
        #expect(test.events.outbox.statistics.dropped == 0)
    }

    @Test func anUnhandledErrorYieldsARequestEventAndAnErrorEvent() async throws {
        let test = try TestApp()
        try await test.test { client in
            try await client.execute(uri: "/boom", method: .get) { _ in }
        }
        let events = test.events.transport.events
        #expect(events.count == 2)
        let request = try #require(events.first { $0.kind == .request })
        #expect(request.level == .error)
        #expect(request.routingKey == "web.request.error")
        #expect(request.request?.status == 500)
        let error = try #require(events.first { $0.kind == .error })
        #expect(error.routingKey == "web.error.error")
        #expect(error.message == "Exception on /boom [GET]")
        #expect(error.request?.id == request.request?.id)
        let details = try #require(error.error)
        #expect(details.type == "BeaconWebTests.TestFailure")
        #expect(details.message == "secret internal detail 42", "the broker gets what the client does not")
        // Where the route was registered through Beacon's router: what the error mail names as its location.
        let source = try #require(error.source)
        #expect(source.file == "BeaconWebTests/TestApp.swift")
        #expect(source.line == test.boomLine)
        #expect(source.module == "BeaconWebTests")
        #expect(source.function == "GET /boom")
        #expect(details.fingerprint == Event.ErrorDetails.fingerprint(type: details.type, source: source))
    }

    @Test func theSameErrorOnTheSameRouteSharesAFingerprint() async throws {
        let test = try TestApp()
        test.router.get("boom2") { _, _ -> String in throw TestFailure() }
        try await test.test { client in
            for uri in ["/boom", "/boom", "/boom2"] {
                try await client.execute(uri: uri, method: .get) { _ in }
            }
        }
        let fingerprints = test.events.transport.events(kind: .error).compactMap(\.error?.fingerprint)
        #expect(fingerprints.count == 3)
        #expect(fingerprints[0] == fingerprints[1])
        #expect(fingerprints[0] != fingerprints[2])
    }

    @Test func levelsFollowTheStatusAndTheMinimumLevelHolds() async throws {
        let test = try TestApp(eventLevel: .warning)
        try await test.test { client in
            try await client.execute(uri: "/hello", method: .get) { _ in }
            try await client.execute(uri: "/nowhere", method: .get) { _ in }
            try await client.execute(uri: "/log", method: .get) { _ in }
        }
        let events = test.events.transport.events
        #expect(events.map(\.routingKey).sorted() == ["web.log.warning", "web.request.warning"])
    }

    @Test func applicationLogsBecomeEvents() async throws {
        let test = try TestApp()
        try await test.test { client in
            try await client.execute(uri: "/log", method: .get) { _ in }
        }
        let log = try #require(test.events.transport.events(kind: .log).first { $0.message == "card expired" })
        #expect(log.level == .warning)
        #expect(log.routingKey == "web.log.warning")
        #expect(log.logger == "web")
        #expect(log.metadata["user"] == "bob")
        #expect(log.metadata["password"] == "[REDACTED]")
        #expect(log.metadata["hb.request.id"] == nil, "the id is in the event's request")
        #expect(log.request?.path == "/log")
        #expect(log.source?.file?.hasSuffix("TestApp.swift") == true)
        #expect((log.source?.line ?? 0) > 0)
    }

    @Test func aLoggedErrorBecomesAnErrorEvent() throws {
        let events = try InMemoryEventPipeline()
        let handler = EventLogHandler(label: "billing", publisher: events.publisher)
        let record = LogEvent(
            level: .error,
            message: "charge failed",
            error: PaymentDeclined(amount: 3),
            metadata: ["api_token": "t0ps3cret"],
            source: "Billing",
            file: "Billing/Charges.swift",
            function: "charge()",
            line: 12
        )
        let event = handler.makeEvent(record, level: .error, service: "web")
        #expect(event.kind == .error)
        #expect(event.routingKey == "web.error.error")
        #expect(event.error?.type == "BeaconWebTests.PaymentDeclined")
        #expect(event.error?.fingerprint.count == 16)
        #expect(event.metadata["api_token"] == "[REDACTED]")
        #expect(event.request == nil, "logged outside a request")
    }

    @Test func thePipelinesOwnLogsNeverBecomeEvents() throws {
        let events = try InMemoryEventPipeline()
        var outboxLogger = Logger(label: "beacon.outbox") { events.logHandler(label: $0) }
        outboxLogger.logLevel = .trace
        outboxLogger.error("cannot write the event spool")
        var amqpLogger = Logger(label: "beacon.amqp") { events.logHandler(label: $0) }
        amqpLogger.logLevel = .trace
        amqpLogger.critical("connection lost")
        Logger(label: "shop") { events.logHandler(label: $0) }.error("an application error")
        #expect(events.outbox.statistics.enqueued == 1)
    }
}
