import Foundation

/// An RFC 5322 message as the mail sink sends it: plain text in UTF-8, quoted-printable, CRLF line ends.
///
/// Nothing an event carries can add a header: the subject is made one line (every control character, CR and LF
/// included, becomes a space) and RFC 2047-encoded when it is not plain ASCII; addresses are checked when the
/// configuration is read; the Message-ID is built from characters that need no quoting; the body is
/// quoted-printable, so no body line can be taken for anything else either.
struct MailMessage: Sendable {
    var from: String
    var to: [String]
    var subject: String
    var body: String
    /// The left part of the Message-ID (`<left@host>`); characters outside `A-Z a-z 0-9 . - _` are dropped.
    var messageID: String
    /// Sent as `X-Beacon-…` headers (names and values are reduced to safe characters).
    var extraHeaders: [(name: String, value: String)] = []
    /// Seconds since 1970, for the Date header.
    var date: Int64

    /// The whole message, headers and body, with CRLF line ends.
    func rendered(host: String) -> [UInt8] {
        var lines = [
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: <\(Self.token(messageID, fallback: "beacon"))@\(Self.token(host, fallback: "localhost"))>",
            "From: \(from)",
            "To: \(to.joined(separator: ", "))",
            Self.encodedHeader(name: "Subject", value: subject),
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
        ]
        for (name, value) in extraHeaders {
            lines.append("X-Beacon-\(Self.token(name, fallback: "Value")): \(Self.token(value, fallback: "-"))")
        }
        var bytes = Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
        bytes.append(contentsOf: QuotedPrintable.encode(body))
        return bytes
    }

    /// Only letters, digits, `.`, `-` and `_`: safe in a header and inside a Message-ID.
    static func token(_ text: String, fallback: String) -> String {
        let kept = String(
            text.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ".-_".unicodeScalars.contains($0)) }
        )
        return kept.isEmpty ? fallback : String(kept.prefix(200))
    }

    /// One header line, folded and RFC 2047-encoded as needed. The value is made one line first: every control
    /// character (CR and LF among them) becomes a space, runs of spaces collapse, and it is cut to 250 characters.
    static func encodedHeader(name: String, value: String) -> String {
        var text = ""
        var lastWasSpace = false
        for scalar in value.unicodeScalars {
            let isSpace =
                scalar.value < 0x20 || scalar.value == 0x7f || (0x80...0x9f).contains(scalar.value) || scalar == " "
                || scalar == "\u{2028}" || scalar == "\u{2029}"
            if isSpace {
                if !lastWasSpace && !text.isEmpty { text.append(" ") }
            } else {
                text.unicodeScalars.append(scalar)
            }
            lastWasSpace = isSpace
        }
        while text.hasSuffix(" ") { text.removeLast() }
        if text.count > 250 { text = String(text.prefix(249)) + "…" }
        let needsEncoding = text.unicodeScalars.contains { !$0.isASCII } || text.contains("=?")
        guard needsEncoding else { return fold(name: name, words: text.split(separator: " ").map(String.init)) }
        return "\(name): " + encodedWords(text).joined(separator: "\r\n ")
    }

    /// Plain words on lines of at most 78 characters where possible (a single word longer than that stays whole).
    private static func fold(name: String, words: [String]) -> String {
        var result = "\(name):"
        var lineLength = result.count
        for word in words {
            if lineLength + 1 + word.count > 78 && lineLength > name.count + 1 {
                result += "\r\n"
                lineLength = 0
            }
            result += " " + word
            lineLength += 1 + word.count
        }
        return result
    }

    /// RFC 2047 B-encoded words of at most 75 characters, each holding whole UTF-8 characters.
    static func encodedWords(_ text: String) -> [String] {
        let maximumBytes = 39  // 39 bytes become 52 base64 characters; with =?UTF-8?B?, ?= and "Subject: " that is 73
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > maximumBytes && !chunk.isEmpty {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk.append(contentsOf: bytes)
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words
    }

    /// `Sat, 21 Nov 2026 10:15:30 +0000`.
    static func rfc5322Date(_ seconds: Int64) -> String {
        var clock = time_t(seconds)
        var parts = tm()
        gmtime_r(&clock, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        // %a and %b are locale-dependent; the C locale (the default of a Swift program) gives the English names.
        let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S +0000", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Quoted-printable (RFC 2045) for a UTF-8 text body, with CRLF line ends and lines of at most 76 characters.
enum QuotedPrintable {
    static func encode(_ text: String) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        let lines = text.replacingLineEnds().split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            var lineLength = 0
            let bytes = Array(line.utf8)
            for (position, byte) in bytes.enumerated() {
                let isLast = position == bytes.count - 1
                let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !isLast)
                let width = literal ? 1 : 3
                if lineLength + width > 75 {
                    output.append(contentsOf: Array("=\r\n".utf8))
                    lineLength = 0
                }
                if literal {
                    output.append(byte)
                } else {
                    output.append(UInt8(ascii: "="))
                    output.append(hexDigits[Int(byte >> 4)])
                    output.append(hexDigits[Int(byte & 0xf)])
                }
                lineLength += width
            }
            if index < lines.count - 1 { output.append(contentsOf: Array("\r\n".utf8)) }
        }
        return output
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)
}

extension String {
    /// The text with CRLF and lone CR line ends made LF.
    func replacingLineEnds() -> String {
        guard contains("\r") else { return self }
        var result = ""
        var previousWasCR = false
        for scalar in unicodeScalars {
            if scalar == "\r" {
                result.append("\n")
                previousWasCR = true
                continue
            }
            if scalar == "\n" && previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = false
            result.unicodeScalars.append(scalar)
        }
        return result
    }
}
