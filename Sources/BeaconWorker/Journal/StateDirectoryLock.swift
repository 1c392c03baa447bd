#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// An exclusive lock on the worker's state directory (`flock(2)` on `<state>/lock`), held for the life of the
/// process: two workers never write the same log files and journals. Several workers on the same queues each
/// need a log directory of their own. The kernel releases the lock when the process ends, `kill -9` included.
public final class StateDirectoryLock: Sendable {
    private let descriptor: Int32
    public let path: String

    /// Takes the lock, creating the directory; throws at once if another process holds it.
    public init(directory: String) throws(WorkerError) {
        path = "\(directory)/lock"
        do {
            try FileSystem.createDirectory(directory)
        } catch {
            throw WorkerError(.stateDirectory, "cannot create the state directory: \(error)")
        }
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw WorkerError(.stateDirectory, "\(SystemError("open", path))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? FileSystem.read(path)).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) } ?? "?"
            close(descriptor)
            throw WorkerError(
                .stateDirectory,
                "another worker (pid \(holder.trimmingSpaces)) uses \(directory): give each worker a log directory of its own (--log-dir)"
            )
        }
        ftruncate(descriptor, 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pid.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }
}
