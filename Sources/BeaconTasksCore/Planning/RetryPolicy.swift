/// When a failed task runs again: at most ``maximumAttempts`` runs, the wait doubling from ``initialDelay`` up to
/// ``maximumDelay``, with jitter.
///
/// The wait before retry *n* (1 for the first retry) is `min(maximumDelay, initialDelay × 2^(n−1))`, then jittered:
/// ``Jitter-swift.enum/none`` keeps it, ``Jitter-swift.enum/full`` draws uniformly from `[0, wait]` (Celery's
/// `retry_jitter`, AWS's "full jitter"), ``Jitter-swift.enum/equal`` from `[wait/2, wait]`. The random source is
/// injected, so a plan is reproducible in tests.
public struct RetryPolicy: Sendable, Hashable {
    /// How the computed wait is randomised, so that tasks failing together do not retry together.
    public enum Jitter: Sendable, Hashable {
        /// The computed wait exactly.
        case none
        /// Uniform in `[0, wait]`.
        case full
        /// Uniform in `[wait/2, wait]`.
        case equal
    }

    /// Runs in all, the first included (1: never retry).
    public var maximumAttempts: Int
    /// The wait before the first retry.
    public var initialDelay: Duration
    /// The cap on the wait (before jitter).
    public var maximumDelay: Duration
    /// How the wait is randomised.
    public var jitter: Jitter

    /// A policy; by default 4 runs, waits of 1 s, 2 s, 4 s (capped at 10 min), full jitter.
    public init(maximumAttempts: Int = 4, initialDelay: Duration = .seconds(1), maximumDelay: Duration = .seconds(600), jitter: Jitter = .full) {
        self.maximumAttempts = maximumAttempts
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.jitter = jitter
    }

    /// Never retry.
    public static var never: RetryPolicy { RetryPolicy(maximumAttempts: 1) }

    /// Whether a task whose message says it has been retried `retries` times (the `retries` header; its run number
    /// is `retries + 1`) may run again after failing.
    public func allowsRetry(afterRetries retries: Int) -> Bool {
        retries + 1 < maximumAttempts
    }

    /// The wait before retry number `retries + 1`, for a run whose message carries `retries`; `nil` when the attempts
    /// are used up.
    public func delay(afterRetries retries: Int, using random: inout some RandomNumberGenerator) -> Duration? {
        guard retries >= 0, allowsRetry(afterRetries: retries) else { return nil }
        let wait = backoff(retry: retries + 1)
        let nanoseconds = wait.wholeNanoseconds
        switch jitter {
        case .none:
            return wait
        case .full:
            return .nanoseconds(Int64.random(in: 0...nanoseconds, using: &random))
        case .equal:
            return .nanoseconds(nanoseconds / 2 + Int64.random(in: 0...(nanoseconds - nanoseconds / 2), using: &random))
        }
    }

    /// ``delay(afterRetries:using:)`` with the system's random source.
    public func delay(afterRetries retries: Int) -> Duration? {
        var random = SystemRandomNumberGenerator()
        return delay(afterRetries: retries, using: &random)
    }

    /// The wait before retry `retry` (1-based) without jitter: `min(maximumDelay, initialDelay × 2^(retry−1))`.
    public func backoff(retry: Int) -> Duration {
        let cap = max(maximumDelay, .zero).wholeNanoseconds
        var wait = max(initialDelay, .zero).wholeNanoseconds
        for _ in 1..<max(retry, 1) {
            if wait >= cap { break }
            wait = wait > Int64.max / 2 ? Int64.max : wait * 2
        }
        return .nanoseconds(min(wait, cap))
    }
}

extension Duration {
    /// Whole nanoseconds, rounded down, saturating at `Int64.max`.
    fileprivate var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, overflowAgain) = product.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow || overflowAgain ? Int64.max : sum
    }
}
