public import BeaconEvents
public import BeaconOutbox
import Synchronization

/// An ``EventTransport`` that keeps in memory what would have been published: a broker-less stand-in for RabbitMQ in
/// tests. It confirms every message, or, while ``isAvailable`` is false, fails every message as an unreachable
/// broker would (the outbox then spools them, and replays them once it is available again).
public final class InMemoryEventTransport: EventTransport {
    private struct State {
        var messages: [OutboxMessage] = []
        var isAvailable = true
    }

    private let state = Mutex(State())

    public init() {}

    /// Whether publishes succeed. Set it to false to simulate a broker that went away.
    public var isAvailable: Bool {
        get { state.withLock { $0.isAvailable } }
        set { state.withLock { $0.isAvailable = newValue } }
    }

    /// The messages confirmed so far, in publishing order.
    public var messages: [OutboxMessage] { state.withLock { $0.messages } }

    /// The events of the confirmed messages, in publishing order (NDJSON batches unpacked).
    public var events: [Event] {
        messages.flatMap { message in message.events().compactMap { try? $0.get() } }
    }

    /// The confirmed events of `kind`.
    public func events(kind: Event.Kind) -> [Event] {
        events.filter { $0.kind == kind }
    }

    /// The confirmed events of the request with id `requestID`.
    public func events(ofRequest requestID: String) -> [Event] {
        events.filter { $0.request?.id == requestID }
    }

    public func publish(_ messages: [OutboxMessage], completion: @escaping @Sendable ([TransportOutcome]) -> Void) {
        let available = state.withLock { state in
            if state.isAvailable { state.messages += messages }
            return state.isAvailable
        }
        let outcome: TransportOutcome = available ? .confirmed : .failed(reason: "the in-memory broker is unavailable")
        completion(Array(repeating: outcome, count: messages.count))
    }
}
