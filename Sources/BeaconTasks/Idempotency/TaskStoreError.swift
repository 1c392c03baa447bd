public import BeaconEvents

/// Why a task store cannot do its work.
public struct TaskStoreError: CodedError {
    /// What kind of problem it is: compare with the static members; new codes may be added.
    public typealias Code = ErrorCode<TaskStoreError>

    public let code: Code
    /// What exactly failed, naming the store and the file.
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ErrorCode where Failure == TaskStoreError {
    /// A file operation failed (the directory cannot be made or written, the disk is full…).
    public static var fileSystem: Self { .init("file_system") }
}
