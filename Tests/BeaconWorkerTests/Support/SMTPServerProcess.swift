import Foundation
import Glibc
import IntegrationSupport

/// Child processes started with `posix_spawn`, every descriptor above 2 closed.
///
/// `TestServices.startSMTPServer` runs `scripts/smtp-server` through Foundation's `Process`, whose children inherit
/// the socket Foundation watches to learn that a child ended; the daemon the script leaves running keeps it open,
/// and `waitUntilExit()` never returns. Spawning without inherited descriptors avoids that.
enum ChildProcess {
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which the Glibc module does not export.
    private static let closeFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            fatalError("glibc 2.34 or later is needed (posix_spawn_file_actions_addclosefrom_np)")
        }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Starts `arguments` (looked up in PATH), its output appended to `output`; returns its pid.
    static func start(_ arguments: [String], output: String = "/dev/null") throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        _ = closeFrom(&actions, 3)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
        guard spawned == 0 else { throw TestFailure("cannot run \(arguments[0]): errno \(spawned)") }
        return pid
    }

    /// Waits for a child and returns its exit status.
    @discardableResult
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    /// Runs `arguments` to completion; throws when it fails.
    static func run(_ arguments: [String]) throws {
        let status = wait(try start(arguments))
        guard status == 0 else { throw TestFailure("\(arguments.joined(separator: " ")) failed (status \(status))") }
    }
}

/// Another real SMTP server (aiosmtpd through `scripts/smtp-server`) that a test starts and stops, for outages.
struct SMTPServerProcess {
    let port: Int
    let maildir: Maildir
    private let pidFile: String

    var url: String { "smtp://127.0.0.1:\(port)" }

    /// Starts the server; returns once it listens. The Maildir's folders are made first (aiosmtpd makes them only
    /// when the Maildir itself does not exist, and the script makes that).
    static func start(maildir: URL, port: Int) throws -> SMTPServerProcess {
        for folder in ["tmp", "new", "cur"] {
            try FileManager.default.createDirectory(at: maildir.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        let pidFile = maildir.deletingLastPathComponent().appendingPathComponent("smtp-\(port).pid").path
        try ChildProcess.run(["bash", try script(), "start", maildir.path, String(port), pidFile])
        return SMTPServerProcess(port: port, maildir: Maildir(maildir), pidFile: pidFile)
    }

    /// Stops the server (by the PID it wrote).
    func stop() throws { try ChildProcess.run(["bash", try Self.script(), "stop", pidFile]) }

    private static func script() throws -> String {
        guard let script = ProcessInfo.processInfo.environment["BEACON_TEST_SMTP_SERVER"] else {
            throw TestFailure("BEACON_TEST_SMTP_SERVER is not set: run the tests with `make test` or scripts/test-services")
        }
        return script
    }
}
