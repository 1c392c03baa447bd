public import BeaconEvents

/// Which events a sink takes: those at or above a level whose routing key matches one of the patterns.
public struct EventFilter: Sendable, Hashable {
    /// The lowest level taken.
    public var level: Event.Level
    /// The routing keys taken; `#` takes all.
    public var patterns: [TopicPattern]

    public init(level: Event.Level = .trace, patterns: [TopicPattern] = [.everything]) {
        self.level = level
        self.patterns = patterns
    }

    /// True when the sink takes `event`.
    public func accepts(_ event: Event) -> Bool {
        guard event.level >= level else { return false }
        if patterns.count == 1, patterns[0] == .everything { return true }
        let key = event.routingKey
        return patterns.contains { $0.matches(key) }
    }
}
