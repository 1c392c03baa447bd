import CRabbitMQ

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
public import Foundation
#endif

extension AMQPProperties {
    /// Reads decoded basic properties (copying everything out of rabbitmq-c's memory).
    init(_ properties: amqp_basic_properties_t) {
        let flags = properties._flags
        func has(_ flag: Int32) -> Bool { flags & amqp_flags_t(flag) != 0 }
        func text(_ flag: Int32, _ bytes: amqp_bytes_t) -> String? { has(flag) ? bytes.string : nil }
        self.init(
            contentType: text(AMQP_BASIC_CONTENT_TYPE_FLAG, properties.content_type),
            contentEncoding: text(AMQP_BASIC_CONTENT_ENCODING_FLAG, properties.content_encoding),
            headers: has(AMQP_BASIC_HEADERS_FLAG) ? AMQPTable(properties.headers) : [:],
            deliveryMode: has(AMQP_BASIC_DELIVERY_MODE_FLAG) ? DeliveryMode(rawValue: properties.delivery_mode) : nil,
            priority: has(AMQP_BASIC_PRIORITY_FLAG) ? properties.priority : nil,
            correlationID: text(AMQP_BASIC_CORRELATION_ID_FLAG, properties.correlation_id),
            replyTo: text(AMQP_BASIC_REPLY_TO_FLAG, properties.reply_to),
            expiration: text(AMQP_BASIC_EXPIRATION_FLAG, properties.expiration),
            messageID: text(AMQP_BASIC_MESSAGE_ID_FLAG, properties.message_id),
            timestamp: has(AMQP_BASIC_TIMESTAMP_FLAG) ? Date(timeIntervalSince1970: Double(properties.timestamp)) : nil,
            type: text(AMQP_BASIC_TYPE_FLAG, properties.type),
            userID: text(AMQP_BASIC_USER_ID_FLAG, properties.user_id),
            appID: text(AMQP_BASIC_APP_ID_FLAG, properties.app_id)
        )
    }

    /// The properties as a rabbitmq-c structure whose strings and tables are allocated in `pool`.
    func cProperties(in pool: ScratchPool) -> amqp_basic_properties_t {
        var properties = amqp_basic_properties_t()
        var flags: Int32 = 0
        func set(_ value: String?, _ flag: Int32, _ field: WritableKeyPath<amqp_basic_properties_t, amqp_bytes_t>) {
            guard let value else { return }
            properties[keyPath: field] = pool.bytes(value)
            flags |= flag
        }
        set(contentType, AMQP_BASIC_CONTENT_TYPE_FLAG, \.content_type)
        set(contentEncoding, AMQP_BASIC_CONTENT_ENCODING_FLAG, \.content_encoding)
        set(correlationID, AMQP_BASIC_CORRELATION_ID_FLAG, \.correlation_id)
        set(replyTo, AMQP_BASIC_REPLY_TO_FLAG, \.reply_to)
        set(expiration, AMQP_BASIC_EXPIRATION_FLAG, \.expiration)
        set(messageID, AMQP_BASIC_MESSAGE_ID_FLAG, \.message_id)
        set(type, AMQP_BASIC_TYPE_FLAG, \.type)
        set(userID, AMQP_BASIC_USER_ID_FLAG, \.user_id)
        set(appID, AMQP_BASIC_APP_ID_FLAG, \.app_id)
        if !headers.isEmpty {
            properties.headers = headers.cTable(in: pool)
            flags |= AMQP_BASIC_HEADERS_FLAG
        }
        if let deliveryMode {
            properties.delivery_mode = deliveryMode.rawValue
            flags |= AMQP_BASIC_DELIVERY_MODE_FLAG
        }
        if let priority {
            properties.priority = priority
            flags |= AMQP_BASIC_PRIORITY_FLAG
        }
        if let timestamp {
            properties.timestamp = UInt64(max(0, timestamp.timeIntervalSince1970))
            flags |= AMQP_BASIC_TIMESTAMP_FLAG
        }
        properties._flags = amqp_flags_t(flags)
        return properties
    }
}
