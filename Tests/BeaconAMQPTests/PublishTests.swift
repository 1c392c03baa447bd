import BeaconAMQP
import Foundation
import IntegrationSupport
import Synchronization
import Testing

@Suite("Publishing with confirms")
struct PublishTests {
    @Test("a message round-trips with every property and a typed header table")
    func roundTrip() async throws {
        try await Broker.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declare(AMQPQueue("", durable: false, exclusive: true))
            let timestamp = Date(timeIntervalSince1970: 1_795_000_000)
            let headers: AMQPTable = [
                "x-beacon-reason": "smtp 451 try later",
                "x-attempt": .int64(3),
                "small": .int32(-7),
                "ok": true,
                "ratio": 0.25,
                "raw": .bytes([0, 1, 255]),
                "when": .timestamp(timestamp),
                "nested": ["level": "error", "ids": ["a", "b", 42]],
                "price": .decimal(scale: 2, value: 1999),
            ]
            let properties = AMQPProperties(
                contentType: "application/json",
                contentEncoding: "identity",
                headers: headers,
                deliveryMode: .persistent,
                priority: 3,
                correlationID: "corr-1",
                replyTo: "replies",
                expiration: "60000",
                messageID: "6f1c2b0e-0000-4000-8000-000000000001",
                timestamp: timestamp,
                type: "request",
                appID: "web"
            )
            let body = Array("{\"schema\":1,\"message\":\"héllo\"}".utf8)
            let outcome = await channel.publish(AMQPMessage(exchange: "", routingKey: queue.name, body: body, properties: properties))
            #expect(outcome == .confirmed)

            let delivery = try #require(try await channel.get(queue: queue.name))
            #expect(delivery.body == body)
            #expect(delivery.properties == properties)
            #expect(delivery.properties.headers["nested"]?.tableValue?["ids"]?.arrayValue?[2].intValue == 42)
            #expect(delivery.exchange == "")
            #expect(delivery.routingKey == queue.name)
            #expect(delivery.redelivered == false)
            #expect(delivery.messageCount == 0)
            try channel.ack(delivery)
            #expect(try await channel.get(queue: queue.name) == nil)
        }
    }

    @Test("a batch of 2,000 resolves to 2,000 confirms, and the queue holds exactly them")
    func batchConfirms() async throws {
        try await Broker.withConnection(configuration: try Broker.configuration { $0.confirmWindow = 256 }) { connection in
            let channel = try await connection.openChannel()
            let queue = TestServices.uniqueName("confirms")
            try await channel.declare(AMQPQueue(queue))
            let outcomes = await channel.publish(messages(2000, routingKey: queue))
            #expect(outcomes.count == 2000)
            #expect(outcomes.allSatisfy { $0.isConfirmed })
            #expect(try await Broker.messageCount(queue) == 2000)
            try await channel.deleteQueue(queue)
        }
    }

    @Test("a full x-overflow=reject-publish queue nacks: the first two are confirmed, the rest nacked")
    func nackedWhenFull() async throws {
        try await Broker.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = TestServices.uniqueName("full")
            try await channel.declare(AMQPQueue(queue, maxLength: 2, overflow: .rejectPublish))
            let outcomes = await channel.publish(messages(5, routingKey: queue))
            #expect(outcomes == [.confirmed, .confirmed, .nacked, .nacked, .nacked])
            #expect(try await Broker.messageCount(queue) == 2)
            try await channel.deleteQueue(queue)
        }
    }

    @Test("an unroutable mandatory message is returned (312 NO_ROUTE), its routable neighbours confirmed")
    func returnedWhenUnroutable() async throws {
        try await Broker.withConnection { connection in
            let channel = try await connection.openChannel()
            let exchange = TestServices.uniqueName("route")
            let queue = TestServices.uniqueName("routed")
            try await channel.declare(AMQPExchange(exchange, kind: .direct, durable: false, autoDelete: true))
            try await channel.declare(AMQPQueue(queue, durable: false, exclusive: true))
            try await channel.bind(.queue(queue, exchange: exchange, routingKey: "known"))
            let batch = (0..<9).map { index in
                AMQPMessage(exchange: exchange, routingKey: index % 3 == 1 ? "unknown" : "known", text: "message \(index)")
            }
            let outcomes = await channel.publish(batch)
            for (index, outcome) in outcomes.enumerated() {
                if index % 3 == 1 {
                    guard case .returned(let error) = outcome else {
                        Issue.record("message \(index): expected returned, got \(outcome)")
                        continue
                    }
                    #expect(error.code == .noRoute)
                    #expect(error.replyCode == 312)
                } else {
                    #expect(outcome == .confirmed, "message \(index)")
                }
            }
            #expect(try await Broker.messageCount(queue) == 6)
        }
    }

    @Test("publishing to a missing exchange fails with NOT_FOUND (404); the channel publishes again afterwards")
    func missingExchange() async throws {
        try await Broker.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declare(AMQPQueue("", durable: false, exclusive: true))
            let outcome = await channel.publish(AMQPMessage(exchange: TestServices.uniqueName("nowhere"), routingKey: "x", text: "lost?"))
            guard case .failed(let error) = outcome else {
                Issue.record("expected a failure, got \(outcome)")
                return
            }
            #expect(error.code == .notFound)
            #expect(await channel.publish(AMQPMessage(exchange: "", routingKey: queue.name, text: "fine")) == .confirmed)
        }
    }

    @Test("the callback API delivers every batch's outcomes without a task per publish")
    func callbacks() async throws {
        try await Broker.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declare(AMQPQueue("", durable: false, exclusive: true))
            let confirmed = Atomic(0)
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let remaining = Atomic(10)
                for batch in 0..<10 {
                    channel.publish(messages(100, routingKey: queue.name, prefix: "b\(batch)")) { outcomes in
                        confirmed.add(outcomes.filter(\.isConfirmed).count, ordering: .relaxed)
                        if remaining.subtract(1, ordering: .relaxed).newValue == 0 { done.resume() }
                    }
                }
            }
            #expect(confirmed.load(ordering: .relaxed) == 1000)
            #expect(try await Broker.messageCount(queue.name) == 1000)
        }
    }
}
