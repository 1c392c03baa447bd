package import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A system call that failed: which one, on what, and its `Errno`.
package struct SystemCallError: Error, Hashable, CustomStringConvertible {
    /// `open`, `write`, `fsync`, `rename`, …
    package let operation: String
    /// The file or address it was about.
    package let subject: String
    /// Why it failed.
    package let code: Errno

    package init(_ operation: String, _ subject: String, _ code: Errno) {
        self.operation = operation
        self.subject = subject
        self.code = code
    }

    /// For a C call that SystemPackage does not wrap: the calling thread's `errno`.
    package init(_ operation: String, _ subject: String) {
        self.init(operation, subject, Errno(rawValue: errno))
    }

    package var description: String { "\(operation) \(subject): \(code) (errno \(code.rawValue))" }

    /// Runs a SystemPackage call, whose errors are `Errno` though its signature says `throws`, naming what failed.
    package static func attempt<T>(_ operation: String, _ subject: String, _ body: () throws -> T) throws(SystemCallError) -> T {
        do {
            return try body()
        } catch {
            throw SystemCallError(operation, subject, error as? Errno ?? .ioError)
        }
    }
}

/// A file opened for appending, written with plain `write(2)` calls: no buffering in this process, so what a write
/// returned from is in the kernel and survives a crash of the worker; ``sync()`` makes it survive a power cut.
///
/// SystemPackage's `FileDescriptor` is a bare number: this owns one, and closes it when it goes away. Not
/// thread-safe: each file belongs to one owner (a pipeline, a journal), which serialises its use.
package struct AppendedFile: ~Copyable {
    package let path: String
    package let descriptor: FileDescriptor

    /// Opens (creating with mode 0644) `path` for appending.
    package init(_ path: String) throws(SystemCallError) {
        self.path = path
        descriptor = try SystemCallError.attempt("open", path) {
            try FileDescriptor.open(
                FilePath(path),
                .writeOnly,
                options: [.append, .create, .closeOnExec],
                permissions: [.ownerReadWrite, .groupRead, .otherRead]
            )
        }
    }

    deinit { try? descriptor.close() }

    /// Writes all of `bytes` (SystemPackage retries short writes and interruptions).
    package func write(_ bytes: [UInt8]) throws(SystemCallError) {
        _ = try SystemCallError.attempt("write", path) { try descriptor.writeAll(bytes) }
    }

    /// Forces what was written to the disk (`fdatasync(2)`, which SystemPackage does not wrap).
    package func sync() throws(SystemCallError) {
        guard fdatasync(descriptor.rawValue) == 0 else { throw SystemCallError("fdatasync", path) }
    }

    /// The open file's status (`fstat(2)`).
    package func status() throws(SystemCallError) -> Stat {
        try SystemCallError.attempt("fstat", path) { try descriptor.stat() }
    }

    /// Cuts the file to `size` bytes.
    package func truncate(to size: Int64) throws(SystemCallError) {
        try SystemCallError.attempt("ftruncate", path) { try descriptor.resize(to: size) }
    }
}

/// The file-system operations the worker's sinks and the task worker's journal need that SystemPackage does not have, as calls that throw
/// ``SystemCallError``.
package enum FileSystem {
    /// Whether there is a file or a directory at `path`.
    package static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The directory `path` is in: `/` for `/app.log`, `.` for `app.log`.
    package static func directory(containing path: String) -> String {
        path.lastIndex(of: "/").map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    }

    /// Forces `directory`'s entries to the disk (`fsync(2)` of the directory): a file just made or renamed there
    /// survives a power cut only then, whatever was synced of its content.
    package static func syncDirectory(_ directory: String) throws(SystemCallError) {
        let descriptor = try SystemCallError.attempt("open", directory) {
            try FileDescriptor.open(FilePath(directory), .readOnly, options: [.directory, .closeOnExec])
        }
        defer { try? descriptor.close() }
        guard fsync(descriptor.rawValue) == 0 else { throw SystemCallError("fsync", directory) }
    }

    /// Renames `source` to `destination`, replacing what is there.
    package static func rename(_ source: String, to destination: String) throws(SystemCallError) {
        guard Glibc.rename(source, destination) == 0 else { throw SystemCallError("rename", "\(source) to \(destination)") }
    }

    /// Removes the file at `path`; fine if there is none.
    package static func remove(_ path: String) throws(SystemCallError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw SystemCallError("unlink", path) }
    }

    /// Creates a directory and its parents (mode 0755); fine if it exists.
    package static func createDirectory(_ path: String) throws(SystemCallError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw SystemCallError("mkdir", prefix) }
            prefix += "/"
        }
    }

    /// The names in a directory (without `.` and `..`).
    package static func contents(of directory: String) throws(SystemCallError) -> [String] {
        guard let stream = opendir(directory) else { throw SystemCallError("opendir", directory) }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The whole file, or nil when there is no such file.
    package static func read(_ path: String) throws(SystemCallError) -> [UInt8]? {
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
        } catch Errno.noSuchFileOrDirectory {
            return nil
        } catch {
            throw SystemCallError("open", path, error as? Errno ?? .ioError)
        }
        defer { try? descriptor.close() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = try SystemCallError.attempt("read", path) {
                try chunk.withUnsafeMutableBytes { try descriptor.read(into: $0) }
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
    }
}
