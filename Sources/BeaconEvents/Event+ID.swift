extension Event {
    /// A new event id: a version 7 UUID (RFC 9562), lowercase, e.g. `0193f2c1-7a4e-7c3b-9f1d-2b6e8c0d4a51`.
    /// Its first 48 bits are the time in milliseconds, so ids sort by creation time.
    public static func makeID(at time: Timestamp = .now()) -> String {
        var generator = SystemRandomNumberGenerator()
        let random = generator.next() as UInt64
        let moreRandom = generator.next() as UInt64
        let high = (UInt64(truncatingIfNeeded: time.millisecondsSince1970) << 16) | 0x7000 | (random & 0x0fff)
        let low = (moreRandom & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000

        var bytes = [UInt8]()
        bytes.reserveCapacity(36)
        appendHex(high >> 32, digits: 8, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendHex(high >> 16, digits: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendHex(high, digits: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendHex(low >> 48, digits: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendHex(low, digits: 12, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func appendHex(_ value: UInt64, digits: Int, to bytes: inout [UInt8]) {
        for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
            bytes.append(hexDigit(UInt8(truncatingIfNeeded: value >> UInt64(shift)) & 0xf))
        }
    }
}
