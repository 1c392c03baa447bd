import Foundation
import IntegrationSupport
import Testing

/// A RabbitMQ node of its own, for tests that stop, pause or throttle the broker: doing that to the shared test
/// broker would break every other test running at the same time. Started with `scripts/rabbitmq-node` on free ports
/// under the test run's directory; ``with(_:)`` stops it afterwards.
final class PrivateBroker: Sendable {
    let url: String
    let directory: URL
    private let script: String

    private init(url: String, directory: URL, script: String) {
        self.url = url
        self.directory = directory
        self.script = script
    }

    /// Runs `body` with a broker of its own, stopped afterwards whatever happens.
    static func with<T>(_ body: (PrivateBroker) async throws -> T) async throws -> T {
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
            .deletingLastPathComponent()
        let script = root.appendingPathComponent("scripts/rabbitmq-node").path
        let directory = try TestServices.temporaryDirectory("rabbitmq")
        let ports = try await offThePool { try (0..<4).map { _ in try TestServices.freePort() } }
        let node = "beacon-amqp-\(UUID().uuidString.prefix(8).lowercased())@localhost"
        try await Command.run(script, ["start", directory.path, node] + ports.map(String.init))
        return PrivateBroker(url: "amqp://guest:guest@127.0.0.1:\(ports[0])/%2F", directory: directory, script: script)
    }

    /// Runs `rabbitmqctl` against this node and returns what it printed.
    @discardableResult
    func rabbitmqctl(_ arguments: String...) async throws -> String {
        try await Command.run(directory.appendingPathComponent("rabbitmqctl").path, arguments)
    }

    /// The messages ready in `queue`, exactly.
    func messageCount(_ queue: String) async throws -> Int {
        let output = try await rabbitmqctl("-q", "list_queues", "name", "messages", "--no-table-headers")
        let counts = output.split(separator: "\n").compactMap { line -> Int? in
            let fields = line.split(separator: "\t")
            return fields.count == 2 && fields[0] == queue ? Int(fields[1]) : nil
        }
        return try #require(counts.first, "queue \(queue) not listed: \(output)")
    }

    /// Freezes the node's process (`SIGSTOP`): connections stay open but nothing answers, not even heartbeats.
    func pause() async throws { try await signal("STOP") }

    /// Lets a paused node run again (`SIGCONT`).
    func resume() async throws { try await signal("CONT") }

    private func signal(_ name: String) async throws {
        let pid = try String(contentsOf: directory.appendingPathComponent("pid"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try await Command.run("/bin/kill", ["-\(name)", pid])
    }

    private func stop() async {
        try? await resume()
        _ = try? await Command.run(script, ["stop", directory.path])
    }
}
