/// A strict RFC 8259 parser: one document, no trailing garbage, no control characters in strings, valid UTF-8,
/// nesting at most ``maximumDepth`` deep. `package`: BeaconTasks reads Celery messages with it.
package struct JSONParser {
    package static let maximumDepth = 32

    /// Why a document is not JSON.
    package struct Failure: Error, Equatable {
        package enum Reason: Equatable {
            case invalidUTF8
            case syntax(String)
        }
        package var reason: Reason
        /// The byte offset where it went wrong.
        package var offset: Int
    }

    package static func parse(_ bytes: some Collection<UInt8>) throws(Failure) -> JSONDocument {
        let result: Result<JSONDocument, Failure>? = bytes.withContiguousStorageIfAvailable { buffer in
            var parser = JSONParser(buffer)
            return Result { () throws(Failure) in try parser.parseDocument() }
        }
        if let result { return try result.get() }
        let copy = Array(bytes)
        return try parse(copy)
    }

    private let input: UnsafeBufferPointer<UInt8>
    private var index = 0

    private init(_ input: UnsafeBufferPointer<UInt8>) {
        self.input = input
    }

    private mutating func parseDocument() throws(Failure) -> JSONDocument {
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard index == input.count else { throw syntax("unexpected data after the JSON value") }
        return value
    }

    private mutating func parseValue(depth: Int) throws(Failure) -> JSONDocument {
        skipWhitespace()
        guard index < input.count else { throw syntax("unexpected end of input") }
        switch input[index] {
        case UInt8(ascii: "{"):
            return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["):
            return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        case 0x80...:
            throw failure(Self.isValidUTF8(input) ? .syntax("unexpected character") : .invalidUTF8)
        default:
            throw syntax("unexpected character '\(Unicode.Scalar(input[index]).escaped(asASCII: true))'")
        }
    }

    private mutating func parseObject(depth: Int) throws(Failure) -> JSONDocument {
        guard depth <= Self.maximumDepth else { throw syntax("nested deeper than \(Self.maximumDepth) levels") }
        index += 1  // {
        var members: [(key: String, value: JSONDocument)] = []
        skipWhitespace()
        if index < input.count, input[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < input.count, input[index] == UInt8(ascii: "\"") else { throw syntax("expected a member name") }
            let key = try parseString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "expected ':' after a member name")
            let value = try parseValue(depth: depth)
            members.append((key, value))
            skipWhitespace()
            guard index < input.count else { throw syntax("unexpected end of input in an object") }
            if input[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            try expect(UInt8(ascii: "}"), "expected ',' or '}' in an object")
            return .object(members)
        }
    }

    private mutating func parseArray(depth: Int) throws(Failure) -> JSONDocument {
        guard depth <= Self.maximumDepth else { throw syntax("nested deeper than \(Self.maximumDepth) levels") }
        index += 1  // [
        var elements: [JSONDocument] = []
        skipWhitespace()
        if index < input.count, input[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard index < input.count else { throw syntax("unexpected end of input in an array") }
            if input[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            try expect(UInt8(ascii: "]"), "expected ',' or ']' in an array")
            return .array(elements)
        }
    }

    private mutating func parseString() throws(Failure) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes. The bytes between the quotes are the string, once known to be UTF-8.
        while index < input.count {
            let byte = input[index]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: input[start..<index])
                index += 1
                guard let string = String(validating: slice, as: UTF8.self) else {
                    throw Failure(reason: .invalidUTF8, offset: start)
                }
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw syntax("a control character in a string must be escaped") }
            index += 1
        }
        // Slow path: escapes.
        var bytes = Array(input[start..<index])
        while index < input.count {
            let byte = input[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let string = String(validating: bytes, as: UTF8.self) else {
                    throw Failure(reason: .invalidUTF8, offset: start)
                }
                return string
            case UInt8(ascii: "\\"):
                index += 1
                try appendEscape(to: &bytes)
            case ..<0x20:
                throw syntax("a control character in a string must be escaped")
            default:
                bytes.append(byte)
                index += 1
            }
        }
        throw syntax("unterminated string")
    }

    private mutating func appendEscape(to bytes: inout [UInt8]) throws(Failure) {
        guard index < input.count else { throw syntax("unterminated escape") }
        let escape = input[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(escape)
        case UInt8(ascii: "b"): bytes.append(0x08)
        case UInt8(ascii: "f"): bytes.append(0x0c)
        case UInt8(ascii: "n"): bytes.append(0x0a)
        case UInt8(ascii: "r"): bytes.append(0x0d)
        case UInt8(ascii: "t"): bytes.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try parseHex4())
            if (0xd800..<0xdc00).contains(scalar) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard index + 1 < input.count, input[index] == UInt8(ascii: "\\"), input[index + 1] == UInt8(ascii: "u")
                else { throw syntax("a lone surrogate in a \\u escape") }
                index += 2
                let low = UInt32(try parseHex4())
                guard (0xdc00..<0xe000).contains(low) else { throw syntax("a lone surrogate in a \\u escape") }
                scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
            } else if (0xdc00..<0xe000).contains(scalar) {
                throw syntax("a lone surrogate in a \\u escape")
            }
            guard let unicodeScalar = Unicode.Scalar(scalar) else { throw syntax("an invalid \\u escape") }
            bytes.append(contentsOf: String(Character(unicodeScalar)).utf8)
        default:
            throw syntax("an invalid escape '\\\(Unicode.Scalar(escape).escaped(asASCII: true))'")
        }
    }

    private mutating func parseHex4() throws(Failure) -> UInt16 {
        guard index + 4 <= input.count else { throw syntax("a truncated \\u escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = input[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw syntax("an invalid \\u escape")
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    private mutating func parseNumber() throws(Failure) -> JSONDocument {
        let start = index
        if input[index] == UInt8(ascii: "-") { index += 1 }
        guard index < input.count, isDigit(input[index]) else { throw syntax("a number needs a digit") }
        if input[index] == UInt8(ascii: "0") {
            index += 1
            if index < input.count, isDigit(input[index]) { throw syntax("a number cannot start with 0") }
        } else {
            skipDigits()
        }
        var isInteger = true
        if index < input.count, input[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < input.count, isDigit(input[index]) else { throw syntax("a fraction needs a digit") }
            skipDigits()
        }
        if index < input.count, input[index] == UInt8(ascii: "e") || input[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < input.count, input[index] == UInt8(ascii: "+") || input[index] == UInt8(ascii: "-") { index += 1 }
            guard index < input.count, isDigit(input[index]) else { throw syntax("an exponent needs a digit") }
            skipDigits()
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: input[start..<index]), as: UTF8.self)
        if isInteger, let integer = Int64(text) { return .integer(integer) }
        guard let double = Double(text), double.isFinite else { throw syntax("a number out of range") }
        return .double(double)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while index < input.count, isDigit(input[index]) { index += 1 }
    }

    private mutating func skipWhitespace() {
        while index < input.count {
            switch input[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8, _ message: String) throws(Failure) {
        guard index < input.count, input[index] == byte else { throw syntax(message) }
        index += 1
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(Failure) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= input.count,
            UnsafeBufferPointer(start: literal.utf8Start, count: count).elementsEqual(input[index..<index + count])
        else { throw syntax("unexpected character") }
        index += count
    }

    private func syntax(_ message: String) -> Failure { failure(.syntax(message)) }

    private func failure(_ reason: Failure.Reason) -> Failure { Failure(reason: reason, offset: index) }

    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        String(validating: bytes, as: UTF8.self) != nil
    }
}
