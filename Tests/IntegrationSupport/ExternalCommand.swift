public import Foundation

/// Runs external programs (rabbitmqctl, scripts, curl) for the tests.
///
/// Programs are spawned directly rather than through `Foundation.Process`, for two reasons: a daemon a command leaves
/// behind (a RabbitMQ node) must not inherit a pipe whose end the test waits for, and the child must not inherit the
/// test runner's signal mask (an Erlang VM with most signals blocked never finishes `rabbitmqctl wait`).
public enum ExternalCommand {
    /// A command that exited with a failure.
    public struct Failure: Error, CustomStringConvertible {
        public let command: String
        public let status: Int32
        public let output: String
        public var description: String { "\(command) exited with \(status): \(output)" }
    }

    /// Runs a program (found on `PATH` unless a path is given) to completion and returns its output, stdout and stderr
    /// together; throws ``Failure`` if it fails. Blocks the calling thread.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("beacon-command-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: output) }
        let pid = try spawn(executable, arguments, output: output)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw Failure(command: ([executable] + arguments).joined(separator: " "), status: status, output: text)
        }
        return text
    }

    /// Starts a program (found on `PATH` unless a path is given) and returns its PID without waiting for it: stdin from
    /// /dev/null, stdout and stderr to `output`, an empty signal mask, the test's environment with `environment` added.
    /// The caller reaps it (`waitpid`).
    public static func spawn(
        _ executable: String,
        _ arguments: [String],
        output: URL,
        environment: [String: String] = [:]
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid = pid_t()
        let spawned: Int32
        if environment.isEmpty {
            spawned = posix_spawnp(&pid, executable, &actions, &attributes, argv, environ)
        } else {
            let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { for variable in envp { free(variable) } }
            spawned = posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
        }
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        return pid
    }

    /// ``run(_:_:)`` on a thread of its own, so that a command that takes seconds does not hold a cooperative thread.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String]) async throws -> String {
        try await offThePool { try run(executable, arguments) }
    }
}

/// Runs blocking work (external commands take up to seconds) on a thread of its own: the cooperative pool has as many
/// threads as cores, two here, and tests that measure timeouts must not wait behind it.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
