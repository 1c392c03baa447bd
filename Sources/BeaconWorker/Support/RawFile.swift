#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// A file opened for appending, written with plain `write(2)` calls: no buffering in this process, so what a write
/// returned from is in the kernel and survives a crash of the worker; ``sync()`` makes it survive a power cut.
///
/// Not thread-safe: each file belongs to one pipeline, which uses it from its own thread.
struct RawFile: ~Copyable {
    let path: String
    private let descriptor: Int32

    /// Opens (creating with mode 0644) `path` for appending.
    init(appendingTo path: String) throws(SystemError) {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw SystemError("open", path) }
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Writes all of `bytes`, retrying short writes and interruptions.
    func write(_ bytes: [UInt8]) throws(SystemError) {
        let failure: SystemError? = bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return SystemError("write", path)
                }
                offset += written
            }
            return nil
        }
        if let failure { throw failure }
    }

    /// Forces what was written to the disk (`fdatasync(2)`).
    func sync() throws(SystemError) {
        guard fdatasync(descriptor) == 0 else { throw SystemError("fdatasync", path) }
    }

    /// The open file's status, from `fstat(2)`.
    func status() throws(SystemError) -> FileStatus {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw SystemError("fstat", path) }
        return FileStatus(info)
    }

    /// Cuts the file to `size` bytes.
    func truncate(to size: Int64) throws(SystemError) {
        guard ftruncate(descriptor, off_t(size)) == 0 else { throw SystemError("ftruncate", path) }
    }
}

/// What the sinks need of `fstat(2)`.
struct FileStatus {
    var size: Int64
    let inode: UInt64
    /// The modification time, in seconds since 1970.
    let modified: Int64
    /// False for a device, a pipe or a socket (`/dev/stdout`).
    let isRegular: Bool

    init(_ info: stat) {
        size = Int64(info.st_size)
        inode = UInt64(info.st_ino)
        modified = Int64(info.st_mtim.tv_sec)
        isRegular = (info.st_mode & S_IFMT) == S_IFREG
    }
}

/// Small file-system operations the sinks need, as throwing calls.
enum FileSystem {
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The directory `path` is in: `/` for `/app.log`, `.` for `app.log`.
    static func directory(containing path: String) -> String {
        path.lastIndex(of: "/").map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    }

    /// Forces `directory`'s entries to the disk (`fsync(2)` of the directory): a file just made or renamed there
    /// survives a power cut only then, whatever was synced of its content.
    static func syncDirectory(_ directory: String) throws(SystemError) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SystemError("open", directory) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw SystemError("fsync", directory) }
    }

    static func rename(_ source: String, to destination: String) throws(SystemError) {
        guard Glibc.rename(source, destination) == 0 else { throw SystemError("rename", "\(source) to \(destination)") }
    }

    static func remove(_ path: String) throws(SystemError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw SystemError("unlink", path) }
    }

    /// Creates a directory and its parents (mode 0755); fine if it exists.
    static func createDirectory(_ path: String) throws(SystemError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw SystemError("mkdir", prefix) }
            prefix += "/"
        }
    }

    /// The names in a directory (without `.` and `..`).
    static func contents(of directory: String) throws(SystemError) -> [String] {
        guard let stream = opendir(directory) else { throw SystemError("opendir", directory) }
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
    static func read(_ path: String) throws(SystemError) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw SystemError("open", path)
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemError("read", path)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
    }
}
