/// An error of BeaconWeb's own, with a code to match on and a description for people.
public struct WebError: Error, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case responseNotWritten = "response_not_written"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The response was dropped before it was written, typically because the client went away first.
        public static var responseNotWritten: Self { .init(.responseNotWritten) }

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
