public import Hummingbird
public import Prometheus

/// swift-metrics in Prometheus form: a registry, the factory that fills it, and the `/metrics` route that shows it.
///
/// The executable makes this the process's metrics backend (`MetricsSystem.bootstrap(metrics.factory)`, once per
/// process, before anything makes a metric; a library never does). What shows there then: the outbox's `beacon_outbox_*` counters and gauges (events
/// enqueued, published, confirmed, spooled, dropped by reason, buffer and spool depth, spooling), the requests of
/// ``RequestMetrics`` (`beacon_http_requests_total`, `beacon_http_request_duration_seconds`), and whatever else the
/// process records through swift-metrics. Names and labels are made Prometheus-safe (`hb.requests` becomes
/// `hb_requests`).
public struct PrometheusMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in
            (Self.sanitized(name), labels.map { (Self.sanitized($0.0), $0.1) })
        }
        self.factory = factory
    }

    /// Adds `GET /metrics` (or `path`), answering with the registry in Prometheus' text format.
    public func addRoute<Context: RequestContext>(to router: Router<Context>, path: RouterPath = "/metrics") {
        let registry = registry
        router.get(path) { _, _ -> Response in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(8 << 10)
            registry.emit(into: &bytes)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
            )
        }
    }

    /// `name` with every character Prometheus does not allow in a metric or label name replaced by `_`.
    static func sanitized(_ name: String) -> String {
        var result = ""
        for (index, character) in name.enumerated() {
            let allowed = character.isASCII && (character.isLetter || character == "_" || (index > 0 && character.isNumber))
            result.append(allowed ? character : "_")
        }
        return result
    }
}
