import Metrics
import Synchronization

/// The outbox's counts, kept twice: as atomics for ``EventOutbox/statistics`` and as swift-metrics metrics
/// (`beacon_outbox_*`) for whatever metrics backend the process bootstrapped (Prometheus in the web server).
final class OutboxCounters: Sendable {
    enum DropReason: String, CaseIterable {
        case bufferFull = "buffer_full"
        case spoolFull = "spool_full"
        case spoolError = "spool_error"
    }

    private let enqueuedCount = Atomic<Int>(0)
    private let publishedCount = Atomic<Int>(0)
    private let deliveredCount = Atomic<Int>(0)
    private let spooledCount = Atomic<Int>(0)
    private let droppedBufferFull = Atomic<Int>(0)
    private let droppedSpoolFull = Atomic<Int>(0)
    private let droppedSpoolError = Atomic<Int>(0)
    private let spooling = Atomic<Bool>(false)

    private let enqueuedMetric = Counter(label: "beacon_outbox_events_enqueued_total")
    private let publishedMetric = Counter(label: "beacon_outbox_events_published_total")
    private let deliveredMetric = Counter(label: "beacon_outbox_events_confirmed_total")
    private let spooledMetric = Counter(label: "beacon_outbox_events_spooled_total")
    private let droppedMetrics: [DropReason: Counter]
    private let bufferGauge = Gauge(label: "beacon_outbox_buffer_events")
    private let spoolGauge = Gauge(label: "beacon_outbox_spool_events")
    private let spoolingGauge = Gauge(label: "beacon_outbox_spooling")

    init(spooledAtStart: Int) {
        var metrics: [DropReason: Counter] = [:]
        for reason in DropReason.allCases {
            metrics[reason] = Counter(label: "beacon_outbox_events_dropped_total", dimensions: [("reason", reason.rawValue)])
        }
        droppedMetrics = metrics
        spoolGauge.record(spooledAtStart)
    }

    func enqueued() {
        enqueuedCount.add(1, ordering: .relaxed)
        enqueuedMetric.increment()
    }

    func published(_ count: Int) {
        publishedCount.add(count, ordering: .relaxed)
        publishedMetric.increment(by: count)
    }

    func delivered(_ count: Int) {
        guard count > 0 else { return }
        deliveredCount.add(count, ordering: .relaxed)
        deliveredMetric.increment(by: count)
    }

    func spooled(_ count: Int) {
        guard count > 0 else { return }
        spooledCount.add(count, ordering: .relaxed)
        spooledMetric.increment(by: count)
    }

    func dropped(_ count: Int, reason: DropReason) {
        switch reason {
        case .bufferFull: droppedBufferFull.add(count, ordering: .relaxed)
        case .spoolFull: droppedSpoolFull.add(count, ordering: .relaxed)
        case .spoolError: droppedSpoolError.add(count, ordering: .relaxed)
        }
        droppedMetrics[reason]!.increment(by: count)
    }

    /// Records the depths and the mode once per loop turn.
    func observe(buffered: Int, inSpool: Int, isSpooling: Bool) {
        bufferGauge.record(buffered)
        spoolGauge.record(inSpool)
        spoolingGauge.record(isSpooling ? 1 : 0)
        spooling.store(isSpooling, ordering: .relaxed)
    }

    func snapshot(buffered: Int, inSpool: Int) -> EventOutbox.Statistics {
        EventOutbox.Statistics(
            enqueued: enqueuedCount.load(ordering: .relaxed),
            published: publishedCount.load(ordering: .relaxed),
            delivered: deliveredCount.load(ordering: .relaxed),
            spooled: spooledCount.load(ordering: .relaxed),
            droppedBufferFull: droppedBufferFull.load(ordering: .relaxed),
            droppedSpoolFull: droppedSpoolFull.load(ordering: .relaxed),
            droppedSpoolError: droppedSpoolError.load(ordering: .relaxed),
            buffered: buffered,
            inSpool: inSpool,
            isSpooling: spooling.load(ordering: .relaxed)
        )
    }
}
