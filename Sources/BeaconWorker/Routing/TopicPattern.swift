/// An AMQP topic binding pattern, such as `#`, `*.*.error` or `web.request.*`, matched against routing keys as
/// RabbitMQ matches them: words are separated by dots, `*` stands for exactly one word and `#` for zero or more.
public struct TopicPattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let text: String
    private let words: [Substring]

    /// Reads a pattern; nil when it is empty or has an empty word (`a..b`).
    public init?(_ text: String) {
        let words = text.split(separator: ".", omittingEmptySubsequences: false)
        guard !text.isEmpty, !words.contains(where: \.isEmpty) else { return nil }
        self.text = text
        self.words = words
    }

    /// The pattern that matches every routing key.
    public static let everything = TopicPattern("#")!

    /// True when the routing key matches the pattern.
    public func matches(_ routingKey: String) -> Bool {
        let keyWords = routingKey.split(separator: ".", omittingEmptySubsequences: false)
        // reachable[j]: the pattern words so far can match the first j key words.
        var reachable = [Bool](repeating: false, count: keyWords.count + 1)
        reachable[0] = true
        for word in words {
            var next = [Bool](repeating: false, count: keyWords.count + 1)
            for j in 0...keyWords.count where reachable[j] {
                switch word {
                case "#":
                    for k in j...keyWords.count { next[k] = true }
                case "*":
                    if j < keyWords.count { next[j + 1] = true }
                default:
                    if j < keyWords.count, keyWords[j] == word { next[j + 1] = true }
                }
            }
            reachable = next
        }
        return reachable[keyWords.count]
    }

    public var description: String { text }
}
