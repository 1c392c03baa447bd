import Synchronization
import Testing

@testable import Beacon

@Suite("Snapshot publication and lookup (internals)", .timeLimit(.minutes(1)))
struct SnapshotTests {
    @Test("a replaced snapshot is released at once when nobody borrows it")
    func releasedWhenUnborrowed() {
        let published = PublishedSnapshot<Int, Void>()
        var snapshot: Snapshot<Int, Void>? = Snapshot<Int, Void>(registrations: [])
        weak let weakSnapshot = snapshot
        published.replace(with: snapshot)
        snapshot = nil
        #expect(weakSnapshot != nil)

        published.replace(with: nil)

        #expect(weakSnapshot == nil)
    }

    @Test("a snapshot replaced while borrowed lives until the borrow ends")
    func borrowedSnapshotOutlivesReplacement() {
        let published = PublishedSnapshot<Int, Void>()
        var snapshot: Snapshot<Int, Void>? = Snapshot<Int, Void>(registrations: [])
        weak let weakSnapshot = snapshot
        published.replace(with: snapshot)
        snapshot = nil

        let aliveInsideBorrow = published.withBorrowedSnapshot { borrowed in
            published.replace(with: Snapshot<Int, Void>(registrations: []))
            let nested = published.withBorrowedSnapshot { $0 !== borrowed }
            return weakSnapshot === borrowed && nested == true
        }

        #expect(aliveInsideBorrow == true)
        #expect(weakSnapshot == nil)
        #expect(published.withBorrowedSnapshot { _ in true } == true)
        published.replace(with: nil)
        #expect(published.withBorrowedSnapshot { _ in true } == nil)
    }

    @Test("readers and a writer racing: every snapshot is released, none too early")
    func racingReadersAndWriter() async {
        let holder = PublishedSnapshotHolder()
        let published = Log<WeakSnapshot>()
        let stop = StopFlag()
        let borrows = Counter()

        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    await stop.repeatUntilStopped {
                        // Reading a field of the borrowed snapshot would crash or read garbage if it had been freed.
                        for _ in 0..<1_000 where holder.published.withBorrowedSnapshot({ $0.lists.count }) == 1 {
                            borrows.increment()
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

        #expect(borrows.value > 0)
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

private final class PublishedSnapshotHolder: Sendable {
    let published = PublishedSnapshot<Int, Void>()
}

private final class WeakSnapshot: Sendable {
    weak let snapshot: Snapshot<Int, Void>?

    init(_ snapshot: Snapshot<Int, Void>?) {
        self.snapshot = snapshot
    }
}
