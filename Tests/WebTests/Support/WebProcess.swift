import Foundation
import IntegrationSupport

/// The `web` executable of this build, run as a child process with its standard error in a file.
final class WebProcess {
    let process = Process()
    let stderrFile: URL
    let port: Int

    /// The built `web` next to the test bundle; a clear failure when it is not there.
    static func executable() throws -> URL {
        let directory = Bundle.main.bundleURL.deletingLastPathComponent()
        for candidate in [directory, Bundle.main.bundleURL].map({ $0.appendingPathComponent("web") }) {
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw MissingExecutable(directory: directory.path)
    }

    /// Starts `web` with `environment` added to this process's, on a free port.
    init(environment: [String: String], arguments: [String] = []) throws {
        port = try TestServices.freePort()
        stderrFile = try TestServices.temporaryDirectory("web-stderr").appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        process.executableURL = try Self.executable()
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("BEACON_") && $0.key != "AMQP_URL" }
        merged["BEACON_PORT"] = String(port)
        merged.merge(environment) { _, new in new }
        process.environment = merged
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        try process.run()
    }

    /// Runs `web` to completion (for configurations it refuses) and returns its exit status and standard error.
    static func runToCompletion(environment: [String: String], arguments: [String] = []) async throws -> (status: Int32, stderr: String) {
        let web = try WebProcess(environment: environment, arguments: arguments)
        let exited = await eventually(timeout: .seconds(20)) { !web.process.isRunning }
        if !exited { web.process.terminate() }
        web.process.waitUntilExit()
        return (web.process.terminationStatus, web.standardError)
    }

    var standardError: String {
        (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
    }

    /// `curl` against the server; the body, or throws.
    func get(_ path: String) throws -> String {
        try ExternalCommand.run("curl", ["-sS", "--max-time", "10", "http://127.0.0.1:\(port)\(path)"])
    }

    /// Waits until the server answers.
    func waitUntilServing() async -> Bool {
        await eventually(timeout: .seconds(30)) { (try? self.get("/healthz")) != nil }
    }

    /// SIGTERM, then the exit status.
    func stop() async -> Int32 {
        process.terminate()
        let exited = await eventually(timeout: .seconds(30)) { !self.process.isRunning }
        if !exited { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// The tests run the `web` executable of the same build; it was not built.
struct MissingExecutable: Error, CustomStringConvertible {
    let directory: String
    var description: String { "no web executable in \(directory): build it first (swift build --product web)" }
}
