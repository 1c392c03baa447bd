import Foundation
import Synchronization

/// A serial executor that runs every job on one OS thread of its own.
///
/// The worker's pipelines are actors that use such an executor: they block in `write(2)`, `fsync(2)` and libcurl,
/// and a blocked thread of their own never starves Swift concurrency's cooperative pool. Jobs run one at a time, in
/// the order they were enqueued.
final class DedicatedThreadExecutor: SerialExecutor, @unchecked Sendable {
    // @unchecked Sendable: the job queue is guarded by a Mutex, and the POSIX semaphore is made for use from any
    // thread (sem_post/sem_wait); it is allocated once and freed only in deinit, when no thread can use it any more.

    private struct State {
        var jobs: [UnownedJob] = []
        var stopping = false
    }

    private let state = Mutex(State())
    private let wakeUp: UnsafeMutablePointer<sem_t>

    /// Starts the thread, named `name` (visible in `top -H`, debuggers and crash reports).
    init(name: String) {
        wakeUp = .allocate(capacity: 1)
        sem_init(wakeUp, 0, 0)
        // The thread keeps the executor alive until `shutdown()` lets it end.
        let thread = Thread { [self] in runLoop() }
        thread.name = name
        thread.start()
    }

    deinit {
        sem_destroy(wakeUp)
        wakeUp.deallocate()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        state.withLock { $0.jobs.append(job) }
        sem_post(wakeUp)
    }

    /// Lets the thread end once the jobs enqueued so far have run.
    func shutdown() {
        state.withLock { $0.stopping = true }
        sem_post(wakeUp)
    }

    private func runLoop() {
        let executor = asUnownedSerialExecutor()
        while true {
            while sem_wait(wakeUp) != 0 && errno == EINTR {}
            let (jobs, stopping) = state.withLock { state in
                defer { state.jobs.removeAll(keepingCapacity: true) }
                return (state.jobs, state.stopping)
            }
            for job in jobs { job.runSynchronously(on: executor) }
            if stopping && state.withLock({ $0.jobs.isEmpty }) { return }
        }
    }
}
