import Synchronization

/// The receivers of a signal as they were after one change, arranged for sending: immutable, so a send can read it while
/// receivers connect and disconnect, and sees exactly the receivers that were connected when it started.
///
/// Every sender that has receivers of its own gets a ready-made list: its receivers and the any-sender receivers,
/// merged in registration order, each receiver once. Sending from it is one table lookup; sending from anyone else uses
/// the any-sender list.
@usableFromInline
final class Snapshot<Payload: Sendable, Output: Sendable>: Sendable {
    /// The dispatch lists; index 0 is for sends from a sender without receivers of its own (or from no sender).
    @usableFromInline let lists: ContiguousArray<DispatchList<Payload, Output>>
    /// Object senders by identity, to their list's index.
    @usableFromInline let objectSenders: ObjectSenderTable
    /// Value senders, to their list's index.
    @usableFromInline let valueSenders: [ValueSenderKey: Int]
    /// Borrows moved here from ``PublishedSnapshot`` when this snapshot was replaced; see ``settleDetachedBorrows(of:adding:)``.
    let detachedBorrows = Atomic<Int>(0)

    /// Arranges `registrations`, given in registration order.
    init(registrations: [Registration<Payload, Output>]) {
        var anySender: [Registration<Payload, Output>] = []
        var byObject: [ObjectIdentifier: [Registration<Payload, Output>]] = [:]
        var byValue: [ValueSenderKey: [Registration<Payload, Output>]] = [:]
        for registration in registrations {
            switch registration.sender {
            case nil: anySender.append(registration)
            case .object(let identifier): byObject[identifier, default: []].append(registration)
            case .value(let key): byValue[key, default: []].append(registration)
            }
        }
        var lists: ContiguousArray = [DispatchList(merging: anySender, with: [])]
        var objectEntries: [(ObjectIdentifier, Int)] = []
        for (identifier, ownRegistrations) in byObject {
            objectEntries.append((identifier, lists.count))
            lists.append(DispatchList(merging: anySender, with: ownRegistrations))
        }
        var valueSenders: [ValueSenderKey: Int] = [:]
        for (key, ownRegistrations) in byValue {
            valueSenders[key] = lists.count
            lists.append(DispatchList(merging: anySender, with: ownRegistrations))
        }
        self.lists = lists
        self.objectSenders = ObjectSenderTable(objectEntries)
        self.valueSenders = valueSenders
    }

    /// The index in ``lists`` of the receivers a send from `sender` runs.
    @inlinable
    func listIndex(for sender: Sender?) -> Int {
        switch sender?.identity {
        case nil: 0
        case .object(let object): objectSenders.listIndex(for: ObjectIdentifier(object)) ?? 0
        case .value(let key): valueSenders[key] ?? 0
        }
    }

    /// Adds `delta` to the detached borrows; the party that brings them to zero releases the snapshot. The replacing writer
    /// adds the borrows it took off the published word, each such borrower subtracts one, in whatever order they come.
    @usableFromInline
    static func settleDetachedBorrows(of snapshot: Unmanaged<Snapshot>, adding delta: Int) {
        let remaining = snapshot._withUnsafeGuaranteedRef {
            $0.detachedBorrows.wrappingAdd(delta, ordering: .acquiringAndReleasing).newValue
        }
        if remaining == 0 {
            snapshot.release()
        }
    }
}

/// The receivers one send runs, in registration order, each once.
@usableFromInline
struct DispatchList<Payload: Sendable, Output: Sendable>: Sendable {
    /// What a plain `send` runs: the synchronous receivers.
    @usableFromInline let synchronous: ContiguousArray<Receiver<Payload, Output>>
    /// What `await send` runs: every receiver.
    @usableFromInline let all: ContiguousArray<Receiver<Payload, Output>>
    /// Whether `all` has more than `synchronous`.
    @usableFromInline let hasAsynchronousReceivers: Bool

    /// Merges two lists of registrations, each in registration order, into one list of receivers in registration order.
    /// A receiver reached through several registrations keeps the place of its earliest one.
    init(merging first: [Registration<Payload, Output>], with second: [Registration<Payload, Output>]) {
        var receivers: ContiguousArray<Receiver<Payload, Output>> = []
        receivers.reserveCapacity(first.count + second.count)
        var seen: Set<ObjectIdentifier> = []
        var firstIndex = 0
        var secondIndex = 0
        while firstIndex < first.count || secondIndex < second.count {
            let next: Registration<Payload, Output>
            if secondIndex == second.count || (firstIndex < first.count && first[firstIndex].order < second[secondIndex].order) {
                next = first[firstIndex]
                firstIndex += 1
            } else {
                next = second[secondIndex]
                secondIndex += 1
            }
            if seen.insert(ObjectIdentifier(next.receiver)).inserted {
                receivers.append(next.receiver)
            }
        }
        all = receivers
        hasAsynchronousReceivers = receivers.contains(where: \.isAsynchronous)
        synchronous = hasAsynchronousReceivers ? receivers.filter { !$0.isAsynchronous } : receivers
    }
}

/// An open-addressing hash table from object identity to a dispatch list index, with Fibonacci hashing of the address:
/// a lookup is a multiply, a shift and usually one probe, where `Dictionary` spends most of its time in SipHash.
@usableFromInline
struct ObjectSenderTable: Sendable {
    /// Slots of (address, list index); address 0 marks an empty slot. Capacity is a power of two, at most half full.
    @usableFromInline let slots: ContiguousArray<(address: UInt, listIndex: Int)>
    /// 64 minus log2(capacity): the hash is the top bits of the address times 2^64/φ.
    @usableFromInline let shift: UInt

    init(_ entries: [(ObjectIdentifier, Int)]) {
        guard !entries.isEmpty else {
            slots = []
            shift = 63
            return
        }
        var capacity = 2
        while capacity < entries.count * 2 {
            capacity *= 2
        }
        shift = UInt(64 - capacity.trailingZeroBitCount)
        var slots = ContiguousArray(repeating: (address: UInt(0), listIndex: 0), count: capacity)
        for (identifier, listIndex) in entries {
            let address = UInt(bitPattern: identifier)
            var index = Self.home(of: address, shift: shift)
            while slots[index].address != 0 {
                index = (index + 1) & (capacity - 1)
            }
            slots[index] = (address, listIndex)
        }
        self.slots = slots
    }

    @inlinable
    static func home(of address: UInt, shift: UInt) -> Int {
        Int(truncatingIfNeeded: (address &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    @inlinable
    func listIndex(for identifier: ObjectIdentifier) -> Int? {
        if slots.isEmpty {
            return nil
        }
        let address = UInt(bitPattern: identifier)
        let mask = slots.count - 1
        var index = Self.home(of: address, shift: shift)
        while true {
            let slot = slots[index]
            if slot.address == address {
                return slot.listIndex
            }
            if slot.address == 0 {
                return nil
            }
            index = (index + 1) & mask
        }
    }
}
