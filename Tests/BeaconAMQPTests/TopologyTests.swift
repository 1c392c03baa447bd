import BeaconAMQP
import IntegrationSupport
import Testing

@Suite("Topology")
struct TopologyTests {
    @Test("declares exchanges, queues with arguments and bindings, idempotently; passive checks see them")
    func declareIdempotently() async throws {
        let exchange = TestServices.uniqueName("events")
        let retry = TestServices.uniqueName("events.retry")
        let queue = TestServices.uniqueName("worker.mail")
        let retryQueue = TestServices.uniqueName("worker.mail.retry")
        let topology = AMQPTopology(
            exchanges: [AMQPExchange(exchange, kind: .topic), AMQPExchange(retry, kind: .direct)],
            queues: [
                AMQPQueue(queue, deadLetterExchange: retry, deadLetterRoutingKey: "mail", maxLength: 10_000, overflow: .rejectPublish),
                AMQPQueue(retryQueue, deadLetterExchange: exchange, messageTTL: .seconds(30)),
            ],
            bindings: [
                .queue(queue, exchange: exchange, routingKey: "*.error.*"),
                .queue(queue, exchange: exchange, routingKey: "*.*.critical"),
                .queue(retryQueue, exchange: retry, routingKey: "mail"),
            ]
        )
        try await Broker.withConnection(topology: topology) { connection in
            let channel = try await connection.openChannel()
            try await channel.declare(topology)
            try await connection.declare(topology)
            try await channel.checkExchange(exchange)
            let checked = try await channel.checkQueue(queue)
            #expect(checked.name == queue)
            #expect(checked.messageCount == 0)

            let outcome = await channel.publish(AMQPMessage(exchange: exchange, routingKey: "web.error.error", text: "boom"))
            #expect(outcome == .confirmed)
            #expect(try await channel.checkQueue(queue).messageCount == 1)
            #expect(try await Broker.messageCount(queue) == 1)

            #expect(try await channel.deleteQueue(queue) == 1)
            try await channel.deleteQueue(retryQueue)
            try await channel.deleteExchange(exchange)
            try await channel.deleteExchange(retry)
        }
    }

    @Test("a passive check of a missing queue is NOT_FOUND (404), and the channel works again afterwards")
    func passiveNotFound() async throws {
        try await Broker.withConnection { connection in
            let channel = try await connection.openChannel()
            let missing = TestServices.uniqueName("missing")
            let error = try await #require(throws: AMQPError.self) { try await channel.checkQueue(missing) }
            #expect(error.code == .notFound)
            #expect(error.replyCode == 404)
            #expect(error.message.contains(missing))
            await #expect(throws: AMQPError.self) { try await channel.checkExchange(missing) }

            let queue = try await channel.declare(AMQPQueue("", durable: false, exclusive: true))
            #expect(await channel.publish(AMQPMessage(exchange: "", routingKey: queue.name, text: "after the error")) == .confirmed)
        }
    }

    @Test("redeclaring a queue with other arguments is PRECONDITION_FAILED (406)")
    func preconditionFailed() async throws {
        try await Broker.withConnection { connection in
            let channel = try await connection.openChannel()
            let name = TestServices.uniqueName("ttl")
            try await channel.declare(AMQPQueue(name, messageTTL: .seconds(10)))
            let error = try await #require(throws: AMQPError.self) {
                try await channel.declare(AMQPQueue(name, messageTTL: .seconds(20)))
            }
            #expect(error.code == .preconditionFailed)
            #expect(error.replyCode == 406)
            #expect(error.message.contains("x-message-ttl"))
            try await channel.deleteQueue(name)
        }
    }

    @Test("quorum queues, exchange-to-exchange bindings, unbinding and purging")
    func quorumAndBindings() async throws {
        try await Broker.withConnection { connection in
            let channel = try await connection.openChannel()
            let upstream = TestServices.uniqueName("up")
            let downstream = TestServices.uniqueName("down")
            let queue = TestServices.uniqueName("quorum")
            try await channel.declare(AMQPExchange(upstream, kind: .topic))
            try await channel.declare(AMQPExchange(downstream, kind: .fanout))
            try await channel.declare(AMQPQueue(queue, type: .quorum))
            try await channel.bind(AMQPBinding(.exchange(downstream), exchange: upstream, routingKey: "web.#"))
            try await channel.bind(.queue(queue, exchange: downstream, routingKey: ""))

            let routed = AMQPMessage(exchange: upstream, routingKey: "web.request.info", text: "through two exchanges")
            #expect(await channel.publish([routed, routed]) == [.confirmed, .confirmed])
            #expect(try await channel.purgeQueue(queue) == 2)

            try await channel.unbind(AMQPBinding(.exchange(downstream), exchange: upstream, routingKey: "web.#"))
            guard case .returned(let error) = await channel.publish(routed) else {
                Issue.record("an unbound route must come back")
                return
            }
            #expect(error.code == .noRoute)
            try await channel.deleteQueue(queue)
            try await channel.deleteExchange(upstream)
            try await channel.deleteExchange(downstream)
        }
    }
}
