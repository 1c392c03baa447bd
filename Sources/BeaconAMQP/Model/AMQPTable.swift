/// An AMQP field table: message headers, and the arguments of queues, exchanges, bindings and consumers.
///
/// Keys keep the order they were added in (the wire format is ordered); setting a key that exists replaces its value in
/// place. A dictionary literal builds one:
///
/// ```swift
/// let arguments: AMQPTable = ["x-queue-type": "quorum", "x-dead-letter-exchange": "events.retry", "x-message-ttl": 30_000]
/// ```
public struct AMQPTable: Sendable, Hashable {
    /// The entries, in wire order.
    public private(set) var entries: [(key: String, value: AMQPFieldValue)]

    /// A table with these entries (a later duplicate key replaces an earlier one).
    public init(_ entries: [(key: String, value: AMQPFieldValue)] = []) {
        self.entries = []
        self.entries.reserveCapacity(entries.count)
        for entry in entries { self[entry.key] = entry.value }
    }

    /// The value for `key`; assigning `nil` removes the key.
    public subscript(key: String) -> AMQPFieldValue? {
        get { entries.first { $0.key == key }?.value }
        set {
            let index = entries.firstIndex { $0.key == key }
            switch (index, newValue) {
            case (let index?, let value?): entries[index].value = value
            case (let index?, nil): entries.remove(at: index)
            case (nil, let value?): entries.append((key: key, value: value))
            case (nil, nil): break
            }
        }
    }

    /// The keys, in wire order.
    public var keys: [String] { entries.map(\.key) }

    /// Whether the table has no entries.
    public var isEmpty: Bool { entries.isEmpty }

    /// The number of entries.
    public var count: Int { entries.count }

    public static func == (lhs: AMQPTable, rhs: AMQPTable) -> Bool {
        lhs.entries.count == rhs.entries.count && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(entries.count)
        for entry in entries {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }
}

extension AMQPTable: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, AMQPFieldValue)...) {
        self.init(elements.map { (key: $0.0, value: $0.1) })
    }
}

extension AMQPTable: Sequence {
    public func makeIterator() -> IndexingIterator<[(key: String, value: AMQPFieldValue)]> { entries.makeIterator() }
}

extension AMQPTable: CustomStringConvertible {
    public var description: String {
        "[" + entries.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]"
    }
}
