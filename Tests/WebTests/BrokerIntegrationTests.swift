import BeaconAMQP
import BeaconEvents
import BeaconLogging
import BeaconOutbox
import BeaconWeb
import BeaconWebTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import IntegrationSupport
import Logging
import ServiceLifecycle
import SystemPackage
import Testing

@testable import web

/// The web app against the real broker that `scripts/test-services` starts: requests become events on a queue
/// bound to `#`; without a broker they wait in the spool and the next process delivers them in order.
@Suite(.serialized) struct BrokerIntegrationTests {
    /// An app publishing through `pipeline`, with `/hello`.
    func makeApp(_ pipeline: EventPipeline) throws -> (BeaconApp, Router<BasicBeaconRequestContext>) {
        let app = try BeaconApp(logger: Logger(label: "web"))
        pipeline.publisher.publishRequests(of: app)
        let router = app.router()
        router.get("hello") { _, _ in "hello" }
        return (app, router)
    }

    func settings(amqpURL: String, exchange: String, spool: URL) -> WebConfiguration {
        var settings = WebConfiguration()
        settings.amqpURL = amqpURL
        settings.exchange = exchange
        settings.spoolDirectory = spool.path
        return settings
    }

    /// Sends `count` requests with ids `prefix-0`, `prefix-1`, … and returns the ids.
    func sendRequests(_ count: Int, prefix: String, to client: some TestClientProtocol) async throws -> [String] {
        var ids: [String] = []
        for index in 0..<count {
            let id = "\(prefix)-\(index)"
            try await client.execute(uri: "/hello", method: .get, headers: [RequestIDPolicy.headerName: id]) { response in
                #expect(response.status == .ok)
            }
            ids.append(id)
        }
        return ids
    }

    @Test func everyRequestBecomesAnEventOnAQueueBoundToEverything() async throws {
        try await TestBroker.with { broker in
            let logs = InMemoryLogHandler()
            let pipeline = try WebServer.pipeline(
                settings(amqpURL: try TestServices.amqpURL(), exchange: broker.exchange, spool: try TestServices.temporaryDirectory()),
                logger: Logger(label: "beacon.outbox") { _ in logs }
            )
            let (app, router) = try makeApp(pipeline)
            let count = 300
            let ids = try await app.application(router: router, services: pipeline.services).test(.live) { client in
                try await sendRequests(count, prefix: "n", to: client)
            }
            let events = try await broker.drain()
            #expect(events.count == count)
            #expect(events.allSatisfy { $0.kind == .request && $0.routingKey == "web.request.info" })
            #expect(events.map { $0.request?.id } == ids, "in order")
            #expect(pipeline.outbox.statistics.delivered == count)
            #expect(pipeline.outbox.statistics.spooled == 0)
            #expect(logs.entries.filter { $0.level >= .warning }.isEmpty, "\(logs.entries.map(\.message))")
        }
    }

    @Test func withoutABrokerEventsAreSpooledAndTheNextProcessDeliversThem() async throws {
        try await TestBroker.with { broker in
            let spool = try TestServices.temporaryDirectory()
            let deadURL = "amqp://guest:guest@127.0.0.1:\(try TestServices.freePort())/%2F"

            // A process with no broker: it serves, and spools.
            var offlineLogs = InMemoryLogHandler()
            offlineLogs.logLevel = .trace
            let offline = try WebServer.pipeline(
                settings(amqpURL: deadURL, exchange: broker.exchange, spool: spool),
                logger: Logger(label: "beacon.outbox") { [offlineLogs] _ in offlineLogs }
            )
            let (offlineApp, offlineRouter) = try makeApp(offline)
            let ids = try await offlineApp.application(router: offlineRouter, services: offline.services).test(.router) { client in
                try await sendRequests(120, prefix: "offline", to: client)
            }
            #expect(offline.outbox.statistics.delivered == 0)
            #expect(try EventSpool(directory: FilePath(spool.path)).statistics.records == ids.count)
            let warnings = offlineLogs.entries.filter { $0.level >= .warning }
            #expect(warnings.count == 1, "one warning, not one per request: \(warnings.map(\.message))")
            #expect(warnings.first?.message.description.contains("spooling") == true)

            // The next process finds the broker, and delivers what the first one spooled, in order, before its own.
            let online = try WebServer.pipeline(
                settings(amqpURL: try TestServices.amqpURL(), exchange: broker.exchange, spool: spool),
                logger: Logger(label: "beacon.outbox") { _ in InMemoryLogHandler() }
            )
            let (onlineApp, onlineRouter) = try makeApp(online)
            let laterIDs = try await onlineApp.application(router: onlineRouter, services: online.services).test(.router) { client in
                #expect(await eventually(timeout: .seconds(30)) { online.outbox.statistics.delivered >= ids.count })
                let laterIDs = try await sendRequests(10, prefix: "online", to: client)
                // Its own events may still be in the spool, on their way: a shutdown now would leave them there for the
                // next process (as it should), which is not what this test is about.
                #expect(await eventually(timeout: .seconds(30)) { online.outbox.statistics.delivered == ids.count + laterIDs.count })
                return laterIDs
            }
            let events = try await broker.drain()
            #expect(events.map { $0.request?.id } == ids + laterIDs)
            #expect(try EventSpool(directory: FilePath(spool.path)).isEmpty)
        }
    }

    /// Stops and starts a broker of its own: the shared one serves suites running in parallel.
    @Test func aBrokerThatGoesAwayLosesNothing() async throws {
        try await PrivateBroker.with { privateBroker in try await self.brokerGoesAway(privateBroker) }
    }

    private func brokerGoesAway(_ privateBroker: PrivateBroker) async throws {
        try await TestBroker.with(url: privateBroker.url) { broker in
            let pipeline = try WebServer.pipeline(
                settings(amqpURL: privateBroker.url, exchange: broker.exchange, spool: try TestServices.temporaryDirectory()),
                outboxConfiguration: .init(retryDelay: .milliseconds(50)...(.milliseconds(500))),
                logger: Logger(label: "beacon.outbox") { _ in InMemoryLogHandler() }
            )
            let (app, router) = try makeApp(pipeline)
            let ids = try await app.application(router: router, services: pipeline.services).test(.router) { client in
                var ids = try await sendRequests(50, prefix: "before", to: client)
                _ = try await privateBroker.rabbitmqctl("stop_app")
                do {
                    #expect(await eventually { pipeline.transportStatus() != "connected" })
                    ids += try await sendRequests(50, prefix: "during", to: client)
                    #expect(await eventually { pipeline.outbox.statistics.inSpool > 0 })
                } catch {
                    _ = try await privateBroker.rabbitmqctl("start_app")
                    throw error
                }
                _ = try await privateBroker.rabbitmqctl("start_app")
                ids += try await sendRequests(50, prefix: "after", to: client)
                #expect(await eventually(timeout: .seconds(60)) { pipeline.outbox.statistics.delivered >= ids.count })
                return ids
            }
            let received = try await broker.drain().compactMap { $0.request?.id }
            #expect(Set(received) == Set(ids), "every event arrives")
            let during = ids.filter { $0.hasPrefix("during") }
            #expect(received.filter { $0.hasPrefix("during") } == during, "the spooled ones in order")
            #expect(pipeline.outbox.statistics.dropped == 0)
        }
    }
}
