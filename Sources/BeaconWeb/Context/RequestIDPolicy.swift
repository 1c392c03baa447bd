public import HTTPTypes
import Hummingbird

/// The request id rules: which incoming `X-Request-ID` values are kept, and the header that carries them.
///
/// A client or a proxy in front of the server may send an `X-Request-ID` to follow one request through several
/// services. Beacon keeps it when it is *valid*: 1 to ``maximumLength`` characters, each an ASCII letter or digit or
/// one of `-`, `_`, `.`, `:`. Anything else (empty, too long, spaces, quotes, control characters, non-ASCII) is
/// replaced by a generated id, so a request id can never carry markup into an HTML page or a forged line into a log.
public enum RequestIDPolicy {
    /// The header that carries the id, in requests and in every response.
    public static let headerName = HTTPField.Name("X-Request-ID")!

    /// The longest id kept.
    public static let maximumLength = 128

    /// True when `candidate` is kept as the request id.
    public static func isValid(_ candidate: some StringProtocol) -> Bool {
        let utf8 = candidate.utf8
        guard !utf8.isEmpty, utf8.count <= maximumLength else { return false }
        return utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: ":"):
                true
            default: false
            }
        }
    }

    /// The id for a request: its `X-Request-ID` when valid, otherwise `generated()`.
    static func resolve(_ incoming: String?, generated: () -> String) -> String {
        if let incoming, isValid(incoming) { return incoming }
        return generated()
    }
}
