/// Text made safe for one line of a log file: nothing in it can end the line or forge another one.
///
/// Line feeds, carriage returns and tabs become `\n`, `\r`, `\t`; other C0 and C1 control characters and DEL
/// become `\xNN`; the Unicode line and paragraph separators become `\u2028` and `\u2029` (Python's `repr`
/// spellings). Everything else, backslashes included, is kept as it is.
public enum LogText {
    /// `text` escaped for a log line.
    public static func escaped(_ text: String) -> String {
        guard needsEscaping(text) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 8)
        appendEscaped(text, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// True when `text` holds something ``escaped(_:)`` would change.
    public static func needsEscaping(_ text: String) -> Bool {
        var previous: (UInt8, UInt8) = (0, 0)
        for byte in text.utf8 {
            if byte < 0x20 || byte == 0x7f { return true }
            if previous.1 == 0xc2, (0x80...0x9f).contains(byte) { return true }
            if previous == (0xe2, 0x80), byte == 0xa8 || byte == 0xa9 { return true }
            previous = (previous.1, byte)
        }
        return false
    }

    /// Appends `text` escaped for a log line to `bytes`.
    public static func appendEscaped(_ text: String, to bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            var index = 0
            while index < utf8.count {
                let byte = utf8[index]
                switch byte {
                case UInt8(ascii: "\n"): appendEscape("n", to: &bytes)
                case UInt8(ascii: "\r"): appendEscape("r", to: &bytes)
                case UInt8(ascii: "\t"): appendEscape("t", to: &bytes)
                case 0..<0x20, 0x7f: appendHexEscape(byte, to: &bytes)
                case 0xc2 where index + 1 < utf8.count && (0x80...0x9f).contains(utf8[index + 1]):
                    // U+0080…U+009F, the C1 controls (NEL among them).
                    index += 1
                    appendHexEscape(utf8[index], to: &bytes)
                case 0xe2 where index + 2 < utf8.count && utf8[index + 1] == 0x80 && (utf8[index + 2] == 0xa8 || utf8[index + 2] == 0xa9):
                    bytes.append(contentsOf: (utf8[index + 2] == 0xa8 ? "\\u2028" : "\\u2029").utf8)
                    index += 2
                default: bytes.append(byte)
                }
                index += 1
            }
        }
    }

    private static func appendEscape(_ letter: Unicode.Scalar, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(UInt8(ascii: letter))
    }

    private static func appendHexEscape(_ byte: UInt8, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(UInt8(ascii: "x"))
        bytes.append(hexDigit(byte >> 4))
        bytes.append(hexDigit(byte & 0xf))
    }
}
