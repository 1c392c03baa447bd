import Foundation
import IntegrationSupport
import Testing

@testable import BeaconWorker

/// The built `worker` executable, run as a child process (for signals, `kill -9` and exit codes).
final class WorkerProcess {
    let process = Process()
    let output: URL

    /// The `worker` executable next to the test bundle (`swift build` puts both in the same folder).
    static var executable: URL {
        get throws {
            let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            for folder in [besideTests, besideTests.deletingLastPathComponent(), Fixtures.packageRoot.appendingPathComponent(".build/debug")] {
                let candidate = folder.appendingPathComponent("worker")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            throw TestFailure("the worker executable is not built next to \(besideTests.path): run `swift build` first")
        }
    }

    init(_ arguments: [String], environment: [String: String] = [:], output: URL) throws {
        self.output = output
        process.executableURL = try Self.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    func signal(_ signal: Int32) { kill(pid, signal) }

    /// Waits for the process to end and returns its exit status (`terminationStatus`).
    func wait(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let ended = await eventually(timeout: timeout) { !self.process.isRunning }
        try #require(ended, "the worker did not stop: \(log)")
        return process.terminationStatus
    }

    var log: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    /// Runs the worker to completion and returns its exit status and output.
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        let output = try TestServices.temporaryDirectory().appendingPathComponent("worker.out")
        let worker = try WorkerProcess(arguments, environment: environment, output: output)
        let status = try await worker.wait()
        return (status, worker.log)
    }
}

extension TestWorld {
    /// The world's configuration as a worker.yaml for the executable (files queue only).
    func writeYAML() throws -> String {
        let broker = configuration.broker
        let queue = configuration.queues[0]
        let yaml = """
            broker:
              url: "\(broker.url)"
              exchange: \(broker.exchange)
              prefetch: \(broker.prefetch)
              dead_letter_queue: \(broker.deadLetterQueue)
            log_dir: \(configuration.logDirectory)
            queues:
              \(queue.name):
                bindings: ["#"]
                retry: [1s, 2s]
                sinks: [app.log]
            sinks:
              app.log:
                type: file
                path: app.log
                format: "%(event_id)s %(levelname)s %(message)s"
                rotate: {max_bytes: 1MiB, backup_count: 50}
            """
        let path = directory.appendingPathComponent("worker.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The ids written in `app.log` and its rotated files.
    func writtenIDsAcrossRotations() -> [String] {
        let folder = URL(fileURLWithPath: configuration.logDirectory)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix("app.log") }
        return names.flatMap { name in
            ((try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? "").split(separator: "\n").map {
                String($0.prefix { $0 != " " })
            }
        }
    }
}
