import BeaconEvents
import Foundation
import IntegrationSupport
import Synchronization

@testable import BeaconWorker

/// Events, paths and configurations for the worker's tests.
enum Fixtures {
    /// The package's root folder, found from this file's path.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `worker/worker.yaml`.
    static var workerYAML: String { packageRoot.appendingPathComponent("worker/worker.yaml").path }

    /// An event as the web server sends one.
    static func event(
        _ message: String = "GET /hello 200 0.41ms",
        level: Event.Level = .info,
        kind: Event.Kind? = nil,
        service: String = "web",
        id: String = Event.makeID(),
        requestID: String? = "req-1",
        error: Event.ErrorDetails? = nil,
        time: Event.Timestamp = .now()
    ) -> Event {
        Event(
            id: id,
            time: time,
            service: service,
            host: "test-host",
            pid: 4242,
            kind: kind ?? (level >= .error ? .error : .request),
            level: level,
            logger: "web.request",
            message: message,
            source: Event.Source(file: "Sources/App/Routes.swift", line: 42, function: "hello(_:)", module: "App"),
            request: Event.Request(id: requestID, method: "GET", path: "/hello", status: level >= .error ? 500 : 200, durationMilliseconds: 0.41),
            error: error
        )
    }

    /// The worker's mail sink configuration with the templates of `worker/templates`.
    static func mailSink(smtpURL: String, storm: StormControlConfiguration = StormControlConfiguration()) throws -> MailSinkConfiguration {
        let templates = MailTemplatePaths(directory: packageRoot.appendingPathComponent("worker").path)
        return MailSinkConfiguration(
            smtp: SMTPConfiguration(url: smtpURL, connectTimeout: .seconds(2), timeout: .seconds(10)),
            from: "beacon@localhost",
            to: ["ops@localhost", "oncall@localhost"],
            body: try templates.read(templates.body, key: "template", location: "test"),
            digest: try templates.read(templates.digest, key: "digest_template", location: "test"),
            storm: storm
        )
    }

    /// A clock the test moves by hand (milliseconds since 1970).
    final class ManualClock: Sendable {
        private let now: Mutex<Int64>
        init(_ start: Int64 = 1_763_720_130_000) { now = Mutex(start) }
        var milliseconds: Int64 { now.withLock { $0 } }
        func advance(by duration: Duration) { now.withLock { $0 += duration.milliseconds } }
        func set(_ milliseconds: Int64) { now.withLock { $0 = milliseconds } }
        var function: @Sendable () -> Int64 { { self.milliseconds } }
    }
}

/// Runs python3 with a script and arguments; returns what it printed.
func python(_ script: String, _ arguments: String...) throws -> String {
    try ExternalCommand.run("python3", ["-c", script] + arguments)
}

/// A test's own failure, with what went wrong.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
