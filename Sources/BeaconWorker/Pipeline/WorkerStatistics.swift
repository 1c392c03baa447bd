public import Metrics
import Synchronization

/// The worker's counts: exported as swift-metrics counters (`beacon_worker_<kind>_total`, labelled by sink or
/// queue) for whatever metrics backend the process bootstraps, and kept as totals for the summary the worker logs
/// when it stops. Every event that is not written somewhere is counted under one of these kinds.
public final class WorkerStatistics: Sendable {
    /// What is counted.
    public enum Kind: String, Sendable, CaseIterable {
        /// Messages received from the broker.
        case received
        /// Events made durable by a sink.
        case written
        /// Events a sink already had (a redelivery, or the same id twice): skipped.
        case duplicates
        /// Messages or NDJSON lines that are not events, sent to the dead-letter queue.
        case poison
        /// Messages sent to a retry queue after a sink failed.
        case retried
        /// Messages sent to the dead-letter queue after their last try or a permanent failure.
        case deadLettered = "dead_lettered"
        /// Retry or dead-letter publishes the broker did not confirm: their messages were requeued instead.
        case unconfirmed
    }

    /// A counter's identity: its kind and labels.
    private struct CounterKey: Hashable {
        let kind: Kind
        let sink: String?
        let queue: String?
    }

    private struct State {
        var totals: [Kind: Int] = [:]
        /// Made once per kind and labels: making a swift-metrics counter goes through the backend's registry.
        var counters: [CounterKey: Counter] = [:]
    }

    private let state = Mutex(State())
    private let metricsFactory: any MetricsFactory

    /// Counts exported through `metricsFactory`: by default the backend the process bootstrapped.
    public init(metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        self.metricsFactory = metricsFactory
    }

    /// Adds `count` to `kind`, labelled with the sink or queue it concerns.
    func add(_ count: Int, _ kind: Kind, sink: String? = nil, queue: String? = nil) {
        guard count > 0 else { return }
        let key = CounterKey(kind: kind, sink: sink, queue: queue)
        let counter = state.withLock { state in
            state.totals[kind, default: 0] += count
            if let counter = state.counters[key] {
                return counter
            }
            let counter = makeCounter(key)
            state.counters[key] = counter
            return counter
        }
        counter.increment(by: count)
    }

    private func makeCounter(_ key: CounterKey) -> Counter {
        var dimensions: [(String, String)] = []
        if let sink = key.sink { dimensions.append(("sink", sink)) }
        if let queue = key.queue { dimensions.append(("queue", queue)) }
        return Counter(label: "beacon_worker_\(key.kind.rawValue)_total", dimensions: dimensions, factory: metricsFactory)
    }

    /// The totals so far.
    public var snapshot: [Kind: Int] { state.withLock { $0.totals } }

    /// `received=… written=… duplicates=… poison=… retried=… dead_lettered=… unconfirmed=…`.
    public var summary: String {
        let totals = snapshot
        return Kind.allCases.map { "\($0.rawValue)=\(totals[$0, default: 0])" }.joined(separator: " ")
    }
}
