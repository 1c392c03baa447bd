/// How configuration values are written as text: durations (`500ms`, `5s`, `2m`, `1h`, `1d`) and byte counts
/// (`10485760`, `512KiB`, `10MiB`, `1GiB`).
enum ConfigurationText {
    private static let durationUnits: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]

    /// Reads `500ms`, `5s`, `2m`, `1h`, `1d` or a bare number of seconds; nil if it is none of them.
    static func duration(_ text: String) -> Duration? {
        let text = text.trimmingSpaces
        if let seconds = Int64(text), seconds >= 0 { return .seconds(seconds) }
        for unit in durationUnits.sorted(by: { $0.suffix.count > $1.suffix.count }) where text.hasSuffix(unit.suffix) {
            guard let value = Int64(text.dropLast(unit.suffix.count).trimmingSpaces), value >= 0 else { return nil }
            let (milliseconds, overflow) = value.multipliedReportingOverflow(by: unit.milliseconds)
            return overflow ? nil : .milliseconds(milliseconds)
        }
        return nil
    }

    /// A duration in the largest unit that writes it exactly: `5s`, `30s`, `2m`, `1h`, `1500ms`.
    static func text(_ duration: Duration) -> String {
        let milliseconds = duration.milliseconds
        for unit in durationUnits.reversed() where milliseconds % unit.milliseconds == 0 && milliseconds > 0 {
            return "\(milliseconds / unit.milliseconds)\(unit.suffix)"
        }
        return "\(milliseconds)ms"
    }

    private static let byteUnits: [(suffix: String, bytes: Int64)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30)]

    /// Reads a byte count: a bare number, or one with `KiB`, `MiB` or `GiB`; nil otherwise.
    static func byteCount(_ text: String) -> Int64? {
        let text = text.trimmingSpaces
        if let bytes = Int64(text) { return bytes >= 0 ? bytes : nil }
        for unit in byteUnits where text.hasSuffix(unit.suffix) {
            guard let value = Int64(text.dropLast(unit.suffix.count).trimmingSpaces), value >= 0 else { return nil }
            let (bytes, overflow) = value.multipliedReportingOverflow(by: unit.bytes)
            return overflow ? nil : bytes
        }
        return nil
    }
}

extension Duration {
    /// The whole milliseconds of a duration, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let trimmed = drop { $0 == " " || $0 == "\t" }
        return String(trimmed.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
