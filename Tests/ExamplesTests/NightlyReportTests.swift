import BeaconAMQP
import BeaconEvents
import BeaconTesting
import Foundation
import IntegrationSupport
import Logging
import NightlyReport
import Testing

/// The non-HTTP producer sample: its job tested with the in-memory pipeline (no broker, no Hummingbird), and the
/// program run against the test broker.
@Suite struct NightlyReportTests {
    @Test("the job's logs and its summary become events, tested without a broker")
    func jobInMemory() async throws {
        let events = try InMemoryEventPipeline(service: "report")
        let total = try await events.run {
            NightlyReport(publisher: events.publisher, logger: Logger(label: "report.nightly", factory: events.logHandler))
                .run(orders: [.init(id: "a", cents: 250), .init(id: "b", cents: nil), .init(id: "c", cents: 100)])
        }
        #expect(total == 350)
        let published = events.transport.events
        #expect(published.map(\.routingKey) == ["report.log.info", "report.log.warning", "report.log.notice"])
        #expect(published[1].metadata["order"] == "b")
        #expect(published.last?.message == "nightly report: 3 orders, 350 cents")
        #expect(published.last?.metadata["total_cents"] == "350")
    }

    @Test("the program publishes its events to RabbitMQ with confirms and exits 0")
    func programAgainstTheBroker() async throws {
        let exchange = TestServices.uniqueName("events")
        let queue = TestServices.uniqueName("report.all")
        let topology = AMQPTopology(
            exchanges: [AMQPExchange(exchange, kind: .topic)],
            queues: [AMQPQueue(queue)],
            bindings: [AMQPBinding(.queue(queue), exchange: exchange, routingKey: "report.#")]
        )
        try await AMQPConnection.withConnection(
            configuration: AMQPConfiguration(url: TestServices.amqpURL()),
            topology: topology,
            logger: Logger(label: "test")
        ) { connection in
            let spool = try TestServices.temporaryDirectory("report-spool")
            let output = try await ExternalCommand.run(
                "/usr/bin/env",
                [
                    "AMQP_URL=\(try TestServices.amqpURL())", "BEACON_EXCHANGE=\(exchange)", "BEACON_SPOOL_DIR=\(spool.path)",
                    try exampleExecutable("nightly-report-example").path,
                ]
            )
            #expect(!output.contains("error"), "\(output)")
            let channel = try await connection.openChannel()
            var events: [Event] = []
            while let delivery = try await channel.get(queue: queue) {
                events += try EventBatch.decode(delivery.body, contentType: delivery.properties.contentType).map { try $0.get() }
                try channel.ack(delivery)
            }
            // 20 orders, every seventh without an amount: the start line, 2 warnings, the summary.
            #expect(events.filter { $0.level == .warning }.count == 2)
            #expect(events.contains { $0.message == "nightly report started" })
            #expect(events.last?.message == "nightly report: 20 orders, \((1...20).filter { $0 % 7 != 0 }.reduce(0, +) * 100) cents")
            #expect(events.allSatisfy { $0.service == "report" })
        }
    }
}
