/// How an ``AMQPConnection`` reconnects after losing the broker: exponential backoff with jitter.
///
/// The n-th consecutive failed attempt waits `min(maximumDelay, initialDelay × multiplierⁿ)`, of which a random
/// `jitter` fraction is taken off (so a fleet of clients does not reconnect in lockstep). A successful connection
/// resets the sequence.
public struct AMQPReconnectPolicy: Sendable, Hashable {
    /// Whether to reconnect at all. When `false`, losing the connection closes it for good.
    public var isEnabled: Bool
    public var initialDelay: Duration
    public var maximumDelay: Duration
    public var multiplier: Double
    /// 0…1: the largest fraction of a delay taken off at random.
    public var jitter: Double

    public init(
        initialDelay: Duration = .milliseconds(100),
        maximumDelay: Duration = .seconds(30),
        multiplier: Double = 2,
        jitter: Double = 0.5
    ) {
        self.isEnabled = true
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.multiplier = max(1, multiplier)
        self.jitter = min(max(jitter, 0), 1)
    }

    /// Never reconnect.
    public static var never: AMQPReconnectPolicy {
        var policy = AMQPReconnectPolicy()
        policy.isEnabled = false
        return policy
    }

    /// The wait before attempt `attempt` (0 for the first retry), jitter applied.
    func delay<R: RandomNumberGenerator>(attempt: Int, using generator: inout R) -> Duration {
        let base = initialDelay * pow(multiplier, min(attempt, 64))
        let capped = min(base, maximumDelay)
        let cut = Double.random(in: 0...jitter, using: &generator)
        return capped * (1 - cut)
    }

    private func pow(_ base: Double, _ exponent: Int) -> Double {
        (0..<exponent).reduce(1.0) { value, _ in min(value * base, 1e12) }
    }
}
