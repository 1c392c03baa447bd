import Foundation
import IntegrationSupport
import Testing

/// The module map of the README, checked against Package.swift: which library may reach rabbitmq-c or Hummingbird.
@Suite struct ModuleGraphTests {
    /// Each target's direct dependencies: local targets by name, products as `package/product`.
    let graph: [String: [String]]

    init() async throws {
        graph = try await Self.manifestGraph.value
    }

    /// Read once for every test: `swift package dump-package` evaluates the manifest, for seconds, on a thread of its
    /// own rather than on one of the two cooperative threads that every other test needs.
    static let manifestGraph = Task { try await offThePool { try readGraph() } }

    static func readGraph() throws -> [String: [String]] {
        let manifest = try swiftPackage(["dump-package"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(manifest.utf8)) as? [String: Any])
        let targets = try #require(json["targets"] as? [[String: Any]])
        var graph: [String: [String]] = [:]
        for target in targets {
            let name = try #require(target["name"] as? String)
            let dependencies = target["dependencies"] as? [[String: [Any]]] ?? []
            graph[name] = dependencies.compactMap { dependency in
                if let byName = dependency["byName"]?.first as? String { return byName }
                if let target = dependency["target"]?.first as? String { return target }
                if let product = dependency["product"], let name = product.first as? String, product.count > 1,
                    let package = product[1] as? String
                {
                    return "\(package)/\(name)"
                }
                return nil
            }
        }
        return graph
    }

    /// Everything `target` depends on, directly or not.
    func closure(of target: String) -> Set<String> {
        var seen: Set<String> = []
        var pending = graph[target] ?? []
        while let next = pending.popLast() {
            guard seen.insert(next).inserted else { continue }
            pending += graph[next] ?? []
        }
        return seen
    }

    static let amqp: Set = ["BeaconAMQP", "CRabbitMQ", "CAMQPShim"]

    @Test("the signals and the event schema depend on nothing outside Beacon's internal lock")
    func standAlone() {
        #expect(graph["Beacon"] == ["BeaconSynchronization"])
        #expect(graph["BeaconEvents"] == [])
        #expect(graph["BeaconSynchronization"] == [])
    }

    @Test(
        "producers, the web module and the test helpers build without rabbitmq-c",
        arguments: ["BeaconOutbox", "BeaconLogging", "BeaconWeb", "BeaconTesting", "BeaconWebTesting", "NightlyReport"]
    )
    func noAMQP(target: String) {
        #expect(closure(of: target).isDisjoint(with: Self.amqp), "\(target) reaches \(closure(of: target).intersection(Self.amqp))")
    }

    @Test("the outbox's unit tests build without rabbitmq-c; its broker tests are a target of their own")
    func outboxTests() {
        #expect(closure(of: "BeaconOutboxTests").isDisjoint(with: Self.amqp.union(["BeaconOutboxAMQP"])))
        #expect(closure(of: "BeaconOutboxAMQPTests").contains("BeaconOutboxAMQP"))
    }

    @Test(
        "producers outside HTTP and their test helpers do not link Hummingbird",
        arguments: ["BeaconOutbox", "BeaconLogging", "BeaconTesting", "NightlyReport"]
    )
    func noHummingbird(target: String) {
        let hummingbird = closure(of: target).filter { $0.hasPrefix("hummingbird/") || $0 == "BeaconWeb" }
        #expect(hummingbird.isEmpty, "\(target) reaches \(hummingbird)")
    }

    @Test("the worker library and the AMQP adapter are where rabbitmq-c comes in")
    func amqpUsers() {
        #expect(closure(of: "BeaconOutboxAMQP").contains("BeaconAMQP"))
        #expect(closure(of: "BeaconWorker").contains("BeaconAMQP"))
        #expect(
            closure(of: "BeaconAMQP").isDisjoint(with: ["BeaconEvents", "BeaconOutbox", "hummingbird/Hummingbird"]),
            "the AMQP client knows no events"
        )
    }
}

/// Runs `swift package …` in the package and returns what it printed.
func swiftPackage(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    // A scratch path of its own: the package's .build is locked by the `swift test` that runs this.
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("beacon-manifest-\(getpid())")
    process.arguments = ["swift", "package", "--package-path", projectFile("").path, "--scratch-path", scratch.path] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "swift package \(arguments.joined(separator: " ")) failed")
    return String(decoding: data, as: UTF8.self)
}
