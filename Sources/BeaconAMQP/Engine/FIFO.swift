/// A first-in first-out queue over an array: O(1) append and removal at the front, indexable from the front.
/// Used by the connection thread for messages waiting to be published and awaiting their confirm.
struct FIFO<Element> {
    /// Slots before `head` are already removed (and cleared, so they retain nothing).
    private var storage: [Element?] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { head == storage.count }
    var first: Element? { isEmpty ? nil : storage[head] }

    /// The element `offset` places from the front.
    subscript(offset: Int) -> Element {
        get { storage[head + offset]! }
        set { storage[head + offset] = newValue }
    }

    mutating func append(_ element: Element) { storage.append(element) }

    mutating func removeFirst() -> Element? {
        guard !isEmpty else { return nil }
        let element = storage[head]
        storage[head] = nil
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 4096, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Empties the queue and returns what it held, front first.
    mutating func removeAll() -> [Element] {
        let elements = storage[head...].map { $0! }
        storage.removeAll(keepingCapacity: true)
        head = 0
        return elements
    }
}
