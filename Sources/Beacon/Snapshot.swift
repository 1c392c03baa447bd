/// The receivers of a signal as they were after one change, arranged for sending: immutable, so a send can read it while
/// receivers connect and disconnect, and sees exactly the receivers that were connected when it started.
///
/// Every sender that has receivers of its own gets a ready-made list: its receivers and the any-sender receivers,
/// merged in registration order, each receiver once. Sending from it is one table lookup; sending from anyone else uses
/// the any-sender list.
///
/// The receivers of all lists sit in one buffer the snapshot owns (a strong reference each), and the lists point into it:
/// a synchronous send, and a result that keeps the list it ran, retain nothing beyond the snapshot.
@usableFromInline
final class Snapshot<Payload: Sendable, Output: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: every field is immutable, and the receiver buffer is written only in `init` and freed only
    // in `deinit`; in between it is only read.
    /// The dispatch lists; index 0 is for sends from a sender without receivers of its own (or from no sender).
    @usableFromInline let lists: ContiguousArray<DispatchList<Payload, Output>>
    /// Object senders by identity, to their list's index.
    @usableFromInline let objectSenders: ObjectSenderTable
    /// Value senders, to their list's index.
    @usableFromInline let valueSenders: [ValueSenderKey: Int]
    /// The receivers the lists point into, initialised from the start up to `receiverCount`.
    private let receiverStorage: UnsafeMutableBufferPointer<Receiver<Payload, Output>>
    private let receiverCount: Int

    /// Arranges `registrations`, given in registration order.
    init(registrations: [Registration]) {
        let plan = DispatchPlan(registrations)
        let capacity = plan.lists.reduce(0) { $0 + $1.receivers.count }
        let storage = UnsafeMutableBufferPointer<Receiver<Payload, Output>>.allocate(capacity: capacity)
        var count = 0
        var lists = ContiguousArray<DispatchList<Payload, Output>>()
        lists.reserveCapacity(plan.lists.count)
        for list in plan.lists {
            let start = count
            for receiver in list.receivers {
                storage.initializeElement(at: count, to: unsafeDowncast(receiver, to: Receiver<Payload, Output>.self))
                count += 1
            }
            let receivers = UnsafeBufferPointer(rebasing: storage[start..<count])
            lists.append(DispatchList(receivers: receivers, hasAsynchronousReceivers: list.hasAsynchronousReceivers))
        }
        self.lists = lists
        receiverStorage = storage
        receiverCount = count
        objectSenders = ObjectSenderTable(plan.objectSenders)
        valueSenders = plan.valueSenders
    }

    deinit {
        receiverStorage.extracting(0..<receiverCount).deinitialize()
        receiverStorage.deallocate()
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
}

/// The receivers one send runs, in registration order, each once: a view into the receivers of the snapshot that has
/// this list, valid as long as that snapshot lives. A plain `send` and `await send` run the same list: the plain one
/// reports the asynchronous receivers it cannot run instead of skipping them silently.
@usableFromInline
struct DispatchList<Payload: Sendable, Output: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: the buffer is immutable, and only read while its snapshot is alive.
    @usableFromInline let receivers: UnsafeBufferPointer<Receiver<Payload, Output>>
    /// Whether a receiver is asynchronous: only then does `await send` suspend.
    @usableFromInline let hasAsynchronousReceivers: Bool
}

/// The receivers of one send: one of a snapshot's dispatch lists, held through a strong reference to the snapshot. A
/// send takes that reference from the published word and hands it on to its result, so keeping the result costs no
/// retain of its own.
@usableFromInline
struct SnapshotList<Payload: Sendable, Output: Sendable>: Sendable {
    @usableFromInline let snapshot: Snapshot<Payload, Output>
    @usableFromInline let index: Int

    @inlinable
    @inline(__always)
    init(_ snapshot: Snapshot<Payload, Output>, index: Int) {
        self.snapshot = snapshot
        self.index = index
    }

    /// The receivers, valid while this list (which holds their snapshot) lives.
    @inlinable
    @inline(__always)
    var receivers: UnsafeBufferPointer<Receiver<Payload, Output>> {
        snapshot.lists[index].receivers
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
