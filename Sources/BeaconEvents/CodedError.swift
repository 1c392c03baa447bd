/// The shape every error of Beacon's own has: a ``code`` to match on, and a ``message`` that says exactly what is
/// wrong, for people.
///
/// Match on codes, never on messages: `catch let error as SpoolError where error.code == .writeFailed`. Each error
/// type declares its codes as static members of ``ErrorCode`` constrained to itself, so a code of one error type
/// cannot be compared with another's. New codes may be added: switch over them with a `default`.
public protocol CodedError: Error, Hashable, CustomStringConvertible {
    /// What kind of problem it is.
    var code: ErrorCode<Self> { get }
    /// What exactly is wrong, naming the value, the field or the file at fault.
    var message: String { get }
}

extension CodedError {
    /// `code: message`, e.g. `invalid_json: unexpected end of input at byte 12`.
    public var description: String { "\(code): \(message)" }
}

/// A kind of problem of the error type `Failure`: a short snake_case name such as `write_failed`, the same in logs,
/// metrics labels and dead-letter headers.
public struct ErrorCode<Failure>: Hashable, Sendable, CustomStringConvertible {
    /// The code's snake_case name.
    public let name: String

    /// A code named `name`; only Beacon's modules declare codes.
    package init(_ name: String) { self.name = name }

    /// The code's name.
    public var description: String { name }
}
