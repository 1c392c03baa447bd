import Prometheus
import Testing

@testable import BeaconWorker

@Suite struct WorkerStatisticsTests {
    @Test func countsAddUpPerKindAndAreExportedPerLabel() {
        let registry = PrometheusCollectorRegistry()
        let statistics = WorkerStatistics(metricsFactory: PrometheusMetricsFactory(registry: registry))
        statistics.add(2, .written, sink: "files")
        statistics.add(3, .written, sink: "files")
        statistics.add(1, .written, sink: "mail")
        statistics.add(4, .received, queue: "worker.files")
        statistics.add(0, .poison, queue: "worker.files")

        #expect(statistics.snapshot == [.written: 6, .received: 4])
        #expect(statistics.summary == "received=4 written=6 duplicates=0 poison=0 retried=0 dead_lettered=0 unconfirmed=0")
        let exported = registry.emitToString()
        #expect(exported.contains(#"beacon_worker_written_total{sink="files"} 5"#))
        #expect(exported.contains(#"beacon_worker_written_total{sink="mail"} 1"#))
        #expect(exported.contains(#"beacon_worker_received_total{queue="worker.files"} 4"#))
        #expect(!exported.contains("beacon_worker_poison_total"), "a count of zero makes no counter")
    }
}
