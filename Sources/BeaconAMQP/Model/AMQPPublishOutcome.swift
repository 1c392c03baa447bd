/// What became of one published message. Every publish resolves to exactly one of these.
public enum AMQPPublishOutcome: Sendable, Hashable {
    /// The broker confirmed it: it is in every queue it routed to (on disk, for a persistent message in a durable queue).
    case confirmed
    /// No queue took it (`basic.return`, e.g. `312 NO_ROUTE`): it was mandatory and is gone. The error carries the
    /// broker's reply code and text.
    case returned(AMQPError)
    /// The broker refused it (`basic.nack`), e.g. a full queue with `x-overflow: reject-publish`.
    case nacked
    /// It was not confirmed: the channel or connection closed, the broker blocked publishing until the deadline, or
    /// the publish deadline passed. The broker may or may not have it.
    case failed(AMQPError)

    /// Whether the message is safely with the broker.
    public var isConfirmed: Bool { self == .confirmed }
}
