#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Event {
    /// A point in time with millisecond precision, written as RFC 3339 in UTC: `2026-11-21T10:15:30.123Z`.
    public struct Timestamp: Sendable, Hashable, Comparable {
        /// Milliseconds since 1970-01-01T00:00:00Z.
        public var millisecondsSince1970: Int64

        public init(millisecondsSince1970: Int64) {
            self.millisecondsSince1970 = millisecondsSince1970
        }

        /// The current wall-clock time.
        public static func now() -> Timestamp {
            var spec = timespec()
            clock_gettime(CLOCK_REALTIME, &spec)
            return Timestamp(millisecondsSince1970: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
        }

        /// Seconds since 1970 (Python's `created`).
        public var secondsSince1970: Double { Double(millisecondsSince1970) / 1000 }

        /// Whole seconds since 1970, rounded down.
        public var wholeSecondsSince1970: Int64 { millisecondsSince1970.floorDivided(by: 1000) }

        /// The milliseconds within the second, 0…999 (Python's `msecs`).
        public var milliseconds: Int { Int(millisecondsSince1970 - wholeSecondsSince1970 * 1000) }

        /// `2026-11-21T10:15:30.123Z`.
        public var rfc3339: String {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(24)
            appendRFC3339(to: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }

        /// Reads an RFC 3339 date-time: `2026-11-21T10:15:30Z`, `…30.123Z`, `…30.997306+00:00` (Python's
        /// `isoformat()`), `…30.5-05:00`. Fractions beyond milliseconds are truncated.
        public init?(rfc3339 text: some StringProtocol) {
            guard let value = RFC3339Parser.parse(Array(text.utf8)) else { return nil }
            self.millisecondsSince1970 = value
        }

        public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
            lhs.millisecondsSince1970 < rhs.millisecondsSince1970
        }

        func appendRFC3339(to bytes: inout [UInt8]) {
            let date = CivilTime(secondsSince1970: wholeSecondsSince1970)
            bytes.appendDigits(date.year, width: 4)
            bytes.append(UInt8(ascii: "-"))
            bytes.appendDigits(date.month, width: 2)
            bytes.append(UInt8(ascii: "-"))
            bytes.appendDigits(date.day, width: 2)
            bytes.append(UInt8(ascii: "T"))
            bytes.appendDigits(date.hour, width: 2)
            bytes.append(UInt8(ascii: ":"))
            bytes.appendDigits(date.minute, width: 2)
            bytes.append(UInt8(ascii: ":"))
            bytes.appendDigits(date.second, width: 2)
            bytes.append(UInt8(ascii: "."))
            bytes.appendDigits(milliseconds, width: 3)
            bytes.append(UInt8(ascii: "Z"))
        }
    }
}

/// A calendar date and time of day in the proleptic Gregorian calendar, UTC.
struct CivilTime: Equatable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int

    init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    init(secondsSince1970: Int64) {
        let days = secondsSince1970.floorDivided(by: 86_400)
        let secondOfDay = Int(secondsSince1970 - days * 86_400)
        // Days to a civil date, counting in 400-year eras that start on March 1st, 0000.
        let shifted = days + 719_468
        let era = shifted.floorDivided(by: 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        self.year = Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0))
        self.month = Int(month)
        self.day = Int(dayOfYear - (153 * monthFromMarch + 2) / 5 + 1)
        self.hour = secondOfDay / 3600
        self.minute = secondOfDay / 60 % 60
        self.second = secondOfDay % 60
    }

    var secondsSince1970: Int64 {
        let year = Int64(month <= 2 ? self.year - 1 : self.year)
        let era = year.floorDivided(by: 400)
        let yearOfEra = year - era * 400
        let monthFromMarch = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

private enum RFC3339Parser {
    /// Milliseconds since 1970, or nil when `bytes` is not an RFC 3339 date-time.
    static func parse(_ bytes: [UInt8]) -> Int64? {
        var index = 0
        func number(_ width: Int) -> Int? {
            guard index + width <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + width] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            index += width
            return value
        }
        func expect(_ allowed: String) -> Bool {
            guard index < bytes.count, allowed.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
            expect("Tt "), let hour = number(2), expect(":"), let minute = number(2), expect(":"),
            let second = number(2),
            (1...12).contains(month), (1...CivilTime.daysInMonth(month, year: year)).contains(day),
            hour < 24, minute < 60, second < 61  // 60: a leap second, folded into the next one
        else { return nil }

        var milliseconds = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                if digits < 3 { milliseconds = milliseconds * 10 + Int(bytes[index] - UInt8(ascii: "0")) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 3) { milliseconds *= 10 }
        }

        var offsetSeconds = 0
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let offsetHours = number(2), expect(":"), let offsetMinutes = number(2), offsetHours < 24,
                offsetMinutes < 60
            else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        default:
            return nil
        }
        guard index == bytes.count else { return nil }

        let civil = CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return (civil.secondsSince1970 - Int64(offsetSeconds)) * 1000 + Int64(milliseconds)
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, for dates before 1970.
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

extension [UInt8] {
    /// Appends a non-negative number in decimal, left-padded with zeros to `width` digits.
    package mutating func appendDigits(_ value: Int, width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        while divisor > 1, value < divisor {
            append(UInt8(ascii: "0"))
            divisor /= 10
        }
        appendDecimal(value)
    }

    /// Appends an integer in decimal.
    mutating func appendDecimal<Integer: BinaryInteger>(_ value: Integer) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            appendDecimal(value.magnitude)
            return
        }
        if value < 10 {
            append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        appendDecimal(value / 10)
        append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}
