import BeaconAMQP
import Foundation
import IntegrationSupport
import Testing

@Suite("Connecting")
struct ConnectionTests {
    @Test("connects, reports its status, and closes")
    func connectAndClose() async throws {
        let connection = try await Broker.connect()
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

    @Test("a wrong password fails with ACCESS_REFUSED (403), and the password is in no error or log line")
    func wrongPassword() async throws {
        let logs = LogCapture()
        let secret = "not-the-Passw0rd"
        let error = try await #require(throws: AMQPError.self) {
            try await Broker.connect(logger: logs.logger) { $0.password = secret }
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
        let error = try await #require(throws: AMQPError.self) {
            try await Broker.connect { $0.virtualHost = "no-such-vhost" }
        }
        #expect(error.code == .notAllowed)
        #expect(error.replyCode == 530)
        #expect(error.message.contains("no-such-vhost"))
    }

    @Test("nothing listening on the port: SOCKET_ERROR (connection refused) at once")
    func refused() async throws {
        let port = try TestServices.freePort()
        let started = ContinuousClock.now
        let error = try await #require(throws: AMQPError.self) {
            try await Broker.connect {
                $0.port = port
                $0.connectionTimeout = .seconds(2)
            }
        }
        #expect(error.code == .socketError)
        #expect(error.message.contains("could not connect to 127.0.0.1:\(port)"))
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    @Test("a host that accepts but never answers fails with TIMEOUT within the connection timeout")
    func silentHost() async throws {
        let listener = try SilentListener()
        let started = ContinuousClock.now
        let error = try await #require(throws: AMQPError.self) {
            try await Broker.connect {
                $0.port = listener.port
                $0.connectionTimeout = .seconds(1)
            }
        }
        let elapsed = ContinuousClock.now - started
        #expect(error.code == .timeout)
        #expect(elapsed >= .milliseconds(900))
        #expect(elapsed < .seconds(3))
    }

    @Test("an idle connection survives three heartbeat intervals and works afterwards")
    func idleHeartbeats() async throws {
        let connection = try await Broker.connect { $0.heartbeat = .seconds(1) }
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

    @Test("started in the background against no broker: disconnected status, and publishes fail at their deadline")
    func backgroundWithoutBroker() async throws {
        let port = try TestServices.freePort()
        let connection = try AMQPConnection(
            configuration: Broker.configuration {
                $0.port = port
                $0.publishTimeout = .seconds(1)
                $0.reconnect = AMQPReconnectPolicy(initialDelay: .milliseconds(50), maximumDelay: .milliseconds(200))
            }
        )
        let channel = try await connection.openChannel()
        #expect(await eventually { if case .disconnected = connection.status { true } else { false } })
        let started = ContinuousClock.now
        let outcomes = await channel.publish(messages(3, routingKey: "nowhere"))
        #expect(ContinuousClock.now - started < .seconds(3))
        for outcome in outcomes {
            guard case .failed(let error) = outcome else {
                Issue.record("expected a failure, got \(outcome)")
                continue
            }
            #expect(error.code == .timeout)
            #expect(error.message.contains("not connected"))
        }
        await connection.close()
    }
}
