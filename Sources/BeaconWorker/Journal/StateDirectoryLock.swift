import BeaconFileSystem
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on the worker's state directory (`flock(2)` on `<state>/lock`), held for the life of the
/// process: two workers never write the same log files and journals. Several workers on the same queues each
/// need a log directory of their own. The kernel releases the lock when the process ends, `kill -9` included.
public final class StateDirectoryLock: Sendable {
    private let descriptor: FileDescriptor
    public let path: String

    /// Takes the lock, creating the directory; throws at once if another process holds it.
    public init(directory: String) throws(WorkerError) {
        let path = "\(directory)/lock"
        self.path = path
        do {
            try FileSystem.createDirectory(directory)
        } catch {
            throw WorkerError(.stateDirectory, "cannot create the state directory: \(error)")
        }
        let descriptor: FileDescriptor
        do {
            descriptor = try SystemCallError.attempt("open", path) {
                try FileDescriptor.open(
                    FilePath(path),
                    .readWrite,
                    options: [.create, .closeOnExec],
                    permissions: [.ownerReadWrite, .groupRead, .otherRead]
                )
            }
        } catch {
            throw WorkerError(.stateDirectory, "\(error)")
        }
        guard flock(descriptor.rawValue, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? FileSystem.read(path)).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) } ?? "?"
            try? descriptor.close()
            throw WorkerError(
                .stateDirectory,
                "another worker (pid \(holder.trimmingSpaces)) uses \(directory): give each worker a log directory of its own (--log-dir)"
            )
        }
        // Who holds it, for the next worker's message; the lock works without it.
        _ = try? descriptor.resize(to: 0)
        _ = try? descriptor.writeAll(Array("\(getpid())\n".utf8))
        self.descriptor = descriptor
    }

    deinit { try? descriptor.close() }
}
