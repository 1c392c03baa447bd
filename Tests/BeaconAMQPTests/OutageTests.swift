import BeaconAMQP
import Foundation
import IntegrationSupport
import Logging
import Synchronization
import Testing

/// Broker outages, on a RabbitMQ node of the test's own (stopping or freezing the shared test broker would break the
/// tests running beside these). One at a time: each node takes memory and a few seconds to start.
@Suite("Broker outages", .serialized)
struct OutageTests {
    private func configuration(_ broker: PrivateBroker, _ change: (inout AMQPConfiguration) -> Void = { _ in }) throws -> AMQPConfiguration {
        var configuration = try AMQPConfiguration(url: broker.url)
        configuration.heartbeat = .seconds(2)
        configuration.publishTimeout = .seconds(60)
        configuration.reconnect = AMQPReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(1))
        change(&configuration)
        return configuration
    }

    @Test("stop_app and start_app in the middle of publishing: every message confirmed, none lost")
    func restartWhilePublishing() async throws {
        try await PrivateBroker.with { broker in try await self.restartWhilePublishing(broker) }
    }

    private func restartWhilePublishing(_ broker: PrivateBroker) async throws {
        let queue = "outage.publish"
        let logs = LogCapture()
        try await AMQPConnection.withConnection(
            configuration: configuration(broker) { $0.confirmWindow = 128 },
            topology: AMQPTopology(queues: [AMQPQueue(queue)]),
            logger: logs.logger
        ) { connection in
            let channel = try await connection.openChannel()
            let batchSize = 250
            let confirmed = Atomic(0)
            let restarted = Atomic(false)
            // Publishes until the broker is back, and a few batches more: the outage always falls in the middle.
            let publisher = Task {
                var outcomes: [AMQPPublishOutcome] = []
                var batch = 0
                var batchesAfterRestart = 0
                while batchesAfterRestart < 8 {
                    let result = await channel.publish(messages(batchSize, routingKey: queue, prefix: "b\(batch)"))
                    confirmed.add(result.filter { $0.isConfirmed }.count, ordering: .relaxed)
                    outcomes += result
                    batch += 1
                    if restarted.load(ordering: .relaxed) { batchesAfterRestart += 1 }
                }
                return outcomes
            }
            #expect(await eventually { confirmed.load(ordering: .relaxed) >= 2_000 }, "publishing is under way")
            try await broker.rabbitmqctl("stop_app")
            #expect(await eventually { if case .disconnected = connection.status { true } else { false } })
            try await Task.sleep(for: .seconds(1))
            try await broker.rabbitmqctl("start_app")
            restarted.store(true, ordering: .relaxed)
            let outcomes = await publisher.value
            let total = outcomes.count

            let failures = outcomes.filter { !$0.isConfirmed }
            #expect(failures.isEmpty, "not confirmed: \(failures.prefix(3))")
            #expect(connection.status == .connected)
            #expect(logs.lines.contains { $0.contains("reconnected") })

            // Count what the queue holds against what was published: everything is there (a message whose confirm was
            // lost in the outage is published again, so there may be a few more).
            let held = try await broker.messageCount(queue)
            #expect(held >= total)
            let consumer = try await connection.consume(queue: queue, prefetch: 1000)
            let received = try await receive(held, from: consumer)
            let ids = Set(received.compactMap { $0.properties.messageID })
            #expect(received.count == held)
            #expect(ids.count == total, "every published message id is in the queue")
            #expect(held - total < 2 * 128, "duplicates stay within the unconfirmed window: \(held - total)")
        }
    }

    @Test("consumers, channels and topology come back after a restart; unacknowledged messages are redelivered")
    func consumerResumes() async throws {
        try await PrivateBroker.with { broker in try await self.consumerResumes(broker) }
    }

    private func consumerResumes(_ broker: PrivateBroker) async throws {
        let exchange = "outage.events"
        let durable = "outage.files"
        let tail = "outage.tail.\(UUID().uuidString.prefix(8))"
        let topology = AMQPTopology(
            exchanges: [AMQPExchange(exchange, kind: .topic)],
            queues: [AMQPQueue(durable), AMQPQueue(tail, durable: false, exclusive: true, autoDelete: true)],
            bindings: [.queue(durable, exchange: exchange, routingKey: "#"), .queue(tail, exchange: exchange, routingKey: "#")]
        )
        try await AMQPConnection.withConnection(configuration: configuration(broker), topology: topology, logger: Logger(label: "test")) {
            connection in
            let publisher = try await connection.openChannel()
            let files = try await connection.consume(queue: durable, prefetch: 100)
            let tailing = try await connection.consume(queue: tail, prefetch: 100)
            var filesIterator = files.makeAsyncIterator()

            #expect(
                await publisher.publish(messages(20, exchange: exchange, routingKey: "web.log.info", prefix: "before")).allSatisfy { $0.isConfirmed }
            )
            var unacknowledged: [AMQPDelivery] = []
            while unacknowledged.count < 20, let batch = try await filesIterator.next() { unacknowledged += batch }

            try await broker.rabbitmqctl("stop_app")
            #expect(await eventually { if case .disconnected = connection.status { true } else { false } })
            try await broker.rabbitmqctl("start_app")
            #expect(await eventually(timeout: .seconds(20)) { connection.status == .connected })
            #expect {
                try files.channel.ack(unacknowledged.last!, multiple: true)
            } throws: { ($0 as? AMQPError)?.code == .staleDelivery }

            #expect(
                await publisher.publish(messages(10, exchange: exchange, routingKey: "web.log.info", prefix: "after")).allSatisfy { $0.isConfirmed }
            )
            var again: [AMQPDelivery] = []
            while again.count < 30, let batch = try await filesIterator.next() {
                again += batch
                try files.channel.ack(batch.last!, multiple: true)
            }
            let redelivered = again.filter { $0.redelivered }.compactMap { $0.properties.messageID }
            #expect(Set(redelivered) == Set(unacknowledged.compactMap { $0.properties.messageID }))
            #expect(Set(again.compactMap { $0.properties.messageID }).count == 30)

            // The exclusive queue died with the old connection; the topology declared it again and the consumer is back.
            let tailed = try await receive(10, from: tailing)
            #expect(tailed.compactMap { $0.properties.messageID }.filter { $0.hasPrefix("after") }.count == 10)
        }
    }

    @Test("a memory alarm blocks publishing until it clears; a frozen broker is caught by heartbeats and by the write watchdog")
    func blockedAndFrozen() async throws {
        try await PrivateBroker.with { broker in try await self.blockedAndFrozen(broker) }
    }

    private func blockedAndFrozen(_ broker: PrivateBroker) async throws {
        let queue = "outage.blocked"
        try await AMQPConnection.withConnection(
            configuration: configuration(broker) {
                $0.heartbeat = .seconds(1)
                $0.publishTimeout = .seconds(3)
                $0.rpcTimeout = .seconds(3)
            },
            topology: AMQPTopology(queues: [AMQPQueue(queue)]),
            logger: Logger(label: "test")
        ) { connection in
            let channel = try await connection.openChannel()

            // RabbitMQ blocks a connection (and says so with connection.blocked) at its first publish during the alarm.
            try await broker.rabbitmqctl("set_vm_memory_high_watermark", "0.000001")
            let blocked = await channel.publish(AMQPMessage(exchange: "", routingKey: queue, text: "held back"))
            guard case .failed(let error) = blocked else {
                Issue.record("expected a timeout while blocked, got \(blocked)")
                return
            }
            #expect(error.code == .timeout)
            #expect(error.message.contains("blocks publishing: low on memory"))
            guard case .blocked(let reason) = connection.status else {
                Issue.record("expected the blocked status, got \(connection.status)")
                return
            }
            #expect(reason == "low on memory")
            try await broker.rabbitmqctl("set_vm_memory_high_watermark", "0.4")
            #expect(await eventually(timeout: .seconds(60)) { connection.status == .connected })
            #expect(await channel.publish(AMQPMessage(exchange: "", routingKey: queue, text: "flows again")) == .confirmed)

            // Frozen and idle: two silent heartbeat intervals end the connection.
            let started = ContinuousClock.now
            try await broker.pause()
            #expect(await eventually(timeout: .seconds(10)) { if case .disconnected = connection.status { true } else { false } })
            #expect(ContinuousClock.now - started < .seconds(6), "two heartbeat intervals, plus a reading round")
            if case .disconnected(let lost) = connection.status { #expect(lost.code == .heartbeatTimeout) }
            try await broker.resume()
            #expect(await eventually(timeout: .seconds(20)) { connection.status == .connected })

            // Frozen while a large publish is being written: the socket fills up, the write cannot finish, and the watchdog
            // drops the connection at the deadline. The messages resolve (as failed: their deadline has passed) instead of
            // hanging, and the connection comes back.
            try await broker.pause()
            let large = (0..<24).map { index in
                AMQPMessage(exchange: "", routingKey: queue, body: Array(repeating: UInt8(index), count: 2_000_000))
            }
            let pending = Task { await channel.publish(large) }
            #expect(await eventually(timeout: .seconds(15)) { if case .disconnected = connection.status { true } else { false } })
            if case .disconnected(let lost) = connection.status { #expect(lost.code == .publishStalled, "\(lost)") }
            try await broker.resume()
            let outcomes = await pending.value
            #expect(outcomes.count == 24)
            #expect(outcomes.allSatisfy { if case .failed = $0 { true } else { false } })
            #expect(await eventually(timeout: .seconds(20)) { connection.status == .connected })
            #expect(await channel.publish(AMQPMessage(exchange: "", routingKey: queue, text: "back")) == .confirmed)
            #expect(try await broker.messageCount(queue) >= 2)
        }
    }
}
