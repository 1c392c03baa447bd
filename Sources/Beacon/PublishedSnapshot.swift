public import Synchronization

/// A signal's current ``Snapshot``, published in one atomic word so that `send` reads it without a lock.
///
/// The word packs the snapshot's address (low 48 bits) with a number of strong references to it that the word holds
/// (high 16 bits), paid for in advance: a send takes one of them with a single compare-and-swap and owns it from then on
/// (it lets go with one release when its result goes, or when the send ends if its result records what the receivers
/// returned). Loading an address and then retaining it would race with a writer releasing the snapshot; taking a
/// reference the word already owns cannot.
///
/// The send that takes the last reference puts ``depositSize`` new ones in (it owns one, so the snapshot is alive while
/// it retains it). Until it has, the word says it has none: a send that finds it so asks the signal's registry for the
/// snapshot instead, under its lock — rare, and a wait only if a connect or disconnect holds the lock to rebuild the
/// snapshot at that moment. Writers, serialised by the registry lock, exchange the
/// word for a new snapshot with its own deposit and release the references left in the old word. A send never holds a
/// lock while receivers run, and a snapshot is freed only after the last send that took it is done with it.
///
/// Invariants that make it sound:
/// - The word owns exactly as many strong references to the snapshot it holds as its count says.
/// - A snapshot object is published at most once, and a refilling send owns a reference to the snapshot it refills, so
///   the word cannot return to that address with a count of zero behind its back (no ABA): the refill's
///   compare-and-swap fails only because a writer replaced the snapshot, and then the refill takes its deposit back.
/// - Nobody takes from the empty word (address 0).
@usableFromInline
struct PublishedSnapshot<Payload: Sendable, Output: Sendable>: ~Copyable, Sendable {
    @usableFromInline let word = Atomic<UInt>(0)

    @usableFromInline static var addressMask: UInt { (1 << 48) - 1 }
    @usableFromInline static var referenceUnit: UInt { 1 << 48 }
    /// How many references a publication or a refill puts in the word: a multiple of the 16 that ``deposit(into:)``
    /// retains at once.
    static var depositSize: UInt { 64 }

    init() {}

    deinit {
        replace(with: nil)
    }

    /// Whether a snapshot is published: false with no receiver, or muted. One relaxed load, for a fast no.
    @inlinable
    @inline(__always)
    var isPublished: Bool {
        word.load(ordering: .relaxed) & Self.addressMask != 0
    }

    /// Takes one of the strong references the word holds to the published snapshot: one compare-and-swap.
    @inlinable
    @inline(__always)
    func takeReference() -> TakenReference<Payload, Output> {
        var current = word.load(ordering: .relaxed)
        while true {
            if current & Self.addressMask == 0 {
                return .nothingPublished
            }
            if current < Self.referenceUnit {
                return .exhausted
            }
            let (exchanged, original) = word.compareExchange(
                expected: current,
                desired: current &- Self.referenceUnit,
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
        if current >> 48 == 1 {
            refill(snapshot, at: address)
        }
        return .taken(snapshot)
    }

    /// Puts a deposit of references into the word that the caller emptied, unless a writer has replaced it since. The
    /// caller owns a reference to `snapshot`.
    @usableFromInline
    func refill(_ snapshot: Unmanaged<Snapshot<Payload, Output>>, at address: UInt) {
        Self.deposit(into: snapshot)
        // Releasing: whoever takes one of these references, and may release it, must find the retains done.
        let (exchanged, _) = word.compareExchange(
            expected: address,
            desired: address | Self.depositSize << 48,
            successOrdering: .releasing,
            failureOrdering: .relaxed
        )
        if !exchanged {
            Self.release(snapshot, times: Self.depositSize)
        }
    }

    /// Publishes `snapshot` (a fresh object, never published before) or nothing. Only call it holding the registry lock
    /// (or from `deinit`, when nobody else can).
    func replace(with snapshot: Snapshot<Payload, Output>?) {
        var newWord: UInt = 0
        if let snapshot {
            let unmanaged = Unmanaged.passUnretained(snapshot)
            let address = UInt(bitPattern: unmanaged.toOpaque())
            precondition(address & ~Self.addressMask == 0, "Beacon: a heap address does not fit in 48 bits on this platform")
            Self.deposit(into: unmanaged)
            newWord = address | Self.depositSize << 48
        }
        let previous = word.exchange(newWord, ordering: .acquiringAndReleasing)
        let address = previous & Self.addressMask
        guard address != 0 else {
            return
        }
        Self.release(Unmanaged.fromOpaque(UnsafeRawPointer(bitPattern: address).unsafelyUnwrapped), times: previous >> 48)
    }

    /// Retains `snapshot` ``depositSize`` times: retains in a row compile to one `swift_retain_n` in an optimised
    /// build (checked with perf on Linux: one call per refill).
    private static func deposit(into snapshot: Unmanaged<Snapshot<Payload, Output>>) {
        for _ in 0..<depositSize / 16 {
            _ = snapshot.retain().retain().retain().retain().retain().retain().retain().retain()
            _ = snapshot.retain().retain().retain().retain().retain().retain().retain().retain()
        }
    }

    private static func release(_ snapshot: Unmanaged<Snapshot<Payload, Output>>, times count: UInt) {
        for _ in 0..<count {
            snapshot.release()
        }
    }
}

/// What ``PublishedSnapshot/takeReference()`` found.
@usableFromInline
enum TakenReference<Payload: Sendable, Output: Sendable> {
    /// A strong reference to the published snapshot, now the caller's to consume (unmanaged, so that handing it on
    /// costs nothing).
    case taken(Unmanaged<Snapshot<Payload, Output>>)
    /// Nothing is published: no receiver, or muted.
    case nothingPublished
    /// The word's references ran out a moment ago and the send that took the last one is putting more in: the
    /// registry has the snapshot.
    case exhausted
}
