import BeaconAMQP
import IntegrationSupport
import Testing

@Suite("Consuming with acknowledgements")
struct ConsumeTests {
    @Test("batches arrive within the prefetch, and one multiple-ack per batch empties the queue")
    func prefetchAndMultipleAck() async throws {
        try await Broker.withConnection { connection in
            let setup = try await connection.openChannel()
            let queue = TestServices.uniqueName("batches")
            try await setup.declare(AMQPQueue(queue))
            #expect(await setup.publish(messages(500, routingKey: queue)).allSatisfy { $0.isConfirmed })

            let consumer = try await connection.consume(queue: queue, prefetch: 50)
            var received: [AMQPDelivery] = []
            for try await batch in consumer {
                #expect(batch.count <= 50, "never more than the prefetch unacknowledged")
                #expect(batch.map(\.deliveryTag) == batch.map(\.deliveryTag).sorted())
                received += batch
                try consumer.channel.ack(batch.last!, multiple: true)
                if received.count == 500 { break }
            }
            #expect(Set(received.compactMap(\.properties.messageID)).count == 500)
            #expect(received.allSatisfy { !$0.redelivered })
            #expect(await eventually { (try? await Broker.messageCount(queue)) == 0 })
            try await consumer.cancel()
            #expect(try await setup.deleteQueue(queue, ifEmpty: true) == 0, "nothing left unacknowledged")
        }
    }

    @Test("a nack with requeue comes back with the redelivered flag")
    func nackRequeue() async throws {
        try await Broker.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declare(AMQPQueue("", durable: false, exclusive: true))
            #expect(await channel.publish(messages(3, routingKey: queue.name)).allSatisfy { $0.isConfirmed })
            let consumer = try await channel.consume(queue: queue.name, prefetch: 10)
            var iterator = consumer.makeAsyncIterator()
            var first: [AMQPDelivery] = []
            while first.count < 3, let batch = try await iterator.next() { first += batch }
            try channel.nack(first.last!, multiple: true, requeue: true)
            var again: [AMQPDelivery] = []
            while again.count < 3, let batch = try await iterator.next() { again += batch }
            #expect(again.allSatisfy { $0.redelivered })
            #expect(again.map(\.properties.messageID) == first.map(\.properties.messageID))
            try channel.ack(again.last!, multiple: true)
        }
    }

    @Test("a rejected message is dead-lettered with x-death and x-first-death-reason headers")
    func deadLettering() async throws {
        try await Broker.withConnection { connection in
            let channel = try await connection.openChannel()
            let deadExchange = TestServices.uniqueName("dead")
            let deadQueue = TestServices.uniqueName("worker.dead")
            let queue = TestServices.uniqueName("worker.files")
            try await channel.declare(
                AMQPTopology(
                    exchanges: [AMQPExchange(deadExchange, kind: .fanout, durable: false, autoDelete: true)],
                    queues: [
                        AMQPQueue(deadQueue, durable: false, exclusive: true),
                        AMQPQueue(queue, durable: false, exclusive: true, deadLetterExchange: deadExchange),
                    ],
                    bindings: [.queue(deadQueue, exchange: deadExchange, routingKey: "")]
                )
            )
            let poison = AMQPMessage(
                exchange: "",
                routingKey: queue,
                text: "not json",
                properties: AMQPProperties(headers: ["x-beacon-reason": "unparseable"], deliveryMode: .persistent, messageID: "poison-1")
            )
            #expect(await channel.publish(poison) == .confirmed)
            let consumer = try await channel.consume(queue: queue, prefetch: 1)
            var iterator = consumer.makeAsyncIterator()
            let delivery = try #require(try await iterator.next()?.first)
            try channel.reject(delivery, requeue: false)

            var dead: AMQPDelivery?
            #expect(
                await eventually {
                    dead = try? await channel.get(queue: deadQueue)
                    return dead != nil
                }
            )
            let headers = try #require(dead?.properties.headers)
            #expect(headers["x-beacon-reason"]?.stringValue == "unparseable")
            #expect(headers["x-first-death-reason"]?.stringValue == "rejected")
            #expect(headers["x-first-death-queue"]?.stringValue == queue)
            let death = try #require(headers["x-death"]?.arrayValue?.first?.tableValue)
            #expect(death["reason"]?.stringValue == "rejected")
            #expect(death["queue"]?.stringValue == queue)
            #expect(death["count"]?.intValue == 1)
            #expect(death["time"]?.dateValue != nil)
            #expect(dead?.properties.messageID == "poison-1")
            try channel.ack(dead!)
        }
    }

    @Test("deleting the queue under a consumer ends it with CONSUMER_CANCELLED")
    func brokerCancel() async throws {
        try await Broker.withConnection { connection in
            let queue = TestServices.uniqueName("doomed")
            let admin = try await connection.openChannel()
            try await admin.declare(AMQPQueue(queue, durable: false))
            let consumer = try await connection.consume(queue: queue, prefetch: 10)
            let iteration = Task { () -> AMQPError.Code in
                do {
                    for try await _ in consumer {}
                    return AMQPError.Code("ended without error")
                } catch let error as AMQPError {
                    return error.code
                } catch {
                    return AMQPError.Code("unexpected \(error)")
                }
            }
            try await admin.deleteQueue(queue)
            #expect(await iteration.value == AMQPError.Code.consumerCancelled)
        }
    }

    @Test("acknowledging a delivery on another channel is refused")
    func wrongChannel() async throws {
        try await Broker.withConnection { connection in
            let channel = try await connection.openChannel()
            let other = try await connection.openChannel()
            let queue = try await channel.declare(AMQPQueue("", durable: false, exclusive: true))
            #expect(await channel.publish(AMQPMessage(exchange: "", routingKey: queue.name, text: "x")) == .confirmed)
            let delivery = try #require(try await channel.get(queue: queue.name))
            #expect {
                try other.ack(delivery)
            } throws: { ($0 as? AMQPError)?.code == .invalidArgument }
            try channel.ack(delivery)
        }
    }
}
