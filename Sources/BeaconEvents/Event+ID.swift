import Synchronization

extension Event {
    /// A new event id: a version 7 UUID (RFC 9562), lowercase, e.g. `0193f2c1-7a4e-7c3b-9f1d-2b6e8c0d4a51`.
    /// Its first 48 bits are the time in milliseconds, so ids sort by creation time.
    ///
    /// Its other 74 bits come from a per-process sequence, not from a system call per id: no two ids of one process are the
    /// same, and two processes' ids made in the same millisecond meet as rarely as random ones would. Ids are unique,
    /// not secret.
    public static func makeID(at time: Timestamp = .now()) -> String {
        let sequence = IDSequence.next()
        let high = (UInt64(truncatingIfNeeded: time.millisecondsSince1970) << 16) | 0x7000 | (sequence >> 52)
        let low = (sequence & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000

        return String(unsafeUninitializedCapacity: 36) { buffer in
            var written = 0
            func append(_ value: UInt64, digits: Int) {
                for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
                    buffer[written] = hexDigit(UInt8(truncatingIfNeeded: value >> UInt64(shift)) & 0xf)
                    written += 1
                }
            }
            func appendDash() {
                buffer[written] = UInt8(ascii: "-")
                written += 1
            }
            append(high >> 32, digits: 8)
            appendDash()
            append(high >> 16, digits: 4)
            appendDash()
            append(high, digits: 4)
            appendDash()
            append(low >> 48, digits: 4)
            appendDash()
            append(low, digits: 12)
            return written
        }
    }
}

/// The per-process part of event ids: a counter, offset by a random key drawn when the process first makes an id,
/// through a bijective mix (SplitMix64's), so that each id of the process gets a distinct, random-looking value.
private enum IDSequence {
    private static let key = UInt64.random(in: .min ... .max)
    private static let counter = Atomic<UInt64>(0)

    static func next() -> UInt64 {
        let count = counter.add(1, ordering: .relaxed).newValue
        var value = key &+ count &* 0x9e37_79b9_7f4a_7c15
        value = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
        value = (value ^ (value >> 27)) &* 0x94d0_49bb_1331_11eb
        return value ^ (value >> 31)
    }
}
