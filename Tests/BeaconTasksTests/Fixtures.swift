import BeaconAMQP
import Foundation

@testable import BeaconTasks

/// The messages Celery 5.7 put on the wire (Fixtures/celery-5.7-messages.json), as AMQP values.
enum Celery {
    struct Captured {
        let exchange: String
        let routingKey: String
        let properties: AMQPProperties
        /// The headers as JSON, keys sorted (as captured).
        let headersJSON: JSONObject
        let body: [UInt8]
    }

    static let document: JSONValue = {
        let url = Bundle.module.url(forResource: "celery-5.7-messages", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONValue.parse(try! Data(contentsOf: url))
    }()

    static func task(_ name: String) -> Captured { captured(document["task_messages"]![name]!) }
    static var taskNames: [String] { document["task_messages"]!.objectValue!.keys }
    static var retries: [Captured] { document["retry_republications"]!.arrayValue!.map(captured) }
    static var nativeDelayed: Captured { captured(document["native_delayed_delivery_message"]!) }
    static var results: [Captured] { document["rpc_result_messages"]!.arrayValue!.map(captured) }

    static func captured(_ json: JSONValue) -> Captured {
        let properties = json["properties"]!
        let headers = properties["headers"]!.objectValue!
        return Captured(
            exchange: json["method"]!["exchange"]!.stringValue!,
            routingKey: json["method"]!["routing_key"]!.stringValue!,
            properties: AMQPProperties(
                contentType: properties["content_type"]?.stringValue,
                contentEncoding: properties["content_encoding"]?.stringValue,
                headers: amqp(.object(headers)).tableValue!,
                deliveryMode: properties["delivery_mode"]?.integerValue.flatMap { AMQPProperties.DeliveryMode(rawValue: UInt8($0)) },
                priority: properties["priority"]?.integerValue.map { UInt8($0) },
                correlationID: properties["correlation_id"]?.stringValue,
                replyTo: properties["reply_to"]?.stringValue,
                expiration: properties["expiration"]?.stringValue
            ),
            headersJSON: headers,
            body: Array(json["body_raw"]!.stringValue!.utf8)
        )
    }

    /// A header value as py-amqp writes it: `None` is void, an `int` is `I` (32 bits), a `dict` a table.
    static func amqp(_ value: JSONValue) -> AMQPFieldValue {
        switch value {
        case .null: .void
        case .bool(let flag): .bool(flag)
        case .integer(let integer): Int32(exactly: integer).map(AMQPFieldValue.int32) ?? .int64(integer)
        case .double(let double): .double(double)
        case .string(let text): .string(text)
        case .array(let elements): .array(elements.map(amqp))
        case .object(let object): .table(AMQPTable(object.members.map { (key: $0.key, value: amqp($0.value)) }))
        }
    }

    /// A time as Celery wrote it.
    static func time(_ text: String) -> Date { CeleryTime.parse(text)! }
}

extension AMQPTable {
    /// The table without these keys.
    func removing(_ keys: Set<String>) -> AMQPTable { AMQPTable(entries.filter { !keys.contains($0.key) }) }

    /// The entries sorted by key, to compare tables whose order differs.
    var sorted: [String: AMQPFieldValue] { Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.value) }) }
}

/// Tasks for the tests.
enum SendReceipt: TaskDefinition {
    static let name = "shop.send_receipt"
    struct Arguments: Codable, Sendable, Hashable {
        var orderID: Int
        var email: String
        var items: [Item]
        var placedAt: Date?
    }
    struct Item: Codable, Sendable, Hashable {
        var sku: String
        var quantity: Int
    }
    struct Output: Codable, Sendable, Hashable {
        var messageID: String
    }
}

/// Celery's `proj.add(x, y)`: positional arguments.
enum Add: TaskDefinition {
    static let name = "proj.add"
    struct Arguments: Codable, Sendable, Hashable {
        var x: Int
        var y: Int

        init(x: Int, y: Int) {
            self.x = x
            self.y = y
        }

        init(from decoder: any Decoder) throws {
            var args = try decoder.unkeyedContainer()
            x = try args.decode(Int.self)
            y = try args.decode(Int.self)
        }

        func encode(to encoder: any Encoder) throws {
            var args = encoder.unkeyedContainer()
            try args.encode(x)
            try args.encode(y)
        }
    }
    typealias Output = Int
}
