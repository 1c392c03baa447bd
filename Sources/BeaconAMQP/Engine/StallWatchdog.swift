import Synchronization

import class Foundation.Thread

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Gets a connection thread out of a socket write that cannot finish.
///
/// rabbitmq-c writes with no deadline: when the broker stops reading (a memory or disk alarm blocks publishers),
/// `amqp_basic_publish` waits forever. The connection thread arms its ``SendGuard`` with the socket and a deadline
/// before it writes and disarms it afterwards; if the deadline passes while armed, this watchdog shuts the socket down,
/// the write fails, and the connection is handled as lost (and reconnected).
final class StallWatchdog: Sendable {
    static let shared = StallWatchdog()

    private struct State {
        var guards: [ObjectIdentifier: SendGuard] = [:]
        var running = false
    }

    private let state = Mutex(State())

    func register(_ sendGuard: SendGuard) {
        let start = state.withLock { state in
            state.guards[ObjectIdentifier(sendGuard)] = sendGuard
            defer { state.running = true }
            return !state.running
        }
        guard start else { return }
        let thread = Thread { [self] in watch() }
        thread.name = "amqp-watchdog"
        thread.start()
    }

    func unregister(_ sendGuard: SendGuard) {
        state.withLock { _ = $0.guards.removeValue(forKey: ObjectIdentifier(sendGuard)) }
    }

    /// Checks every guard ten times a second; ends when no guard is left (the next `register` starts it again).
    private func watch() {
        while true {
            usleep(100_000)
            let guards: [SendGuard]? = state.withLock { state in
                guard !state.guards.isEmpty else {
                    state.running = false
                    return nil
                }
                return Array(state.guards.values)
            }
            guard let guards else { return }
            let now = Monotonic.now()
            for sendGuard in guards { sendGuard.check(now: now) }
        }
    }
}

/// One connection's arming state for the ``StallWatchdog``.
final class SendGuard: Sendable {
    private struct State {
        var fd: Int32 = -1
        var deadline: UInt64 = 0
        var tripped = false
    }

    private let state = Mutex(State())

    /// Before the connection thread writes to `fd`: it must be done by `deadline`.
    func arm(fd: Int32, deadline: UInt64) {
        state.withLock {
            $0.fd = fd
            $0.deadline = deadline
        }
    }

    /// After the writes (and always before the socket is closed, so the watchdog never touches a reused descriptor);
    /// `true` when the watchdog shut the socket down meanwhile.
    @discardableResult
    func disarm() -> Bool {
        state.withLock { state in
            state.fd = -1
            defer { state.tripped = false }
            return state.tripped
        }
    }

    fileprivate func check(now: UInt64) {
        state.withLock { state in
            guard state.fd >= 0, now > state.deadline else { return }
            shutdown(state.fd, Int32(SHUT_RDWR))
            state.fd = -1
            state.tripped = true
        }
    }
}
