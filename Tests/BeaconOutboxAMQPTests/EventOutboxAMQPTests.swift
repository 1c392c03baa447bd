import BeaconAMQP
import BeaconEvents
import BeaconOutboxAMQP
import Foundation
import IntegrationSupport
import Logging
import ServiceLifecycle
import SystemPackage
import Testing

@testable import BeaconOutbox

/// The outbox against the real broker that `make test` starts.
@Suite(.serialized) struct EventOutboxAMQPTests {
    let exchange = TestServices.uniqueName("events")
    let queue = TestServices.uniqueName("outbox.all")
    let spoolDirectory: FilePath

    init() throws {
        spoolDirectory = FilePath(try TestServices.temporaryDirectory("outbox-spool").path)
    }

    // MARK: Helpers

    /// The test exchange, and a queue bound to `#` on it when `bindQueue` is true.
    func topology(bindQueue: Bool = true) -> AMQPTopology {
        var topology = AMQPEventTransport.topology(exchange: exchange)
        if bindQueue {
            topology.queues.append(AMQPQueue(queue, durable: true))
            topology.bindings.append(AMQPBinding(.queue(queue), exchange: exchange, routingKey: "#"))
        }
        return topology
    }

    func amqpConfiguration(url: String? = nil) throws -> AMQPConfiguration {
        var configuration = try AMQPConfiguration(url: url ?? TestServices.amqpURL())
        configuration.publishTimeout = .seconds(5)
        return configuration
    }

    /// An outbox publishing to the test exchange over a connection of its own (not running yet), and the services to
    /// run for it: the connection, the transport, the outbox.
    func amqpOutbox(
        url: String? = nil,
        bindQueue: Bool = true,
        spool: EventSpool? = nil,
        configuration: EventOutbox.Configuration = .init()
    ) throws -> (outbox: EventOutbox, connection: AMQPConnection, services: [any Service]) {
        let connection = try AMQPConnection(
            configuration: amqpConfiguration(url: url),
            topology: topology(bindQueue: bindQueue),
            logger: Logger(label: "test")
        )
        let transport = AMQPEventTransport(connection: connection, exchange: exchange)
        let outbox = EventOutbox(
            transport: transport,
            spool: try spool ?? EventSpool(directory: spoolDirectory),
            configuration: configuration,
            logger: Logger(label: "test")
        )
        return (outbox, connection, [connection, transport, outbox])
    }

    func events(_ count: Int, kind: Event.Kind = .request, level: Event.Level = .info) -> [Event] {
        (0..<count).map { Event(service: "web", kind: kind, level: level, message: "event \($0)") }
    }

    /// Every event in the test queue, in order, read with basic.get until it is empty.
    func drainQueue(url: String? = nil) async throws -> [Event] {
        try await drainMessages(url: url).flatMap { $0 }
    }

    /// The events of each message in the test queue, in order, read with basic.get until it is empty.
    func drainMessages(url: String? = nil) async throws -> [[Event]] {
        try await AMQPConnection.withConnection(configuration: amqpConfiguration(url: url), logger: Logger(label: "test")) { connection in
            let channel = try await connection.openChannel()
            var messages: [[Event]] = []
            while let delivery = try await channel.get(queue: queue) {
                messages.append(try EventBatch.decode(delivery.body, contentType: delivery.properties.contentType).map { try $0.get() })
                try channel.ack(delivery)
            }
            return messages
        }
    }

    /// Runs `services` (the outbox last) in a service group until `body` returns, then shuts them down gracefully.
    func withRunning(
        _ services: [any Service],
        _ body: () async throws -> Void
    ) async throws {
        let group = ServiceGroup(
            configuration: .init(services: services.map { .init(service: $0) }, gracefulShutdownSignals: [], logger: Logger(label: "test"))
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body()
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    // MARK: Tests

    @Test func deliversEveryEventWithConfirms() async throws {
        let (outbox, _, services) = try amqpOutbox()
        let sent = events(500)
        try await withRunning(services) {
            for event in sent { #expect(outbox.enqueue(event)) }
            #expect(await eventually { outbox.statistics.delivered == sent.count })
        }
        let received = try await drainQueue()
        #expect(received.map(\.id) == sent.map(\.id))
        #expect(outbox.statistics.spooled == 0)
        #expect(outbox.statistics.dropped == 0)
    }

    /// On a broker of its own: stopping the shared test broker would break every test running beside this one.
    @Test func spoolsWhileTheBrokerIsAwayAndReplaysInOrder() async throws {
        try await PrivateBroker.with { broker in
            let (outbox, connection, services) = try amqpOutbox(
                url: broker.url,
                configuration: .init(retryDelay: .milliseconds(50)...(.milliseconds(500)))
            )
            let before = events(100)
            let during = events(300)
            let after = events(100)
            try await withRunning(services) {
                for event in before { outbox.enqueue(event) }
                #expect(await eventually { outbox.statistics.delivered == before.count })
                try await broker.rabbitmqctl("stop_app")
                #expect(await eventually { connection.status != .connected })
                for event in during { outbox.enqueue(event) }
                #expect(await eventually { outbox.statistics.inSpool == during.count && outbox.statistics.isSpooling })
                try await broker.rabbitmqctl("start_app")
                for event in after { outbox.enqueue(event) }
                #expect(
                    await eventually(timeout: .seconds(60)) {
                        outbox.statistics.delivered >= before.count + during.count + after.count
                    }
                )
                #expect(await eventually { !outbox.statistics.isSpooling && outbox.statistics.inSpool == 0 })
            }
            let received = try await drainQueue(url: broker.url)
            let expected = (before + during + after).map(\.id)
            #expect(Set(received.map(\.id)) == Set(expected), "every event arrives")
            let spooled = Set(during.map(\.id))
            #expect(received.map(\.id).filter { spooled.contains($0) } == during.map(\.id), "spooled events in order")
            #expect(outbox.statistics.dropped == 0)
        }
    }

    @Test func aNewProcessDeliversWhatTheLastOneSpooled() async throws {
        let unreachable = "amqp://guest:guest@127.0.0.1:\(try TestServices.freePort())/%2F"
        let (offline, _, offlineServices) = try amqpOutbox(url: unreachable)
        let sent = events(200, kind: .error, level: .error)
        try await withRunning(offlineServices) {
            for event in sent { offline.enqueue(event) }
            #expect(await eventually { offline.statistics.inSpool == sent.count })
        }
        #expect(offline.statistics.delivered == 0)

        // The next process, with the broker reachable, finds the spool and delivers it.
        let (online, _, onlineServices) = try amqpOutbox()
        try await withRunning(onlineServices) {
            #expect(await eventually(timeout: .seconds(30)) { online.statistics.delivered == sent.count })
        }
        #expect(try await drainQueue().map(\.id) == sent.map(\.id))
        #expect(try EventSpool(directory: spoolDirectory).isEmpty)
    }

    @Test func keepsEventsThatNoQueueTakesUntilOneIsBound() async throws {
        let (outbox, connection, services) = try amqpOutbox(
            bindQueue: false,
            configuration: .init(retryDelay: .milliseconds(50)...(.milliseconds(200)))
        )
        let sent = events(50)
        try await withRunning(services) {
            for event in sent { outbox.enqueue(event) }
            #expect(await eventually { outbox.statistics.inSpool == sent.count })
            #expect(outbox.statistics.delivered == 0)
            // The worker appears and binds its queue: the spool drains.
            try await connection.declare(
                AMQPTopology(
                    queues: [AMQPQueue(queue)],
                    bindings: [AMQPBinding(.queue(queue), exchange: exchange, routingKey: "#")]
                )
            )
            #expect(await eventually(timeout: .seconds(30)) { outbox.statistics.delivered == sent.count })
        }
        // In order: events still in flight when the first publish failed reach the spool before the ones behind them.
        #expect(try await drainQueue().map(\.id) == sent.map(\.id))
    }

    @Test func aLingeringOutboxDeliversEverythingInOrderAndFlushesOnShutdown() async throws {
        // A linger far longer than the test: what lingers at the end goes out only because the outbox shuts down.
        let (outbox, _, services) = try amqpOutbox(
            configuration: .init(maximumPublishesInFlight: 1, linger: .init(events: 64, duration: .seconds(60)))
        )
        let first = events(1)
        let burst = events(300)
        let last = events(3)
        try await withRunning(services) {
            // Idle: the first event does not wait a minute.
            outbox.enqueue(first[0])
            #expect(await eventually { outbox.statistics.delivered == 1 })
            for event in burst + last { outbox.enqueue(event) }
            #expect(await eventually { outbox.statistics.buffered == 0 })
        }
        #expect(outbox.statistics.delivered == 304)
        #expect(outbox.statistics.spooled == 0)
        let messages = try await drainMessages()
        #expect(messages.first?.map(\.id) == first.map(\.id))
        #expect(messages.flatMap { $0 }.map(\.id) == (first + burst + last).map(\.id))
    }

    @Test func countsWhatABurstBeyondTheBufferDrops() async throws {
        let (outbox, _, services) = try amqpOutbox(configuration: .init(bufferCapacity: 10))
        // Nothing drains the buffer before the outbox runs.
        let accepted = events(25).filter { outbox.enqueue($0) }
        #expect(accepted.count == 10)
        #expect(outbox.statistics.droppedBufferFull == 15)
        try await withRunning(services) {
            #expect(await eventually { outbox.statistics.delivered == 10 })
        }
        #expect(try await drainQueue().map(\.id) == accepted.map(\.id))
    }

    @Test func countsWhatAFullSpoolDrops() async throws {
        let unreachable = "amqp://guest:guest@127.0.0.1:\(try TestServices.freePort())/%2F"
        let sent = events(20)
        let recordSize = SpoolRecordCoding.encodedSize(of: EventOutbox.record(for: sent[0]))
        let (outbox, _, services) = try amqpOutbox(
            url: unreachable,
            spool: try EventSpool(directory: spoolDirectory, maximumBytes: Int64(recordSize * 12 + recordSize / 2))
        )
        try await withRunning(services) {
            for event in sent { outbox.enqueue(event) }
            #expect(await eventually { outbox.statistics.inSpool + outbox.statistics.droppedSpoolFull == sent.count })
        }
        #expect(outbox.statistics.inSpool == 12)
        #expect(outbox.statistics.droppedSpoolFull == 8)
    }

    @Test func gracefulShutdownLeavesNothingBehind() async throws {
        let (outbox, _, services) = try amqpOutbox()
        let sent = events(2000)
        try await withRunning(services) {
            for event in sent { outbox.enqueue(event) }
            // Shut down at once, with events still in the buffer and in flight.
        }
        let statistics = outbox.statistics
        #expect(statistics.delivered + statistics.inSpool >= sent.count)
        #expect(statistics.dropped == 0)
        // After the loop ended, a late event goes to the spool, on the outbox's spool queue.
        #expect(outbox.enqueue(events(1)[0]))
        await outbox.waitForSpoolWrites()
        #expect(outbox.statistics.inSpool == statistics.inSpool + 1)
    }
}
