import BeaconSynchronization
import Synchronization

/// A thread-safe, append-only record of what receivers saw.
final class Log<Entry: Sendable>: Sendable {
    private let storage = Mutex<[Entry]>([])

    func append(_ entry: Entry) {
        storage.withTracedLock { $0.append(entry) }
    }

    var entries: [Entry] {
        storage.withTracedLock { $0 }
    }

    func removeAll() {
        storage.withTracedLock { $0.removeAll() }
    }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let storage = Atomic<Int>(0)

    func increment() {
        storage.add(1, ordering: .relaxed)
    }

    var value: Int {
        storage.load(ordering: .relaxed)
    }
}

/// An object to send from, or to own receivers, whose deallocation the tests watch through weak references.
final class Endpoint: Sendable {
    let name: String

    init(_ name: String = "endpoint") {
        self.name = name
    }
}

struct TestError: Error, Equatable {
    let code: Int
}

/// A payload like the ones the web server sends.
struct RequestEvent: Sendable, Equatable {
    let path: String
    let status: Int
}

/// A thread-safe flag, to tell looping tasks to stop.
final class StopFlag: Sendable {
    /// The most rounds ``repeatUntilStopped(_:)`` runs.
    static let roundLimit = 20_000

    private let storage = Atomic<Bool>(false)

    func stop() {
        storage.store(true, ordering: .relaxed)
    }

    var isStopped: Bool {
        storage.load(ordering: .relaxed)
    }

    /// Runs `body` again and again until the flag is set — but never more than ``roundLimit`` times, and not once the
    /// task is cancelled (as a test's time limit does): a stress test ends even if the task that sets the flag never
    /// gets to run.
    func repeatUntilStopped(_ body: () async -> Void) async {
        for _ in 0..<Self.roundLimit {
            if isStopped || Task.isCancelled {
                return
            }
            await body()
        }
    }
}
