public import Metrics
import Synchronization

/// Task counts and runtimes per task name, as swift-metrics metrics for whatever backend the process bootstraps
/// (the bundled web's `/metrics` shows them):
///
/// | metric | labels | what |
/// | --- | --- | --- |
/// | `beacon_tasks_enqueued_total` | `task`, `acceptance` (`confirmed`, `spooled`) | enqueues a ``TaskClient`` accepted |
/// | `beacon_tasks_total` | `task`, `outcome` | what a ``TaskWorker`` made of each delivery: `started`, `succeeded`, `failed`, `retried`, `dead`, `revoked`, `expired`, `delayed`, `duplicate` (done before: not run) |
/// | `beacon_task_runtime_seconds` | `task` | a run's duration, success or failure |
public final class TaskMetrics: Sendable {
    /// What a worker counts.
    public enum Outcome: String, Sendable, CaseIterable {
        case started, succeeded, failed, retried, dead, revoked, expired, delayed, duplicate
    }

    private struct Key: Hashable {
        let label: String
        let task: String
        let value: String
    }

    private let counters = Mutex<[Key: Counter]>([:])
    private let timers = Mutex<[String: Metrics.Timer]>([:])
    private let factory: any MetricsFactory

    /// Metrics made through `factory`: by default the backend the process bootstrapped.
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    func enqueued(_ task: String, spooled: Bool) {
        counter("beacon_tasks_enqueued_total", task: task, "acceptance", spooled ? "spooled" : "confirmed").increment()
    }

    func count(_ task: String, _ outcome: Outcome) {
        counter("beacon_tasks_total", task: task, "outcome", outcome.rawValue).increment()
    }

    func runtime(_ task: String, _ duration: Duration) {
        let timer = timers.withLock { timers in
            if let timer = timers[task] { return timer }
            let timer = Metrics.Timer(
                label: "beacon_task_runtime_seconds",
                dimensions: [("task", task)],
                preferredDisplayUnit: .seconds,
                factory: factory
            )
            timers[task] = timer
            return timer
        }
        timer.record(duration: duration)
    }

    /// Made once per label and dimensions: making a metric goes through the backend's registry.
    private func counter(_ label: String, task: String, _ dimension: String, _ value: String) -> Counter {
        let key = Key(label: label, task: task, value: value)
        return counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: label, dimensions: [("task", task), (dimension, value)], factory: factory)
            counters[key] = counter
            return counter
        }
    }
}
