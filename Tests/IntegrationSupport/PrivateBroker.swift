public import Foundation

/// A RabbitMQ node of its own, for tests that stop, pause or throttle the broker: doing that to the shared test
/// broker would break every other test running at the same time. Started with `scripts/rabbitmq-node` on free ports
/// under the test run's directory; ``with(_:)`` stops it afterwards.
public final class PrivateBroker: Sendable {
    /// `amqp://guest:guest@127.0.0.1:PORT/%2F`.
    public let url: String
    public let directory: URL
    private let script: String

    private init(url: String, directory: URL, script: String) {
        self.url = url
        self.directory = directory
        self.script = script
    }

    /// Runs `body` with a broker of its own, stopped afterwards whatever happens.
    public static func with<T>(_ body: (PrivateBroker) async throws -> T) async throws -> T {
        let broker = try await start()
        do {
            let result = try await body(broker)
            await broker.stop()
            return result
        } catch {
            await broker.stop()
            throw error
        }
    }

    private static func start() async throws -> PrivateBroker {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = root.appendingPathComponent("scripts/rabbitmq-node").path
        // Another suite's process may take a port between the check and the node's listen: try other ports then.
        var attempt = 1
        while true {
            let directory = try TestServices.temporaryDirectory("rabbitmq")
            let ports = try (0..<4).map { _ in try TestServices.freePort() }
            let node = "beacon-amqp-\(UUID().uuidString.prefix(8).lowercased())@localhost"
            do {
                try await ExternalCommand.run(script, ["start", directory.path, node] + ports.map(String.init))
                return PrivateBroker(url: "amqp://guest:guest@127.0.0.1:\(ports[0])/%2F", directory: directory, script: script)
            } catch {
                guard attempt < 3 else { throw error }
                attempt += 1
            }
        }
    }

    /// Runs `rabbitmqctl` against this node and returns what it printed.
    @discardableResult
    public func rabbitmqctl(_ arguments: String...) async throws -> String {
        try await rabbitmqctl(arguments)
    }

    func rabbitmqctl(_ arguments: [String]) async throws -> String {
        try await ExternalCommand.run(directory.appendingPathComponent("rabbitmqctl").path, arguments)
    }

    /// The messages ready in `queue`, exactly.
    public func messageCount(_ queue: String) async throws -> Int {
        let output = try await rabbitmqctl(TestServices.listQueuesArguments)
        guard let count = TestServices.messageCount(queue: queue, inListQueuesOutput: output) else {
            throw ExternalCommand.Failure(command: "rabbitmqctl list_queues", status: 0, output: "queue \(queue) not listed: \(output)")
        }
        return count
    }

    /// Freezes the node's process (`SIGSTOP`): connections stay open but nothing answers, not even heartbeats.
    public func pause() async throws { try await signal("STOP") }

    /// Lets a paused node run again (`SIGCONT`).
    public func resume() async throws { try await signal("CONT") }

    private func signal(_ name: String) async throws {
        let pid = try String(contentsOf: directory.appendingPathComponent("pid"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try await ExternalCommand.run("/bin/kill", ["-\(name)", pid])
    }

    private func stop() async {
        try? await resume()
        _ = try? await ExternalCommand.run(script, ["stop", directory.path])
    }
}
