public import BeaconEvents

/// The rules for a task's name (``TaskDefinition/name``).
public enum TaskName {
    /// The longest name accepted, in UTF-8 bytes.
    public static let maximumLength = 200

    /// Checks that `name` can be a task name: not empty, at most ``maximumLength`` bytes, and only printable ASCII
    /// without spaces (`!`…`~`), e.g. `shop.send_receipt`. The name is shown in logs, the RabbitMQ UI and Flower, and
    /// it must read the same everywhere.
    public static func validate(_ name: String) throws(TaskNameError) {
        guard !name.isEmpty else { throw TaskNameError(.empty, name: name, "a task name must not be empty") }
        guard name.utf8.count <= maximumLength else {
            throw TaskNameError(.tooLong, name: name, "task name is \(name.utf8.count) bytes long; at most \(maximumLength)")
        }
        if let offending = name.unicodeScalars.first(where: { !(0x21...0x7E).contains($0.value) }) {
            throw TaskNameError(
                .notPrintable,
                name: name,
                "task name \"\(name.debugDescription.dropFirst().dropLast())\" contains \(offending.escaped(asASCII: true).debugDescription);"
                    + " only printable ASCII without spaces is allowed"
            )
        }
    }
}

/// A name that cannot be a task name.
public struct TaskNameError: CodedError {
    /// What kind of problem it is: compare with the static members; new codes may be added.
    public typealias Code = ErrorCode<TaskNameError>

    public let code: Code
    /// The name refused.
    public let name: String
    /// What exactly is wrong.
    public let message: String

    package init(_ code: Code, name: String, _ message: String) {
        self.code = code
        self.name = name
        self.message = message
    }
}

extension ErrorCode where Failure == TaskNameError {
    /// The name is empty.
    public static var empty: Self { .init("empty") }
    /// The name is longer than ``TaskName/maximumLength``.
    public static var tooLong: Self { .init("too_long") }
    /// The name has a space, a control character or a non-ASCII character.
    public static var notPrintable: Self { .init("not_printable") }
}
