public import BeaconTasksCore

/// The demo's task: mail the receipt of a paid order. Runs on the bundled worker from the durable queue `shop`.
///
/// On the wire (Celery protocol v2, so Python reaches it with `app.send_task("shop.send_receipt", kwargs=…,
/// queue="shop")`): keyword arguments `order_id` (string), `name`, `email`, `items` (a list of `{"name": string,
/// "price": number}`); the result is `{"message_id": string}`, the receipt's Message-ID.
public enum SendReceipt: TaskDefinition {
    public static let name = "shop.send_receipt"
    /// The queue `shop`.
    public static var defaultOptions: TaskOptions { TaskOptions(queue: "shop") }

    /// The order the receipt is for.
    public struct Arguments: Codable, Sendable, Hashable {
        /// The order's id, made by the web server.
        public var orderID: String
        /// The customer's name, for "Hello {{name}}".
        public var name: String
        /// Where the receipt goes.
        public var email: String
        /// What was paid for.
        public var items: [Item]

        public init(orderID: String, name: String, email: String, items: [Item]) {
            self.orderID = orderID
            self.name = name
            self.email = email
            self.items = items
        }

        enum CodingKeys: String, CodingKey {
            case orderID = "order_id"
            case name, email, items
        }
    }

    /// One line of the order.
    public struct Item: Codable, Sendable, Hashable {
        public var name: String
        public var price: Double

        public init(name: String, price: Double) {
            self.name = name
            self.price = price
        }
    }

    /// The mail that was sent.
    public struct Output: Codable, Sendable, Hashable {
        /// Its Message-ID header, without the angle brackets.
        public var messageID: String

        public init(messageID: String) { self.messageID = messageID }

        enum CodingKeys: String, CodingKey { case messageID = "message_id" }
    }
}

/// The demo's no-op: returns its keyword arguments unchanged, from the queue `demo` (for benchmarks and smoke tests).
public enum DemoEcho: TaskDefinition {
    public static let name = "demo.echo"
    /// The queue `demo`.
    public static var defaultOptions: TaskOptions { TaskOptions(queue: "demo") }
    /// The keyword arguments, any JSON object.
    public typealias Arguments = JSONValue
    /// The same object.
    public typealias Output = JSONValue
}
