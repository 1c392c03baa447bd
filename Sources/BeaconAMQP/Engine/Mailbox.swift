import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The work handed to a connection thread by everyone else, and the pipe that wakes the thread from `poll()`.
///
/// Posting never blocks beyond a short lock: the command is appended, and the pipe is written only when the thread
/// said it was going to sleep, so a busy connection thread costs producers no system call.
final class Mailbox: Sendable {
    /// Work for the connection thread; it runs there, with the thread's ``Engine``.
    typealias Command = @Sendable (Engine) -> Void

    private struct State {
        var commands: [Command] = []
        var sleeping = false
        var closed = false
    }

    private let state = Mutex(State())
    /// The read end, polled by the connection thread.
    let wakeFD: Int32
    private let wakeWriteFD: Int32

    init() throws(AMQPError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw AMQPError(
                code: .socketError,
                message: "pipe() failed: \(String(cString: strerror(errno)))",
                context: "starting the connection thread"
            )
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeFD = fds[0]
        wakeWriteFD = fds[1]
    }

    deinit {
        close(wakeFD)
        close(wakeWriteFD)
    }

    /// Queues `command` for the connection thread; `false` if the connection has ended (the command will not run).
    @discardableResult
    func post(_ command: @escaping Command) -> Bool {
        let wake: Bool? = state.withLock { state in
            guard !state.closed else { return nil }
            state.commands.append(command)
            defer { state.sleeping = false }
            return state.sleeping
        }
        guard let wake else { return false }
        if wake {
            var byte: UInt8 = 1
            _ = write(wakeWriteFD, &byte, 1)
        }
        return true
    }

    /// Connection thread: the commands posted since the last call, oldest first.
    func take() -> [Command] {
        state.withLock { state in
            let commands = state.commands
            state.commands = []
            return commands
        }
    }

    /// Connection thread: announces a `poll()`; `false` when commands are already waiting (do not sleep then).
    func willSleep() -> Bool {
        state.withLock { state in
            guard state.commands.isEmpty else { return false }
            state.sleeping = true
            return true
        }
    }

    /// Connection thread: back from `poll()`; `signalled` when the wake pipe was readable.
    func didWake(signalled: Bool) {
        state.withLock { $0.sleeping = false }
        guard signalled else { return }
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeFD, &buffer, buffer.count) > 0 {}
    }

    /// Connection thread, at the very end: refuses further commands and returns the ones that will never run.
    func seal() -> [Command] {
        state.withLock { state in
            state.closed = true
            let commands = state.commands
            state.commands = []
            return commands
        }
    }
}
