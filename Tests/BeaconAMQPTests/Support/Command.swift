import Foundation

/// Runs external programs for the tests.
enum Command {
    /// Runs a program to completion off the cooperative pool and returns its output (stdout and stderr); throws if it
    /// fails.
    ///
    /// Spawned directly rather than through `Foundation.Process`, for two reasons: a daemon the command leaves behind
    /// (a RabbitMQ node) must not inherit a pipe whose end the test waits for, and the child must not inherit the test
    /// runner's signal mask (an Erlang VM with most signals blocked never finishes `rabbitmqctl wait`).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) async throws -> String {
        try await offThePool {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("private-broker-\(UUID().uuidString).out")
            defer { try? FileManager.default.removeItem(at: output) }
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
            let spawned = posix_spawnp(&pid, executable, &actions, &attributes, argv, environ)
            guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            guard status == 0 else { throw CommandFailed(command: ([executable] + arguments).joined(separator: " "), status: status, output: text) }
            return text
        }
    }
}

/// A command run by ``Command`` exited with a failure.
struct CommandFailed: Error, CustomStringConvertible {
    let command: String
    let status: Int32
    let output: String
    var description: String { "\(command) exited with \(status): \(output)" }
}
