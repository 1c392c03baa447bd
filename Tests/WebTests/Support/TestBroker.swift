import BeaconAMQP
import BeaconEvents
import BeaconOutbox
import BeaconOutboxAMQP
import IntegrationSupport
import Logging

/// The test broker, with an exchange of the test's own and a queue bound to `#` on it.
struct TestBroker {
    let exchange: String
    let queue: String
    let connection: AMQPConnection

    /// Runs `body` connected (to the shared test broker unless given another URL), with the exchange and the queue
    /// declared; closes the connection afterwards.
    static func with<Result: Sendable>(url: String? = nil, _ body: (TestBroker) async throws -> Result) async throws -> Result {
        let exchange = TestServices.uniqueName("events")
        let queue = TestServices.uniqueName("web.all")
        var topology = AMQPEventTransport.topology(exchange: exchange)
        topology.queues.append(AMQPQueue(queue, durable: true))
        topology.bindings.append(AMQPBinding(.queue(queue), exchange: exchange, routingKey: "#"))
        return try await AMQPConnection.withConnection(
            configuration: AMQPConfiguration(url: url ?? TestServices.amqpURL()),
            topology: topology,
            logger: Logger(label: "test")
        ) { connection in
            try await body(TestBroker(exchange: exchange, queue: queue, connection: connection))
        }
    }

    private init(exchange: String, queue: String, connection: AMQPConnection) {
        self.exchange = exchange
        self.queue = queue
        self.connection = connection
    }

    /// Every event in the queue, in order (NDJSON batches unpacked), taken with basic.get until it is empty; after a
    /// broker restart, once the connection is back.
    func drain() async throws -> [Event] {
        _ = await eventually(timeout: .seconds(30)) { connection.status == .connected }
        let channel = try await connection.openChannel()
        var events: [Event] = []
        while let delivery = try await channel.get(queue: queue) {
            for result in EventBatch.decode(delivery.body, contentType: delivery.properties.contentType) {
                events.append(try result.get())
            }
            try channel.ack(delivery)
        }
        await channel.close()
        return events
    }
}
