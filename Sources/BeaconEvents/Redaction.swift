/// What must never travel in an event or a log line, and how it is blanked out.
///
/// Header values such as `Authorization`, `Cookie` and `Set-Cookie`, query parameters named like a password,
/// token or secret, and the password in a URL's user info are replaced by ``placeholder``. Further names can be
/// configured; matching ignores case.
public struct Redaction: Sendable, Hashable {
    /// What a redacted value is replaced with.
    public static let placeholder = "[REDACTED]"

    /// Header names whose values are always secret.
    public static let defaultHeaderNames: Set<String> = [
        "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-auth-token", "x-csrf-token",
    ]

    /// Words that make a query parameter or field secret when its name contains one of them.
    public static let defaultSecretWords: [String] = [
        "password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "api-key", "access_key", "private_key",
        "credential", "signature", "session",
    ]

    /// The policy with the default names only.
    public static let standard = Redaction()

    /// Lowercased header names whose values are secret.
    public let headerNames: Set<String>
    /// Lowercased words; a parameter or field whose name contains one is secret.
    public let secretWords: [String]
    /// The ``secretWords`` that are ASCII, as bytes: what an ASCII name is searched for.
    private let asciiSecretWords: [[UInt8]]

    /// A policy with the defaults plus `headerNames` and `secretWords` (any case).
    public init(headerNames: some Sequence<String> = [], secretWords: some Sequence<String> = []) {
        self.headerNames = Self.defaultHeaderNames.union(headerNames.map { $0.lowercased() })
        self.secretWords = Self.defaultSecretWords + secretWords.map { $0.lowercased() }
        // A word with a non-ASCII character cannot occur in a lowercased ASCII name, so ASCII names need only these.
        self.asciiSecretWords = self.secretWords.map { Array($0.utf8) }.filter { word in word.allSatisfy { $0 < 0x80 } }
    }

    /// True when the values of header `name` must not travel: one of ``headerNames``, or a name with a secret word in
    /// it (`X-Access-Token`, `X-Session-Id`, …).
    public func isSecretHeader(_ name: some StringProtocol) -> Bool {
        headerNames.contains(name.lowercased()) || isSecretName(name)
    }

    /// True when a query parameter or field called `name` holds a secret (`password`, `access_token`, …).
    public func isSecretName(_ name: some StringProtocol) -> Bool {
        // This runs for every metadata key of every log line: an ASCII name is searched byte by byte, ignoring ASCII
        // case, with no lowercased copy (`String.contains` on strings cost microseconds a name).
        if let found = name.utf8.withContiguousStorageIfAvailable({ Self.containsAnyWord(asciiSecretWords, inASCII: $0) }),
            let found
        {
            return found
        }
        let lowered = name.lowercased()
        return secretWords.contains { lowered.contains($0) }
    }

    /// Whether `name` contains one of `words` (lowercase ASCII), ignoring ASCII case; `nil` when `name` is not all ASCII,
    /// where only Unicode lowercasing is right (the KELVIN SIGN `K` lowercases to an ASCII `k`).
    private static func containsAnyWord(_ words: [[UInt8]], inASCII name: UnsafeBufferPointer<UInt8>) -> Bool? {
        guard name.allSatisfy({ $0 < 0x80 }) else { return nil }
        return words.contains { word in
            guard word.count <= name.count else { return false }
            return (0...(name.count - word.count)).contains { start in
                word.indices.allSatisfy { offset in
                    let byte = name[start + offset]
                    return (byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte) == word[offset]
                }
            }
        }
    }

    /// A path with an optional query, its secret query values replaced: `/login?user=a&password=[REDACTED]`.
    /// Parameter names are compared after percent-decoding, so `pass%77ord` is caught too.
    public func redactingQuery(ofPath path: String) -> String {
        guard let questionMark = path.firstIndex(of: "?") else { return path }
        let query = path[path.index(after: questionMark)...]
        var changed = false
        let parameters = query.split(separator: "&", omittingEmptySubsequences: false).map { parameter -> Substring in
            let name = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            guard isSecretName(Self.percentDecoded(name)) else { return parameter }
            changed = true
            return "\(name)=\(Self.placeholder)"
        }
        guard changed else { return path }
        return "\(path[..<questionMark])?\(parameters.joined(separator: "&"))"
    }

    /// A URL with the password in its user info replaced: `amqp://beacon:[REDACTED]@host:5672/`.
    ///
    /// The user info is taken to end at the URL's *last* `@`, wherever it is: a password with an unencoded `/`, `?` or
    /// `#` (a malformed URL, the very kind that ends up in an error message) is hidden too, at the price of hiding a
    /// little more than the password when a path or query holds an `@`. Without `://`, everything before the last `@`
    /// is hidden.
    public func redactingPassword(inURL url: String) -> String {
        guard let at = url.lastIndex(of: "@") else { return url }
        guard let schemeEnd = url.firstRange(of: "://"), schemeEnd.upperBound <= at else {
            return Self.placeholder + url[at...]
        }
        guard let colon = url[schemeEnd.upperBound..<at].firstIndex(of: ":") else { return url }
        return url[...colon] + Self.placeholder + url[at...]
    }

    private static func percentDecoded(_ text: Substring) -> String {
        guard text.contains("%") || text.contains("+") else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next(), let low = iterator.next(),
                    let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { return String(text) }
                bytes.append(value)
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
