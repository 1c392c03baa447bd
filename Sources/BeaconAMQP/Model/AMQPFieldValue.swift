#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// One value of an AMQP field table or field array: message headers, queue and exchange arguments.
///
/// The cases are the types RabbitMQ reads and writes (AMQP 0-9-1 with RabbitMQ's errata). Unsigned types that other
/// clients may send (`B`, `u`, `i`, `L`) are read into the next wider signed case, so nothing is lost except for
/// `UInt64` values above `Int64.max`.
///
/// Literals build the usual cases: `"text"` is ``string(_:)``, `42` is ``int64(_:)`` (RabbitMQ's "long", which
/// `x-message-ttl`, `x-max-length` and `x-death`'s `count` use), `true` is ``bool(_:)``, `[…]` an array and
/// `["key": …]` a nested table.
public enum AMQPFieldValue: Sendable, Hashable {
    case bool(Bool)
    case int8(Int8)
    case int16(Int16)
    case int32(Int32)
    case int64(Int64)
    case float(Float)
    case double(Double)
    /// An AMQP decimal: `value` × 10^-`scale`.
    case decimal(scale: UInt8, value: Int32)
    /// A UTF-8 long string (`S`).
    case string(String)
    /// Raw bytes (`x`).
    case bytes([UInt8])
    /// A POSIX timestamp, whole seconds (`T`).
    case timestamp(Date)
    case array([AMQPFieldValue])
    case table(AMQPTable)
    /// No value (`V`).
    case void

    /// The string, when this is ``string(_:)`` (or ``bytes(_:)`` holding valid UTF-8).
    public var stringValue: String? {
        switch self {
        case .string(let value): value
        case .bytes(let value): String(validating: value, as: UTF8.self)
        default: nil
        }
    }

    /// The integer, whatever its width.
    public var intValue: Int? {
        switch self {
        case .int8(let value): Int(value)
        case .int16(let value): Int(value)
        case .int32(let value): Int(value)
        case .int64(let value): Int(value)
        default: nil
        }
    }

    /// The boolean, when this is ``bool(_:)``.
    public var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    /// The nested table, when this is ``table(_:)``.
    public var tableValue: AMQPTable? {
        if case .table(let value) = self { value } else { nil }
    }

    /// The elements, when this is ``array(_:)``.
    public var arrayValue: [AMQPFieldValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    /// The date, when this is ``timestamp(_:)``.
    public var dateValue: Date? {
        if case .timestamp(let value) = self { value } else { nil }
    }
}

extension AMQPFieldValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension AMQPFieldValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .int64(value) }
}

extension AMQPFieldValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension AMQPFieldValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension AMQPFieldValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: AMQPFieldValue...) { self = .array(elements) }
}

extension AMQPFieldValue: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, AMQPFieldValue)...) {
        self = .table(AMQPTable(elements.map { (key: $0.0, value: $0.1) }))
    }
}

extension AMQPFieldValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .bool(let value): "\(value)"
        case .int8(let value): "\(value)"
        case .int16(let value): "\(value)"
        case .int32(let value): "\(value)"
        case .int64(let value): "\(value)"
        case .float(let value): "\(value)"
        case .double(let value): "\(value)"
        case .decimal(let scale, let value): "\(value)e-\(scale)"
        case .string(let value): "\"\(value)\""
        case .bytes(let value): "<\(value.count) bytes>"
        case .timestamp(let value): "\(value)"
        case .array(let values): "[\(values.map(\.description).joined(separator: ", "))]"
        case .table(let table): table.description
        case .void: "void"
        }
    }
}
