import BeaconEvents
import Benchmark

/// The per-event costs of the event schema on the two hot paths: the web server encodes every request's event, the
/// worker decodes every event it writes (its formatting is measured in WorkerBenchmarks).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(3)
    )

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
    let json = event.jsonBytes()
    let batch = EventBatch.encode(Array(repeating: event, count: 100))

    Benchmark("Event: encode JSON (per event)") { benchmark in
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512)
        for _ in benchmark.scaledIterations {
            bytes.removeAll(keepingCapacity: true)
            event.appendJSON(to: &bytes)
            blackHole(bytes.count)
        }
    }

    Benchmark("Event: make a request event, new id and time (per event)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(
                Event(service: "web", kind: .request, level: .info, logger: "web.request", message: "GET /hello 200 0.41ms", request: event.request)
            )
        }
    }

    Benchmark("Event: decode JSON (per event)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try Event(json: json))
        }
    }

    Benchmark("EventBatch: decode 100-event NDJSON (per event)", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(EventBatch.decode(batch, contentType: EventBatch.contentType))
        }
    }
}
