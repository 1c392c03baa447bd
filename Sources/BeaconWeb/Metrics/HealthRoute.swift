public import BeaconLogging
import BeaconOutbox
public import Hummingbird

extension Router {
    /// Adds `GET /healthz` (or `path`): the process serves, and how its events fare (the broker's status, events
    /// buffered, spooled, delivered, dropped), read without waiting for any I/O.
    public func addHealthRoute(pipeline: EventPipeline?, path: RouterPath = "/healthz") {
        get(path) { _, _ in Health(pipeline: pipeline) }
    }
}

/// `GET /healthz`: the process serves; how its events fare.
struct Health: ResponseEncodable {
    struct Events: Encodable {
        var broker: String?
        var buffered: Int
        var inSpool: Int
        var spooling: Bool
        var delivered: Int
        var dropped: Int

        enum CodingKeys: String, CodingKey {
            case broker, buffered, spooling, delivered, dropped
            case inSpool = "in_spool"
        }
    }

    var status = "ok"
    var events: Events?

    init(pipeline: EventPipeline?) {
        events = pipeline.map { pipeline in
            let statistics = pipeline.outbox.statistics
            return Events(
                broker: pipeline.transportStatus(),
                buffered: statistics.buffered,
                inSpool: statistics.inSpool,
                spooling: statistics.isSpooling,
                delivered: statistics.delivered,
                dropped: statistics.dropped
            )
        }
    }
}
