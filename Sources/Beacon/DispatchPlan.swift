/// The receivers of a set of registrations, arranged for sending but not yet typed: one list per sender that has
/// receivers of its own (its receivers and the any-sender receivers, merged in registration order, each receiver
/// once), and list 0 for every other send. ``Snapshot`` types it.
struct DispatchPlan {
    /// One list of receivers, with what `DispatchList` needs to know of it.
    struct List {
        var receivers: [any RegisteredReceiver] = []
        var hasAsynchronousReceivers = false
    }

    private(set) var lists: [List]
    private(set) var objectSenders: [(ObjectIdentifier, Int)] = []
    private(set) var valueSenders: [ValueSenderKey: Int] = [:]

    /// Arranges `registrations`, given in registration order. Works on positions, so as not to copy registrations.
    init(_ registrations: [Registration]) {
        var anySender: [Int] = []
        var byObject: [ObjectIdentifier: [Int]] = [:]
        var byValue: [ValueSenderKey: [Int]] = [:]
        registrations.withUnsafeBufferPointer { registrations in
            for position in registrations.indices {
                switch registrations[position].sender {
                case nil: anySender.append(position)
                case .object(let identifier): byObject[identifier, default: []].append(position)
                case .value(let key): byValue[key, default: []].append(position)
                }
            }
        }
        let receivers = Receivers(registrations)
        lists = [receivers.merging(anySender, with: [])]
        for (identifier, positions) in byObject {
            objectSenders.append((identifier, lists.count))
            lists.append(receivers.merging(anySender, with: positions))
        }
        for (key, positions) in byValue {
            valueSenders[key] = lists.count
            lists.append(receivers.merging(anySender, with: positions))
        }
    }

    /// The receivers reached through `registrations`, in registration order, each once.
    static func receivers(of registrations: [Registration]) -> [any RegisteredReceiver] {
        Receivers(registrations).merging(Array(registrations.indices), with: []).receivers
    }

    /// The receivers of registrations, by position.
    private struct Receivers {
        let receivers: [any RegisteredReceiver]
        /// Whether a receiver has several registrations: only then do merged lists need to drop repeats.
        let hasRepeats: Bool

        init(_ registrations: [Registration]) {
            receivers = registrations.withUnsafeBufferPointer { registrations in registrations.indices.map { registrations[$0].receiver } }
            var identifiers = receivers.map { ObjectIdentifier($0) }
            identifiers.sort { UInt(bitPattern: $0) < UInt(bitPattern: $1) }
            hasRepeats = zip(identifiers, identifiers.dropFirst()).contains { $0 == $1 }
        }

        /// Merges two ascending lists of positions into the receivers at them, in registration order; a receiver reached
        /// through several registrations keeps the place of its earliest one.
        func merging(_ first: [Int], with second: [Int]) -> List {
            var list = List()
            list.receivers.reserveCapacity(first.count + second.count)
            var seen: Set<ObjectIdentifier> = []
            var firstIndex = 0
            var secondIndex = 0
            while firstIndex < first.count || secondIndex < second.count {
                let position: Int
                if secondIndex == second.count || (firstIndex < first.count && first[firstIndex] < second[secondIndex]) {
                    position = first[firstIndex]
                    firstIndex += 1
                } else {
                    position = second[secondIndex]
                    secondIndex += 1
                }
                let receiver = receivers[position]
                if !hasRepeats || seen.insert(ObjectIdentifier(receiver)).inserted {
                    list.receivers.append(receiver)
                    list.hasAsynchronousReceivers = list.hasAsynchronousReceivers || receiver.isAsynchronous
                }
            }
            return list
        }
    }
}
