public import Foundation
import Synchronization
import Testing

/// The real services that `make test` starts for the integration tests (see `scripts/test-services`):
/// a throwaway RabbitMQ node and an SMTP server that keeps every mail in a Maildir.
///
/// A test that needs one of them and does not find it is skipped (cancelled) with a message that names what it needs,
/// so that plain `swift test` runs every unit test; under `make test` (`BEACON_TEST_REQUIRE_SERVICES=1`) it fails
/// instead, so that nothing is skipped there.
public enum TestServices {
    /// `amqp://guest:guest@127.0.0.1:PORT/%2F`: the test broker.
    public static func amqpURL() throws -> String { try variable("BEACON_TEST_AMQP_URL") }

    /// `http://127.0.0.1:PORT`: the test broker's management API (login guest/guest).
    public static func managementURL() throws -> String { try variable("BEACON_TEST_MANAGEMENT_URL") }

    /// `smtp://127.0.0.1:PORT`: the test SMTP server.
    public static func smtpURL() throws -> String { try variable("BEACON_TEST_SMTP_URL") }

    /// A Python interpreter with Celery 5.7 (scripts/celery-python): the peer of the task protocol's tests.
    public static func celeryPython() throws -> String { try variable("BEACON_TEST_CELERY_PYTHON") }

    /// The Maildir where the test SMTP server stores every mail it accepts.
    public static func maildir() throws -> Maildir { Maildir(URL(fileURLWithPath: try variable("BEACON_TEST_MAILDIR"))) }

    /// A fresh directory for one test, under the test run's directory; removed by nobody (var/ is ignored by git).
    public static func temporaryDirectory(_ name: String = #function) throws -> URL {
        let base =
            ProcessInfo.processInfo.environment["BEACON_TEST_RUN_DIR"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let url = base.appendingPathComponent("tmp").appendingPathComponent("\(safe)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A name no other test uses, for queues and exchanges: `prefix.8hex`.
    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix).\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Runs `rabbitmqctl` against the test node and returns what it printed. Throws if it fails.
    @discardableResult
    public static func rabbitmqctl(_ arguments: String...) throws -> String {
        try ExternalCommand.run(try variable("BEACON_TEST_RABBITMQCTL"), arguments)
    }

    /// The number of messages in a queue, exactly (`rabbitmqctl list_queues`, not the lagging management stats).
    public static func messageCount(queue: String) throws -> Int? {
        messageCount(queue: queue, inListQueuesOutput: try ExternalCommand.run(try variable("BEACON_TEST_RABBITMQCTL"), listQueuesArguments))
    }

    static let listQueuesArguments = ["-q", "list_queues", "name", "messages", "--no-table-headers"]

    static func messageCount(queue: String, inListQueuesOutput output: String) -> Int? {
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: "\t")
            if fields.count == 2, fields[0] == queue { return Int(fields[1]) }
        }
        return nil
    }

    /// Starts another real SMTP server (aiosmtpd) on `port`, storing mail in `maildir`; the caller stops it.
    public static func startSMTPServer(maildir: URL, port: Int) throws -> SMTPServer {
        let pidFile = maildir.deletingLastPathComponent().appendingPathComponent("smtp-\(port).pid")
        try ExternalCommand.run(try variable("BEACON_TEST_SMTP_SERVER"), ["start", maildir.path, String(port), pidFile.path])
        return SMTPServer(port: port, pidFile: pidFile, maildir: Maildir(maildir))
    }

    /// A TCP port on 127.0.0.1 that nothing listens on at the moment of asking, and that no other test of this run
    /// has been given. Taken from 20000–32767, below Linux's ephemeral range: a port the kernel picks for `bind(0)` or
    /// for an outgoing connection could be picked again for a parallel test before a broker started on it.
    public static func freePort() throws -> Int {
        for _ in 0..<1000 {
            let candidate = Int.random(in: 20000...32767)
            let isNew = handedOutPorts.withLock { $0.insert(candidate).inserted }
            if isNew, canBind(port: candidate) {
                return candidate
            }
        }
        throw ExternalCommand.Failure(command: "free port", status: 0, output: "no free port in 20000–32767 on 127.0.0.1")
    }

    private static let handedOutPorts = Mutex<Set<Int>>([])

    private static func canBind(port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    static func variable(_ name: String) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        guard let value = environment[name], !value.isEmpty else {
            let missing = MissingTestService(variable: name)
            if environment["BEACON_TEST_REQUIRE_SERVICES"] == "1" { throw missing }
            try Test.cancel("skipped: \(missing)")
        }
        return value
    }
}

/// A test needs a service that is not there: the tests were not started by `make test`.
public struct MissingTestService: Error, CustomStringConvertible {
    public let variable: String
    public var description: String {
        "\(variable) is not set: this integration test needs the RabbitMQ node and SMTP server that `make test` starts "
            + "(or run `scripts/test-services swift test`)"
    }
}

/// An SMTP server started by a test; `stop()` ends it (by the PID it wrote), simulating an outage.
public struct SMTPServer: Sendable {
    public let port: Int
    public let pidFile: URL
    public let maildir: Maildir
    public var url: String { "smtp://127.0.0.1:\(port)" }

    public func stop() throws {
        try ExternalCommand.run(try TestServices.variable("BEACON_TEST_SMTP_SERVER"), ["stop", pidFile.path])
    }
}

/// A Maildir written by aiosmtpd's Mailbox handler: one file per mail in `new/` (or `cur/`).
public struct Maildir: Sendable {
    public let url: URL
    public init(_ url: URL) { self.url = url }

    /// Every stored mail, raw (headers and body), in no particular order.
    public func messages() throws -> [String] {
        var result: [String] = []
        for folder in ["new", "cur"] {
            let directory = url.appendingPathComponent(folder)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { continue }
            for name in names {
                result.append(try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8))
            }
        }
        return result
    }

    /// The mails that contain `text`.
    public func messages(containing text: String) throws -> [String] {
        try messages().filter { $0.contains(text) }
    }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
public func eventually(
    timeout: Duration = .seconds(10),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
