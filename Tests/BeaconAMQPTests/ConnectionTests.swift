import BeaconAMQP
import Foundation
import IntegrationSupport
import Logging
import ServiceLifecycle
import Testing

@Suite("Connecting")
struct ConnectionTests {
    @Test("connects, reports its status, and closes")
    func connectAndClose() async throws {
        try await Broker.withConnection { connection in
            #expect(connection.status == .connected)
            let channel = try await connection.openChannel()
            let queue = try await channel.declare(AMQPQueue("", durable: false, exclusive: true, autoDelete: true))
            #expect(queue.name.hasPrefix("amq.gen-"))
            await connection.close()
            #expect(connection.status == .closed(nil))
            await #expect {
                try await channel.declare(AMQPQueue("", exclusive: true))
            } throws: { ($0 as? AMQPError)?.code == .connectionClosed }
        }
    }

    @Test("a wrong password fails with ACCESS_REFUSED (403), and the password is in no error or log line")
    func wrongPassword() async throws {
        let logs = LogCapture()
        let secret = "not-the-Passw0rd"
        let configuration = try Broker.configuration { $0.password = secret }
        let error = try await #require(throws: AMQPError.self) {
            try await Broker.withConnection(configuration: configuration, logger: logs.logger) { _ in }
        }
        #expect(error.code == .accessRefused)
        #expect(error.replyCode == 403)
        #expect("\(error)".contains("ACCESS_REFUSED (403)"))
        #expect("\(error)".contains("connecting to amqp://guest@127.0.0.1"))
        #expect(!"\(error)".contains(secret))
        #expect(!logs.lines.joined().contains(secret))
        #expect(!logs.lines.isEmpty, "the failure is logged")
    }

    @Test("an unknown vhost fails with NOT_ALLOWED (530) naming the vhost")
    func wrongVirtualHost() async throws {
        let configuration = try Broker.configuration { $0.virtualHost = "no-such-vhost" }
        let error = try await #require(throws: AMQPError.self) {
            try await Broker.withConnection(configuration: configuration) { _ in }
        }
        #expect(error.code == .notAllowed)
        #expect(error.replyCode == 530)
        #expect(error.message.contains("no-such-vhost"))
    }

    @Test("nothing listening on the port: SOCKET_ERROR (connection refused) at once")
    func refused() async throws {
        let port = try TestServices.freePort()
        let error = try await #require(throws: AMQPError.self) {
            try await Broker.withConnection(
                configuration: try Broker.noBroker(port: port) {
                    // Long enough that waiting for it would end in TIMEOUT, not SOCKET_ERROR.
                    $0.connectionTimeout = .seconds(60)
                }
            ) { _ in }
        }
        #expect(error.code == .socketError)
        #expect(error.message.contains("could not connect to 127.0.0.1:\(port)"))
    }

    @Test("a host that accepts but never answers fails with TIMEOUT within the connection timeout")
    func silentHost() async throws {
        let listener = try SilentListener()
        let started = ContinuousClock.now
        let error = try await #require(throws: AMQPError.self) {
            try await Broker.withConnection(
                configuration: try Broker.noBroker(port: listener.port) {
                    $0.connectionTimeout = .seconds(1)
                }
            ) { _ in }
        }
        let elapsed = ContinuousClock.now - started
        #expect(error.code == .timeout)
        #expect(elapsed >= .milliseconds(900))
    }

    @Test("an idle connection survives three heartbeat intervals and works afterwards")
    func idleHeartbeats() async throws {
        try await Broker.withConnection(configuration: try Broker.configuration { $0.heartbeat = .seconds(1) }) { connection in
            let updates = Task {
                var seen: [AMQPConnection.Status] = []
                for await status in connection.statusUpdates() { seen.append(status) }
                return seen
            }
            let channel = try await connection.openChannel()
            try await Task.sleep(for: .seconds(4))
            #expect(connection.status == .connected)
            let queue = try await channel.declare(AMQPQueue("", durable: false, exclusive: true, autoDelete: true))
            let outcome = await channel.publish(AMQPMessage(exchange: "", routingKey: queue.name, text: "still alive"))
            #expect(outcome == .confirmed)
            await connection.close()
            #expect(await updates.value == [.connected, .closed(nil)], "never disconnected")
        }
    }

    @Test("run against no broker: disconnected status, and publishes fail at their deadline")
    func backgroundWithoutBroker() async throws {
        let port = try TestServices.freePort()
        let connection = try AMQPConnection(
            configuration: Broker.configuration {
                $0.port = port
                $0.publishTimeout = .seconds(1)
                $0.reconnect = AMQPReconnectPolicy(initialDelay: .milliseconds(50), maximumDelay: .milliseconds(200))
            },
            logger: Logger(label: "test")
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await connection.run() }
            let channel = try await connection.openChannel()
            #expect(await eventually { if case .disconnected = connection.status { true } else { false } })
            let started = ContinuousClock.now
            let outcomes = await channel.publish(messages(3, routingKey: "nowhere"))
            // Well under the 2 s connection timeout on a quiet machine; the margin absorbs a loaded CI runner.
            #expect(ContinuousClock.now - started < .seconds(6))
            for outcome in outcomes {
                guard case .failed(let error) = outcome else {
                    Issue.record("expected a failure, got \(outcome)")
                    continue
                }
                #expect(error.code == .timeout)
                #expect(error.message.contains("not connected"))
            }
            await connection.close()
            try await group.waitForAll()
        }
    }

    @Test("a service in a ServiceGroup: connects, and returns from run() on graceful shutdown once publishes settled")
    func gracefulShutdown() async throws {
        let connection = try AMQPConnection(configuration: Broker.configuration(), logger: Logger(label: "test"))
        let group = ServiceGroup(services: [connection], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await connection.waitUntilConnected()
            let channel = try await connection.openChannel()
            let queue = try await channel.declare(AMQPQueue("", durable: false, exclusive: true, autoDelete: true))
            let publishing = Task { await channel.publish(messages(200, routingKey: queue.name)) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            #expect(connection.status == .closed(nil))
            // Publishes in flight when shutdown began got their outcomes: confirmed, or failed as closed; none hang.
            let outcomes = await publishing.value
            #expect(outcomes.count == 200)
        }
    }

    @Test("a task cancelled while the connection thread is stuck in a connect attempt stops waiting at once")
    func cancelledWhileConnecting() async throws {
        let listener = try SilentListener()
        let connection = try AMQPConnection(
            configuration: Broker.configuration {
                $0.port = listener.port
                $0.connectionTimeout = .seconds(30)
            },
            logger: Logger(label: "test")
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try? await connection.run() }
            // The thread is in the handshake with a host that never answers; the declare waits behind it.
            try await Task.sleep(for: .milliseconds(200))
            let declaring = Task { try await connection.declare(AMQPTopology(queues: [AMQPQueue("never")])) }
            try await Task.sleep(for: .milliseconds(200))
            let started = ContinuousClock.now
            declaring.cancel()
            let result = await declaring.result
            #expect(ContinuousClock.now - started < .seconds(5), "answered long before the 30 s connection timeout")
            #expect(throws: AMQPError.self) { try result.get() }
            if case .failure(let error) = result { #expect((error as? AMQPError)?.code == .cancelled) }
            group.cancelAll()
        }
    }
}
