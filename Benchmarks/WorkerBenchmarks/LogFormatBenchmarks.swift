import BeaconEvents
import BeaconWorker
import Benchmark

/// The per-event cost of the worker's hot path that needs no broker: formatting an event into a log line.
func logFormatBenchmarks() {
    let event = Event(
        service: "web",
        kind: .request,
        level: .info,
        logger: "web.request",
        message: "GET /hello 200 0.41ms",
        request: .init(
            id: "6f1c2b0e-0b55-4c8e-a1d2-3f4e5d6c7b8a",
            method: "GET",
            path: "/hello",
            status: 200,
            durationMilliseconds: 0.41,
            remote: "127.0.0.1",
            userAgent: "wrk"
        )
    )
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(3)
    )

    Benchmark("LogFormat: the worker's default line (per event)", configuration: configuration) { benchmark in
        var format = try LogFormat(LogFormat.beaconDefault)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512)
        for _ in benchmark.scaledIterations {
            bytes.removeAll(keepingCapacity: true)
            format.append(event, to: &bytes)
            blackHole(bytes.count)
        }
    }
}
