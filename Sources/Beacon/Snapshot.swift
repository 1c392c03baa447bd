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
    init(registrations: [Registration]) {
        let plan = DispatchPlan(registrations)
        lists = ContiguousArray(plan.lists.map(DispatchList.init))
        objectSenders = ObjectSenderTable(plan.objectSenders)
        valueSenders = plan.valueSenders
    }

    /// The index in ``lists`` of the receivers a send from `sender` runs.
    @inlinable
    @inline(__always)
    func listIndex(for sender: Sender?) -> Int {
        if let objectIdentifier = sender?.objectIdentifier {
            return objectSenders.listIndex(for: objectIdentifier) ?? 0
        }
        if let valueKey = sender?.valueKey {
            return valueSenders[valueKey] ?? 0
        }
        return 0
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

    /// Types the planned list, whose receivers are all `Receiver<Payload, Output>`.
    init(_ list: DispatchPlan.List) {
        var all = ContiguousArray<Receiver<Payload, Output>>()
        all.reserveCapacity(list.receivers.count)
        for receiver in list.receivers {
            all.append(unsafeDowncast(receiver, to: Receiver<Payload, Output>.self))
        }
        self.all = all
        hasAsynchronousReceivers = list.hasAsynchronousReceivers
        synchronous = hasAsynchronousReceivers ? all.filter { !$0.isAsynchronous } : all
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
    @inline(__always)
    static func home(of address: UInt, shift: UInt) -> Int {
        Int(truncatingIfNeeded: (address &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    @inlinable
    @inline(__always)
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
