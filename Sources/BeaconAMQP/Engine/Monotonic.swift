#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic time in nanoseconds: cheap to read on the connection thread, comparable across threads.
enum Monotonic {
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

extension Duration {
    /// Whole nanoseconds (negative durations count as zero).
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }

    /// For people: `250 ms`, `1.5 s`, `30 s`.
    var readable: String {
        let milliseconds = Double(nanoseconds) / 1_000_000
        if milliseconds < 1000 { return "\(Int(milliseconds.rounded())) ms" }
        let seconds = (milliseconds / 100).rounded() / 10
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }

    /// A `timeval` for rabbitmq-c's timeouts.
    var cTimeval: timeval {
        let (seconds, attoseconds) = components
        return timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
