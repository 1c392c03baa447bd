public import BeaconEvents

/// An error of BeaconWeb's own, with a code to match on and a description for people.
public struct WebError: CodedError {
    /// What kind of problem it is: compare with the static members; new codes may be added.
    public typealias Code = ErrorCode<WebError>

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension ErrorCode where Failure == WebError {
    /// The response was dropped before it was written, typically because the client went away first.
    public static var responseNotWritten: Self { .init("response_not_written") }
}
