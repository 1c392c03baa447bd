import BeaconEvents
public import BeaconLogging
public import Logging

/// A producer with no HTTP in it: a nightly job that totals the day's orders. What it logs becomes events (through
/// the process's `EventLogHandler`), and it publishes one summary event of its own; it never waits for a broker.
///
/// The job depends on `BeaconLogging` only, so its unit tests run with `BeaconTesting`'s in-memory pipeline and
/// build without rabbitmq-c; the program beside it wires the pipeline to RabbitMQ.
public struct NightlyReport: Sendable {
    public struct Order: Sendable {
        public let id: String
        public let cents: Int?

        public init(id: String, cents: Int?) {
            self.id = id
            self.cents = cents
        }
    }

    let publisher: EventPublisher
    let logger: Logger

    public init(publisher: EventPublisher, logger: Logger) {
        self.publisher = publisher
        self.logger = logger
    }

    /// Totals `orders`, warns about the ones without an amount, and publishes the summary; returns the total.
    @discardableResult
    public func run(orders: [Order]) -> Int {
        logger.info("nightly report started", metadata: ["orders": "\(orders.count)"])
        var total = 0
        for order in orders {
            guard let cents = order.cents else {
                logger.warning("order without an amount skipped", metadata: ["order": "\(order.id)"])
                continue
            }
            total += cents
        }
        publisher.publish(
            Event(
                service: publisher.service,
                kind: .log,
                level: .notice,
                logger: "\(publisher.service).report",
                message: "nightly report: \(orders.count) orders, \(total) cents",
                metadata: ["orders": "\(orders.count)", "total_cents": "\(total)"]
            )
        )
        return total
    }
}
