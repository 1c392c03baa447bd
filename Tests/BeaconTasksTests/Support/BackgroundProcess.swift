import Foundation
import IntegrationSupport

/// A program the test starts and leaves running (a Celery worker), its output in a file; stopped by its PID.
///
/// Spawned by ``ExternalCommand/spawn(_:_:output:environment:)``: with an empty signal mask (the test runner's blocked
/// signals would otherwise block the child's SIGTERM).
final class BackgroundProcess: Sendable {
    let pid: pid_t
    let log: URL

    init(_ executable: String, _ arguments: [String], environment: [String: String], log: URL) throws {
        self.pid = try ExternalCommand.spawn(executable, arguments, output: log, environment: environment)
        self.log = log
    }

    /// What it printed so far.
    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Sends SIGTERM to its PID and waits for it to exit (SIGKILL after `grace`); returns its wait status.
    @discardableResult
    func stop(grace: Duration = .seconds(15)) async -> Int32 {
        kill(pid, SIGTERM)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: grace)
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped == -1 && errno == ECHILD) { return status }
            if clock.now >= deadline {
                kill(pid, SIGKILL)
                _ = try? await offThePool { [pid] in
                    var status: Int32 = 0
                    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                }
                return -1
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}
