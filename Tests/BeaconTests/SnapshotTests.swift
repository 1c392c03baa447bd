import Synchronization
import Testing

@testable import Beacon

@Suite("Snapshot publication and lookup (internals)", .timeLimit(.minutes(1)))
struct SnapshotTests {
    @Test("a replaced snapshot is released at once when nobody holds it")
    func releasedWhenNotHeld() {
        let published = PublishedSnapshot<Int, Void>()
        let weakSnapshot = publishNewSnapshot(into: published)
        #expect(weakSnapshot.snapshot != nil)

        published.replace(with: nil)

        #expect(weakSnapshot.snapshot == nil)
    }

    @Test("a snapshot replaced while a send holds it lives until the send lets go")
    func heldSnapshotOutlivesReplacement() throws {
        let published = PublishedSnapshot<Int, Void>()
        let weakSnapshot = publishNewSnapshot(into: published)

        let held = try #require(published.takeReference().snapshot)
        published.replace(with: Snapshot<Int, Void>(registrations: []))
        let next = try #require(published.takeReference().snapshot)

        #expect(weakSnapshot.snapshot != nil)
        #expect(held.toOpaque() == weakSnapshot.snapshot.map { Unmanaged.passUnretained($0).toOpaque() })
        #expect(next.toOpaque() != held.toOpaque())
        held.release()
        next.release()
        #expect(weakSnapshot.snapshot == nil)
        published.replace(with: nil)
        #expect(published.takeReference().isNothingPublished)
    }

    @Test("taking many more references than one deposit refills the word, and every reference is accounted for")
    func refills() throws {
        let published = PublishedSnapshot<Int, Void>()
        let weakSnapshot = publishNewSnapshot(into: published)

        var taken: [Unmanaged<Snapshot<Int, Void>>] = []
        for _ in 0..<(10 * PublishedSnapshot<Int, Void>.depositSize + 3) {
            taken.append(try #require(published.takeReference().snapshot))
        }
        #expect(Set(taken.map { $0.toOpaque() }).count == 1)
        for reference in taken {
            reference.release()
        }
        #expect(weakSnapshot.snapshot != nil)

        published.replace(with: nil)

        #expect(weakSnapshot.snapshot == nil)
    }

    @Test("a send that finds the word out of references, while another refills it, gets the snapshot from the registry")
    func exhaustedWordFallsBackToTheRegistry() {
        let signal = Signal<Int>()
        let received = Counter()
        signal.connect { _ in received.increment() }
        let word = signal.published.word.load(ordering: .relaxed)
        // What the word says between a send taking its last reference and that send putting new ones in.
        signal.published.word.store(word & PublishedSnapshot<Int, Void>.addressMask, ordering: .relaxed)

        signal.send(1)
        let hasReceivers = signal.hasReceivers(for: nil)

        signal.published.word.store(word, ordering: .relaxed)
        #expect(received.value == 1)
        #expect(hasReceivers)
    }

    @Test("senders and a writer racing: every snapshot is released, none too early")
    func racingSendersAndWriter() async {
        let holder = PublishedSnapshotHolder()
        let published = Log<WeakSnapshot>()
        let stop = StopFlag()
        let reads = Counter()

        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    await stop.repeatUntilStopped {
                        for _ in 0..<1_000 {
                            guard let snapshot = holder.published.takeReference().snapshot else {
                                continue
                            }
                            // Reading a field of the snapshot would crash or read garbage if it had been freed.
                            if snapshot._withUnsafeGuaranteedRef({ $0.lists.count }) == 1 {
                                reads.increment()
                            }
                            snapshot.release()
                        }
                        await Task.yield()
                    }
                }
            }
            group.addTask {
                for round in 0..<20_000 {
                    let snapshot = Snapshot<Int, Void>(registrations: [])
                    published.append(WeakSnapshot(snapshot))
                    holder.published.replace(with: snapshot)
                    if round.isMultiple(of: 200) {
                        await Task.yield()
                    }
                }
                holder.published.replace(with: nil)
                stop.stop()
            }
        }

        #expect(reads.value > 0)
        #expect(published.entries.count == 20_000)
        #expect(published.entries.allSatisfy { $0.snapshot == nil })
    }

    @Test("the object sender table finds every object and misses the rest")
    func objectSenderTable() {
        let objects = (0..<1_000).map { Endpoint("\($0)") }
        let table = ObjectSenderTable(objects.enumerated().map { (ObjectIdentifier($1), $0 + 1) })
        let strangers = (0..<1_000).map { Endpoint("stranger \($0)") }

        #expect(objects.enumerated().allSatisfy { table.listIndex(for: ObjectIdentifier($1)) == $0 + 1 })
        #expect(strangers.allSatisfy { table.listIndex(for: ObjectIdentifier($0)) == nil })
        #expect(ObjectSenderTable([]).listIndex(for: ObjectIdentifier(objects[0])) == nil)
    }
}

/// Publishes a new empty snapshot into `published`, which then holds the only references to it.
private func publishNewSnapshot(into published: borrowing PublishedSnapshot<Int, Void>) -> WeakSnapshot {
    let snapshot = Snapshot<Int, Void>(registrations: [])
    published.replace(with: snapshot)
    return WeakSnapshot(snapshot)
}

extension TakenReference {
    /// The reference taken, if one was.
    fileprivate var snapshot: Unmanaged<Snapshot<Payload, Output>>? {
        guard case .taken(let snapshot) = self else {
            return nil
        }
        return snapshot
    }

    fileprivate var isNothingPublished: Bool {
        guard case .nothingPublished = self else {
            return false
        }
        return true
    }
}

private final class PublishedSnapshotHolder: Sendable {
    let published = PublishedSnapshot<Int, Void>()
}

private final class WeakSnapshot: Sendable {
    weak let snapshot: Snapshot<Int, Void>?

    init(_ snapshot: Snapshot<Int, Void>?) {
        self.snapshot = snapshot
    }
}
