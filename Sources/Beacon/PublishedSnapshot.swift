import Synchronization

/// A signal's current ``Snapshot``, published in one atomic word so that `send` reads it without a lock.
///
/// The word packs the snapshot's address (low 48 bits) with the number of sends borrowing it right now (high 16 bits):
/// the split reference count of lock-free shared pointers. A send borrows with one compare-and-swap that increments the
/// count only if the word still holds the address it read, and returns the borrow with another. Writers, serialised by
/// the signal's registry lock, swap in a new snapshot; the borrows still out on the old one move into the old snapshot's
/// ``Snapshot/detachedBorrows``, and whoever settles that count to zero releases the old snapshot. A send never waits,
/// never holds a lock while receivers run, and a snapshot is freed only after the last send that borrowed it is done.
///
/// Invariants that make it sound:
/// - The word owns one strong reference to the snapshot it holds (`passRetained` on publish).
/// - A snapshot object is published at most once. While anyone borrows it, it is alive, so no other snapshot can be
///   allocated at its address; a word can therefore never return to an address a pending borrow was taken on (no ABA).
/// - Nobody borrows the empty word (address 0), so there is no count to account for when it is replaced.
/// - Sends borrow only for synchronous work: a thread holds at most one borrow per nested `send`. Past ``borrowLimit``
///   concurrent borrows, a send converts its borrow into a strong reference at once, so the 16-bit count cannot overflow.
@usableFromInline
struct PublishedSnapshot<Payload: Sendable, Output: Sendable>: ~Copyable, Sendable {
    @usableFromInline let word = Atomic<UInt>(0)

    @usableFromInline static var addressMask: UInt { (1 << 48) - 1 }
    @usableFromInline static var borrowUnit: UInt { 1 << 48 }
    @usableFromInline static var borrowLimit: UInt { 1 << 15 }

    init() {}

    deinit {
        replace(with: nil)
    }

    /// Runs `body` with the published snapshot, or returns nil at once when none is published (no receivers, or muted):
    /// that case costs one relaxed load.
    @inlinable
    func withBorrowedSnapshot<Result>(_ body: (Snapshot<Payload, Output>) -> Result) -> Result? {
        var current = word.load(ordering: .relaxed)
        while true {
            if current & Self.addressMask == 0 {
                return nil
            }
            let (exchanged, original) = word.compareExchange(
                expected: current,
                desired: current &+ Self.borrowUnit,
                successOrdering: .acquiring,
                failureOrdering: .relaxed
            )
            if exchanged {
                break
            }
            current = original
        }
        let address = current & Self.addressMask
        let snapshot = Unmanaged<Snapshot<Payload, Output>>.fromOpaque(UnsafeRawPointer(bitPattern: address).unsafelyUnwrapped)
        if current >> 48 >= Self.borrowLimit {
            let strongReference = snapshot.retain().takeRetainedValue()
            returnBorrow(on: address)
            return body(strongReference)
        }
        defer { returnBorrow(on: address) }
        return snapshot._withUnsafeGuaranteedRef(body)
    }

    @inlinable
    func returnBorrow(on address: UInt) {
        var current = word.load(ordering: .relaxed)
        while current & Self.addressMask == address {
            let (exchanged, original) = word.compareExchange(
                expected: current,
                desired: current &- Self.borrowUnit,
                successOrdering: .releasing,
                failureOrdering: .relaxed
            )
            if exchanged {
                return
            }
            current = original
        }
        // A writer replaced the snapshot while we borrowed it and moved our borrow into its detached count.
        Snapshot<Payload, Output>.settleDetachedBorrows(
            of: Unmanaged.fromOpaque(UnsafeRawPointer(bitPattern: address).unsafelyUnwrapped),
            adding: -1
        )
    }

    /// Publishes `snapshot` (a fresh object, never published before) or nothing. Only call it holding the registry lock.
    func replace(with snapshot: Snapshot<Payload, Output>?) {
        let newWord = snapshot.map { UInt(bitPattern: Unmanaged.passRetained($0).toOpaque()) } ?? 0
        precondition(newWord & ~Self.addressMask == 0, "Beacon: a heap address does not fit in 48 bits on this platform")
        let previous = word.exchange(newWord, ordering: .acquiringAndReleasing)
        let address = previous & Self.addressMask
        guard address != 0 else {
            return
        }
        Snapshot<Payload, Output>.settleDetachedBorrows(
            of: Unmanaged.fromOpaque(UnsafeRawPointer(bitPattern: address).unsafelyUnwrapped),
            adding: Int(previous >> 48)
        )
    }
}
