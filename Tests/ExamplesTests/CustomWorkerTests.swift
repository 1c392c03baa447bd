import BeaconAMQP
import BeaconEvents
import Foundation
import IntegrationSupport
import Logging
import Testing

/// The custom-worker sample run against the test broker: its own JSON-lines sink beside a stock file sink.
@Suite struct CustomWorkerTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the example worker writes the JSON lines of its own sink, and stops cleanly on SIGTERM")
    func customWorkerAgainstTheBroker() async throws {
        let exchange = TestServices.uniqueName("events")
        let logs = try TestServices.temporaryDirectory("custom-worker")
        let output = logs.appendingPathComponent("worker.out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = Process()
        process.executableURL = try exampleExecutable("custom-worker-example")
        process.environment = ProcessInfo.processInfo.environment.merging([
            "AMQP_URL": try TestServices.amqpURL(),
            "BEACON_EXCHANGE": exchange,
            "BEACON_LOG_DIR": logs.path,
            "BEACON_WORKER_CONFIG": Self.packageRoot.appendingPathComponent("Examples/CustomWorker/worker.yaml").path,
        ]) { $1 }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let log = { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

        let events = [
            Event(service: "example", kind: .log, level: .info, message: "one"),
            Event(service: "example", kind: .error, level: .error, message: "two"),
            Event(service: "example", kind: .log, level: .debug, message: "below the sink's level"),
        ]
        try await AMQPConnection.withConnection(configuration: AMQPConfiguration(url: TestServices.amqpURL()), logger: Logger(label: "test")) {
            connection in
            let channel = try await connection.openChannel()
            let consuming = await eventually(timeout: .seconds(30)) {
                ((try? await channel.checkQueue("custom.events").consumerCount) ?? 0) >= 1
            }
            try #require(consuming, "the example did not start consuming: \(log())")
            for event in events {
                let message = AMQPMessage(
                    exchange: exchange,
                    routingKey: event.routingKey,
                    body: event.jsonBytes(),
                    properties: AMQPProperties(contentType: Event.contentType, deliveryMode: .persistent, messageID: event.id)
                )
                #expect(await channel.publish(message).isConfirmed)
            }
        }
        let jsonLines = logs.appendingPathComponent("events.jsonl")
        let appLog = logs.appendingPathComponent("app.log")
        func lines(_ file: URL) -> [Substring] { ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n") }
        #expect(await eventually(timeout: .seconds(20)) { lines(jsonLines).count == 2 && lines(appLog).count == 3 }, "\(log())")

        kill(process.processIdentifier, SIGTERM)
        #expect(await eventually(timeout: .seconds(30)) { !process.isRunning }, "\(log())")
        #expect(process.terminationStatus == 0, "\(log())")
        let written = try lines(jsonLines).map { try Event(json: Array($0.utf8)) }
        #expect(written.map(\.id) == events.prefix(2).map(\.id), "info and up, in order, each once")
        #expect(written.map(\.message) == ["one", "two"])
    }
}
