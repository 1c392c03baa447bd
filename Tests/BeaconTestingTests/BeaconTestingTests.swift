import Beacon
import BeaconEvents
import BeaconLogging
import BeaconOutbox
import BeaconTesting
import BeaconWeb
import BeaconWebTesting
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The helpers users test their apps with.
@Suite struct BeaconTestingTests {
    func app(events: InMemoryEventPipeline? = nil) throws -> (BeaconApp, Router<BasicBeaconRequestContext>) {
        let app = try BeaconApp(logger: Logger(label: "web") { events?.logHandler(label: $0) ?? SwiftLogNoOpLogHandler() })
        events?.publisher.publishRequests(of: app)
        let router = app.router()
        router.get("hello") { _, context in
            context.logger.warning("about to greet")
            return "hello"
        }
        return (app, router)
    }

    @Test func recordingCapturesTheSignalsSentDuringABlock() async throws {
        let (app, router) = try app()
        let (status, records) = try await app.signals.recording {
            try await app.test(router) { client in
                try await client.execute(uri: "/hello", method: .get) { $0.status }
            }
        }
        #expect(status == .ok)
        #expect(records.map(\.name).contains("request-finished"))
        #expect((records.first { $0.name == "request-started" }?.payload as? RequestStarted)?.request.path == "/hello")
        let after = await app.signals.recording { app.signals.messageFlashed.send(FlashedMessage(message: "hi"), from: app.sender) }
        #expect(after.records.map(\.name) == ["message-flashed"], "nothing of the earlier requests")
    }

    @Test func aBrokerlessAppRecordsWhatWouldHaveBeenPublished() async throws {
        let events = try InMemoryEventPipeline()
        let (app, router) = try app(events: events)
        try await app.test(router, events: events) { client in
            try await client.execute(uri: "/hello", method: .get) { _ in }
        }
        #expect(events.transport.events.map(\.routingKey) == ["web.log.warning", "web.request.info"])
        let requestID = try #require(events.transport.events(kind: .request).first?.request?.id)
        #expect(events.transport.events(ofRequest: requestID).count == 2)
        #expect(events.transport.messages.allSatisfy { $0.contentType == Event.contentType || $0.contentType == EventBatch.contentType })
    }

    @Test func whileTheInMemoryBrokerIsAwayEventsAreSpooledThenReplayedInOrder() async throws {
        let events = try InMemoryEventPipeline()
        let (app, router) = try app(events: events)
        events.transport.isAvailable = false
        try await app.test(router, events: events) { client in
            for _ in 0..<30 {
                try await client.execute(uri: "/hello", method: .get) { _ in }
            }
            #expect(await eventually { events.outbox.statistics.inSpool == 60 })
            #expect(events.transport.events.isEmpty)
            events.transport.isAvailable = true
            #expect(await eventually { events.outbox.statistics.delivered == 60 && events.outbox.statistics.inSpool == 0 })
        }
        let requestIDs = events.transport.events(kind: .request).compactMap(\.request?.id)
        #expect(requestIDs.count == 30)
        #expect(requestIDs == requestIDs.sorted { $0.lexicographicallyPrecedes($1) }, "in the order they were served")
        #expect(events.outbox.statistics.dropped == 0)
    }

    @Test func anyProducerTestsItsEventsWithoutAWebApp() async throws {
        let events = try InMemoryEventPipeline(service: "billing", minimumLevel: .notice)
        let logger = Logger(label: "billing.charges", factory: events.logHandler)
        try await events.run {
            logger.info("below the level: not published")
            logger.warning("card declined", metadata: ["card_token": "tok_123", "order": "42"])
            #expect(events.publisher.publish(Event(service: "billing", kind: .log, level: .notice, message: "nightly report sent")))
        }
        let published = events.transport.events
        #expect(published.map(\.message) == ["card declined", "nightly report sent"])
        #expect(published.first?.routingKey == "billing.log.warning")
        #expect(published.first?.logger == "billing.charges")
        #expect(published.first?.metadata == ["card_token": "[REDACTED]", "order": "42"])
        #expect(events.outbox.statistics.dropped == 0)
    }

    @Test func aServiceNameThatCannotBeARoutingKeyWordIsAClearError() {
        let error = #expect(throws: ServiceNameError.self) { try InMemoryEventPipeline(service: "bill ing") }
        #expect(error?.description.contains("'bill ing' is not a service name") == true)
    }
}

/// Polls `condition` every 10 ms for up to 10 s.
private func eventually(_ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}
