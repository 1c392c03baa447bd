import BeaconAMQP

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// AMQP properties and field values as JSON, losslessly (every field value carries its AMQP type), for the task
/// spool's files.
enum AMQPJSON {
    static func properties(_ properties: AMQPProperties) -> JSONValue {
        var object: JSONObject = ["headers": table(properties.headers)]
        func set(_ key: String, _ value: String?) { if let value { object[key] = .string(value) } }
        set("content_type", properties.contentType)
        set("content_encoding", properties.contentEncoding)
        set("correlation_id", properties.correlationID)
        set("reply_to", properties.replyTo)
        set("expiration", properties.expiration)
        set("message_id", properties.messageID)
        set("type", properties.type)
        set("user_id", properties.userID)
        set("app_id", properties.appID)
        if let mode = properties.deliveryMode { object["delivery_mode"] = .integer(Int64(mode.rawValue)) }
        if let priority = properties.priority { object["priority"] = .integer(Int64(priority)) }
        if let timestamp = properties.timestamp { object["timestamp"] = .double(timestamp.timeIntervalSince1970) }
        return .object(object)
    }

    static func properties(from value: JSONValue) -> AMQPProperties? {
        guard case .object(let object) = value, let headers = object["headers"].flatMap(table(from:)) else { return nil }
        var properties = AMQPProperties(headers: headers)
        properties.contentType = object["content_type"]?.stringValue
        properties.contentEncoding = object["content_encoding"]?.stringValue
        properties.correlationID = object["correlation_id"]?.stringValue
        properties.replyTo = object["reply_to"]?.stringValue
        properties.expiration = object["expiration"]?.stringValue
        properties.messageID = object["message_id"]?.stringValue
        properties.type = object["type"]?.stringValue
        properties.userID = object["user_id"]?.stringValue
        properties.appID = object["app_id"]?.stringValue
        properties.deliveryMode = object["delivery_mode"]?.integerValue.flatMap { UInt8(exactly: $0) }.flatMap(AMQPProperties.DeliveryMode.init)
        properties.priority = object["priority"]?.integerValue.flatMap { UInt8(exactly: $0) }
        properties.timestamp = object["timestamp"]?.doubleValue.map(Date.init(timeIntervalSince1970:))
        return properties
    }

    /// A table as `[[key, value], …]`, in wire order.
    static func table(_ table: AMQPTable) -> JSONValue {
        .array(table.entries.map { .array([.string($0.key), field($0.value)]) })
    }

    static func table(from value: JSONValue) -> AMQPTable? {
        guard case .array(let entries) = value else { return nil }
        var result: [(key: String, value: AMQPFieldValue)] = []
        for entry in entries {
            guard case .array(let pair) = entry, pair.count == 2, let key = pair[0].stringValue, let value = field(from: pair[1]) else {
                return nil
            }
            result.append((key, value))
        }
        return AMQPTable(result)
    }

    /// A field value as `[type, value]`.
    static func field(_ value: AMQPFieldValue) -> JSONValue {
        switch value {
        case .bool(let value): ["t", .bool(value)]
        case .int8(let value): ["b", .integer(Int64(value))]
        case .int16(let value): ["s", .integer(Int64(value))]
        case .int32(let value): ["I", .integer(Int64(value))]
        case .int64(let value): ["l", .integer(value)]
        case .float(let value): ["f", .double(Double(value))]
        case .double(let value): ["d", .double(value)]
        case .decimal(let scale, let value): ["D", .array([.integer(Int64(scale)), .integer(Int64(value))])]
        case .string(let value): ["S", .string(value)]
        case .bytes(let value): ["x", .string(Data(value).base64EncodedString())]
        case .timestamp(let value): ["T", .double(value.timeIntervalSince1970)]
        case .array(let values): ["A", .array(values.map(field))]
        case .table(let table): ["F", self.table(table)]
        case .void: ["V", .null]
        }
    }

    static func field(from value: JSONValue) -> AMQPFieldValue? {
        guard case .array(let pair) = value, pair.count == 2, let type = pair[0].stringValue else { return nil }
        let content = pair[1]
        switch type {
        case "t": return content.boolValue.map(AMQPFieldValue.bool)
        case "b": return content.integerValue.flatMap { Int8(exactly: $0) }.map(AMQPFieldValue.int8)
        case "s": return content.integerValue.flatMap { Int16(exactly: $0) }.map(AMQPFieldValue.int16)
        case "I": return content.integerValue.flatMap { Int32(exactly: $0) }.map(AMQPFieldValue.int32)
        case "l": return content.integerValue.map(AMQPFieldValue.int64)
        case "f": return content.doubleValue.map { .float(Float($0)) }
        case "d": return content.doubleValue.map(AMQPFieldValue.double)
        case "D":
            guard case .array(let parts) = content, parts.count == 2, let scale = parts[0].integerValue.flatMap({ UInt8(exactly: $0) }),
                let number = parts[1].integerValue.flatMap({ Int32(exactly: $0) })
            else { return nil }
            return .decimal(scale: scale, value: number)
        case "S": return content.stringValue.map(AMQPFieldValue.string)
        case "x": return content.stringValue.flatMap { Data(base64Encoded: $0) }.map { .bytes(Array($0)) }
        case "T": return content.doubleValue.map { .timestamp(Date(timeIntervalSince1970: $0)) }
        case "A":
            guard case .array(let values) = content else { return nil }
            let fields = values.compactMap(field(from:))
            return fields.count == values.count ? .array(fields) : nil
        case "F": return table(from: content).map(AMQPFieldValue.table)
        case "V": return .void
        default: return nil
        }
    }
}
