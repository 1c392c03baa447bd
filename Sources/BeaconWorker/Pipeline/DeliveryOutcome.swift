import BeaconEvents

/// What the pipeline made of one delivery, for the settler: acknowledge it, retry it, or dead-letter it, plus
/// the poison lines of an NDJSON batch to dead-letter on their own.
struct DeliveryOutcome: Sendable {
    enum Disposition: Sendable {
        /// Every event is durable in every sink that takes it (or was a duplicate).
        case done
        /// A sink failed for at least one event: retry (after the queue's delay), or dead-letter when out of tries
        /// or when the failure is permanent.
        case failed(SinkError)
        /// The whole message is poison.
        case poison(EventDecodingError)
    }

    var disposition: Disposition
    var poisonLines: [DecodedMessage.PoisonLine] = []
    /// The events of a batch that had poison lines, for its retry (so the poison is not dead-lettered twice).
    var goodEvents: [Event] = []
}
