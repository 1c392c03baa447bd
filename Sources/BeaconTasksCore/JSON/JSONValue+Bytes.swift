import BeaconEvents

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension JSONValue {
    /// Why bytes are not one JSON document.
    package struct ParseFailure: Error {
        /// What is wrong, with the byte offset.
        package let description: String
    }

    /// Parses one strict RFC 8259 document (valid UTF-8, nothing after the value, at most 32 levels deep).
    package static func parse(_ bytes: some Collection<UInt8>) throws(ParseFailure) -> JSONValue {
        do {
            return JSONValue(try JSONParser.parse(bytes))
        } catch {
            switch error.reason {
            case .invalidUTF8: throw ParseFailure(description: "not valid UTF-8 (byte \(error.offset))")
            case .syntax(let message): throw ParseFailure(description: "\(message) at byte \(error.offset)")
            }
        }
    }

    /// The value as compact JSON (no spaces), UTF-8.
    public var jsonBytes: [UInt8] {
        var bytes: [UInt8] = []
        JSONDocument(self).appendJSON(to: &bytes)
        return bytes
    }

    /// The value as compact JSON text.
    public var jsonText: String { String(decoding: jsonBytes, as: UTF8.self) }

    private init(_ parsed: JSONDocument) {
        switch parsed {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .integer(let value): self = .integer(value)
        case .double(let value): self = .double(value)
        case .string(let value): self = .string(value)
        case .array(let elements): self = .array(elements.map(JSONValue.init))
        case .object(let members): self = .object(JSONObject(members.map { (key: $0.key, value: JSONValue($0.value)) }))
        }
    }
}

extension JSONDocument {
    fileprivate init(_ value: BeaconTasksCore.JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .integer(let value): self = .integer(value)
        case .double(let value): self = .double(value)
        case .string(let value): self = .string(value)
        case .array(let elements): self = .array(elements.map(Self.init))
        case .object(let object): self = .object(object.members.map { (key: $0.key, value: Self($0.value)) })
        }
    }
}

/// How Beacon turns `Codable` task arguments and outputs into JSON values and back: `JSONEncoder`/`JSONDecoder`,
/// dates as Celery writes them (ISO 8601, microseconds, `+00:00`), and read back from any ISO 8601 form Python writes.
package enum TaskCoding {
    /// A task's arguments as they travel: a JSON object (kwargs) or array (args). Throws
    /// ``TaskEncodingError/Code/invalidArguments`` when they do not encode, or encode to anything else.
    package static func arguments<Task: TaskDefinition>(_ arguments: Task.Arguments, of task: Task.Type) throws(TaskEncodingError) -> JSONValue {
        let value: JSONValue
        do {
            value = try encode(arguments)
        } catch {
            throw TaskEncodingError(.invalidArguments, "task \(Task.name): arguments do not encode: \(error)")
        }
        switch value {
        case .object, .array: return value
        default:
            throw TaskEncodingError(
                .invalidArguments,
                "task \(Task.name): arguments encode to \(value.kind); they must encode to an object (kwargs) or an array (args)"
            )
        }
    }

    /// `value` as a JSON value.
    package static func encode(_ value: some Encodable) throws -> JSONValue {
        // As is: a round trip through Codable would lose the members' order (keyed containers have none).
        if let json = value as? JSONValue { return json }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var single = encoder.singleValueContainer()
            try single.encode(CeleryTime.format(date))
        }
        let data = try encoder.encode(value)
        do {
            return try JSONValue.parse(data)
        } catch {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: error.description))
        }
    }

    /// A `T` from a JSON value.
    package static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        if let same = value as? T { return same }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let single = try decoder.singleValueContainer()
            let text = try single.decode(String.self)
            guard let date = CeleryTime.parse(text) else {
                throw DecodingError.dataCorruptedError(in: single, debugDescription: "\"\(text)\" is not an ISO 8601 time")
            }
            return date
        }
        return try decoder.decode(type, from: Data(value.jsonBytes))
    }

    /// Where a `DecodingError` happened and what it says, e.g. (`items[0].sku`, `expected String, found a number`).
    package static func describe(_ error: any Error) -> (path: String, problem: String) {
        guard let error = error as? DecodingError else { return ("", "\(error)") }
        switch error {
        case .typeMismatch(let type, let context):
            return (path(context.codingPath), "expected \(type): \(context.debugDescription)")
        case .valueNotFound(let type, let context):
            return (path(context.codingPath), "expected \(type), found null or nothing")
        case .keyNotFound(let key, let context):
            return (path(context.codingPath + [key]), "missing")
        case .dataCorrupted(let context):
            return (path(context.codingPath), context.debugDescription)
        @unknown default:
            return ("", "\(error)")
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }
}
